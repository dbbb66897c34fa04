"""The report opened in a real headless browser (Debian's chromium, `make browser`)."""

from __future__ import annotations

import pytest

from scalinglab.reproduce import FIGURES

from _helpers.chromium import Page, artifacts_dir, external_requests, require_chromium

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
    links: Array.from(document.querySelectorAll('a.data-link')).map(a => a.href),
    captions: document.querySelectorAll('p.caption').length,
  };
})()"""

SVG_CHECK = """(() => {
  const root = document.documentElement;
  const box = root.getBBox ? root.getBBox() : {width: 0, height: 0};
  return {tag: root.tagName, width: box.width, height: box.height,
          images: document.querySelectorAll('image').length};
})()"""


@pytest.fixture(scope="module")
def chromium():
    return require_chromium()


def test_report_in_headless_chromium(run, chromium, tmp_path_factory):
    import json
    import math

    page = Page(chromium)
    try:
        page.call("Network.enable")  # every request the page makes is recorded
        page.navigate(run.report.resolve().as_uri())
        result = page.evaluate(CHECK)
        shot = artifacts_dir(tmp_path_factory.mktemp("artifacts")) / "report.png"
        page.screenshot(shot)
        errors = page.errors()
        # every linked file resolves next to the page; every SVG figure renders in the browser
        failed, svgs = {}, {}
        for url in result["links"]:
            answer = page.call("Page.navigate", url=url)
            if answer.get("isDownload"):
                continue  # a CSV: found and served (200), handed to the download manager
            if answer.get("errorText"):  # a missing file: net::ERR_FILE_NOT_FOUND
                failed[url] = answer["errorText"]
            elif url.endswith(".svg"):
                page.wait_for("Page.loadEventFired")
                svgs[url] = page.evaluate(SVG_CHECK)
        requests = external_requests(page.events)
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
    assert result["captions"] >= len(FIGURES)  # "Reproduces" (and "What differs") per figure
    assert len(result["links"]) >= 3 * len(FIGURES), result["links"]
    assert not failed, failed
    assert len(svgs) == len(FIGURES)
    for url, svg in svgs.items():
        assert svg["tag"] == "svg" and svg["width"] > 100 and svg["height"] > 100, (url, svg)
    assert not requests, requests  # no network request, only the page's own files
