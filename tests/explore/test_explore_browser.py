"""The explorer page in a real headless browser (Debian's chromium, `make browser`).

Loads the written page from disk, sets the parameters through the query string and by moving
sliders, and checks the loss the page shows (element ``loss-at-point``) against the Python theory
and ``scalinglab theory`` to 1e-9 relative; checks that no request leaves the machine; drops a CSV
on the page; saves a screenshot (``$SCALINGLAB_TEST_ARTIFACTS`` or a temporary folder).
"""

from __future__ import annotations

import json
import statistics

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from scalinglab import DataModel, optimal_ridge, predict
from scalinglab.cli import cli
from scalinglab.explore import write_explorer

from _helpers.chromium import Page, artifacts_dir, external_requests, require_chromium
from _helpers.explore_page import await_value, move_slider, open_page, training_curves

RTOL = 1e-9  # the page prints 15 significant digits; the theory ports agree to ~1e-15
QUERY = "?alpha=0.5&M=10000&ridge=1e-3&noise=0.1&N=300&T=2000&steps_max=3000"
EXTREMES = (
    "?M=10&alpha=3&ridge=1e4&noise=2&N=5&T=7&N_min=1&T_min=1&N_max=1000&T_max=1000",
    "?M=3000&ridge=0&noise=0.5&N=400&T=400",  # ridgeless interpolation peak: inf
    "?M=3000&ridge=0&noise=0.5&N=6000&T=3000",  # T = M edge with noise: inf
    "?M=10000000&alpha=0.1&ridge=1e-12&N=100000&T=200000&sigma_u=50&lambda_plus=0.01",
    "?M=500&alpha=2&noise=1&N=450&T=520&optimal_ridge=1&sigma_w=0.05",
)

READ = """({state: window.explorer.state,
  shown: document.getElementById('loss-at-point').textContent,
  status: document.getElementById('data-status').textContent,
  messages: document.getElementById('messages').textContent,
  external: Array.from(document.querySelectorAll('[src],[href]'))
      .map(e => e.getAttribute('src') || e.getAttribute('href'))})"""

DROP = """(() => {
  const text = %s;
  const dt = new DataTransfer();
  dt.items.add(new File([text], 'dropped.csv', {type: 'text/csv'}));
  document.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true,
                                                cancelable: true}));
  return window.explorer.loading.then(() => document.getElementById('data-status').textContent);
})()"""


def model_of(state: dict) -> DataModel:
    keys = ("M", "alpha", "lambda_plus", "sigma_w", "sigma_u", "noise")
    return DataModel(**{key: state[key] for key in keys})


def python_loss(state: dict) -> float:
    model = model_of(state)
    if state.get("optimal"):
        return float(optimal_ridge(model, state["N"], state["T"]).loss)
    return float(predict(model, state["N"], state["T"], state["ridge"]).loss)


def cli_loss(state: dict) -> float:
    """``scalinglab theory --json`` at the page's parameters."""
    args = ["theory", "--json", "--M", str(state["M"]), "--alpha", repr(state["alpha"]),
            "--lambda-plus", repr(state["lambda_plus"]), "--sigma-u", repr(state["sigma_u"]),
            "--sigma-w", repr(state["sigma_w"]), "--noise", repr(state["noise"]),
            "--N", str(state["N"]), "--T", str(state["T"]),
            "--ridge", repr(0.0 if state.get("optimal") else state["ridge"])]  # fmt: skip
    if state.get("optimal"):
        args.append("--optimal-ridge")
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    (record,) = json.loads(result.output)
    return float(record["loss_opt" if state.get("optimal") else "loss"])


def assert_shown_matches(page: Page) -> dict:
    read = page.evaluate(READ)
    state, shown = read["state"], float(read["shown"])
    for reference in (python_loss(state), cli_loss(state)):
        assert shown == pytest.approx(reference, rel=RTOL), (state, shown, reference)
    return state


@pytest.fixture(scope="module")
def page_file(tmp_path_factory):
    """The page written with a results table: the theory at M = 10^4 plus 1 % scatter."""
    folder = tmp_path_factory.mktemp("explore")
    model = DataModel(M=10_000, alpha=0.5, noise=0.1)
    N = np.array([100, 300, 1000, 3000, 10_000] * 2)
    T = np.array([2000] * 5 + [500] * 5)
    loss = predict(model, N, T, 1e-3).loss
    table = pd.DataFrame({"N": N, "T": T, "loss": loss * 1.01, "loss_sem": 0.02 * loss,
                          "M": 10_000, "alpha": 0.5, "ridge": 1e-3, "noise": 0.1})  # fmt: skip
    table.to_parquet(folder / "results.parquet")
    return write_explorer(folder / "explore.html", [folder / "results.parquet"])


