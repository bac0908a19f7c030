"""Title, author and date rules: which declaration wins, what the page's own text credits, and
whose clock dates a story."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from trafilatura.utils import load_html

from pipeline.extraction.authors import extract_authors
from pipeline.extraction.dates import find_published, parse_datetime, utc_offset_minutes
from pipeline.extraction.metadata import PageInfo, read_page_info
from pipeline.extraction.title import clean_title, typography_key

ARTICLE_TEXT = (
    "Chipmakers in both countries are racing to build the accelerators that train large models, "
    "and officials on each side say the contest now shapes where new factories are built."
)


def _page(
    head: str, body: str, url: str = "https://www.example-news.com/world/story-1"
) -> PageInfo:
    tree = load_html(f"<html><head>{head}</head><body>{body}</body></html>")
    return read_page_info(tree, url)


def _ld(obj: dict) -> str:
    return f"<script type='application/ld+json'>{json.dumps(obj, ensure_ascii=False)}</script>"


def _meta(prop: str, content: str, attr: str = "property") -> str:
    return f"<meta {attr}='{prop}' content=\"{content}\">"


# --------------------------------------------------------------------------------------------
# Titles


def test_typography_key_folds_quotes_dashes_and_spaces_only() -> None:
    assert (
        typography_key("Chips \u2018race\u2019 \u2013 who\u00a0wins") == "Chips 'race' - who wins"
    )
    assert typography_key("Chips race") != typography_key("Chip race")


def test_title_takes_the_spelling_most_sources_share() -> None:
    head = (
        _meta("og:title", "Ministers call the tariffs 'illogical'")
        + _ld(
            {"@type": "NewsArticle", "headline": "Ministers call the tariffs \u2018illogical\u2019"}
        )
        + "<title>Ministers call the tariffs \u2018illogical\u2019 | Example News</title>"
    )
    body = f"<h1>Ministers call the tariffs \u2018illogical\u2019</h1><p>{ARTICLE_TEXT}</p>"
    assert clean_title(_page(head, body)) == "Ministers call the tariffs \u2018illogical\u2019"


def test_title_keeps_og_spelling_when_it_is_not_outvoted() -> None:
    head = _meta("og:title", "Ministers call the tariffs 'illogical'") + _ld(
        {"@type": "NewsArticle", "headline": "Ministers call the tariffs \u2018illogical\u2019"}
    )
    assert clean_title(_page(head, f"<p>{ARTICLE_TEXT}</p>")) == (
        "Ministers call the tariffs 'illogical'"
    )


def test_title_spelling_vote_never_switches_to_another_headline() -> None:
    # three sources agree on a different wording: og:title still decides which headline it is
    head = (
        _meta("og:title", "Chip race heats up")
        + _ld({"@type": "NewsArticle", "headline": "The chip race heats up again"})
        + "<title>The chip race heats up again - Example News</title>"
    )
    body = f"<h1>The chip race heats up again</h1><p>{ARTICLE_TEXT}</p>"
    assert clean_title(_page(head, body)) == "Chip race heats up"


# --------------------------------------------------------------------------------------------
# Authors


def test_lead_in_credit_line_confirmed_by_the_description_names_the_writer() -> None:
    head = _meta("og:site_name", "Example News") + _meta(
        "og:description", f"Jane Doe/John Roe {ARTICLE_TEXT[:120]}"
    )
    head += _ld({"@type": "BlogPosting", "author": {"@type": "Person", "name": "Example News"}})
    body = (
        "<span class='author'>by Example News</span><div class='entry-content'>"
        f"<p><strong>Jane Doe/John Roe</strong></p><p>{ARTICLE_TEXT}</p></div>"
    )
    assert extract_authors(_page(head, body)) == ("Jane Doe", "John Roe")


def test_lead_in_credit_line_outranks_a_cms_account() -> None:
    head = _meta("description", f"MARY ANN SMITH\u00a0{ARTICLE_TEXT[:100]}", attr="name")
    head += _ld({"@type": "NewsArticle", "author": {"@type": "Person", "name": "Site Admin"}})
    body = f"<p><strong>MARY ANN SMITH&nbsp;</strong></p><p>{ARTICLE_TEXT}</p>"
    assert extract_authors(_page(head, body)) == ("MARY ANN SMITH",)


@pytest.mark.parametrize(
    "body",
    [
        # a bold line the description does not open with is a sub-heading, not a credit
        f"<p>{ARTICLE_TEXT}</p><p><strong>Trade Talks Resume</strong></p>",
        # a bold lead-in that runs on into text is not a credit line of its own
        f"<p><strong>Jane Doe</strong> said the talks resume today.</p><p>{ARTICLE_TEXT}</p>",
        # a bold phrase that is not only names
        f"<p><b>Trade talks resume</b></p><p>{ARTICLE_TEXT}</p>",
    ],
)
def test_other_bold_paragraphs_are_not_credits(body: str) -> None:
    head = _meta("og:description", "Trade talks resume. Jane Doe said the talks resume today.")
    head += _ld({"@type": "NewsArticle", "author": {"@type": "Person", "name": "Ann Writer"}})
    assert extract_authors(_page(head, body)) == ("Ann Writer",)


def test_declared_cjk_name_without_space_is_a_person() -> None:
    head = _ld({"@type": "NewsArticle", "author": [{"@type": "Person", "name": "\u5c71\u7530"}]})
    body = f"<p class='byline'>By Taro Example and Hanako Sample</p><p>{ARTICLE_TEXT}</p>"
    assert extract_authors(_page(head, body)) == ("\u5c71\u7530",)


def test_cjk_text_read_off_the_page_or_too_long_is_not_taken_for_a_name() -> None:
    byline = f"<span class='byline'>By Jane Doe</span><p>{ARTICLE_TEXT}</p>"
    # a desk's name in a byline element: only declared names may be written without spaces
    body = f"<div class='author'>\u7f16\u8f91\u90e8</div>{byline}"
    assert extract_authors(_page("", body)) == ("Jane Doe",)
    # seven characters make a phrase ("news agency reporter"), not a personal name
    phrase = "\u4e2d\u56fd\u65b0\u95fb\u793e\u8bb0\u8005"
    head = _ld({"@type": "NewsArticle", "author": {"@type": "Person", "name": phrase}})
    assert extract_authors(_page(head, byline)) == ("Jane Doe",)


def test_organisation_listed_with_a_person_is_credited_too() -> None:
    head = _ld(
        {
            "@type": "NewsArticle",
            "author": [
                {"@type": "Person", "name": "Jane Doe"},
                {"@type": "Organization", "name": "Example Desk"},
            ],
        }
    )
    assert extract_authors(_page(head, f"<p>{ARTICLE_TEXT}</p>")) == ("Jane Doe", "Example Desk")


def test_site_credited_throughout_ignores_teaser_bylines() -> None:
    head = _meta("og:site_name", "Example News") + _meta("author", "Example News", attr="name")
    head += _ld({"@type": "NewsArticle", "author": {"@type": "Person", "name": "Example News"}})
    body = (
        f"<span class='author'>Example News</span><p>{ARTICLE_TEXT}</p>"
        "<aside><h3><a href='/other'>Another story</a></h3>"
        "<span class='author'><a href='/author/jr/'>John Roe</a></span></aside>"
    )
    assert extract_authors(_page(head, body)) == ("Example News",)


def test_page_byline_still_names_the_writer_when_only_metadata_credits_the_site() -> None:
    head = _meta("og:site_name", "Example News") + _meta("author", "Example News", attr="name")
    body = f"<span class='author'>By John Roe</span><p>{ARTICLE_TEXT}</p>"
    assert extract_authors(_page(head, body)) == ("John Roe",)


# --------------------------------------------------------------------------------------------
# Publication dates: the publisher's clock decides the day and the ISO week

# (page timestamp, its UTC instant, the publisher's day, the publisher's ISO week)
PUBLISHER_CLOCKS = [
    # just after midnight in Barcelona: still the previous day in UTC
    ("2026-07-10T00:50:00+02:00", datetime(2026, 7, 9, 22, 50), date(2026, 7, 10), "2026-W28"),
    # Monday 01:30 in Moscow is Sunday in UTC: the new week has begun for the publisher
    ("2026-07-13T01:30:00+03:00", datetime(2026, 7, 12, 22, 30), date(2026, 7, 13), "2026-W29"),
    # Sunday evening in New York is Monday in UTC: still the old week for the publisher
    ("2026-07-12T21:00:00-0500", datetime(2026, 7, 13, 2, 0), date(2026, 7, 12), "2026-W28"),
    # a bare day has no clock: taken as UTC
    ("2026-07-10", datetime(2026, 7, 10), date(2026, 7, 10), "2026-W28"),
]
NOW = datetime(2026, 8, 1, tzinfo=UTC)


@pytest.mark.parametrize(("stamp", "utc", "day", "week"), PUBLISHER_CLOCKS)
def test_page_dates_keep_the_publishers_offset(stamp, utc, day, week) -> None:
    page = _page(_meta("article:published_time", stamp), f"<article><p>{ARTICLE_TEXT}</p></article>",
                 url="https://www.example-news.com/world/story-1")
    published, source = find_published(page, None, NOW)
    assert source == "page"
    assert published.date() == day  # the publisher's day, not UTC's
    assert published.astimezone(UTC).replace(tzinfo=None) == utc  # the same instant
    assert utc_offset_minutes(published) == round((published.utcoffset().total_seconds()) / 60)


def test_offsets_are_read_as_written() -> None:
    assert utc_offset_minutes(parse_datetime("2026-07-10T00:50:00+02:00")) == 120
    assert utc_offset_minutes(parse_datetime("2026-07-10T00:50:00-0530")) == -330
    assert utc_offset_minutes(parse_datetime("2026-07-10T00:50:00Z")) == 0
    assert utc_offset_minutes(parse_datetime("2026-07-10T00:50:00")) == 0  # naive: UTC
    assert parse_datetime("2026-07-10T00:50:00+23:00") is None  # no clock is that far from UTC
    assert utc_offset_minutes(None) is None


@pytest.mark.slow
def test_warehouse_dates_stories_on_the_publishers_clock(tmp_path, embedder) -> None:
    """Through the clean stage into the `articles` view: published_at stays UTC, the day and the
    week follow the publisher's clock."""
    from test_clean_stage import WIRE_BODY, page, store_pages

    from pipeline.relevance import RelevanceModel
    from pipeline.seeds import load_topic
    from pipeline.settings import DEFAULT_SEEDS_DIR
    from pipeline.stages.clean import clean_pending
    from pipeline.stages.embedding_cache import EmbeddingCache
    from warehouse.db import warehouse

    pages = [("daily", f"https://daily.example/story-{i}",
              page(f"Story {i} on chips", [f"{p} (story {i})" for p in WIRE_BODY], stamp), None)
             for i, (stamp, *_rest) in enumerate(PUBLISHER_CLOCKS)]
    with warehouse(tmp_path / "fw.duckdb") as con:
        con.execute("insert into core.sources (source_id, name, kind) values ('daily', 'Daily', 'outlet')")
        store_pages(con, tmp_path / "archive", pages)
        cache = EmbeddingCache(con, embedder)
        relevance = RelevanceModel(load_topic(DEFAULT_SEEDS_DIR / "topic.toml"), cache.encode)
        clean_pending(con, tmp_path / "archive", relevance, workers=1)
        rows = con.execute("select published_at, published_offset_minutes, published_day, week "
                           "from articles order by canonical_url").fetchall()
    assert rows == [(utc, offset, day, week) for (_, utc, day, week), offset
                    in zip(PUBLISHER_CLOCKS, (120, 180, -300, 0), strict=True)]
