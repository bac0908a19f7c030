"""The seed files users edit, each read and checked by one module.

- `checks`: reading a TOML file and recording each problem with its key path (the toolkit).
- `sources`: sources.toml -> `Source` records.
- `topic`: topic.toml -> a `Topic`.
- `summary`: a whole seeds directory checked and summarised (`framewatch seeds check`);
  imported on its own (`pipeline.seeds.summary`), since it loads the framing package.

Codebooks (frames.toml, codebooks/*.toml) have one parser, `pipeline.framing.codebook`, which
the framing stage and `seeds check` both use.
"""

from __future__ import annotations

from pipeline.seeds.checks import (
    SeedErrors,
    SeedProblems,
    check_country,
    check_date,
    check_http_url,
    check_keys,
    check_language,
    check_regex,
    check_slug,
    key_path,
    optional,
    read_toml,
    require,
    string_list,
    table_array,
)
from pipeline.seeds.sources import SOURCE_KINDS, Source, load_sources
from pipeline.seeds.topic import Topic, load_topic

__all__ = [
    "SOURCE_KINDS",
    "SeedErrors",
    "SeedProblems",
    "Source",
    "Topic",
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
]
