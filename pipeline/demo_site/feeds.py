"""Machine-readable pages of an outlet: RSS 2.0, Atom, sitemap index, monthly and news sitemaps,
robots.txt. Pure functions: articles and a base URL in, text out."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape, quoteattr

from pipeline.demo_site import timefmt
from pipeline.demo_site.model import DemoArticle, DemoOutlet

SYNTHETIC_FEED_NOTE = (
    "Synthetic feed written for the framewatch demo: fictional stories, not real news."
)
NEWS_SITEMAP_WINDOW = timedelta(days=2)


def _newest(articles: list[DemoArticle]) -> list[DemoArticle]:
    return sorted(articles, key=lambda a: (a.published, a.key), reverse=True)


def rss(outlet: DemoOutlet, articles: list[DemoArticle], base_url: str) -> str:
    items = _newest(articles)[: outlet.feed_size]
    built = max((a.last_modified for a in items), default=None)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        (
            '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        ),
        "<channel>",
        f"<title>{escape(outlet.name)}</title>",
        f"<link>{escape(base_url)}/</link>",
        f"<description>{escape(SYNTHETIC_FEED_NOTE)}</description>",
        f"<language>{outlet.language}</language>",
        f"<copyright>{escape(SYNTHETIC_FEED_NOTE)}</copyright>",
        f'<atom:link href={quoteattr(base_url + outlet.rss_path)} rel="self" type="application/rss+xml"/>',
    ]
    if built:
        lines.append(f"<lastBuildDate>{format_datetime(built, usegmt=True)}</lastBuildDate>")
    for a in items:
        url = escape(base_url + a.path)
        lines += [
            "<item>",
            f"<title>{escape(a.title)}</title>",
            f"<link>{url}</link>",
            f'<guid isPermaLink="true">{url}</guid>',
            f"<pubDate>{format_datetime(a.published, usegmt=True)}</pubDate>",
            f"<dc:creator>{escape(', '.join(a.authors))}</dc:creator>",
            f"<category>{escape(a.section)}</category>",
            f"<description>{escape(a.summary)}</description>",
            "</item>",
        ]
    lines += ["</channel>", "</rss>", ""]
    return "\n".join(lines)


def atom(outlet: DemoOutlet, articles: list[DemoArticle], base_url: str) -> str:
    items = _newest(articles)[: outlet.feed_size]
    updated = max((a.last_modified for a in items), default=None)
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"<title>{escape(outlet.name)}</title>",
        f"<subtitle>{escape(SYNTHETIC_FEED_NOTE)}</subtitle>",
        f"<id>{escape(base_url)}/</id>",
        f'<link rel="self" href={quoteattr(base_url + outlet.atom_path)}/>',
        f'<link rel="alternate" type="text/html" href={quoteattr(base_url + "/")}/>',
        f"<rights>{escape(SYNTHETIC_FEED_NOTE)}</rights>",
    ]
    if updated:
        lines.append(f"<updated>{timefmt.iso_utc(updated)}</updated>")
    for a in items:
        lines += [
            "<entry>",
            f"<title>{escape(a.title)}</title>",
            f'<link rel="alternate" type="text/html" href={quoteattr(base_url + a.path)}/>',
            f"<id>{escape(base_url + a.path)}</id>",
            f"<published>{timefmt.iso_utc(a.published)}</published>",
            f"<updated>{timefmt.iso_utc(a.last_modified)}</updated>",
            *[f"<author><name>{escape(name)}</name></author>" for name in a.authors],
            f"<summary>{escape(a.summary)}</summary>",
            "</entry>",
        ]
    lines += ["</feed>", ""]
    return "\n".join(lines)


def monthly_sitemap_path(outlet: DemoOutlet, month: str) -> str:
    """'/sitemaps/index.xml' -> '/sitemaps/sitemap-2026-11.xml'; '/sitemap.xml' -> '/sitemap-2026-11.xml'."""
    folder = outlet.sitemap_path.rsplit("/", 1)[0]
    return f"{folder}/sitemap-{month}.xml"


def articles_by_month(articles: list[DemoArticle]) -> dict[str, list[DemoArticle]]:
    months: dict[str, list[DemoArticle]] = defaultdict(list)
    for a in articles:
        months[a.published.strftime("%Y-%m")].append(a)
    return dict(sorted(months.items()))


def sitemap_index(outlet: DemoOutlet, articles: list[DemoArticle], base_url: str) -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for month, in_month in articles_by_month(articles).items():
        lastmod = max(a.last_modified for a in in_month)
        lines += [
            "<sitemap>",
            f"<loc>{escape(base_url + monthly_sitemap_path(outlet, month))}</loc>",
            f"<lastmod>{timefmt.iso_utc(lastmod)}</lastmod>",
            "</sitemap>",
        ]
    lines += ["</sitemapindex>", ""]
    return "\n".join(lines)


def url_sitemap(articles: list[DemoArticle], base_url: str) -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for a in sorted(articles, key=lambda a: (a.published, a.key)):
        lines += [
            "<url>",
            f"<loc>{escape(base_url + a.path)}</loc>",
            f"<lastmod>{timefmt.iso_utc(a.last_modified)}</lastmod>",
            "</url>",
        ]
    lines += ["</urlset>", ""]
    return "\n".join(lines)


def news_sitemap_articles(articles: list[DemoArticle]) -> list[DemoArticle]:
    """Articles of the last two days, counted back from the outlet's newest article."""
    if not articles:
        return []
    newest = max(a.published for a in articles)
    return _newest([a for a in articles if a.published >= newest - NEWS_SITEMAP_WINDOW])


def news_sitemap(outlet: DemoOutlet, articles: list[DemoArticle], base_url: str) -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        (
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        ),
    ]
    for a in news_sitemap_articles(articles):
        lines += [
            "<url>",
            f"<loc>{escape(base_url + a.path)}</loc>",
            "<news:news>",
            "<news:publication>",
            f"<news:name>{escape(outlet.name)}</news:name>",
            f"<news:language>{outlet.language}</news:language>",
            "</news:publication>",
            f"<news:publication_date>{timefmt.iso_utc(a.published)}</news:publication_date>",
            f"<news:title>{escape(a.title)}</news:title>",
            "</news:news>",
            "</url>",
        ]
    lines += ["</urlset>", ""]
    return "\n".join(lines)


def robots_txt(outlet: DemoOutlet, base_url: str) -> str:
    lines = [f"# robots.txt for {outlet.name} (synthetic framewatch demo site)", ""]
    # A rule group for one named bot only: generic crawlers must still read the '*' group.
    lines += ["User-agent: ExampleAdBot", "Disallow: /", ""]
    lines.append("User-agent: *")
    lines += [f"Disallow: {path}" for path in outlet.robots_disallow]
    if not outlet.robots_disallow:
        lines.append("Disallow:")
    if outlet.crawl_delay is not None:
        lines.append(f"Crawl-delay: {outlet.crawl_delay:g}")
    lines += [
        "",
        f"Sitemap: {base_url}{outlet.sitemap_path}",
        f"Sitemap: {base_url}{outlet.news_sitemap_path}",
        "",
    ]
    return "\n".join(lines)


def last_modified(articles: list[DemoArticle]) -> datetime | None:
    return max((a.last_modified for a in articles), default=None)
