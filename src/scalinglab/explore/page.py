"""Writing the explorer page: the package's JavaScript, CSS and the data inlined in one file."""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Sequence
from pathlib import Path

from .._validation import check_choice, check_float, check_int
from ..dynamics.schedules import SCHEDULES
from ..exceptions import ConfigError
from ..model import DataModel
from .data import load_results

__all__ = ["DEFAULTS", "MAX_BYTES", "render_explorer", "write_explorer"]

_HERE = Path(__file__).parent
SCRIPTS = ("theory.js", "dynamics.js", "plot.js", "app.js")  # inlined in this order
MAX_BYTES = 2_000_000  # the page stays small enough to mail or attach

DEFAULTS = {
    "M": 2000, "alpha": 1.0, "lambda_plus": 1.0, "sigma_u": 1.0, "sigma_w": 1.0, "noise": 0.0,
    "ridge": 0.0, "optimal": False, "N": 200, "T": 1000,
    "N_min": 10, "N_max": 100_000, "T_min": 10, "T_max": 100_000,
    "optimizer": "sgd", "schedule": "constant", "lr_fraction": 0.5, "batch": 1,
    "steps_max": 10_000,
}  # fmt: skip
_SIZES = ("N", "T", "N_min", "N_max", "T_min", "T_max", "batch", "steps_max")


def _script(name: str) -> str:
    text = (_HERE / name).read_text(encoding="utf-8")
    # nothing in a script may close the <script> element early
    return "<script>\n" + re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE) + "</script>"


