"""Driving the explorer page (``scalinglab explore``) in headless chromium: slider moves."""

from __future__ import annotations

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
