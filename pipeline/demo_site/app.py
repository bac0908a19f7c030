"""One outlet's web site: maps a request path to a `Response`, rendering pages on first use and
caching them (bodies and validators never change while a site runs)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from pipeline.demo_site import feeds, pages
from pipeline.demo_site.model import Corpus, DemoArticle, DemoOutlet
from pipeline.demo_site.responses import (
    ATOM,
    HTML,
    RSS,
    TEXT,
    XML,
    Response,
    cacheable,
    not_found,
    redirect,
)

logger = logging.getLogger(__name__)

HOME_ITEMS = 30
MOST_READ = 6
RELATED_WINDOW = 40  # related stories are drawn from this many neighbours in time


class OutletApp:
    """Routes and renders one outlet. Thread-safe: the cache is filled under a lock."""

    def __init__(self, corpus: Corpus, outlet: DemoOutlet, base_url: str) -> None:
        self.outlet = outlet
        self.base_url = base_url
        self.articles = sorted(corpus.articles_of(outlet.id), key=lambda a: (a.published, a.key))
        self._newest_first = self.articles[::-1]
        self._position = {a.key: i for i, a in enumerate(self.articles)}
        self._by_path = {a.path: a for a in self.articles}
        self._by_slash_twin = {
            (a.path[:-1] if a.path.endswith("/") else a.path + "/"): a for a in self.articles
        }
        self._by_legacy = {a.legacy_path: a for a in self.articles if a.legacy_path}
        self._by_section = {
            s: [a for a in self._newest_first if a.section == s] for s in outlet.sections
        }
        self.private_paths = corpus.private_paths.get(outlet.id, ())
        self._newest = feeds.last_modified(self.articles)
        self._routes = self._static_routes()
        self._cache: dict[str, Response] = {}
        self._lock = threading.Lock()

    # -- routing -------------------------------------------------------------------------
    def _static_routes(self) -> dict[str, Callable[[], Response]]:
        o, arts, base = self.outlet, self.articles, self.base_url
        routes: dict[str, Callable[[], Response]] = {
            "/": lambda: self._listing(None, 1),
            "/robots.txt": lambda: cacheable(feeds.robots_txt(o, base), TEXT, self._newest),
            o.rss_path: lambda: cacheable(feeds.rss(o, arts, base), RSS, self._newest),
            o.atom_path: lambda: cacheable(feeds.atom(o, arts, base), ATOM, self._newest),
            o.sitemap_path: lambda: cacheable(
                feeds.sitemap_index(o, arts, base), XML, self._newest
            ),
            o.news_sitemap_path: lambda: cacheable(
                feeds.news_sitemap(o, arts, base), XML, self._newest
            ),
        }
        for month, in_month in feeds.articles_by_month(arts).items():
            routes[feeds.monthly_sitemap_path(o, month)] = lambda in_month=in_month: cacheable(
                feeds.url_sitemap(in_month, base), XML, feeds.last_modified(in_month)
            )
        for section in o.sections:
            for page in range(1, self._page_count(section) + 1):
                path = o.section_path(section, page)
                if "?" not in path:
                    routes[path] = lambda section=section, page=page: self._listing(section, page)
        for path in self.private_paths:
            routes[path] = lambda path=path: self._private(path)
        return routes

    def handle(self, method: str, target: str) -> Response:
        """The response to a GET or HEAD of `target` (path and query, as sent by the client)."""
        if method not in ("GET", "HEAD"):
            return Response(405, b"Method not allowed", TEXT, headers=(("Allow", "GET, HEAD"),))
        parts = urlsplit(target)
        path = parts.path or "/"
        page = _page_number(parts.query)
        cache_key = path if page is None else f"{path}?page={page}"
        cached = self._cache.get(cache_key)
        if cached is not None:
            return cached
        response = self._resolve(path, page)
        if response.status in (200, 301):
            with self._lock:
                self._cache.setdefault(cache_key, response)
        return response

    def _resolve(self, path: str, page: int | None) -> Response:
        if page is not None and page > 1:
            for section in self.outlet.sections:
                if path == self.outlet.section_path(section) and self.outlet.pagination == "query":
                    if page <= self._page_count(section):
                        return self._listing(section, page)
                    return not_found(self.outlet.name)
        route = self._routes.get(path)
        if route is not None:
            return route()
        article = self._by_path.get(path) or self._by_slash_twin.get(path)
        if article is not None:
            return self._article(article)
        if path.startswith("/amp/") and self.outlet.amp:
            article = self._by_path.get(path[len("/amp") :])
            if article is not None:
                html = pages.amp_page(self.outlet, article, self.base_url)
                return cacheable(html, HTML, article.last_modified)
        legacy = self._by_legacy.get(path)
        if legacy is not None:
            return redirect(legacy.path)
        return not_found(self.outlet.name)

    # -- pages ---------------------------------------------------------------------------
    def _page_count(self, section: str) -> int:
        return max(1, -(-len(self._by_section[section]) // self.outlet.page_size))

    def _article(self, article: DemoArticle) -> Response:
        position = self._position[article.key]
        low = max(0, position - RELATED_WINDOW // 2)
        neighbours = self.articles[low : low + RELATED_WINDOW]
        related = pages.related_articles(article, neighbours)
        html = pages.article_page(self.outlet, article, self.base_url, related)
        return cacheable(html, HTML, article.last_modified)

    def _listing(self, section: str | None, page: int) -> Response:
        o = self.outlet
        if section is None:
            shown = self._newest_first[:HOME_ITEMS]
            heading, pages_total = o.name, 1
            prev_href = next_href = None
            most_read = self._most_read()
        else:
            stream = self._by_section[section]
            pages_total = self._page_count(section)
            shown = stream[(page - 1) * o.page_size : page * o.page_size]
            heading = pages.section_label(section)
            prev_href = o.section_path(section, page - 1) if page > 1 else None
            next_href = o.section_path(section, page + 1) if page < pages_total else None
            most_read = []
        html = pages.listing_page(
            o,
            self.base_url,
            heading=heading,
            path=o.section_path(section, page) if section else "/",
            articles=shown,
            page=page,
            pages=pages_total,
            prev_href=prev_href,
            next_href=next_href,
            most_read=most_read,
            private_href=self.private_paths[0] if section is None and self.private_paths else None,
            newest=self._newest,
        )
        return cacheable(html, HTML, feeds.last_modified(shown) or self._newest)

    def _most_read(self) -> list[DemoArticle]:
        """Older stories that still draw readers, linked by their variant URLs where they have one."""
        pool = self._newest_first[HOME_ITEMS : HOME_ITEMS + 60]
        with_variants = [
            a for a in pool if a.legacy_path or any("?utm_" in v for v in a.variant_paths)
        ]
        return (with_variants + [a for a in pool if a not in with_variants])[:MOST_READ]

    def _private(self, path: str) -> Response:
        teasers = self._newest_first[:3]
        listing = path == self.private_paths[0]
        heading = "Subscriber previews" if listing else "Subscriber preview"
        items = (
            [
                {"title": f"Preview: {a.title}", "href": p, "teaser": a.summary}
                for a, p in zip(teasers, self.private_paths[1:])
            ]
            if listing
            else [
                {
                    "title": f"Preview: {teasers[0].title}",
                    "href": path,
                    "teaser": teasers[0].summary,
                }
            ]
        )
        html = pages.private_page(self.outlet, self.base_url, path, heading, items, self._newest)
        return cacheable(html, HTML, self._newest)


def _page_number(query: str) -> int | None:
    if not query:
        return None
    values = parse_qs(query).get("page")
    if not values:
        return None
    try:
        return max(1, int(values[0]))
    except ValueError:
        return None
