"""Named SQL queries kept in warehouse/queries/*.sql, blocks headed by `-- name: <key>`."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

QUERIES_DIR = Path(__file__).with_name("queries")
_HEADER = re.compile(r"^-- name: *(\S+) *$", re.MULTILINE)


@cache
def named_queries(file_stem: str) -> dict[str, str]:
    """{name: sql} of one queries file."""
    text = (QUERIES_DIR / f"{file_stem}.sql").read_text(encoding="utf-8")
    parts = _HEADER.split(text)
    return {name: body.strip().rstrip(";") for name, body in zip(parts[1::2], parts[2::2], strict=True)}
