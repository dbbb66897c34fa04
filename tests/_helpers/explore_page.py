"""The explorer page's tests: driving it in headless chromium (slider moves), golden models."""

from __future__ import annotations

from scalinglab import DataModel

from .chromium import Page

# Move one slider as a user would (set the position, fire `input`) and time the synchronous
# redraw (performance.now() around the dispatch) and the time to the next animation frame.
MOVE = """new Promise((resolve) => {
  const slider = document.getElementById('slider-%s');
  slider.value = '%s';
  const start = performance.now();
  slider.dispatchEvent(new Event('input', {bubbles: true}));
  const handler = performance.now() - start;
  requestAnimationFrame(() => resolve({handler: handler, frame: performance.now() - start,
                                       timings: window.explorer.timings}));
})"""


def await_value(page: Page, expression: str):
    """Evaluate ``expression`` in the page, awaiting a promise; returns the value."""
    result = page.call("Runtime.evaluate", expression=expression, awaitPromise=True,
                       returnByValue=True)  # fmt: skip
    if "exceptionDetails" in result:
        raise RuntimeError(result["exceptionDetails"])
    return result["result"].get("value")


def move_slider(page: Page, key: str, position: float | str) -> dict:
    """Move the slider of ``key`` to ``position`` (its log10 for log sliders); the timings."""
    return await_value(page, MOVE % (key, position))


def data_model(M, alpha, lambda_plus, sigma_w, sigma_u, noise=0.0) -> DataModel:
    """The Python model of a golden-vector case (M, alpha, lambda_plus, sigma_w, sigma_u)."""
    return DataModel(M=M, alpha=alpha, lambda_plus=lambda_plus, sigma_w=sigma_w,
                     sigma_u=sigma_u, noise=noise)  # fmt: skip


def js_model(M, alpha, lambda_plus, sigma_w, sigma_u, noise=0.0) -> dict:
    """The same model as the page's JavaScript takes it."""
    return {"M": M, "alpha": alpha, "lambda_plus": lambda_plus, "sigma_w": sigma_w,
            "sigma_u": sigma_u, "noise": noise}  # fmt: skip


def open_page(page: Page, path, query: str) -> None:
    """Load the page written at ``path`` with ``query``, recording network requests."""
    page.call("Network.enable")
    page.navigate(path.resolve().as_uri() + query)
    assert page.evaluate("window.explorer.ready") is True


def training_curves(path, fraction: float = 0.3):
    """``scalinglab dynamics --simulate`` records at N = 100, 200 (lr a fraction of each N's
    stable limit), M = 2000, batch 4, written to ``path``."""
    import pandas as pd

    from scalinglab.dynamics import simulate_sgd
    from scalinglab.dynamics.theory import theory_stable_lr

    model = DataModel(M=2000, alpha=1.0, noise=0.1)
    frames = []
    for N in (100, 200):
        lr = fraction * theory_stable_lr(model, N, 4)
        run = simulate_sgd(model, [N], [0, 10, 100, 1000], lr, batch=4, seeds=2, seed=N)
        frames.append(run.to_frame())
    table = pd.concat(frames, ignore_index=True)
    table.to_parquet(path)
    return table
