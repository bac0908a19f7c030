"""Load and validate the seed files users edit: sources.toml, topic.toml, and the codebook format.

Validation collects every problem in a file so a user can fix them in one pass. Each problem is a
`SeedError` naming the file, the key path (``sources[3].feeds[1]``, indexes counted from 0) and
what is wrong. The small helpers (`read_toml`, `SeedProblems`, `require`, `optional`,
`string_list`, `check_keys` and the `check_*` value checks) are meant for other TOML loaders too.
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
import re
import tomllib
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pipeline.errors import SeedError

logger = logging.getLogger(__name__)

__all__ = [
    "SOURCE_KINDS",
    "CodebookSummary",
    "SeedErrors",
    "SeedFileCheck",
    "SeedProblems",
    "SeedsCheck",
    "Source",
    "Topic",
    "check_codebook",
    "check_country",
    "check_date",
    "check_http_url",
    "check_keys",
    "check_language",
    "check_regex",
    "check_slug",
    "key_path",
    "load_sources",
    "load_topic",
    "optional",
    "read_toml",
    "require",
    "string_list",
    "table_array",
    "validate_seeds",
]

SOURCE_KINDS = ("wire", "outlet", "tech", "state_media", "think_tank")

# ISO 3166-1 alpha-2 (officially assigned codes, 249) and ISO 639-1 (184, with the deprecated
# "sh"). Kept here rather than in a dependency: the lists change about once a decade.
_COUNTRY_CODES_TEXT = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO
    DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU
    GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW
    KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU
    MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW
    PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF
    TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA
    ZM ZW"""
_COUNTRY_CODES = frozenset(_COUNTRY_CODES_TEXT.split())
_INTERNATIONAL = "INT"
# Codes people write that ISO does not use for the country they mean.
_COUNTRY_ALIASES = {"UK": "GB", "EL": "GR"}
_LANGUAGE_CODES_TEXT = """
    aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy
    da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu
    hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb
    lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om
    or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg sh si sk sl sm sn so sq sr ss st su sv
    sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu"""
_LANGUAGE_CODES = frozenset(_LANGUAGE_CODES_TEXT.split())
_SLUG = re.compile(r"[a-z0-9_-]+")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TOML_POSITION = re.compile(r"\s*\((at line (\d+), column (\d+)|at end of document)\)$")


# ------------------------------------------------------------------------------------------
# Reading TOML and collecting problems
# ------------------------------------------------------------------------------------------


class SeedErrors(SeedError):
    """Several problems in one seed file; `errors` holds each, the message lists them all."""

    def __init__(self, errors: list[SeedError]) -> None:
        first = errors[0]
        super().__init__(first.path, first.key, first.problem)
        self.errors = tuple(errors)
        self.args = ("\n".join(str(error) for error in errors),)


