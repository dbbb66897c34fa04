"""Files the commands write: ``--out`` tables and ``--plot`` figures, checked before any work.

``--out FILE`` writes the command's records as CSV, Parquet or JSON (a list of records), chosen
by the extension; anything else is refused. The file is written to a temporary name in the same
folder and renamed over FILE, so a crash never leaves a half-written table. A missing folder or
an unknown extension is a one-line error raised before the command computes anything.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from ..exceptions import ConfigError

TABLE_FORMATS = {".csv": "csv", ".parquet": "parquet", ".json": "json"}
PLOT_FORMATS = ("png", "pdf", "svg", "svgz", "jpg", "jpeg", "eps", "ps", "tif", "tiff", "webp")

out_option = click.option(
    "--out",
    "out_path",
    default=None,
    help="Also write the table to FILE: .csv, .parquet or .json (a list of records), "
    "by extension; written atomically.",
)


def _folder_exists(flag: str, path: Path) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ConfigError(
            f"The '{flag}' option must name a file in an existing folder. Got {str(path)!r} "
            f"instead (no folder {str(folder)!r})."
        )


def check_out_path(path: str | os.PathLike | None, flag: str = "--out") -> Path | None:
    """The ``--out`` path, validated (known extension, existing folder) before any work."""
    if path is None:
        return None
    path = Path(path)
    if path.suffix.lower() not in TABLE_FORMATS:
        raise ConfigError(
            f"The '{flag}' option must end in .csv, .parquet or .json. Got {str(path)!r} instead."
        )
    _folder_exists(flag, path)
    return path


def check_plot_path(path: str | os.PathLike | None, flag: str = "--plot") -> Path | None:
    """The ``--plot`` path, validated (an image format matplotlib writes, existing folder)."""
    if path is None:
        return None
    path = Path(path)
    ext = path.suffix.lower().lstrip(".")
    if ext not in PLOT_FORMATS:
        raise ConfigError(
            f"The '{flag}' option must end in one of .{', .'.join(PLOT_FORMATS)}. "
            f"Got {str(path)!r} instead."
        )
    _folder_exists(flag, path)
    return path


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if hasattr(value, "tolist"):
        return _json_value(value.tolist())
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


def json_records(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records with NaN as null and infinities as the strings ``"inf"``/``"-inf"``."""
    return [{k: _json_value(v) for k, v in rec.items()} for rec in records]


def write_table(records: Sequence[dict[str, Any]], path: Path) -> None:
    """Write ``records`` to ``path`` (format by extension) atomically; one line on stderr."""
    import pandas as pd

    kind = TABLE_FORMATS[path.suffix.lower()]
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    os.close(fd)
    try:
        if kind == "json":
            Path(tmp).write_text(json.dumps(json_records(records), indent=1) + "\n")
        else:
            frame = pd.DataFrame(list(records))
            if kind == "csv":
                for col in frame.columns:  # list and dict cells (eigenvalues, params) as JSON
                    if frame[col].map(lambda v: isinstance(v, list | tuple | dict)).any():
                        frame[col] = frame[col].map(json.dumps)
                frame.to_csv(tmp, index=False)
            else:
                frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise click.ClickException(
            f"Could not write {str(path)!r}: {err.strerror or err}."
        ) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    click.echo(f"{len(records)} rows written to {path}", err=True)