def test_explorer_in_headless_chromium(page_file, tmp_path_factory):
    page = Page(require_chromium())
    frames = []
    try:
        open_page(page, page_file, QUERY)
        # 1. the query string sets the parameters
        state = assert_shown_matches(page)
        assert (state["alpha"], state["M"], state["ridge"], state["noise"]) == (
            0.5,
            10000,
            1e-3,
            0.1,
        )
        assert (state["N"], state["T"]) == (300, 2000)
        assert_steps_match(page)  # the loss-vs-steps read-out (more in the slow test below)
        read = page.evaluate(READ)
        assert read["status"].startswith("10 of 10 data rows"), read["status"]
        # 2. moving sliders (each move redraws every panel; timings kept by the page)
        for key, position in [("alpha", "0.8"), ("ridge", "-2"), ("M", "3.5"), ("noise", "0.3"),
                              ("sigma_u", "0.2"), ("lambda_plus", "-0.5"), ("T", "2.7"),
                              ("alpha", "1.3"), ("ridge", "-6"), ("N", "3")]:  # fmt: skip
            frames.append(move_slider(page, key, position))
            state = assert_shown_matches(page)
        assert state["alpha"] == 1.3 and state["M"] == 3162 and state["ridge"] == 1e-6
        # 3. the address carries the view: reloading it restores the state and the loss
        link = page.evaluate("document.getElementById('share-link').value")
        assert "alpha=1.3" in link and "M=3162" in link and "ridge=0.000001" in link, link
        page.navigate(link)
        assert page.evaluate(READ)["state"] == state
        assert_shown_matches(page)
        # 4. the optimal ridge and the exact ridgeless limit
        page.evaluate("document.getElementById('ridge-optimal').click()")
        assert assert_shown_matches(page)["optimal"] is True
        page.evaluate("document.getElementById('ridge-optimal').click()")
        page.evaluate("document.getElementById('ridge-zero').click()")
        assert assert_shown_matches(page)["ridge"] == 0
        # 5. the data's parameters can be restored; a dropped CSV (legacy loss_mean) is drawn
        page.evaluate("document.getElementById('use-data-params').click()")
        state = assert_shown_matches(page)
        assert (state["M"], state["alpha"], state["ridge"]) == (10000, 0.5, 1e-3)
        assert page.evaluate(READ)["status"].startswith("10 of 10 data rows")
        csv = "N,T,loss_mean,loss_sem\n100,500,0.01,0.001\n200,500,0.008,0.001\n"
        status = await_value(page, DROP % json.dumps(csv))
        assert "of 12 data rows" in status, status
        assert "Loaded 2 rows from dropped.csv" in page.evaluate(READ)["messages"]
        shot = artifacts_dir(tmp_path_factory.mktemp("artifacts")) / "explore.png"
        page.screenshot(shot)
        # 6. extreme views load without errors and still match (small M, tiny/huge ridges,
        # the interpolation peak, the T = M edge, heavy noise, the optimal ridge)
        for query in EXTREMES:
            page.navigate(page_file.resolve().as_uri() + query)
            assert_shown_matches(page)
        errors = page.errors()
        external = external_requests(page.events)
        links = page.evaluate(READ)["external"]
    finally:
        page.close()
    print(f"\nexplorer screenshot: {shot}")
    assert not errors, errors
    assert not external, external  # no request left the machine
    assert not [u for u in links if u.startswith(("http:", "https:", "//"))], links
    assert shot.stat().st_size > 20_000
    handler = [f["handler"] for f in frames]
    to_frame = [f["frame"] for f in frames]
    panels = {k: max(f["timings"][k] for f in frames) for k in frames[0]["timings"]
              if k not in ("fast", "total")}  # fmt: skip
    print(
        f"page size {page_file.stat().st_size / 1e3:.0f} kB; slider-to-redraw over "
        f"{len(frames)} moves: median {statistics.median(handler):.1f} ms, max "
        f"{max(handler):.1f} ms (to the next frame: median {statistics.median(to_frame):.1f} "
        f"ms); slowest panel times (ms): " + ", ".join(f"{k} {v:.1f}" for k, v in panels.items())
    )
    assert all(f["timings"]["fast"] for f in frames)


STEPS_QUERY = "?M=2000&alpha=0.8&noise=0.1&N=200&T=1000&steps_max=3000&lr_fraction=0.4&batch=4"

STEPS_READ = """({state: window.explorer.state, steps: window.explorer.steps,
  shown: document.getElementById('loss-at-steps').textContent,
  command: document.getElementById('steps-command').textContent,
  inked: (() => {  // pixels of the loss-vs-steps canvas that are not white
    const c = document.getElementById('loss-vs-steps');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) n += d[i] + d[i + 1] + d[i + 2] < 720;
    return n;
  })()})"""


SELECT = """(() => { const s = document.getElementById('%s');
  s.value = '%s'; s.dispatchEvent(new Event('change')); })()"""


