"""Article extraction: bad input, metadata cleaning, the `extract` command, and the quality gate."""

from __future__ import annotations

import gzip
import importlib.util
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.commands.extract import command
from pipeline.extraction.article import ExtractedArticle, extract_article
from pipeline.extraction.authors import clean_author_names
from pipeline.extraction.title import strip_site_name

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "extract"
EVAL = HERE.parents[0].parent / "shared" / "eval" / "extraction"
BASELINE = HERE / "quality" / "extraction_baseline.json"
NOW = datetime(2026, 5, 1, tzinfo=UTC)

PARAGRAPHS = [
    (
        "Chipmakers in the United States and China are racing to build the accelerators that train "
        "large artificial intelligence models, executives and analysts said on Tuesday."
    ),
    (
        "The contest has become a matter of national policy in both countries, with export controls on "
        "one side and large state subsidies on the other shaping where new factories are built."
    ),
    (
        "Industry groups on both sides warn that the split could raise costs for everyone and slow the "
        "spread of new techniques that depend on cheap computing power."
    ),
]


def page(body: str = "", head: str = "", charset: str = "utf-8") -> str:
    body = body or "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="{charset}"><title>AI chips</title>{head}'
        f"</head><body><nav><a href='/'>Home</a></nav><article><h1>AI chips</h1>{body}</article></body></html>"
    )


@pytest.fixture
def article_html() -> bytes:
    return (FIXTURES / "article.html").read_bytes()


# ---------------------------------------------------------------------------------------------
# bad input never raises and says what is wrong


@pytest.mark.parametrize(
    ("data", "status", "words"),
    [
        (b"", "empty", "no content"),
        (b"   \n\t ", "empty", "whitespace"),
        ("", "empty", "no content"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3 binary", "binary", "PDF"),
        (bytes(range(256)) * 40, "binary", "binary"),
        (b"just a line of plain words, no markup at all", "not_html", "no HTML tags"),
        (
            (
                b"<html><head><script>var a = 1; document.write('x');</script></head><body>"
                b"<script>render({story: 'hidden'})</script></body></html>"
            ),
            "no_article",
            "no visible text",
        ),
        (
            (
                b"<html><body><nav><a href='/a'>Home</a> <a href='/b'>World</a> <a href='/c'>Tech</a></nav>"
                b"<footer>Contact us</footer></body></html>"
            ),
            "no_article",
            "",
        ),
    ],
)
def test_bad_input_gives_status_and_reason(data: bytes | str, status: str, words: str) -> None:
    result = extract_article(data, "https://example.com/x", now=NOW)
    assert result.status == status
    assert result.reason and words.lower() in result.reason.lower()
    assert result.text == "" or status == "no_article"
    assert not result.ok


def test_giant_page_is_refused_before_parsing() -> None:
    huge = page().encode() + b"<p>" + b"word " * 1_200_000 + b"</p>"
    result = extract_article(huge, now=NOW)
    assert result.status == "too_large"
    assert "5,000,000" in result.reason
    assert extract_article(page(), max_bytes=100).status == "too_large"


def test_content_type_that_is_not_html() -> None:
    result = extract_article(b'{"a": 1, "html": "<p>x</p>"}', content_type="application/json")
    assert (result.status, result.reason) == (
        "not_html",
        "content type is application/json, not HTML",
    )


def test_latin1_mislabelled_as_utf8_is_decoded_as_cp1252() -> None:
    body = (
        "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
        + "<p>Le café de la société coûte 5 € à Zürich, disent les économistes du marché.</p>"
    )
    data = page(body=body, charset="utf-8").encode("cp1252")
    result = extract_article(data, now=NOW)
    assert result.ok
    assert "café de la société coûte 5 € à Zürich" in result.text
    assert "\ufffd" not in result.text


def test_http_charset_and_bom() -> None:
    text = page(body="".join(f"<p>{p} Ærø Ødegård.</p>" for p in PARAGRAPHS), charset="iso-8859-1")
    from_header = extract_article(
        text.encode("cp1252"), content_type="text/html; charset=windows-1252", now=NOW
    )
    assert "Ærø Ødegård" in from_header.text
    with_bom = extract_article(b"\xef\xbb\xbf" + page().encode("utf-8"), now=NOW)
    assert with_bom.ok and with_bom.text.startswith("Chipmakers")


# ---------------------------------------------------------------------------------------------
# the article and its metadata


def test_article_fixture_gives_clean_text_and_metadata(article_html: bytes) -> None:
    result = extract_article(
        article_html, "https://example.com/tech/2024/03/05/chipmakers-race", now=NOW
    )
    assert isinstance(result, ExtractedArticle)
    assert result.status == "ok" and result.reason is None
    assert result.title == "Chipmakers race to build AI accelerators"
    assert result.authors == ("Jane Doe", "John Roe")
    assert result.published == datetime(2024, 3, 5, 8, 30, tzinfo=UTC)
    assert result.date_source == "page"
    assert result.language == "en"
    assert result.canonical_url == "https://example.com/tech/2024/03/05/chipmakers-race"
    assert result.method.startswith("trafilatura-")
    assert result.text == "\n\n".join(result.paragraphs)
    assert result.paragraphs[0].startswith("Chipmakers in the United States")
    assert "Export controls bite" in result.paragraphs
    for boilerplate in (
        "Read more",
        "newsletter",
        "All rights reserved",
        "Most read",
        "Story one",
        "By Jane Doe",
    ):
        assert boilerplate not in result.text
    assert (
        result.n_words == len(result.text.split())
        or abs(result.n_words - len(result.text.split())) < 10
    )
    assert not result.truncated


def test_paywalled_teaser_is_flagged_truncated() -> None:
    ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": "AI chips",
            "isAccessibleForFree": "False",
        }
    )
    teaser = page(
        body=f"<p>{PARAGRAPHS[0]}</p><p>{PARAGRAPHS[1]}</p><div class='paywall'>Subscribe to continue reading.</div>",
        head=f'<script type="application/ld+json">{ld}</script>',
    )
    result = extract_article(teaser, now=NOW)
    assert result.ok and result.truncated
    assert "isAccessibleForFree" in result.truncation_reason
    cue_only = page(
        body=f"<p>{PARAGRAPHS[0]}</p><p>{PARAGRAPHS[1]}</p><p>Already a subscriber? Log in to read the full story.</p>"
    )
    flagged = extract_article(cue_only, now=NOW)
    assert flagged.truncated and "subscription cue" in flagged.truncation_reason
    assert not extract_article(page(), now=NOW).truncated


