"""Which source a story belongs to: by host for URLs, by id or name for outlets of text exports."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from pipeline.seeds import Source
from pipeline.urls import site_key

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def _slug(text: str) -> str:
    return _NOT_SLUG.sub("-", text.lower()).strip("-")[:60]


def derived_source_id(prefix: str, name: str) -> str:
    """A source id for something sources.toml does not follow: `web-news-example-com`."""
    return f"{prefix}-{_slug(name) or 'unknown'}"


class HostMap:
    """The sources of sources.toml by site (host without www./m./amp.), and by id and name."""

    def __init__(self, sources: Iterable[Source]) -> None:
        self.sources = list(sources)
        self._by_site: dict[str, Source] = {}
        self._by_name: dict[str, Source] = {}
        for source in self.sources:
            for url in (source.homepage, *source.feeds, *source.sitemaps, *source.news_sitemaps,
                        *source.sections):
                key = site_key(url)
                if key:
                    self._by_site.setdefault(key, source)
            self._by_name[source.id.lower()] = source
            self._by_name.setdefault(source.name.strip().lower(), source)

    def by_url(self, url: str) -> Source | None:
        return self._by_site.get(site_key(url))

    def by_outlet(self, outlet: str) -> Source | None:
        return self._by_name.get(outlet.strip().lower())


def host_homepage(url: str) -> str:
    """`scheme://host/` of an URL: the homepage of a source derived from its host."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"
