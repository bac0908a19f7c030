"""Building blocks of article extraction; the public entry point is `pipeline.extraction.article`."""

from __future__ import annotations
