"""HTML pages of an outlet (article, AMP, home/section listings, private previews): view models
built from corpus data and rendered with the outlet's theme. Pure: data in, HTML out."""

from __future__ import annotations

import json
import random
from datetime import datetime

from pipeline.demo_site import timefmt
from pipeline.demo_site.model import DemoArticle, DemoOutlet
from pipeline.demo_site.phrases_other import COMMENTER_NAMES, READER_COMMENTS
from pipeline.demo_site.themes import render

SYNTHETIC_NOTE = (
    "Synthetic article written for the framewatch demo. Not real news; all names are fictional."
)

BYLINE_FORMATS = {
    "broadsheet": timefmt.ap_style,
    "techblog": timefmt.long_date,
    "statemedia": timefmt.numeric,
    "european": timefmt.european,
    "business": timefmt.business,
    "wire": timefmt.wire_style,
}
_EDITORS = ("Mark Heller", "Susan Fry", "Gao Ning", "Elif Demir", "Raj Menon")
_KICKERS = {"ai_race": ("Artificial intelligence", "Analysis", "Tech rivalry", "Background")}


def section_label(slug: str) -> str:
    special = {"ai": "AI", "tech-reviews": "Reviews", "china": "China", "asia": "Asia"}
    return special.get(slug, slug.replace("-", " ").title())


def byline_date(outlet: DemoOutlet, moment: datetime) -> str:
    return BYLINE_FORMATS[outlet.theme](moment, outlet.local_tz)


def listing_href(article: DemoArticle) -> str:
    """The URL section pages use for an article: an old or tracked variant when it has one."""
    for variant in article.variant_paths:
        if variant == article.legacy_path or "?utm_" in variant:
            return variant
    for variant in article.variant_paths:
        if variant.rstrip("/") == article.path.rstrip("/") and variant != article.path:
            return variant
    return article.path


def comments_href(article: DemoArticle) -> str | None:
    anchored = f"{article.path}#comments"
    return anchored if anchored in article.variant_paths else None


def _comment_count(article: DemoArticle) -> int:
    return random.Random(f"comments:{article.key}").randint(3, 240)


def _site_context(
    outlet: DemoOutlet, base_url: str, page_title: str, path: str, newest: datetime
) -> dict:
    return {
        "outlet": outlet,
        "page_title": page_title,
        "canonical": base_url + path,
        "nav": [
            {"label": section_label(s), "href": outlet.section_path(s)} for s in outlet.sections
        ],
        "rss_href": outlet.rss_path,
        "atom_href": outlet.atom_path,
        "year": newest.year,
        "today": timefmt.long_date(newest, outlet.local_tz),
        "synthetic_note": SYNTHETIC_NOTE,
        "keywords": outlet.name,
    }


def _teaser_item(outlet: DemoOutlet, article: DemoArticle, href: str) -> dict:
    return {
        "title": article.title,
        "href": href,
        "teaser": article.summary,
        "byline_date": byline_date(outlet, article.published),
        "comments_href": comments_href(article),
        "comment_count": _comment_count(article),
        "section_label": section_label(article.section),
    }


def related_articles(
    article: DemoArticle, neighbours: list[DemoArticle], count: int = 4
) -> list[DemoArticle]:
    """Other stories of the outlet, preferring AI-race stories with a different primary frame."""
    rng = random.Random(f"related:{article.key}")
    others = [a for a in neighbours if a.key != article.key]
    preferred = [a for a in others if a.on_topic and a.primary_frame != article.primary_frame]
    rest = [a for a in others if a not in preferred]
    rng.shuffle(preferred)
    rng.shuffle(rest)
    return (preferred + rest)[:count]


def _comments(article: DemoArticle) -> list[dict]:
    rng = random.Random(f"thread:{article.key}")
    return [
        {
            "name": rng.choice(COMMENTER_NAMES),
            "text": text,
            "ago": f"{rng.randint(1, 23)} hours ago",
            "likes": rng.randint(0, 90),
        }
        for text in rng.sample(READER_COMMENTS, rng.randint(0, 4))
    ]


