"""Write the numbers behind the report as CSV and JSON, and the manifest with content hashes."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import math
from pathlib import Path
from typing import Any

FLOAT_DIGITS = 6  # enough for any share or p-value shown; stable across platforms


def plain(value: Any) -> Any:
    """JSON-ready value: floats rounded, NaN as None, tuples as lists, nested structures cleaned."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, FLOAT_DIGITS)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "item"):
        return plain(value.item())
    return str(value)


def _cell(value: Any) -> str:
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_table(folder: Path, name: str, rows: list[Any]) -> list[Path]:
    """`name`.csv and `name`.json with the same rows (dicts or records); columns in first-seen
    order (a record's in field order)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [plain(row) for row in rows]
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    csv_path, json_path = folder / f"{name}.csv", folder / f"{name}.json"
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])
    write_json(json_path, rows)
    return [csv_path, json_path]


def write_json(path: Path, payload: Any) -> Path:
    path.write_text(
        json.dumps(plain(payload), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def output_hashes(folder: Path, exclude: set[str]) -> dict[str, str]:
    """sha256 of every file under `folder` (relative POSIX paths, sorted), except `exclude`."""
    return {
        path.relative_to(folder).as_posix(): sha256_file(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.relative_to(folder).as_posix() not in exclude
    }
