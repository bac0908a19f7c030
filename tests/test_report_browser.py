"""The report page in a real headless Chromium: no console errors, every chart laid out, no chart
text clipped, and screenshots (desktop and phone width) saved under test-artifacts/report/.

Two reports: the synthetic demo warehouse (thin week, wire copies, crawl problems, an emerging
cluster) and the demo site's corpus labelled with the codebook's real, long frame labels."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
from fixtures.report.browser import PageProbe, probe_page, require_chromium, screenshot
from fixtures.report.demo_corpus import demo_corpus_warehouse
from fixtures.report.synthetic import demo_warehouse

from pipeline.demo_site import build_corpus
from pipeline.report import build_report

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "report"

# Every test here drives headless Chromium (several seconds per page load).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chromium() -> str:
    return require_chromium()


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    db = root / "demo.duckdb"
    demo_warehouse(db)
    con = duckdb.connect(str(db), read_only=True)
    try:
        return build_report(con, "2026-W47", root / "reports").path_html
    finally:
        con.close()


@pytest.fixture(scope="module")
def corpus_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser-corpus")
    corpus = build_corpus(seed=7, scale="demo", anchor=date(2026, 11, 26))
    demo_corpus_warehouse(root / "corpus.duckdb", corpus)
    con = duckdb.connect(str(root / "corpus.duckdb"), read_only=True)
    try:
        return build_report(con, corpus.weeks[-1], root / "reports").path_html
    finally:
        con.close()


def assert_no_clipped_text(probe: PageProbe) -> None:
    clipped = {s["id"]: s["clipped"] for s in probe.svgs if s["width"] > 0 and s["clipped"]}
    assert clipped == {}, "chart text drawn outside its chart"


def test_console_error_detection_works(chromium: str, tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text(
        "<!doctype html><html><body><svg width='10' height='10'></svg>"
        "<script>throw new Error('planted failure')</script></body></html>"
    )
    probe = probe_page(chromium, page, tmp_path)
    assert probe.console_errors, "a page that throws must be reported"


def test_clipped_text_detection_works(chromium: str, tmp_path: Path) -> None:
    page = tmp_path / "clipped.html"
    page.write_text(
        "<!doctype html><html><body><svg id='c' width='120' height='30' viewBox='0 0 120 30'>"
        "<text x='110' y='20' text-anchor='end'>A label far too long for this chart</text>"
        "<text x='4' y='20'>ok</text></svg></body></html>"
    )
    for width in (1280, 390):
        probe = probe_page(chromium, page, tmp_path, width=width)
        assert probe.svgs[0]["clipped"] == ["A label far too long for this chart"]


@pytest.fixture(scope="module")
def desktop(
    chromium: str, demo_report: Path, tmp_path_factory: pytest.TempPathFactory
) -> PageProbe:
    return probe_page(chromium, demo_report, tmp_path_factory.mktemp("desktop"), width=1280)


def test_report_renders_without_errors_and_every_chart_has_size(
    demo_report: Path, desktop: PageProbe
) -> None:
    html = demo_report.read_text(encoding="utf-8")
    # self-contained: nothing in the page makes the browser fetch anything
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert "src=" not in html and "url(http" not in html
    probe = desktop
    assert probe.console_errors == []
    expected = html.count("<svg ")
    assert len(probe.svgs) == expected >= 6 * 2 + 4  # sparklines and panels per frame, and more
    visible = [s for s in probe.svgs if not s["cls"] or "chart" in s["cls"] or "spark" in s["cls"]]
    hidden_in_details = {"chart-cooccurrence-week"}
    for svg in visible:
        if svg["id"] in hidden_in_details:
            continue
        assert svg["width"] > 20 and svg["height"] > 10, svg
        assert svg["children"] > 2, svg
    assert probe.scroll_width <= probe.client_width + 1, "page must not scroll sideways"
    assert_no_clipped_text(probe)


def test_report_fits_a_phone_and_screenshots(
    chromium: str, demo_report: Path, desktop: PageProbe, tmp_path: Path
) -> None:
    phone = probe_page(chromium, demo_report, tmp_path, width=390)
    assert phone.console_errors == []
    assert phone.client_width == 390, "the phone viewport must really be 390 px wide"
    assert phone.scroll_width <= phone.client_width + 1, "wide tables must scroll inside their box"
    assert_no_clipped_text(phone)
    panels = [
        s
        for s in phone.svgs
        if (s["id"] or "").startswith("chart-trend-") and "legend" not in s["id"]
    ]
    assert panels and all(0 < s["width"] <= 390 for s in panels)
    shot = screenshot(
        chromium,
        demo_report,
        ARTIFACTS / "report-desktop.png",
        tmp_path,
        1280,
        int(desktop.height) + 40,
    )
    mobile = screenshot(
        chromium, demo_report, ARTIFACTS / "report-phone.png", tmp_path, 390, int(phone.height) + 40
    )
    assert shot.stat().st_size > 50_000 and mobile.stat().st_size > 20_000


def test_long_codebook_labels_fit_on_desktop_and_phone(
    chromium: str, corpus_report: Path, tmp_path: Path
) -> None:
    html = corpus_report.read_text(encoding="utf-8")
    assert "Public benefit: health, infrastructure, science" in html
    for width in (1280, 390):
        probe = probe_page(chromium, corpus_report, tmp_path, width=width)
        assert probe.console_errors == []
        assert probe.scroll_width <= probe.client_width + 1
        ids = {s["id"] for s in probe.svgs}
        assert {"chart-primary-share", "chart-cooccurrence-window"} <= ids
        assert_no_clipped_text(probe)
        shot = screenshot(
            chromium,
            corpus_report,
            ARTIFACTS / f"report-demo-corpus-{width}.png",
            tmp_path,
            width,
            int(probe.height) + 40,
        )
        assert shot.stat().st_size > 20_000


def _overlapping(texts: list[dict]) -> list[tuple[str, str]]:
    """Pairs of drawn texts whose boxes overlap by more than a pixel each way."""
    drawn = [t for t in texts if t["height"] > 0 and t["text"].strip()]
    pairs = []
    for i, a in enumerate(drawn):
        for b in drawn[i + 1 :]:
            if (
                min(a["right"], b["right"]) - max(a["left"], b["left"]) > 1
                and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > 1
            ):
                pairs.append((a["text"], b["text"]))
    return pairs


def test_layout_at_desktop_and_phone_widths(
    chromium: str, corpus_report: Path, tmp_path: Path
) -> None:
    """The demo codebook's long labels: at 1280 px the finding is at the top and every table of
    the page but the collapsed list of all tests fits its box; at 390 px the chart labels are
    readable (at least 10 px) and the co-occurrence headers do not collide at either width."""
    desktop = probe_page(chromium, corpus_report, tmp_path, width=1280)
    assert desktop.lead_top is not None and desktop.lead_top < 200
    assert [o["heading"] for o in desktop.overflowing] == ["All tests (54)"]
    phone = probe_page(chromium, corpus_report, tmp_path, width=390)
    for probe in (desktop, phone):
        heatmap = [t for t in probe.svg_texts if t["svg"] == "chart-cooccurrence-window"]
        assert heatmap and _overlapping(heatmap) == []
    small = {
        (t["svg"], t["text"], round(t["height"], 1))
        for t in phone.svg_texts
        if t["svg"] in ("chart-volume", "chart-lead", "chart-primary-share")
        and 0 < t["height"] < 10
    }
    assert small == set(), "chart labels too small to read on a phone"
    # a table wider than the phone scrolls inside its box; the page itself does not
    assert phone.scroll_width <= phone.client_width + 1
    assert {"By outlet, 2026-W47", "By source country, 2026-W47"} <= {
        o["heading"] for o in phone.overflowing
    }
