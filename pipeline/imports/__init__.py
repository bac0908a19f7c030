"""Readers of back-fill inputs: WARC archives, URL lists and text exports, as plain records.

Pure: each reader takes a file and yields what it found in it, or why a record or row was
skipped (a `Skipped` with a named reason and where in the file it is). Nothing here touches the
warehouse; `pipeline/stages/imports.py` stores what the readers yield.
"""

from __future__ import annotations

import logging

from pipeline.imports.outcomes import DateRange, Skipped
from pipeline.imports.sources import HostMap, derived_source_id
from pipeline.imports.texts import TextColumns, TextRow, read_texts
from pipeline.imports.urls import ListedUrl, read_url_list
from pipeline.imports.warc import TopicPrefilter, WarcPage, read_warc

__all__ = [
    "DateRange",
    "HostMap",
    "ListedUrl",
    "Skipped",
    "TextColumns",
    "TextRow",
    "TopicPrefilter",
    "WarcPage",
    "derived_source_id",
    "read_texts",
    "read_url_list",
    "read_warc",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())
