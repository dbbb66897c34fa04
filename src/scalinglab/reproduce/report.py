"""``DIR/index.html``: one self-contained page with every figure of a reproduce run.

Images are embedded as base64 PNG (no network access when viewing; the PNG, SVG and CSV
files are linked relative to the page); each figure's caption says what it reproduces (the
talk's slide or the paper's claim) and what differs; the page has a
table of measured against predicted exponents and losses with their relative differences
(gathered from every figure's ``summary`` rows), each figure's parameters and seeds, the package
version and the run times. No scripts, no external styles or fonts.
"""

from __future__ import annotations

import base64
import html
import json
import math
import time
from pathlib import Path
from typing import Any

from ..exceptions import ConfigError
from .registry import FIGURES

__all__ = ["duration", "write_report"]

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
margin:0 auto;max-width:1180px;padding:1.2em 1.6em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:2em;
border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;font-size:.86em;margin:.6em 0}
th,td{border:1px solid #ddd;padding:.25em .55em;text-align:left;vertical-align:top}
th{background:#f3f5f7}td.num{text-align:right;font-variant-numeric:tabular-nums;
font-family:ui-monospace,Menlo,Consolas,monospace}
img{max-width:100%;height:auto;border:1px solid #eee}
.meta{color:#555;font-size:.9em}pre{background:#f7f7f7;padding:.6em;overflow-x:auto;
font-size:.8em}nav a{margin-right:.9em}.bad{color:#b00020}
.caption{font-size:.92em;margin:.3em 0}
"""


def duration(seconds: float) -> str:
    """Seconds as text: ``"42 s"`` or ``"3 min 07 s"``."""
    seconds = max(0.0, float(seconds))
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if isinstance(value, int | float):
        v = float(value)
        if v == int(v) and abs(v) < 1e6:
            return f"{int(v)}"
        return f"{v:.4g}"
    return html.escape(str(value))


def _rel(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{100 * float(value):+.2f}%"


def _summary_table(metas: list[dict[str, Any]]) -> str:
    rows = []
    for meta in metas:
        for row in meta["summary"]:
            rows.append(
                "<tr>"
                f"<td><a href='#{meta['name']}'>{html.escape(meta['name'])}</a></td>"
                f"<td>{html.escape(str(row['quantity']))}</td>"
                f"<td class='num measured'>{_fmt(row['measured'])}</td>"
                f"<td class='num predicted'>{_fmt(row['predicted'])}</td>"
                f"<td class='num rel'>{_rel(row['rel_diff'])}</td>"
                f"<td>{html.escape(str(row.get('note') or ''))}</td></tr>"
            )
    head = (
        "<tr><th>figure</th><th>quantity</th><th>measured</th><th>predicted</th>"
        "<th>relative difference</th><th>note</th></tr>"
    )
    return f"<table id='summary-table'>{head}{''.join(rows)}</table>"


def _params_table(config: dict[str, Any]) -> str:
    skip = {"title", "description", "name", "reproduces", "differs", "expected_cpu_seconds"}
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(json.dumps(v, ensure_ascii=False))}</td>"
        "</tr>"
        for k, v in config.items()
        if k not in skip
    )
    return f"<table class='params'>{rows}</table>"


def _links(paths: list[str]) -> str:
    """Relative links to files of the output folder (they resolve next to index.html)."""
    return ", ".join(
        f"<a class='data-link' href='{html.escape(p, quote=True)}'>{html.escape(p)}</a>"
        for p in paths
    )


def _figure_section(folder: Path, meta: dict[str, Any]) -> str:
    name = meta["name"]
    png = folder / f"{name}.png"
    data = base64.b64encode(png.read_bytes()).decode("ascii")
    config = meta.get("config", {})
    links = [f"{name}/{name}.png", f"{name}/{name}.svg"]
    tables = [f"{name}/data/{t}.csv" for t in meta["tables"]]
    caption = "".join(
        f"<p class='caption'><b>{label}:</b> {html.escape(str(config[key]))}</p>"
        for key, label in (("reproduces", "Reproduces"), ("differs", "What differs"))
        if config.get(key)
    )
    return (
        f"<section id='{html.escape(name)}'><h2>{html.escape(name)}: "
        f"{html.escape(meta['title'])}</h2>"
        f"<p>{html.escape(meta.get('description') or '')}</p>{caption}"
        f"<img alt='figure {html.escape(name)}' src='data:image/png;base64,{data}'>"
        f"<p class='meta'>Built in {meta['seconds']:.1f} s ({html.escape(meta['mode'])} run). "
        f"Files: {_links(links)}; data: {_links(tables)}.</p>"
        f"<details><summary>Parameters and seeds</summary>{_params_table(meta['config'])}"
        "</details></section>"
    )


def _machine_line(run: dict[str, Any]) -> str:
    """Where the run times were measured: cores, workers and the machine's load."""
    parts = []
    if run.get("cpus"):
        parts.append(f"{run['cpus']} CPU cores")
    if run.get("jobs"):
        parts.append(f"{run['jobs']} figure(s) built at a time, each in its own process")
    if run.get("workers"):
        parts.append(f"{run['workers']} worker process(es) per sweep")
    load = run.get("load_average")
    if load:
        parts.append(f"1-minute load average {load[0]:.1f} at the start, {load[1]:.1f} at the end")
    text = "; ".join(parts) or "machine not recorded"
    text += ". A load above the core count means other work shared the cores"
    cpu, jobs = run.get("cpu_seconds"), int(run.get("jobs") or 1)
    if isinstance(cpu, int | float) and load and load[0] > (run.get("cpus") or 1):
        text += (
            f" and lengthened the wall times. CPU seconds do not grow with the load: "
            f"{cpu:.0f} s in all, shared by {jobs} process(es), estimate about "
            f"{duration(cpu / jobs)} on idle cores (more where the figures do not split evenly)"
        )
    return html.escape(text + ".")


def _run_time_table(metas: list[dict[str, Any]], run: dict[str, Any]) -> str:
    """Per figure: wall seconds of its computation and with its drawing, and its CPU seconds;
    then the run's total wall time (less than the sum when figures ran side by side)."""

    def num(value: Any) -> str:
        return f"{value:.1f}" if isinstance(value, int | float) else "—"

    rows = "".join(
        f"<tr><td>{html.escape(m['name'])}</td><td>{html.escape(m['mode'])}</td>"
        f"<td class='num'>{num(m.get('compute_seconds', m['seconds']))}</td>"
        f"<td class='num'>{num(m['seconds'])}</td><td class='num'>{num(m.get('cpu_seconds'))}</td>"
        "</tr>"
        for m in metas
    )
    total = run.get("seconds")
    wall = f"{duration(total)} ({total:.1f} s)" if isinstance(total, int | float) else "unknown"
    jobs = int(run.get("jobs") or 1)
    side = f", {jobs} figures at a time" if jobs > 1 else ""
    return (
        "<table id='run-time-table'><tr><th>figure</th><th>mode</th><th>compute [s]</th>"
        "<th>total with drawing [s]</th><th>CPU [s]</th></tr>"
        f"{rows}<tr class='total'><th>total wall time{side}</th>"
        f"<td>{html.escape(run.get('mode', '?'))}</td><td></td>"
        f"<td class='num' id='total-wall-time'>{wall}</td>"
        f"<td class='num'>{num(run.get('cpu_seconds'))}</td></tr></table>"
    )


def write_report(out_dir: str | Path) -> Path:
    """Write ``out_dir/index.html`` from the figures found in ``out_dir``; return its path."""
    from .. import __version__

    out = Path(out_dir)
    metas, folders = [], []
    for name in FIGURES:
        path = out / name / "meta.json"
        if path.exists() and (out / name / f"{name}.png").exists():
            metas.append(json.loads(path.read_text()))
            folders.append(out / name)
    if not metas:
        raise ConfigError(
            f"The 'out_dir' parameter must be a reproduce output folder with figures. Got "
            f"{str(out)!r}, which has none (run `scalinglab reproduce --out {out}` first)."
        )
    run = json.loads((out / "run.json").read_text()) if (out / "run.json").exists() else {}
    total = run.get("seconds")
    machine = _machine_line(run)
    times = _run_time_table(metas, run)
    nav = "".join(f"<a href='#{m['name']}'>{html.escape(m['name'])}</a>" for m in metas)
    built = duration(total) if isinstance(total, int | float) else "unknown"
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>scalinglab: reproduction of the solvable model of neural scaling laws</title>"
        f"<link rel='icon' href='data:,'><style>{_CSS}</style></head><body>"
        "<h1>Reproduction: a solvable model of neural scaling laws</h1>"
        "<p class='meta'>Maloney, Roberts &amp; Sully (2022), arXiv:2210.16859, as implemented "
        f"by scalinglab {html.escape(__version__)}. Mode: {html.escape(run.get('mode', '?'))}; "
        f"total run time {built}; finished {html.escape(run.get('finished', '?'))}; report "
        f"written {time.strftime('%Y-%m-%dT%H:%M:%S%z')}.</p><nav>{nav}</nav>"
        "<h2 id='summary'>Measured against predicted</h2>"
        "<p>Relative difference = measured / predicted − 1. Theory: the deterministic "
        "equivalent and the closed forms of docs/theory.md; measured: simulation (exact population "
        "loss, docs/theory.md §3) or fits to it. '—': no closed-form prediction.</p>"
        f"{_summary_table(metas)}"
        f"<h2 id='run-times'>Run times</h2><p class='meta'>{machine}</p>{times}"
        + "".join(_figure_section(f, m) for f, m in zip(folders, metas))
        + "</body></html>"
    )
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