def test_future_date_is_rejected_and_fallbacks_are_named() -> None:
    future = page(head='<meta property="article:published_time" content="2031-01-01T10:00:00Z">')
    result = extract_article(future, "https://example.com/story", now=NOW)
    assert result.published is None or result.published <= NOW
    assert result.date_source != "page" or result.published <= NOW
    feed_day = datetime(2026, 4, 30, 7, 0, tzinfo=UTC)
    from_feed = extract_article(future, "https://example.com/story", feed_date=feed_day, now=NOW)
    assert (from_feed.published, from_feed.date_source) == (feed_day, "feed")
    from_url = extract_article(future, "https://example.com/2026/04/29/story", now=NOW)
    assert (from_url.published, from_url.date_source) == (datetime(2026, 4, 29, tzinfo=UTC), "url")
    too_old = page(head='<meta property="article:published_time" content="1970-01-01T00:00:00Z">')
    assert extract_article(too_old, "https://example.com/story", now=NOW).date_source == "none"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Chips race heats up | The Example Times", "Chips race heats up"),
        ("The Example Times - Chips race heats up", "Chips race heats up"),
        ("Chips race heats up – The Example Times", "Chips race heats up"),
        ("Chips race heats up | Tech | example.com", "Chips race heats up | Tech"),
        ("Trump: tariffs on chips - what it means", "Trump: tariffs on chips - what it means"),
    ],
)
def test_site_name_is_stripped_from_titles(title: str, expected: str) -> None:
    assert strip_site_name(title, ["The Example Times", "example.com", "example"]) == expected


def test_repeated_end_part_is_stripped_without_a_known_site_name() -> None:
    assert (
        strip_site_name("Chips race heats up | Daily Planet", [], ["Chips race heats up"])
        == "Chips race heats up"
    )


