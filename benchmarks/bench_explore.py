"""Slider-to-redraw time of the explorer page in headless Chromium (issue 18: ~50 ms per panel).

Writes the page (default parameters, M = 2000), loads it from disk in headless Chromium (the
tests' DevTools helper) and moves the sliders through a fixed sequence of 40 positions. For each
move it records the time of the synchronous ``input`` handler, which re-solves the theory and
redraws every panel at interactive resolution (``performance.now()`` around the dispatch), the
time to the next animation frame, and each panel's share (kept by the page in
``window.explorer.timings``); the same 40 moves are repeated and the less disturbed of the two
timings of each move is reported too; then 12 moves with the optimal ridge at every point. The
compute-optimal path is computed when the sliders rest, so it is timed separately, by the
full-resolution redraw.

Baseline, measured in the same run: :func:`scalinglab.predict` (vectorised NumPy) on the
points one interactive redraw evaluates at a fixed ridge (5 × 48 points per slice panel, the
24 × 24 landscape, 4 × 48 double-descent points and 40 ridge points).

Run: ``.venv/bin/python benchmarks/bench_explore.py [--optimizer gd]`` (needs chromium and
websocket-client).
On a machine shared with other work the figures are noisy; the load average is printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from scalinglab import DataModel, predict
from scalinglab.explore import write_explorer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _helpers.chromium import Page, find_chromium
from _helpers.explore_page import move_slider

MOVES = [
    ("alpha", v) for v in (0.8, 0.9, 1.0, 1.1, 1.2, 1.5)
] + [("ridge", v) for v in (-6, -5, -4, -3, -2, -1)] + [
    ("noise", v) for v in (0.05, 0.1, 0.2, 0.4)
] + [("M", v) for v in (3.0, 3.3, 3.6, 4.0, 5.0, 6.0)] + [
    ("sigma_u", v) for v in (-0.5, -0.2, 0.2, 0.5)
] + [("N", v) for v in (2.0, 2.5, 3.0, 3.5)] + [("T", v) for v in (2.0, 2.5, 3.0, 3.5)] + [
    ("lambda_plus", v) for v in (-1.0, 0.0, 1.0)
] + [("N_max", v) for v in (4.0, 5.0, 6.0)]  # fmt: skip


def baseline_seconds(repeats: int = 5) -> float:
    """Python ``predict`` on the points of one interactive redraw (ridge 1e-3), best of 5."""
    model = DataModel(M=2000, alpha=1.0)
    xs = np.logspace(1, 5, 48)
    others = np.array([10, 100, 1000, 10_000, 100_000])[:, None]
    grid = np.logspace(1, 5, 24)
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        predict(model, xs[None, :], others, 1e-3)  # loss vs N at 5 T
        predict(model, others, xs[None, :], 1e-3)  # loss vs T at 5 N
        predict(model, grid[None, :], grid[:, None], 1e-3)  # landscape
        predict(model, xs[None, :], 1000, np.array([0, 1e-5, 1e-3, 1e-1])[:, None])
        predict(model, 200, 1000, np.logspace(-12, 4, 40))
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--optimizer", choices=["sgd", "gd"], default="sgd", help="the loss-vs-steps optimizer"
    )
    args = parser.parse_args()
    binary = find_chromium()
    if binary is None:
        sys.exit("chromium is not installed (make browser)")
    folder = Path(tempfile.mkdtemp(prefix="bench-explore-"))
    page_file = write_explorer(folder / "explore.html")
    size = page_file.stat().st_size
    page = Page(binary)
    try:
        page.navigate(f"{page_file.resolve().as_uri()}?optimizer={args.optimizer}")
        for key, value in MOVES[:6]:  # warm the JIT compiler
            move_slider(page, key, value)
        records = [move_slider(page, key, value) for key, value in MOVES]
        again = [move_slider(page, key, value) for key, value in MOVES]  # the same moves
        full = page.evaluate("window.explorer.redraw(false), window.explorer.timings")
        page.evaluate("document.getElementById('ridge-optimal').click()")
        optimal = [move_slider(page, key, value) for key, value in MOVES[:12]]
    finally:
        page.close()
    base = baseline_seconds() * 1e3
    handler = [r["handler"] for r in records]
    frame = [r["frame"] for r in records]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; optimizer "
          f"{args.optimizer}")  # fmt: skip
    print(f"page size: {size / 1e3:.0f} kB ({size} bytes, limit 2 MB)")
    print(f"slider moves: {len(records)}")
    # the least disturbed of the two passes over the same moves (the machine may be shared)
    least = [min(a["handler"], b["handler"]) for a, b in zip(records, again)]
    print(f"{'':28s}{'median ms':>10s}{'max ms':>10s}{'median of min(2 passes)':>25s}")
    print(
        f"{'slider-to-redraw (handler)':28s}{statistics.median(handler):10.1f}{max(handler):10.1f}"
        f"{statistics.median(least):25.1f}"
    )
    print(f"{'slider-to-next-frame':28s}{statistics.median(frame):10.1f}{max(frame):10.1f}")
    for panel in records[0]["timings"]:
        if panel in ("fast", "total"):
            continue
        values = [r["timings"][panel] for r in records]
        mins = [min(a["timings"][panel], b["timings"][panel]) for a, b in zip(records, again)]
        print(
            f"{'  panel ' + panel:28s}{statistics.median(values):10.1f}{max(values):10.1f}"
            f"{statistics.median(mins):25.1f}"
        )
    print(f"full-resolution redraw with the compute-optimal path: {full['total']:.1f} ms "
          f"(landscape {full['landscape']:.1f} ms)")  # fmt: skip
    opt = [r["handler"] for r in optimal]
    panels = {
        k: statistics.median(r["timings"][k] for r in optimal)
        for k in optimal[0]["timings"]
        if k not in ("fast", "total")
    }
    print(
        f"with the optimal ridge at every point ({len(opt)} moves): median "
        f"{statistics.median(opt):.1f} ms, max {max(opt):.1f} ms; panel medians (ms): "
        + ", ".join(f"{k} {v:.1f}" for k, v in panels.items())
    )
    print(
        f"baseline: Python predict on the same points: {base:.1f} ms; median redraw / "
        f"baseline = {statistics.median(handler) / base:.2f}"
    )


if __name__ == "__main__":
    main()
