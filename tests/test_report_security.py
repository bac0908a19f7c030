"""Crawled and seed text is hostile: the report shows it, never runs it.

A warehouse whose outlet name, country, titles, passages, a frame label, a frame id, an emerging
cluster's keyword and passages carry `<img onerror=...>` payloads (fixtures/report/synthetic.py,
`hostile_warehouse`) is reported, and the page is loaded in real headless Chromium: no payload
may run (each would mark the page's root element), no element may come from crawled text, and
the characters `<`, `>`, `&` must still be visible as text. The Markdown report is rendered with
a real CommonMark renderer and checked the same way; the SVG files are parsed and checked.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import duckdb
import pytest
from fixtures.report.browser import probe_page, require_chromium
from fixtures.report.synthetic import (
    HOSTILE_FIELDS,
    HOSTILE_FRAME_ID,
    hostile_payload,
    hostile_warehouse,
)
from markdown_it import MarkdownIt

from pipeline.report import build_report
from pipeline.report.charts import chart_key
from pipeline.report.render import markdown_text, markdown_url

WEEK = "2026-W47"
CSP = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">')
VISIBLE = "5 < 6 > 4 & <b>bold?</b> *star* [link](http://evil.example) | pipe"


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    hostile_warehouse(root / "hostile.duckdb", WEEK)
    con = duckdb.connect(str(root / "hostile.duckdb"), read_only=True)
    try:
        return build_report(con, WEEK, root / "reports").folder
    finally:
        con.close()


@pytest.fixture(scope="module")
def chromium() -> str:
    return require_chromium()


class _Tags(HTMLParser):
    """Every start tag of a page with its attributes, as a browser's tokenizer would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_html_escapes_every_hostile_field_and_allows_no_script(hostile_report: Path) -> None:
    html = (hostile_report / "report.html").read_text(encoding="utf-8")
    parser = _Tags()
    parser.feed(html)
    names = {tag for tag, _ in parser.tags}
    assert not names & {"img", "script", "iframe", "object", "embed", "b"}, names
    handlers = [(t, a) for t, a in parser.tags if any(k.startswith("on") for k in a)]
    assert handlers == []
    hrefs = [a["href"] for t, a in parser.tags if t == "a"]
    assert hrefs and all(h.startswith(("http://", "https://")) for h in hrefs)
    for where in HOSTILE_FIELDS:
        assert f"pipe {where}" in html, f"the hostile {where} is not shown at all"
    assert "&lt;img src=x onerror=" in html
    policy = CSP.search(html)
    assert policy, "the page must carry a Content-Security-Policy"
    rules = dict(rule.strip().split(" ", 1) for rule in policy[1].split(";"))
    assert rules["script-src"] == "'none'" and rules["default-src"] == "'none'"


@pytest.mark.slow
def test_hostile_text_never_runs_in_chromium_and_stays_visible(
    chromium: str, hostile_report: Path, tmp_path: Path
) -> None:
    for width in (1280, 390):
        probe = probe_page(chromium, hostile_report / "report.html", tmp_path, width=width)
        assert probe.pwned is None, f"crawled text ran as code ({probe.pwned})"
        assert probe.elements == {
            "img": 0,
            "script": 0,
            "iframe": 0,
            "object": 0,
            "embed": 0,
            'a[href^="javascript"]': 0,
        }
        assert probe.console_errors == []
        for where in ("outlet", "country", "title", "passage", "frame_label", "keyword"):
            shown = (
                "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned',"
                f"'{where}')\"> {VISIBLE} {where}"
            )
            assert shown in probe.text, f"the hostile {where} is not visible as text"


@pytest.mark.slow
def test_content_security_policy_stops_a_script_that_escaping_missed(
    chromium: str, hostile_report: Path, tmp_path: Path
) -> None:
    """The policy is a second wall: plant a raw payload in the page (as an escaping bug would);
    with the report's policy it does not run, and without it (control) it does."""
    html = (hostile_report / "report.html").read_text(encoding="utf-8")
    planted = html.replace("</main>", hostile_payload("planted") + "</main>")
    with_policy = tmp_path / "with-policy.html"
    with_policy.write_text(planted, encoding="utf-8")
    without_policy = tmp_path / "without-policy.html"
    without_policy.write_text(CSP.sub("", planted), encoding="utf-8")
    assert probe_page(chromium, with_policy, tmp_path).pwned is None
    assert probe_page(chromium, without_policy, tmp_path).pwned == "planted"


def test_markdown_renders_hostile_text_as_text(hostile_report: Path) -> None:
    md = (hostile_report / "report.md").read_text(encoding="utf-8")
    rendered = MarkdownIt("commonmark").enable("table").render(md)
    parser = _Tags()
    parser.feed(rendered)
    images = [a for t, a in parser.tags if t == "img"]
    assert images and all((a["src"] or "").startswith("charts/") for a in images)
    assert not {t for t, _ in parser.tags} & {"script", "b", "svg", "iframe"}
    assert not [a for _, a in parser.tags if any(k.startswith("on") for k in a)]
    hrefs = [a["href"] for t, a in parser.tags if t == "a"]
    assert hrefs and all(h.startswith(("https://", "charts/")) for h in hrefs), hrefs
    assert "<em>star</em>" not in rendered
    for where in ("outlet", "title", "passage", "frame_label", "keyword", "emerging_passage"):
        assert "&lt;img src=x onerror=" in rendered and f"pipe {where}" in rendered
    # a table row keeps its cells: the pipe in an outlet name does not split it
    outlet_rows = [
        line for line in md.splitlines() if "pipe outlet" in line and line.startswith("|")
    ]
    assert outlet_rows
    for line in outlet_rows:
        cells = re.split(r"(?<!\\)\|", line)
        assert any("pipe outlet" in c for c in cells) and all(
            "star" not in c or "\\*" in c for c in cells
        )


def test_markdown_escaping_units() -> None:
    assert markdown_text("a <b> & *c*\n# d | [e](f)") == r"a &lt;b&gt; &amp; \*c\* \# d \| \[e\](f)"
    assert markdown_url("javascript:alert(1)") is None and markdown_url("data:text/html,x") is None
    assert markdown_url("https://x.example/a b)(<c>") == "<https://x.example/a%20b%29%28%3Cc%3E>"


def test_charts_are_well_formed_svg_without_scripts(hostile_report: Path) -> None:
    charts = hostile_report / "charts"
    files = sorted(charts.iterdir())
    assert all(f.parent == charts and f.suffix == ".svg" for f in files)
    assert f"trend-{chart_key(HOSTILE_FRAME_ID)}.svg" in {f.name for f in files}
    for path in files:
        root = ElementTree.fromstring(path.read_text(encoding="utf-8"))
        for element in root.iter():
            tag = element.tag.split("}")[-1]
            assert tag not in ("script", "foreignObject", "image", "a"), (path.name, tag)
            assert not any(name.lower().startswith("on") for name in element.attrib), path.name
    label = (charts / "trend-race_to_win.svg").read_text(encoding="utf-8")
    assert "&lt;img src=x" in label


def test_chart_keys_are_safe_and_distinct() -> None:
    assert chart_key("race_to_win") == "race_to_win"
    hostile = chart_key(HOSTILE_FRAME_ID)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", hostile)
    assert chart_key("a/b") != chart_key("a.b") and chart_key("../x") != "../x"