def python_steps_loss(state: dict, steps: dict) -> tuple[float, float]:
    """(loss after steps_max updates, the stable lr) from scalinglab.dynamics.theory."""
    from scalinglab.dynamics.theory import gd_stable_lr, theory_stable_lr, train_curve

    model = model_of(state)
    N, horizon, lr = state["N"], state["steps_max"], steps["lr"]
    if state["optimizer"] == "gd":
        limit = gd_stable_lr(model, N, state["T"])
        curve = train_curve(model, N, [horizon], lr, optimizer="gd", T=state["T"])
    else:
        limit = theory_stable_lr(model, N, state["batch"])
        curve = train_curve(model, N, [horizon], lr, batch=state["batch"],
                            schedule=state["schedule"])  # fmt: skip
    return float(curve.loss[0, 0, 0, 0]), limit


def assert_steps_match(page: Page) -> dict:
    """The loss after training shown by the page matches the Python theory and the CLI."""
    read = page.evaluate(STEPS_READ)
    state, steps = read["state"], read["steps"]
    assert steps is not None, read
    loss, limit = python_steps_loss(state, steps)
    assert steps["lr"] == pytest.approx(state["lr_fraction"] * limit, rel=RTOL)
    assert float(read["shown"]) == pytest.approx(loss, rel=RTOL), (state, read["shown"], loss)
    # the command printed under the read-out gives the same number
    args = [*read["command"].split()[1:], "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, (args, result.output)
    (record,) = json.loads(result.output)
    assert float(record["loss"]) == pytest.approx(loss, rel=RTOL)
    assert read["inked"] > 2000, read["inked"]  # curves, axes and legend were drawn
    return state


@pytest.mark.slow
def test_loss_vs_steps_in_headless_chromium(page_file, tmp_path_factory):
    """The loss-vs-steps panel: SGD (schedules, batch, lr) and GD, read out and timed."""
    page = Page(require_chromium())
    frames = []
    try:
        open_page(page, page_file, STEPS_QUERY)
        state = assert_steps_match(page)
        assert (state["steps_max"], state["batch"], state["lr_fraction"]) == (3000, 4, 0.4)
        for key, position in [("lr_fraction", "0.7"), ("batch", "0"), ("steps_max", "3.3"),
                              ("alpha", "1.4"), ("noise", "0"), ("M", "4"), ("N", "2.7"),
                              ("lr_fraction", "0.2")]:  # fmt: skip
            frames.append(move_slider(page, key, position))
            state = assert_steps_match(page)
        assert (state["batch"], state["steps_max"], state["M"]) == (1, 1995, 10000)
        for select, value in [("schedule", "cosine"), ("schedule", "wsd"), ("optimizer", "gd")]:
            page.evaluate(SELECT % (select, value))
            assert assert_steps_match(page)[select] == value
        frames.append(move_slider(page, "lr_fraction", "0.5"))  # GD
        assert_steps_match(page)
        link = page.evaluate("document.getElementById('share-link').value")
        assert "optimizer=gd" in link and "schedule=wsd" in link, link
        # small M (exact latent sums), a large batch with WSD, a huge M at small alpha
        for query in (
            "?M=10&N=5&T=7&N_min=1&T_min=1&N_max=1000&T_max=1000&steps_max=300",
            "?batch=1000&schedule=wsd&steps_max=2000&noise=1",
            "?M=10000000&alpha=0.1&N=100000&steps_max=4000&sigma_u=50&lambda_plus=0.01",
        ):
            page.navigate(page_file.resolve().as_uri() + query)
            assert_steps_match(page)
        # a learning rate the GD theory refuses is said so, naming the flag
        page.navigate(page_file.resolve().as_uri() + "?optimizer=gd&lr_fraction=0.95")
        assert page.evaluate("document.getElementById('loss-at-steps').textContent") == "—"
        assert "'lr'" in page.evaluate("document.getElementById('steps-reason').textContent")
        # simulated training curves (--data) are drawn over the theory and start the panel
        folder = tmp_path_factory.mktemp("curves")
        training_curves(folder / "curves.parquet")
        curves_page = write_explorer(folder / "curves.html", [folder / "curves.parquet"])
        page.navigate(curves_page.resolve().as_uri())
        assert_steps_match(page)
        assert page.evaluate("window.explorer.steps.dataRows") == 6
        status = page.evaluate("document.getElementById('data-status').textContent")
        assert status.startswith("6 of 6 data rows") and "6 on loss vs steps" in status, status
        page.navigate(page_file.resolve().as_uri() + "?M=500&N=800")  # N >= M: no dynamics
        assert page.evaluate("document.getElementById('loss-at-steps').textContent") == "—"
        assert "N < M" in page.evaluate("document.getElementById('steps-reason').textContent")
        errors = page.errors()
        external = external_requests(page.events)
    finally:
        page.close()
    assert not errors, errors
    assert not external, external
    handler = [f["handler"] for f in frames]
    steps_panel = [f["timings"]["loss_vs_steps"] for f in frames]
    print(
        f"\nloss vs steps: slider-to-redraw over {len(frames)} moves: median "
        f"{statistics.median(handler):.1f} ms, max {max(handler):.1f} ms; the panel itself: "
        f"median {statistics.median(steps_panel):.1f} ms, max {max(steps_panel):.1f} ms"
    )