class SeedProblems:
    """Collects the problems found in one file; `raise_if_any` reports them together."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.errors: list[SeedError] = []

    def add(self, key: str, problem: str) -> None:
        self.errors.append(SeedError(self.path, key, problem))

    def __len__(self) -> int:
        return len(self.errors)

    def raise_if_any(self) -> None:
        """Raise the one SeedError, or a SeedErrors listing all of them, if any were found."""
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise SeedErrors(self.errors)


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file; a missing file or a syntax error raises SeedError with its position."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SeedError(path, "(file)", "file not found") from None
    except IsADirectoryError:
        raise SeedError(path, "(file)", "is a directory, not a TOML file") from None
    except UnicodeDecodeError as error:
        raise SeedError(path, "(file)", f"not UTF-8 text ({error.reason})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _syntax_error(path, str(error)) from None


def _syntax_error(path: Path, message: str) -> SeedError:
    # Python 3.11's TOMLDecodeError has no line/column attributes, only the message suffix.
    match = _TOML_POSITION.search(message)
    where = "end of file"
    if match and match.group(2):
        where = f"line {match.group(2)}, column {match.group(3)}"
    problem = message[: match.start()] if match else message
    if problem.startswith(("Cannot overwrite", "Cannot declare")):
        problem += " (a key or table is defined twice)"
    return SeedError(path, where, f"TOML syntax error: {problem}")


# ------------------------------------------------------------------------------------------
# Typed key access
# ------------------------------------------------------------------------------------------

_TYPE_NAMES: dict[type, str] = {
    str: "a string",
    bool: "true or false",
    int: "an integer",
    float: "a number",
    list: "an array",
    dict: "a table",
    dt.date: "a date",
}


def _toml_type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dt.datetime):
        return "a date-time"
    if isinstance(value, dt.time):
        return "a time"
    for kind, name in _TYPE_NAMES.items():
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _is_kind(value: Any, kind: type) -> bool:
    # TOML booleans are Python ints and date-times are dates: keep them apart.
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is dt.date:
        return isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    return isinstance(value, kind)


def key_path(where: str, key: str | int) -> str:
    """Join a key path: ``key_path("sources[3]", "feeds")`` -> ``sources[3].feeds``."""
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else key


def _check_kind(value: Any, kind: type, problems: SeedProblems, key: str) -> bool:
    if _is_kind(value, kind):
        return True
    problems.add(key, f"expected {_TYPE_NAMES[kind]}, got {_toml_type_name(value)} ({value!r})")
    return False


def require(
    table: Mapping[str, Any], key: str, kind: type, problems: SeedProblems, where: str = ""
) -> Any:
    """The value of a required key of the given TOML type, or None (problem recorded)."""
    if key not in table:
        problems.add(key_path(where, key), "missing required key")
        return None
    return optional(table, key, kind, problems, where)


def optional(
    table: Mapping[str, Any],
    key: str,
    kind: type,
    problems: SeedProblems,
    where: str = "",
    default: Any = None,
) -> Any:
    """The value of an optional key, `default` when absent, or None on a wrong type."""
    if key not in table:
        return default
    value = table[key]
    if not _check_kind(value, kind, problems, key_path(where, key)):
        return None
    if kind is str and not value.strip():
        problems.add(key_path(where, key), "is empty")
        return None
    return float(value) if kind is float else value


def string_list(
    table: Mapping[str, Any],
    key: str,
    problems: SeedProblems,
    where: str = "",
    *,
    required: bool = False,
    min_items: int = 0,
) -> tuple[str, ...]:
    """An array of non-empty, distinct strings; bad items are reported as ``key[i]``."""
    path = key_path(where, key)
    if key not in table:
        if required:
            problems.add(path, "missing required key")
        return ()
    items = table[key]
    if not _check_kind(items, list, problems, path):
        return ()
    kept: list[str] = []
    first_seen: dict[str, int] = {}
    for index, item in enumerate(items):
        item_path = key_path(path, index)
        if not _check_kind(item, str, problems, item_path):
            continue
        if not item.strip():
            problems.add(item_path, "is an empty string")
            continue
        if item in first_seen:
            problems.add(item_path, f"duplicate of {key_path(path, first_seen[item])}")
            continue
        first_seen[item] = index
        kept.append(item)
    if len(items) < min_items:
        need = "at least one item" if min_items == 1 else f"at least {min_items} items"
        problem = "is empty" if not items else f"has {len(items)} item(s)"
        problems.add(path, f"{problem}: give {need}")
    return tuple(kept)


def check_keys(
    table: Mapping[str, Any], allowed: Collection[str], problems: SeedProblems, where: str = ""
) -> None:
    """Report keys that the format does not define (typos), suggesting the closest known key."""
    for key in table:
        if key in allowed:
            continue
        close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else "known keys: " + ", ".join(allowed)
        problems.add(key_path(where, key), f"unknown key; {hint}")


def table_array(
    document: Mapping[str, Any], key: str, problems: SeedProblems, *, required: bool = True
) -> list[tuple[str, dict[str, Any]]]:
    """The tables of an array of tables (``[[key]]``) with their key paths; bad items reported."""
    if key not in document:
        if required:
            problems.add(key, f"missing: add at least one [[{key}]] table")
        return []
    items = document[key]
    if not isinstance(items, list):
        problems.add(key, f"expected an array of tables ([[{key}]]), got {_toml_type_name(items)}")
        return []
    tables = []
    for index, item in enumerate(items):
        if isinstance(item, dict):
            tables.append((key_path(key, index), item))
        else:
            problems.add(key_path(key, index), f"expected a table, got {_toml_type_name(item)}")
    if not items:
        problems.add(key, f"is empty: add at least one [[{key}]] table")
    return tables


# ------------------------------------------------------------------------------------------
# Value checks: each records a problem and returns False when the value is bad
# ------------------------------------------------------------------------------------------


def check_slug(value: str, problems: SeedProblems, key: str) -> bool:
    if _SLUG.fullmatch(value):
        return True
    problems.add(key, f"bad id {value!r}: use only lowercase letters, digits, '_' and '-'")
    return False


def check_http_url(value: str, problems: SeedProblems, key: str) -> bool:
    parts = urlsplit(value)
    if parts.scheme in ("http", "https") and parts.netloc and not re.search(r"\s", value):
        return True
    problems.add(key, f"not an http(s) URL: {value!r}")
    return False


def check_country(value: str, problems: SeedProblems, key: str) -> bool:
    if value in _COUNTRY_CODES or value == _INTERNATIONAL:
        return True
    upper = value.upper()
    if upper in _COUNTRY_CODES or upper == _INTERNATIONAL:
        hint = f"; did you mean '{upper}'? (codes are upper case)"
    elif upper in _COUNTRY_ALIASES:
        hint = f"; did you mean '{_COUNTRY_ALIASES[upper]}'?"
    else:
        hint = ""
    problems.add(
        key, f"bad country code {value!r}: use ISO 3166-1 alpha-2 (e.g. 'GB') or 'INT'{hint}"
    )
    return False


def check_language(value: str, problems: SeedProblems, key: str) -> bool:
    if value in _LANGUAGE_CODES:
        return True
    hint = f"; did you mean '{value.lower()}'?" if value.lower() in _LANGUAGE_CODES else ""
    problems.add(key, f"bad language code {value!r}: use ISO 639-1 (e.g. 'en', 'zh'){hint}")
    return False


def check_date(value: Any, problems: SeedProblems, key: str) -> dt.date | None:
    """A date written as "YYYY-MM-DD" (or a bare TOML date), or None with a problem recorded."""
    if _is_kind(value, dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError as error:
            problems.add(key, f"bad date {value!r}: {error}")
            return None
    problems.add(key, f'bad date {value!r}: write it as "YYYY-MM-DD"')
    return None


def check_regex(value: str, problems: SeedProblems, key: str) -> bool:
    try:
        re.compile(value)
    except re.error as error:
        problems.add(key, f"bad regular expression {value!r}: {error}")
        return False
    return True


def _check_unique_ids(ids: list[tuple[str, str]], problems: SeedProblems, what: str = "id") -> None:
    first_key: dict[str, str] = {}
    for key, value in ids:
        if value in first_key:
            problems.add(key, f"duplicate {what} {value!r} (first used at {first_key[value]})")
        else:
            first_key[value] = key


# ------------------------------------------------------------------------------------------
# sources.toml
# ------------------------------------------------------------------------------------------


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


_URL_LISTS = ("feeds", "sitemaps", "news_sitemaps", "sections")
_SOURCE_KEYS = (
    "id", "name", "homepage", "country", "language", "kind",
    *_URL_LISTS, "allow", "deny", "max_pages", "since",
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
    _check_unique_ids(ids, problems)
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
    for list_key in _URL_LISTS:
        urls = string_list(table, list_key, problems, where)
        for index, url in enumerate(urls):
            check_http_url(url, problems, key_path(key_path(where, list_key), index))
        url_lists[list_key] = urls
    if not any(url_lists.values()) and len(problems) == before:
        problems.add(where, "nothing to crawl: give at least one of " + ", ".join(_URL_LISTS))

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


# ------------------------------------------------------------------------------------------
# topic.toml
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Topic:
    """What counts as on-topic coverage, as written in seeds/topic.toml."""

    id: str
    description: str
    terms: tuple[str, ...]
    exemplars: tuple[str, ...]
    negatives: tuple[str, ...] = ()
    threshold: float | None = None  # None: the relevance stage's default


_TOPIC_KEYS = ("id", "description", "terms", "exemplars", "negatives", "threshold")


def load_topic(path: str | Path) -> Topic:
    """Read and validate topic.toml; raises SeedError (or SeedErrors) listing every problem."""
    problems = SeedProblems(path)
    document = read_toml(path)
    check_keys(document, ("topic",), problems)
    table = require(document, "topic", dict, problems)
    if table is None:
        problems.raise_if_any()
    where = "topic"
    check_keys(table, _TOPIC_KEYS, problems, where)
    topic_id = require(table, "id", str, problems, where)
    if topic_id is not None:
        check_slug(topic_id, problems, key_path(where, "id"))
    description = require(table, "description", str, problems, where)
    terms = string_list(table, "terms", problems, where, required=True, min_items=1)
    _check_terms_distinct(terms, problems, key_path(where, "terms"))
    exemplars = string_list(table, "exemplars", problems, where, required=True, min_items=1)
    negatives = string_list(table, "negatives", problems, where)
    _check_disjoint(exemplars, negatives, problems, where)
    threshold = optional(table, "threshold", float, problems, where)
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        problems.add(key_path(where, "threshold"), f"must be between 0 and 1, got {threshold}")
    problems.raise_if_any()
    return Topic(
        id=topic_id,
        description=description.strip(),
        terms=terms,
        exemplars=exemplars,
        negatives=negatives,
        threshold=threshold,
    )


def _check_terms_distinct(terms: tuple[str, ...], problems: SeedProblems, where: str) -> None:
    # Terms match case-insensitively, so "AI" and "ai" are the same term written twice.
    first_seen: dict[str, int] = {}
    for index, term in enumerate(terms):
        folded = term.strip().casefold()
        if folded in first_seen:
            problems.add(
                key_path(where, index),
                f"{term!r} repeats {key_path(where, first_seen[folded])} (terms ignore case)",
            )
        else:
            first_seen[folded] = index


def _check_disjoint(
    exemplars: tuple[str, ...], negatives: tuple[str, ...], problems: SeedProblems, where: str
) -> None:
    positives = {text: index for index, text in enumerate(exemplars)}
    for index, text in enumerate(negatives):
        if text in positives:
            problems.add(
                key_path(key_path(where, "negatives"), index),
                f"same sentence as {key_path(where, 'exemplars')}[{positives[text]}]",
            )


# ------------------------------------------------------------------------------------------
# Codebook format (frames.toml, codebooks/*.toml): a format check; the real loader that the
# framing stage uses is pipeline/framing/codebook.py.
# ------------------------------------------------------------------------------------------

MIN_FRAME_EXEMPLARS = 3
_CODEBOOK_KEYS = ("id", "version", "title", "multi_label", "description")
_FRAME_KEYS = ("id", "label", "definition", "exemplars", "negatives")


@dataclass(frozen=True)
class CodebookSummary:
    """What a codebook file holds, enough to summarise it."""

    id: str
    version: str
    title: str
    multi_label: bool
    frame_ids: tuple[str, ...]
    exemplar_counts: tuple[int, ...]
    negative_counts: tuple[int, ...]


def check_codebook(path: str | Path) -> CodebookSummary:
    """Check a codebook file against the documented format; raises SeedError(s) on problems."""
    problems = SeedProblems(path)
    document = read_toml(path)
    check_keys(document, ("codebook", "frames"), problems)
    header = require(document, "codebook", dict, problems)
    codebook_id = version = title = multi_label = None
    if header is not None:
        check_keys(header, _CODEBOOK_KEYS, problems, "codebook")
        codebook_id = require(header, "id", str, problems, "codebook")
        if codebook_id is not None:
            check_slug(codebook_id, problems, "codebook.id")
        version = require(header, "version", str, problems, "codebook")
        title = require(header, "title", str, problems, "codebook")
        multi_label = require(header, "multi_label", bool, problems, "codebook")
        optional(header, "description", str, problems, "codebook")

    frame_ids: list[tuple[str, str]] = []
    exemplar_counts, negative_counts = [], []
    for where, frame in table_array(document, "frames", problems):
        check_keys(frame, _FRAME_KEYS, problems, where)
        frame_id = require(frame, "id", str, problems, where)
        if frame_id is not None and check_slug(frame_id, problems, key_path(where, "id")):
            frame_ids.append((key_path(where, "id"), frame_id))
        require(frame, "label", str, problems, where)
        require(frame, "definition", str, problems, where)
        exemplars = string_list(
            frame, "exemplars", problems, where, required=True, min_items=MIN_FRAME_EXEMPLARS
        )
        negatives = string_list(frame, "negatives", problems, where)
        _check_disjoint(exemplars, negatives, problems, where)
        exemplar_counts.append(len(exemplars))
        negative_counts.append(len(negatives))
    _check_unique_ids(frame_ids, problems, "frame id")
    problems.raise_if_any()
    return CodebookSummary(
        id=codebook_id,
        version=version,
        title=title,
        multi_label=multi_label,
        frame_ids=tuple(frame_id for _, frame_id in frame_ids),
        exemplar_counts=tuple(exemplar_counts),
        negative_counts=tuple(negative_counts),
    )


# ------------------------------------------------------------------------------------------
# The whole seeds directory
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedFileCheck:
    """The outcome of checking one seed file: a one-line summary, or its problems."""

    path: Path
    summary: str = ""
    problems: tuple[SeedError, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class SeedsCheck:
    """The outcome of checking a seeds directory, file by file."""

    directory: Path
    files: tuple[SeedFileCheck, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.files)

    @property
    def problems(self) -> tuple[SeedError, ...]:
        return tuple(problem for check in self.files for problem in check.problems)


def validate_seeds(directory: str | Path) -> SeedsCheck:
    """Check sources.toml, topic.toml, frames.toml and codebooks/*.toml in a seeds directory."""
    directory = Path(directory)
    checks = [
        _check_file(directory / "sources.toml", _summarise_sources),
        _check_file(directory / "topic.toml", _summarise_topic),
        _check_file(directory / "frames.toml", _summarise_codebook),
    ]
    for codebook in sorted((directory / "codebooks").glob("*.toml")):
        checks.append(_check_file(codebook, _summarise_codebook))
    return SeedsCheck(directory=directory, files=tuple(checks))


def _check_file(path: Path, summarise: Callable[[Path], str]) -> SeedFileCheck:
    try:
        summary = summarise(path)
    except SeedErrors as errors:
        return SeedFileCheck(path=path, problems=errors.errors)
    except SeedError as error:
        return SeedFileCheck(path=path, problems=(error,))
    return SeedFileCheck(path=path, summary=summary)


def _summarise_sources(path: Path) -> str:
    sources = load_sources(path)
    kinds = Counter(source.kind for source in sources)
    by_kind = ", ".join(f"{kinds[kind]} {kind}" for kind in SOURCE_KINDS if kinds[kind])
    countries = len({source.country for source in sources})
    languages = len({source.language for source in sources})
    counts = {key: sum(len(getattr(source, key)) for source in sources) for key in _URL_LISTS}
    entry_points = ", ".join(f"{count} {key}" for key, count in counts.items())
    return (
        f"{len(sources)} sources ({by_kind}); {_plural(countries, 'country', 'countries')}, "
        f"{_plural(languages, 'language', 'languages')}; {entry_points}"
    )


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _summarise_topic(path: Path) -> str:
    topic = load_topic(path)
    threshold = "default" if topic.threshold is None else f"{topic.threshold:g}"
    return (
        f"topic {topic.id!r}: {len(topic.terms)} terms, {len(topic.exemplars)} exemplars, "
        f"{len(topic.negatives)} negatives, threshold {threshold}"
    )


def _summarise_codebook(path: Path) -> str:
    codebook = check_codebook(path)
    labels = "multi-label" if codebook.multi_label else "single-label"
    return (
        f"codebook {codebook.id!r} v{codebook.version} ({labels}): "
        f"{len(codebook.frame_ids)} frames, {sum(codebook.exemplar_counts)} exemplars "
        f"(min {min(codebook.exemplar_counts, default=0)} per frame), "
        f"{sum(codebook.negative_counts)} negatives"
    )
