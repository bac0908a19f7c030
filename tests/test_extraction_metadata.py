"""Title and author rules: which declaration wins, and what the page's own text credits."""

from __future__ import annotations

import json

import pytest
from trafilatura.utils import load_html

from pipeline.extraction.authors import extract_authors
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
