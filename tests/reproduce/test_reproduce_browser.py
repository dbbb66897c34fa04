"""The report opened in a real headless browser (Debian's chromium, `make browser`)."""

from __future__ import annotations

import pytest

from scalinglab.reproduce import FIGURES

from _helpers.chromium import Page, artifacts_dir, require_chromium

CHECK = """(() => {
  const imgs = Array.from(document.images);
  const cells = (cls) => Array.from(document.querySelectorAll('#summary-table td.' + cls))
      .map(td => td.textContent.trim());
  return {
    images: imgs.length,
    decoded: imgs.filter(i => i.complete && i.naturalWidth > 0).length,
    widths: imgs.map(i => i.naturalWidth),
    measured: cells('measured'),
    predicted: cells('predicted'),
    rel: cells('rel'),
    external: Array.from(document.querySelectorAll('[src],[href]'))
      .map(e => e.getAttribute('src') || e.getAttribute('href'))
      .filter(u => /^(https?:)?\\/\\//.test(u)),
  };
})()"""


@pytest.fixture(scope="module")
def chromium():
    return require_chromium()


def test_report_in_headless_chromium(run, chromium, tmp_path_factory):
    import json
    import math

    page = Page(chromium)
    try:
        page.navigate(run.report.resolve().as_uri())
        result = page.evaluate(CHECK)
        shot = artifacts_dir(tmp_path_factory.mktemp("artifacts")) / "report.png"
        page.screenshot(shot)
        errors = page.errors()
    finally:
        page.close()
    print(f"report screenshot: {shot}")
    assert not errors, errors
    assert result["images"] == len(FIGURES)
    assert result["decoded"] == result["images"], result["widths"]
    assert not result["external"], result["external"]  # self-contained: no network needed
    measured = [float(v) for v in result["measured"]]  # every measured cell holds a number
    assert len(measured) >= len(FIGURES)
    numbers = [v for v in result["predicted"] if v != "—"]
    assert len(numbers) >= len(FIGURES) and all(float(v) == float(v) for v in numbers)
    # Each relative difference shown is measured/predicted − 1 of the run's summary rows,
    # recomputed here from the stored numbers and printed to the page's 2 decimals (in %).
    metas = [json.loads((run.out_dir / name / "meta.json").read_text()) for name in FIGURES]
    rows = [r for meta in metas for r in meta["summary"]]
    expected = []
    for r in rows:
        m, p = r["measured"], r["predicted"]
        if r["rel_diff"] is None or not math.isfinite(r["rel_diff"]):
            continue
        assert r["rel_diff"] == pytest.approx(m / p - 1, rel=1e-9, abs=1e-12), r
        expected.append(f"{100 * (m / p - 1):+.2f}%")
    shown = [v for v in result["rel"] if v != "—"]
    assert expected and sorted(shown) == sorted(expected)
    assert shot.stat().st_size > 10_000