def _json_for_html(obj) -> str:
    """JSON that is safe inside a <script type="application/json"> element."""
    text = json.dumps(obj, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _initial_state(params: dict, data: list[dict]) -> dict:
    """The page's starting parameters: defaults, then the first data row, then ``params``."""
    state = dict(DEFAULTS)
    if data and data[0]["values"]:
        first = dict(zip(data[0]["columns"], data[0]["values"][0]))
        for key in ("M", "alpha", "lambda_plus", "sigma_u", "sigma_w", "noise", "ridge"):
            if isinstance(first.get(key), int | float):
                state[key] = first[key]
        for axis in ("N", "T"):
            values = [row[d["columns"].index(axis)] for d in data for row in d["values"]]
            state[f"{axis}_min"] = max(1, math.floor(min(values) / 2))
            state[f"{axis}_max"] = max(state[f"{axis}_min"] * 10, math.ceil(max(values) * 2))
        state["N"], state["T"] = max(1, round(first["N"])), max(1, round(first["T"]))
        if isinstance(first.get("step"), int | float):
            state.update(_training_run(state, first, data[0]))
    for key, value in params.items():
        if value is not None:
            state[key] = value
    state["M"] = check_int("M", state["M"], low=1)
    if not data:  # ranges up to ~50 M (past every regime), unless given
        top = 10 ** math.ceil(math.log10(50 * state["M"]))
        for key in ("N_max", "T_max"):
            state[key] = top if params.get(key) is None else state[key]
    DataModel(M=state["M"], alpha=state["alpha"], lambda_plus=state["lambda_plus"],
              sigma_w=state["sigma_w"], sigma_u=state["sigma_u"], noise=state["noise"])  # fmt: skip
    check_float("ridge", state["ridge"], 0.0)
    for key in _SIZES:
        state[key] = check_int(key, state[key], low=1)
    for axis in ("N", "T"):
        if state[f"{axis}_min"] >= state[f"{axis}_max"]:
            raise ConfigError(
                f"The '{axis}_range' parameter must have {axis}_min < {axis}_max. Got "
                f"{state[f'{axis}_min']} and {state[f'{axis}_max']} instead."
            )
    state["optimal"] = bool(state["optimal"])
    check_choice("optimizer", state["optimizer"], ("sgd", "gd"))
    check_choice("schedule", state["schedule"], SCHEDULES)
    check_float("lr_fraction", state["lr_fraction"], 0.0, 1.0, low_open=True, high_open=True)
    return state


def _training_run(state: dict, first: dict, table: dict) -> dict:
    """The loss-vs-steps settings of a table of training curves (``scalinglab dynamics``): its
    first row's optimizer, batch, schedule and lr (as a fraction of that N's stable limit, when
    the theory has one in (0, 1)), and the table's last step."""
    from ..dynamics.theory import gd_stable_lr, theory_stable_lr

    out = {"steps_max": max(1, int(max(row[table["columns"].index("step")]
                                         for row in table["values"])))}  # fmt: skip
    gd = first.get("optimizer") == "gd"
    out["optimizer"] = "gd" if gd else "sgd"
    if first.get("schedule") in SCHEDULES and not gd:
        out["schedule"] = first["schedule"]
    if isinstance(first.get("batch"), int | float) and not gd:
        out["batch"] = max(1, round(first["batch"]))
    N, lr = state["N"], first.get("lr")
    if isinstance(lr, int | float) and N < state["M"]:
        model = DataModel(M=state["M"], alpha=state["alpha"], lambda_plus=state["lambda_plus"],
                          sigma_w=state["sigma_w"], sigma_u=state["sigma_u"],
                          noise=state["noise"])  # fmt: skip
        limit = (gd_stable_lr(model, N, state["T"]) if gd
                 else theory_stable_lr(model, N, out.get("batch", 1)))  # fmt: skip
        if 0 < lr / limit < 1:
            out["lr_fraction"] = lr / limit
    return out


def _page(tables: list[dict], params: dict) -> str:
    from .. import __version__

    unknown = sorted(set(params) - set(DEFAULTS))
    if unknown:
        raise ConfigError(f"The '{unknown[0]}' parameter must be one of {sorted(DEFAULTS)}. "
                          f"Got {unknown[0]!r} instead.")  # fmt: skip
    config = {"defaults": _initial_state(params, tables), "data": tables, "version": __version__}
    template = (_HERE / "page.html").read_text(encoding="utf-8")
    parts = {
        "{{STYLE}}": (_HERE / "page.css").read_text(encoding="utf-8"),
        "{{CONFIG}}": _json_for_html(config),
        "{{SCRIPTS}}": "\n".join(_script(name) for name in SCRIPTS),
        "{{VERSION}}": __version__,
    }
    return re.sub("|".join(re.escape(k) for k in parts), lambda m: parts[m.group(0)], template)


def render_explorer(data: Sequence[str | os.PathLike] = (), **params) -> str:
    """The explorer page as one HTML string.

    Parameters
    ----------
    data : paths
        Results tables (CSV or Parquet, the common results schema) drawn over the theory.
    **params
        Starting values under the CLI names: ``M``, ``alpha``, ``lambda_plus``, ``sigma_u``,
        ``sigma_w``, ``noise``, ``ridge``, ``optimal`` (the optimal ridge), ``N``, ``T`` (the
        point read out), the panel ranges ``N_min``, ``N_max``, ``T_min``, ``T_max`` and the
        loss-vs-steps panel's ``optimizer`` (sgd, gd), ``schedule``, ``lr_fraction`` (of each
        N's stable learning rate), ``batch`` and ``steps_max``. With
        data and no value given, the first row's parameters and the data's size ranges are used.
    """
    return _page([load_results(path) for path in data], params)


def write_explorer(path: str | os.PathLike, data: Sequence[str | os.PathLike] = (),
                   **params) -> Path:  # fmt: skip
    """Write the self-contained explorer page to ``path`` (see :func:`render_explorer`).

    Raises :class:`ConfigError` when the page would exceed :data:`MAX_BYTES` (too many data
    rows), before anything is written.
    """
    tables = [load_results(p) for p in data]
    html = _page(tables, params).encode("utf-8")
    if len(html) > MAX_BYTES:
        rows = sum(len(t["values"]) for t in tables)
        raise ConfigError(
            f"The 'data' parameter must fit a page under {MAX_BYTES / 1e6:g} MB. Got {rows} rows "
            f"({len(html) / 1e6:.1f} MB) instead: pass fewer or aggregated tables."
        )
    path = Path(path)
    path.write_bytes(html)
    return path
