"""Verified part files: one Parquet file per finished task, checked before it is trusted.

Every ``parts/<task_id>.parquet`` carries in its Parquet key-value metadata the task id, the
sweep's content hash and a SHA-256 checksum of its contents (:func:`content_checksum`: the
column names, types and every value, floats by their exact ``repr``). :func:`verify_parts`
reads every part and sorts out the bad ones, each with its reason:

* unreadable (truncated, emptied, not Parquet, or without the metadata);
* corrupt (readable, but the checksum of its contents does not match);
* of another sweep (its sweep hash differs);
* mismatched (its name is one task, its contents another: e.g. ``cp X.parquet Y.parquet``), or a
  duplicate (a second file holding a task that already has its own);
* stray (its name is no task of this sweep);
* inconsistent (its rows do not match its task's parameters, seed or grid size).

Bad parts are moved, never deleted, to ``quarantine/<time>/`` (:func:`quarantine`) with a
``reasons.txt``, and recomputed by the next run.

Parts are renamed into place atomically but not fsynced: after a power cut a part may be left
empty or truncated, and verification then treats it like any other damaged part.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .tasks import POINT_AXES, Task

__all__ = ["PartCheck", "content_checksum", "quarantine", "verify_parts", "write_part"]

KEY_TASK = b"scalinglab.task_id"
KEY_SWEEP = b"scalinglab.sweep"
KEY_CHECKSUM = b"scalinglab.checksum"
QUARANTINE = "quarantine"


def content_checksum(table) -> str:
    """SHA-256 of a table's column names, types and values (floats exactly, via ``repr``)."""
    text = json.dumps(
        [[f.name, str(f.type)] for f in table.schema] + [table.to_pydict()],
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode()).hexdigest()


def write_part(folder: Path, task_id: str, sweep_hash: str, columns: dict[str, list]) -> None:
    """Write one task's rows with their id, sweep hash and checksum; atomically renamed."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(columns)
    meta = {KEY_TASK: task_id.encode(), KEY_SWEEP: sweep_hash.encode(),
            KEY_CHECKSUM: content_checksum(table).encode()}  # fmt: skip
    path = folder / f"{task_id}.parquet"
    tmp = folder / f".{task_id}.{os.getpid()}.tmp"
    try:
        pq.write_table(table.replace_schema_metadata(meta), tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@dataclass
class PartCheck:
    """The parts of a folder sorted out: ``good`` task id -> table; ``bad`` file name -> reason."""

    good: dict[str, Any] = field(default_factory=dict)
    bad: dict[str, str] = field(default_factory=dict)

    def message(self, folder: Path) -> str:
        """All bad parts, by name and reason, in one line."""
        listed = "; ".join(f"{name} ({why})" for name, why in sorted(self.bad.items()))
        return f"{len(self.bad)} bad part file(s) in {folder}: {listed}"


def _read(path: Path) -> tuple[Any, dict[bytes, bytes]] | str:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (OSError, ValueError) as err:  # pyarrow.ArrowInvalid is a ValueError
        return f"unreadable: {str(err).splitlines()[0][:120]}"
    meta = table.schema.metadata or {}
    if not all(k in meta for k in (KEY_TASK, KEY_SWEEP, KEY_CHECKSUM)):
        return "unreadable: no task id and checksum (not written by this version)"
    return table, meta


def _inconsistent(table, task: Task) -> str | None:
    """Why ``table``'s rows do not belong to ``task`` (None if they do)."""
    rows = len(task.N) * len(task.T) * len(task.ridge)
    if table.num_rows != rows:
        return f"inconsistent: {table.num_rows} rows, its task has {rows}"
    try:
        columns = table.select([*POINT_AXES, "seed", "task_id"]).to_pydict()
    except KeyError as err:
        return f"inconsistent: no column {err}"
    expected = {**task.params, "seed": task.seed_index, "task_id": task.task_id}
    for name, values in columns.items():
        if set(values) != {expected[name]}:
            return f"inconsistent: column {name} is not {expected[name]!r}"
    return None


def verify_parts(folder: Path, tasks: dict[str, Task], sweep_hash: str) -> PartCheck:
    """Read and check every part in ``folder`` against the sweep's ``tasks`` (id -> task)."""
    check = PartCheck()
    if not folder.is_dir():
        return check
    names = sorted(e.name for e in os.scandir(folder) if not e.name.startswith("."))
    for name in names:
        stem = name.removesuffix(".parquet")
        if stem == name:
            check.bad[name] = "stray: not a part file"
            continue
        read = _read(folder / name)
        if isinstance(read, str):
            check.bad[name] = read
            continue
        table, meta = read
        holds = meta[KEY_TASK].decode()
        if meta[KEY_CHECKSUM].decode() != content_checksum(table.replace_schema_metadata(None)):
            check.bad[name] = "corrupt: its checksum does not match its contents"
        elif meta[KEY_SWEEP].decode() != sweep_hash:
            check.bad[name] = f"of another sweep (hash {meta[KEY_SWEEP].decode()[:12]})"
        elif holds != stem:
            kind = "duplicate" if holds in tasks and (folder / f"{holds}.parquet").exists() else (
                "mismatched")  # fmt: skip
            check.bad[name] = f"{kind}: holds task {holds}"
        elif stem not in tasks:
            check.bad[name] = "stray: not a task of this sweep"
        elif (why := _inconsistent(table, tasks[stem])) is not None:
            check.bad[name] = why
        else:
            check.good[stem] = table.replace_schema_metadata(None)
    return check


def quarantine(root: Path, folder: Path, bad: dict[str, str]) -> Path:
    """Move the ``bad`` files of ``folder`` to ``root/quarantine/<time>/`` with their reasons."""
    target = root / QUARANTINE / time.strftime("%Y%m%d-%H%M%S")
    suffix = 1
    while target.exists():
        suffix += 1
        target = target.with_name(f"{target.name.split('.')[0]}.{suffix}")
    target.mkdir(parents=True)
    for name in bad:
        if (folder / name).exists():
            os.replace(folder / name, target / name)
    lines = [f"{name}: {why}" for name, why in sorted(bad.items())]
    (target / "reasons.txt").write_text("\n".join(lines) + "\n")
    return target