@pytest.mark.parametrize(
    ("bylines", "expected"),
    [
        (["By Jane Doe and John Roe"], ("Jane Doe", "John Roe")),
        (["Jane Doe, Reuters"], ("Jane Doe",)),
        (["Von Max Mustermann (dpa)"], ("Max Mustermann",)),
        (["Jane Doe, Senior Editor; jane.doe@example.com"], ("Jane Doe",)),
        (["Staff", "Reuters"], ()),
        (["JANE DOE", "Jane Doe"], ("JANE DOE",)),
    ],
)
def test_bylines_become_person_names(bylines: list[str], expected: tuple[str, ...]) -> None:
    assert clean_author_names(bylines) == expected


def _meta_page(head: str, body_top: str = "", url_host: str = "example.com") -> ExtractedArticle:
    body = body_top + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    html = (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>{head}</head>"
        f"<body><article>{body}</article></body></html>"
    )
    return extract_article(html, f"https://www.{url_host}/2026/04/01/story", now=NOW)


def _ld(obj: dict) -> str:
    return f'<script type="application/ld+json">{json.dumps(obj)}</script>'


def test_title_prefers_og_title_and_cleans_the_others() -> None:
    chosen = _meta_page(
        "<title>Chip race heats up in Asia | Example News</title>"
        "<meta property='og:title' content='Chip race heats up'>"
        + _ld({"@type": "NewsArticle", "headline": "Chip race heats up in Asia"})
    )
    assert chosen.title == "Chip race heats up"
    # without og:title: the JSON-LD headline, its entities decoded once more
    escaped = _meta_page(
        "<title>x</title>"
        + _ld({"@type": "NewsArticle", "headline": "Mexico&#8217;s ‘illogical’ tariffs"})
    )
    assert escaped.title == "Mexico’s ‘illogical’ tariffs"
    # a section suffix that the other declarations lack goes ("- National")
    suffixed = _meta_page(
        "<title>Russia hits Kyiv with missile - National</title>"
        "<meta property='og:title' content='Russia hits Kyiv with missile - National'>",
        body_top="<h1>Russia hits Kyiv with missile</h1>",
    )
    assert suffixed.title == "Russia hits Kyiv with missile"


def test_h1_kicker_and_login_headings_are_not_the_title() -> None:
    result = _meta_page(
        "<title>Example News</title>",
        body_top=(
            "<h1>Log In</h1><h1 class='article-title'><span class='article-title__overline'>Middle East</span>"
            "<span class='sr-only'> - </span><span>Restraint has much to do with the USA</span></h1>"
        ),
    )
    assert result.title == "Restraint has much to do with the USA"


@pytest.mark.parametrize(
    ("head", "body_top", "host", "expected"),
    [
        # dc.creator comes one tag per person, "Last, First"
        (
            "<meta name='dc.creator' content='Tollefson, Jeff'><meta name='dc.creator' content='You, Xiaoying'>",
            "",
            "example.com",
            ("Jeff Tollefson", "Xiaoying You"),
        ),
        # a declared JSON-LD Person is kept as credited, even a newsroom credit naming the site
        (
            _ld(
                {
                    "@type": "NewsArticle",
                    "author": [{"@type": "Person", "name": "Guardian staff reporter"}],
                }
            )
            + "<meta property='og:site_name' content='The Guardian'>"
            + "<meta property='article:author' content='Associated Press in Valencia'>",
            "",
            "theguardian.com",
            ("Guardian staff reporter",),
        ),
        # an agency named as the author outranks the site name in <meta name=author>
        (
            _ld({"@type": "NewsArticle", "author": [{"@type": "Organization", "name": "dpa"}]})
            + "<meta name='author' content='Example Zeitung'>",
            "<div class='teaser-author'>Von Christoph Reisinger</div>",
            "example-zeitung.de",
            ("dpa",),
        ),
        # names under a "Von:" label, and a byline element naming a person over the site's own name
        (
            "<meta name='author' content='example.com'>",
            "<ul><li>Von: <a href='/b'>Bill MCCARTHY</a>, <a href='/m'>Marisha GOLDHAMER</a></li></ul>",
            "example.com",
            ("Bill MCCARTHY", "Marisha GOLDHAMER"),
        ),
        (
            _ld({"@type": "NewsArticle", "author": {"@type": "Organization", "name": "ORF.at"}})
            + "<meta property='og:site_name' content='ORF.at'>",
            "<div class='byline'>red, ORF.at/Agenturen</div>",
            "orf.at",
            ("ORF.at",),
        ),
    ],
)
def test_author_sources_in_order(
    head: str, body_top: str, host: str, expected: tuple[str, ...]
) -> None:
    assert _meta_page(head, body_top, host).authors == expected


