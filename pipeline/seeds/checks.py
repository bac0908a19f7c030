"""Tools to read a seed TOML file and record each problem with its key path.

Every loader of a user-edited TOML file (sources, topic, codebooks, the schedule) uses these:
`read_toml` turns a missing file or a syntax error into one `SeedError`; `SeedProblems` collects
the problems of one file so a user can fix them in one pass, each naming the key path
(``sources[3].feeds[1]``, indexes counted from 0); `require`, `optional`, `string_list`,
`check_keys` and `table_array` read typed keys; the `check_*` functions check values.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import tomllib
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pipeline.errors import SeedError

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
# Ids of sources, topics, codebooks and frames: they end up in URLs, file names and SQL.
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]*")
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
    problems.add(key, f"bad id {value!r}: use only lowercase letters, digits, '_' and '-', "
                      "starting with a letter or digit")
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


def check_unique_ids(ids: list[tuple[str, str]], problems: SeedProblems, what: str = "id") -> None:
    first_key: dict[str, str] = {}
    for key, value in ids:
        if value in first_key:
            problems.add(key, f"duplicate {what} {value!r} (first used at {first_key[value]})")
        else:
            first_key[value] = key



def check_disjoint(
    exemplars: tuple[str, ...], negatives: tuple[str, ...], problems: SeedProblems, where: str
) -> None:
    """Report a negative (near miss) that repeats an exemplar: it cannot be both."""
    positives = {text: index for index, text in enumerate(exemplars)}
    for index, text in enumerate(negatives):
        if text in positives:
            problems.add(
                key_path(key_path(where, "negatives"), index),
                f"same sentence as {key_path(where, 'exemplars')}[{positives[text]}]",
            )
