"""A synthetic news web on loopback, for the offline demo and the tests.

No real outlet is reachable from a test machine, so framewatch serves its own: six fictional
outlets (a US daily, a US tech site, a Chinese state-media English site, a European paper, an
Asian business paper and a wire service), each on its own 127.0.0.x address, with home and
section pages, RSS and Atom feeds, sitemaps, robots.txt and article pages full of the clutter of
real sites. **Every article is synthetic**: written from sentence pools for the framewatch demo,
about fictional people and companies; pages and feeds say so outside the article text.

The corpus is deterministic from a seed and carries planted trends (the `regulation` frame rises
over the last four weeks, `compute_chips` falls, `not_a_race` stays flat), wire stories
republished by other outlets, and URL variants, all described by `Corpus.truth()`. With
`faults=True` a hostile outlet adds misbehaving endpoints (5xx, 429, slow, truncated, gzip
bomb, ...) with the crawl status each should produce.

    corpus = build_corpus(seed=7, scale="small", anchor=date(2026, 11, 26))
    with DemoSite(corpus) as site:
        site.write_sources_toml("seeds/sources.toml")
"""

from __future__ import annotations

import logging

from pipeline.demo_site.corpus import SCALES, build_corpus
from pipeline.demo_site.model import (
    CRAWL_STATUSES,
    FRAME_IDS,
    Corpus,
    DemoArticle,
    DemoOutlet,
    Fault,
    PlantedTrend,
)
from pipeline.demo_site.server import DemoSite, RequestRecord

__all__ = [
    "CRAWL_STATUSES",
    "FRAME_IDS",
    "SCALES",
    "Corpus",
    "DemoArticle",
    "DemoOutlet",
    "DemoSite",
    "Fault",
    "PlantedTrend",
    "RequestRecord",
    "build_corpus",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())
