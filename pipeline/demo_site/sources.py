"""Write a seeds/sources.toml that points framewatch's crawler at a running demo site."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.demo_site.model import DemoOutlet


def _toml_string(value: str) -> str:
    # A JSON string of plain text is a valid TOML basic string.
    return json.dumps(value, ensure_ascii=False)


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(_toml_string(v) for v in values) + "]"


def source_entry(outlet: DemoOutlet, base_url: str, extra_feeds: tuple[str, ...] = ()) -> dict:
    """The sources.toml fields for one outlet (see docs/architecture.md)."""
    sections = [base_url + outlet.section_path(s) for s in outlet.sections]
    return {
        "id": outlet.id,
        "name": outlet.name,
        "homepage": base_url + "/",
        "country": outlet.country,
        "language": outlet.language,
        "kind": outlet.kind,
        "feeds": [base_url + outlet.rss_path, base_url + outlet.atom_path]
        + [base_url + p for p in extra_feeds],
        "sitemaps": [base_url + outlet.sitemap_path],
        "news_sitemaps": [base_url + outlet.news_sitemap_path],
        "sections": sections or [base_url + "/"],
    }


def sources_toml(entries: list[dict], header: str) -> str:
    lines = [f"# {line}" for line in header.splitlines()]
    for entry in entries:
        lines += ["", "[[sources]]"]
        for key, value in entry.items():
            rendered = _toml_list(value) if isinstance(value, list) else _toml_string(value)
            lines.append(f"{key} = {rendered}")
    return "\n".join(lines) + "\n"


def write_sources_toml(path: str | Path, entries: list[dict], header: str) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(sources_toml(entries, header), encoding="utf-8")
    return target
