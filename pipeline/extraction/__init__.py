"""Building blocks of article extraction; the public entry point is `pipeline.extract`."""

from __future__ import annotations
