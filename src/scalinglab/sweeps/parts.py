"""Verified part files: the rows of one or more finished tasks, checked before they are trusted.

A part holds the tasks finished together (a batch of tiny tasks, or one long task; one Parquet
writer per batch keeps the cost per tiny task low). It carries in its Parquet key-value
metadata the ids of its tasks, the sweep's content hash and a SHA-256 checksum of its contents
(:func:`content_checksum`: column names, types and every value, floats by their exact
``repr``); its name is :func:`part_name`, a hash of its task ids. :func:`verify_parts` reads
every part and sorts out the bad ones, each with its reason:

* unreadable (truncated, emptied, not Parquet, or without the metadata);
* corrupt (readable, but the checksum of its contents does not match);
* of another sweep (its sweep hash differs);
* mismatched (its name is not that of the tasks it holds: e.g. ``cp X.parquet Y.parquet``);
* duplicate (it holds a task that an earlier part already holds);
* stray (not a part file, or it holds tasks that are not in this sweep);
* inconsistent (its rows do not match its tasks' parameters, seeds or grid size).

Bad parts are moved, never deleted, to ``quarantine/<time>/`` (:func:`quarantine`) with a
``reasons.txt``; their tasks count as not done, so the next run recomputes them.

Parts are renamed into place atomically but not fsynced: after a power cut a part may be left
empty or truncated, and verification then treats it like any other damaged part.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .tasks import POINT_AXES, Task

__all__ = [
    "PartCheck",
    "content_checksum",
    "part_name",
    "quarantine",
    "verify_parts",
    "write_part",
]

KEY_TASKS = b"scalinglab.task_ids"
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


def part_name(task_ids: Sequence[str]) -> str:
    """The file name of the part holding ``task_ids``: a hash of them (order does not matter)."""
    text = ",".join(sorted(task_ids))
    return hashlib.sha256(text.encode()).hexdigest()[:24] + ".parquet"


def write_part(folder: Path, sweep_hash: str, outcomes: Sequence[tuple[Task, dict]]) -> str:
    """Write the rows of finished ``(task, columns)`` pairs as one verified part; return its
    name. Written to a hidden temporary file and renamed (a crash leaves all or nothing)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = list(outcomes[0][1])
    columns = {name: [v for _, cols in outcomes for v in cols[name]] for name in names}
    table = pa.table(columns)
    ids = [task.task_id for task, _ in outcomes]
    meta = {KEY_TASKS: json.dumps(ids).encode(), KEY_SWEEP: sweep_hash.encode(),
            KEY_CHECKSUM: content_checksum(table).encode()}  # fmt: skip
    name = part_name(ids)
    tmp = folder / f".{name}.{os.getpid()}.tmp"
    try:
        pq.write_table(table.replace_schema_metadata(meta), tmp)
        os.replace(tmp, folder / name)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return name


@dataclass
class PartCheck:
    """The parts of a folder sorted out: ``good`` file name -> table (without metadata),
    ``done`` the task ids they hold, ``bad`` file name -> reason."""

    good: dict[str, Any] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)
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
    if not all(k in meta for k in (KEY_TASKS, KEY_SWEEP, KEY_CHECKSUM)):
        return "unreadable: no task ids and checksum (not written by this version)"
    return table.replace_schema_metadata(None), meta


def _inconsistent(columns: dict[str, list], tasks: Sequence[Task]) -> str | None:
    """Why the rows (``columns``) do not belong to ``tasks`` (None if they do)."""
    if not all(name in columns for name in (*POINT_AXES, "seed", "task_id")):
        return "inconsistent: a column is missing"
    by_id = {task.task_id: task for task in tasks}
    counts = dict.fromkeys(by_id, 0)
    for i, task_id in enumerate(columns["task_id"]):
        task = by_id.get(task_id)
        if task is None:
            return f"inconsistent: a row of task {task_id}, which it does not list"
        counts[task_id] += 1
        if columns["seed"][i] != task.seed_index or any(columns[a][i] != v for a, v in task.point):
            return f"inconsistent: a row of task {task_id} has other parameters"
    for task_id, count in counts.items():
        task = by_id[task_id]
        if count != task.rows:
            return f"inconsistent: task {task_id} has {count} rows"
    return None


def verify_parts(folder: Path, tasks: dict[str, Task], sweep_hash: str) -> PartCheck:
    """Read and check every part in ``folder`` against the sweep's ``tasks`` (id -> task)."""
    check = PartCheck()
    if not folder.is_dir():
        return check
    names = sorted(e.name for e in os.scandir(folder) if not e.name.startswith("."))
    for name in names:
        if not name.endswith(".parquet"):
            check.bad[name] = "stray: not a part file"
            continue
        read = _read(folder / name)
        if isinstance(read, str):
            check.bad[name] = read
            continue
        table, meta = read
        try:
            ids = json.loads(meta[KEY_TASKS])
        except ValueError:
            ids = None
        columns = table.to_pydict()
        if not isinstance(ids, list) or not ids:
            check.bad[name] = "unreadable: no task ids"
        elif meta[KEY_CHECKSUM].decode() != content_checksum(table):
            check.bad[name] = "corrupt: its checksum does not match its contents"
        elif meta[KEY_SWEEP].decode() != sweep_hash:
            check.bad[name] = f"of another sweep (hash {meta[KEY_SWEEP].decode()[:12]})"
        elif part_name(ids) != name:
            check.bad[name] = f"mismatched: holds task(s) {', '.join(ids[:3])}" + (
                ", ..." if len(ids) > 3 else ""
            )
        elif unknown := [i for i in ids if i not in tasks]:
            check.bad[name] = f"stray: holds task {unknown[0]}, not a task of this sweep"
        elif seen := [i for i in ids if i in check.done]:
            check.bad[name] = f"duplicate: holds task {seen[0]}, which another part holds"
        elif (why := _inconsistent(columns, [tasks[i] for i in ids])) is not None:
            check.bad[name] = why
        else:
            check.good[name] = table
            check.done.update(ids)
    return check


def quarantine(root: Path, folder: Path, bad: dict[str, str]) -> Path:
    """Move the ``bad`` files of ``folder`` to ``root/quarantine/<time>/`` with their reasons."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = root / QUARANTINE / stamp
    suffix = 1
    while target.exists():
        suffix += 1
        target = root / QUARANTINE / f"{stamp}.{suffix}"
    target.mkdir(parents=True)
    for name in bad:
        if (folder / name).exists():
            os.replace(folder / name, target / name)
    lines = [f"{name}: {why}" for name, why in sorted(bad.items())]
    (target / "reasons.txt").write_text("\n".join(lines) + "\n")
    return target