def test_article_split_by_an_ad_is_recovered_whole() -> None:
    part = "<div class='article-body'>{}</div>"
    first = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    rest = [
        (
            "Analysts expect the contest to shape trade policy for a decade, with supply chains "
            "moved to friendly countries and new rules on which customers may buy fast processors."
        ),
        (
            "Smaller economies are caught in the middle and must decide which suppliers they trust, "
            "a choice that officials in several capitals describe as the hardest of their careers."
        ),
    ]
    second = "".join(f"<p>{p}</p>" for p in rest)
    html = (
        "<html><head><title>Chips</title></head><body><main>"
        + part.format(first)
        + "<div class='ad-slot'><a href='/promo'>Advertisement: buy shoes now</a></div>"
        + "<aside><h3>More</h3><ul><li><a href='/x'>Story x</a></li></ul></aside>"
        + part.format(second)
        + "</main></body></html>"
    )
    result = extract_article(html, now=NOW)
    assert result.ok
    for paragraph in PARAGRAPHS + rest:
        assert paragraph in result.paragraphs
    assert result.paragraphs.index(PARAGRAPHS[0]) < result.paragraphs.index(rest[-1])
    assert "Advertisement" not in result.text


def test_scripts_and_noscript_are_not_visible_text() -> None:
    html = (
        "<html><body><script>var story = 'a long story in a script tag';</script>"
        "<noscript><p>Please enable JavaScript to read this story.</p></noscript></body></html>"
    )
    result = extract_article(html, now=NOW)
    assert (result.status, result.reason) == (
        "no_article",
        "page has no visible text (only markup or scripts)",
    )


def test_lean_tree_drops_inert_markup_but_keeps_json_ld_tails_and_the_original() -> None:
    from lxml import html as lxml_html

    from pipeline.extraction.body import lean_tree

    tree = lxml_html.fromstring(
        "<html><head><script type='application/LD+JSON'>{\"headline\": \"H\"}</script>"
        "<style>p {}</style></head><body><p>Kept<svg><text>icon</text></svg> tail</p>"
        "<script>track()</script><template><p>later</p></template>"
        "<noscript>enable JS</noscript></body></html>"
    )
    lean = lean_tree(tree)
    text = lxml_html.tostring(lean, encoding="unicode")
    assert "headline" in text  # trafilatura reads articleBody and dates from JSON-LD
    for gone in ("p {}", "icon", "track()", "later", "enable JS"):
        assert gone not in text
    assert lean.xpath("string(//p)") == "Kept tail"
    assert "track()" in lxml_html.tostring(tree, encoding="unicode")  # the page itself is untouched


# ---------------------------------------------------------------------------------------------
# framewatch extract


def _records(text: str) -> dict[str, dict]:
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return {row["id"]: row for row in rows}


