"""sources.toml: the outlets to crawl, read into typed `Source` records."""

from __future__ import annotations

import datetime as dt
import difflib
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.seeds.checks import (
    SeedProblems,
    check_country,
    check_date,
    check_http_url,
    check_keys,
    check_language,
    check_regex,
    check_slug,
    check_unique_ids,
    key_path,
    optional,
    read_toml,
    require,
    string_list,
    table_array,
)

logger = logging.getLogger(__name__)

SOURCE_KINDS = ("wire", "outlet", "tech", "state_media", "think_tank")


@dataclass(frozen=True)
class Source:
    """One outlet to crawl, as written in seeds/sources.toml."""

    id: str
    name: str
    homepage: str
    country: str
    language: str
    kind: str
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    news_sitemaps: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    max_pages: int | None = None
    since: dt.date | None = None

    def accepts(self, url: str) -> bool:
        """True when an article URL matches an `allow` pattern (if any) and no `deny` pattern."""
        if self.allow and not any(re.search(pattern, url) for pattern in self.allow):
            return False
        return not any(re.search(pattern, url) for pattern in self.deny)


URL_LISTS = ("feeds", "sitemaps", "news_sitemaps", "sections")
_SOURCE_KEYS = (
    "id", "name", "homepage", "country", "language", "kind",
    *URL_LISTS, "allow", "deny", "max_pages", "since",
)  # fmt: skip


def load_sources(path: str | Path) -> list[Source]:
    """Read and validate sources.toml; raises SeedError (or SeedErrors) listing every problem."""
    problems = SeedProblems(path)
    document = read_toml(path)
    check_keys(document, ("sources",), problems)
    sources = []
    ids: list[tuple[str, str]] = []
    for where, table in table_array(document, "sources", problems):
        entry_problems = SeedProblems(path)
        source = _parse_source(table, entry_problems, where)
        # Name the entry by its id as well as by position: users find it faster.
        named = f" (source {table['id']!r})" if isinstance(table.get("id"), str) else ""
        for error in entry_problems.errors:
            problems.add(error.key, error.problem + named)
        if source is not None:
            ids.append((key_path(where, "id"), source.id))
            if not entry_problems:
                sources.append(source)
    check_unique_ids(ids, problems)
    problems.raise_if_any()
    logger.debug("loaded %d sources from %s", len(sources), path)
    return sources


def _parse_source(table: dict[str, Any], problems: SeedProblems, where: str) -> Source | None:
    check_keys(table, _SOURCE_KEYS, problems, where)
    source_id = require(table, "id", str, problems, where)
    if source_id is not None:
        check_slug(source_id, problems, key_path(where, "id"))
    name = require(table, "name", str, problems, where)
    homepage = require(table, "homepage", str, problems, where)
    if homepage is not None:
        check_http_url(homepage, problems, key_path(where, "homepage"))
    country = require(table, "country", str, problems, where)
    if country is not None:
        check_country(country, problems, key_path(where, "country"))
    language = require(table, "language", str, problems, where)
    if language is not None:
        check_language(language, problems, key_path(where, "language"))
    kind = require(table, "kind", str, problems, where)
    if kind is not None and kind not in SOURCE_KINDS:
        close = difflib.get_close_matches(kind, SOURCE_KINDS, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        problems.add(
            key_path(where, "kind"), f"{kind!r} is not one of {', '.join(SOURCE_KINDS)}{hint}"
        )

    url_lists = {}
    before = len(problems)
    for list_key in URL_LISTS:
        urls = string_list(table, list_key, problems, where)
        for index, url in enumerate(urls):
            check_http_url(url, problems, key_path(key_path(where, list_key), index))
        url_lists[list_key] = urls
    if not any(url_lists.values()) and len(problems) == before:
        problems.add(where, "nothing to crawl: give at least one of " + ", ".join(URL_LISTS))

    patterns = {}
    for list_key in ("allow", "deny"):
        patterns[list_key] = string_list(table, list_key, problems, where)
        for index, pattern in enumerate(patterns[list_key]):
            check_regex(pattern, problems, key_path(key_path(where, list_key), index))

    max_pages = optional(table, "max_pages", int, problems, where)
    if max_pages is not None and max_pages < 1:
        problems.add(key_path(where, "max_pages"), f"must be at least 1, got {max_pages}")
        max_pages = None
    since = None
    if "since" in table:
        since = check_date(table["since"], problems, key_path(where, "since"))

    required_values = (source_id, name, homepage, country, language, kind)
    if any(value is None for value in required_values):
        return None
    return Source(
        id=source_id,
        name=name,
        homepage=homepage,
        country=country,
        language=language,
        kind=kind,
        allow=patterns["allow"],
        deny=patterns["deny"],
        max_pages=max_pages,
        since=since,
        **url_lists,
    )
