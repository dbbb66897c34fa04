"""The lock of a sweep folder: one driver writes to it at a time.

``DIR/.lock`` is a JSON record of its owner — host name, boot id and PID namespace (together:
"the same machine"), PID, the process's start time, a random token — created atomically: the
record is written to a private temporary file, then hard-linked to ``.lock`` (``link`` fails if
the name exists), so no reader ever sees an empty or partial lock. While the run lives, a
daemon thread touches the lock's modification time every :data:`HEARTBEAT_SECONDS`.

A lock is stale only when its owner is provably gone:

* on the same machine: no process with that PID, or one that started at another time (the
  PID was reused);
* elsewhere (another host or container, where PIDs mean nothing): no heartbeat for
  :data:`STALE_SECONDS` = 120 s. That is twelve missed heartbeats, longer than NFS caches file
  attributes by default (``acregmax`` = 60 s), with room for modest clock skew between hosts.

A stale lock is removed under a short-lived ``.lock.break`` directory (``mkdir`` is atomic)
after re-reading it, so two drivers that both find it stale cannot remove each other's new
lock. A driver removes only a lock that carries its own token. ``break_lock=True`` (the CLI's
``--break-lock``) removes a live lock: for when its owner is known to be gone but cannot be
proven so (a hung driver, a host that is down).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from ..exceptions import ConfigError

__all__ = ["HEARTBEAT_SECONDS", "STALE_SECONDS", "SweepLock", "lock_holder"]

LOCK = ".lock"
HEARTBEAT_SECONDS = 10.0
STALE_SECONDS = 120.0
BREAK_SECONDS = 30.0  # a .lock.break directory older than this was left by a crash


def _machine() -> dict[str, Any]:
    """What identifies this machine and PID namespace (PIDs are comparable only within it)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot = ""
    try:
        pidns = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        pidns = 0
    return {"host": socket.gethostname(), "boot_id": boot, "pidns": pidns}


def _start_time(pid: int) -> float | None:
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except (psutil.Error, OSError):
        return None


def _read(path: Path) -> tuple[dict[str, Any] | None, float | None]:
    """The lock's record (None if unparsable) and its age in seconds (None if it is gone)."""
    try:
        raw = path.read_bytes()
        age = time.time() - path.stat().st_mtime
    except OSError:
        return None, None
    try:
        record = json.loads(raw)
    except ValueError:
        return None, age
    return (record if isinstance(record, dict) else None), age


def _gone(record: dict[str, Any] | None, age: float) -> bool:
    """True when the lock's owner is provably gone (see the module docstring)."""
    if record is None:  # not written by this version: only the heartbeat can tell
        return age > STALE_SECONDS
    here = _machine()
    same = all(record.get(k) == here[k] for k in ("host", "boot_id", "pidns")) and here["boot_id"]
    if same:
        started = _start_time(int(record.get("pid", 0) or 0))
        return started is None or abs(started - float(record.get("start", 0))) > 0.5
    return age > STALE_SECONDS


def lock_holder(root: str | Path) -> str | None:
    """A description of the live run holding ``root``'s lock, or None."""
    record, age = _read(Path(root) / LOCK)
    if age is None or _gone(record, age):
        return None
    return _describe(record, age)


def _describe(record: dict[str, Any] | None, age: float) -> str:
    if record is None:
        return f"an unreadable lock last touched {age:.0f} s ago"
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(record.get("start", 0))))
    return (
        f"host {record.get('host')}, pid {record.get('pid')}, started {started}, "
        f"last heartbeat {age:.0f} s ago"
    )


class SweepLock:
    """The lock of one sweep folder, held from :meth:`acquire` to :meth:`release`."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.path = self.root / LOCK
        self.token = uuid.uuid4().hex
        self.lost = False  # set by the heartbeat if another driver took the lock over
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self, break_lock: bool = False) -> None:
        """Take the lock or raise :class:`ConfigError` naming its holder and ``--break-lock``."""
        import psutil

        record = {
            **_machine(),
            "pid": os.getpid(),
            "start": psutil.Process().create_time(),
            "token": self.token,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        tmp = self.root / f".lock.{self.token}.tmp"
        tmp.write_text(json.dumps(record))
        try:
            for _ in range(100):
                if self._link(tmp):
                    break
                held, age = _read(self.path)
                if age is None:
                    continue  # released meanwhile: try again
                if break_lock or _gone(held, age):
                    self._remove_stale(held)
                    break_lock = False
                    continue
                raise ConfigError(
                    f"The 'out' folder {str(self.root)!r} is in use by another sweep run "
                    f"({_describe(held, age)}). Wait for it, choose another --out, or, if that "
                    "run is gone, rerun with --break-lock."
                )
            else:
                raise ConfigError(
                    f"Could not take the lock of {str(self.root)!r}: it keeps changing."
                )
        finally:
            tmp.unlink(missing_ok=True)
        self._thread = threading.Thread(target=self._beat, name="sweep-lock", daemon=True)
        self._thread.start()

    def _link(self, tmp: Path) -> bool:
        try:
            os.link(tmp, self.path)
        except FileExistsError:
            return False
        except OSError:  # a file system without hard links: exclusive create, then write
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                return False
            with os.fdopen(fd, "wb") as handle:
                handle.write(tmp.read_bytes())
        return True

    def _remove_stale(self, seen: dict[str, Any] | None) -> None:
        """Remove the lock if it is still the one judged stale (under ``.lock.break``)."""
        guard = self.root / ".lock.break"
        try:
            guard.mkdir()
        except FileExistsError:
            with contextlib.suppress(OSError):
                if time.time() - guard.stat().st_mtime > BREAK_SECONDS:
                    guard.rmdir()
            time.sleep(0.05)
            return
        try:
            now, _ = _read(self.path)
            if now == seen:
                self.path.unlink(missing_ok=True)
        finally:
            guard.rmdir()

    def _owned(self) -> bool:
        record, _ = _read(self.path)
        return record is not None and record.get("token") == self.token

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            if not self._owned():
                self.lost = True
                return
            with contextlib.suppress(OSError):
                os.utime(self.path)

    def release(self) -> None:
        """Stop the heartbeat and remove the lock if it is still this driver's."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._owned():
            self.path.unlink(missing_ok=True)