def test_command_reads_files_folders_gz_and_urls_json(tmp_path: Path, article_html: bytes) -> None:
    site = tmp_path / "pages" / "nested"
    site.mkdir(parents=True)
    (site / "story.html").write_bytes(article_html)
    (site / "zipped.html.gz").write_bytes(gzip.compress(page().encode()))
    (site / "broken.html.gz").write_bytes(b"not gzip at all")
    (site / "empty.html").write_bytes(b"")
    (site / "notes.txt").write_text("ignored: not a page")
    (site / "urls.json").write_text(
        json.dumps(
            {
                "story.html": "https://example.com/tech/2024/03/05/chipmakers-race",
                "zipped.html.gz": "https://example.com/2026/01/02/zipped",
            }
        )
    )
    out = tmp_path / "out" / "articles.jsonl"
    result = CliRunner().invoke(
        command, [str(tmp_path / "pages"), "-o", str(out), "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    rows = _records(out.read_text())
    assert set(rows) == {"story", "zipped", "broken", "empty"}
    story = rows["story"]
    assert story["url"] == "https://example.com/tech/2024/03/05/chipmakers-race"
    assert story["source"] == str(site / "story.html")
    # the page says 09:30 +01:00: the publisher's offset is kept (the instant is 08:30 UTC)
    assert story["status"] == "ok" and story["date"] == "2024-03-05T09:30:00+01:00"
    assert story["authors"] == ["Jane Doe", "John Roe"] and story["language"] == "en"
    for key in ("title", "text", "reason", "canonical_url", "date_source", "method", "truncated"):
        assert key in story
    assert rows["zipped"]["status"] == "ok" and rows["zipped"]["url"].endswith("/zipped")
    assert rows["broken"]["status"] == "error" and "cannot read page" in rows["broken"]["reason"]
    assert rows["empty"]["status"] == "empty"
    assert "4 pages" in result.output


def test_command_reads_warc_with_a_process_pool(tmp_path: Path, article_html: bytes) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    warc_path = tmp_path / "crawl.warc.gz"
    with warc_path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for url, body, ctype in [
            (
                "https://example.com/tech/2024/03/05/chipmakers-race",
                article_html,
                "text/html; charset=utf-8",
            ),
            ("https://example.com/logo.png", b"\x89PNG\r\n\x1a\n....", "image/png"),
            ("https://example.com/2026/03/01/second", page().encode(), "text/html"),
        ]:
            headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=headers
            )
            writer.write_record(record)
            record.raw_stream.close()  # warcio spools the payload to a temporary file it never closes
    result = CliRunner().invoke(command, [str(warc_path), "-o", "-", "--workers", "2"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [r["url"] for r in rows] == [
        "https://example.com/tech/2024/03/05/chipmakers-race",
        "https://example.com/2026/03/01/second",
    ]
    assert all(r["source"].startswith(f"{warc_path}#") for r in rows)
    assert rows[0]["title"] == "Chipmakers race to build AI accelerators"
    assert rows[1]["status"] == "ok" and rows[1]["date_source"] in {"page", "url"}


def test_command_help_documents_every_option() -> None:
    result = CliRunner().invoke(command, ["--help"])
    assert result.exit_code == 0
    for option in ("--output", "--workers", "urls.json", "WARC"):
        assert option in result.output


# ---------------------------------------------------------------------------------------------
# quality gate on the evaluation pages


def _load_scorer():
    spec = importlib.util.spec_from_file_location(
        "score_extraction", EVAL.parent / "score_extraction.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(
    not EVAL.is_dir(), reason="../shared/eval/extraction is not present in this clone"
)
@pytest.mark.slow
def test_quality_gate_on_eval_pages(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "metadata_scorer", HERE / "quality" / "metadata_scorer.py"
    )
    metadata_scorer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(metadata_scorer)

    out = tmp_path / "pred.jsonl"
    result = CliRunner().invoke(command, [str(EVAL / "pages"), "-o", str(out), "--workers", "2"])
    assert result.exit_code == 0, result.output
    scorer = _load_scorer()
    gold = [
        json.loads(line)
        for line in (EVAL / "gold.jsonl").read_text("utf-8").splitlines()
        if line.strip()
    ]
    predictions = _records(out.read_text("utf-8"))
    assert set(predictions) == {row["id"] for row in gold}
    baseline = json.loads(BASELINE.read_text())
    measured = {}
    for subset in ("all", "aeb", "fundus"):
        rows = [g for g in gold if subset in ("all", g["dataset"])]
        measured[subset] = scorer.metrics(
            [scorer.page_counts(g["text"], predictions[g["id"]]["text"]) for g in rows]
        )["f1"]
    meta = metadata_scorer.score_metadata(
        [g for g in gold if g["dataset"] == "fundus"], predictions
    )
    failures = [
        f"F1 {k}: {measured[k]:.4f} < {baseline['f1'][k]:.4f}"
        for k in measured
        if measured[k] < baseline["f1"][k]
    ]
    failures += [
        f"{k}: {meta[k]:.4f} < {v:.4f}"
        for k, v in baseline["fundus_metadata"].items()
        if meta[k] < v
    ]
    assert not failures, "extraction quality fell below the pinned baseline: " + "; ".join(failures)