def _jsonld(outlet: DemoOutlet, article: DemoArticle, canonical: str) -> str | None:
    if outlet.metadata != "jsonld":
        return None
    people = [{"@type": "Person", "name": name} for name in article.authors]
    if outlet.theme == "european":
        doc: dict = {
            "@context": "https://schema.org",
            "@graph": [
                {
                    "@type": "WebPage",
                    "@id": canonical,
                    "name": article.title,
                    "inLanguage": "en-GB",
                },
                {
                    "@type": "NewsArticle",
                    "headline": article.title,
                    "datePublished": timefmt.iso_local(article.published, outlet.local_tz),
                    "dateModified": timefmt.iso_local(article.last_modified, outlet.local_tz),
                    "author": people[0] if len(people) == 1 else people,
                    "isPartOf": {"@id": canonical},
                    "publisher": {"@type": "NewsMediaOrganization", "name": outlet.name},
                },
            ],
        }
    else:
        doc = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": article.title,
            "description": article.summary,
            "datePublished": timefmt.iso_utc(article.published),
            "dateModified": timefmt.iso_utc(article.last_modified),
            "author": people,
            "articleSection": section_label(article.section),
            "mainEntityOfPage": {"@type": "WebPage", "@id": canonical},
            "publisher": {"@type": "Organization", "name": outlet.name},
        }
    # "</" would end the <script> element early.
    return json.dumps(doc, ensure_ascii=False).replace("</", "<\\/")


def article_page(
    outlet: DemoOutlet, article: DemoArticle, base_url: str, related: list[DemoArticle]
) -> str:
    context = _site_context(outlet, base_url, article.title, article.path, article.last_modified)
    canonical = context["canonical"]
    rng = random.Random(f"page:{article.key}")
    comments = _comments(article)
    words = sum(len(p.split()) for p in article.paragraphs)
    context.update(
        title=article.title,
        description=article.summary,
        authors=list(article.authors),
        byline_date=byline_date(outlet, article.published),
        updated_display=byline_date(outlet, article.updated) if article.updated else "",
        iso_utc=timefmt.iso_utc(article.published),
        iso_local=timefmt.iso_local(article.published, outlet.local_tz),
        iso_modified=timefmt.iso_utc(article.updated) if article.updated else "",
        section_slug=article.section,
        section_label=section_label(article.section),
        section_href=outlet.section_path(article.section),
        paragraphs=list(article.paragraphs),
        related=[
            {
                "title": r.title,
                "href": r.path,
                "teaser": r.summary,
                "comments_href": comments_href(r),
                "comment_count": _comment_count(r),
            }
            for r in related
        ],
        comments=comments,
        comment_count=max(len(comments), _comment_count(article)),
        jsonld=_jsonld(outlet, article, canonical),
        amp_href=f"/amp{article.path}" if outlet.amp else "",
        number=article.key.rsplit("-", 1)[-1].lstrip("0") or "0",
        keywords=", ".join(
            ["AI", section_label(article.section), "technology"]
            if article.on_topic
            else [section_label(article.section)]
        ),
        editor=rng.choice(_EDITORS),
        # A headline that already has a desk label ("Analysis: ...") gets no kicker.
        kicker=""
        if ":" in article.title
        else rng.choice(_KICKERS.get(article.topic, (section_label(article.section),))),
        read_minutes=max(1, round(words / 230)),
    )
    return render(outlet.theme, "article.html", context)


def amp_page(outlet: DemoOutlet, article: DemoArticle, base_url: str) -> str:
    context = _site_context(outlet, base_url, article.title, article.path, article.last_modified)
    context.update(
        title=article.title,
        authors=list(article.authors),
        byline_date=byline_date(outlet, article.published),
        paragraphs=list(article.paragraphs),
    )
    return render("common", "amp.html", context)


def listing_page(
    outlet: DemoOutlet,
    base_url: str,
    *,
    heading: str,
    path: str,
    articles: list[DemoArticle],
    page: int,
    pages: int,
    prev_href: str | None,
    next_href: str | None,
    most_read: list[DemoArticle],
    private_href: str | None,
    newest: datetime,
) -> str:
    context = _site_context(outlet, base_url, heading, path, newest)
    context.update(
        heading=heading,
        is_home=path == "/",
        items=[_teaser_item(outlet, a, listing_href(a)) for a in articles],
        page=page,
        pages=pages,
        prev_href=prev_href or "",
        next_href=next_href or "",
        most_read=[
            {"title": a.title, "href": f"/amp{a.path}" if outlet.amp else listing_href(a)}
            for a in most_read
        ],
        private_href=private_href or "",
    )
    return render(outlet.theme, "listing.html", context)


def private_page(
    outlet: DemoOutlet, base_url: str, path: str, heading: str, items: list[dict], newest: datetime
) -> str:
    """A subscriber-preview page: linked from the home page, disallowed by robots.txt."""
    context = _site_context(outlet, base_url, heading, path, newest)
    context.update(heading=heading, items=items)
    return render("common", "private.html", context)
