"""Run one crawl in this process: `python -m spiders --job JOB.json`.

`pipeline.crawl.run_crawl` starts this as a subprocess (Twisted's reactor cannot be restarted
within one process). The job file holds the framewatch settings, the run id, the sources file
and any Scrapy setting overrides. Exit status: 0 finished, 1 failed to start or crashed,
2 stopped before the end (signal, timeout, close reason other than "finished").
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess

from pipeline.settings import CrawlSettings, FramingSettings, Settings
from spiders.news import NewsSpider
from spiders.settings import scrapy_settings

logger = logging.getLogger("spiders")


def settings_from_dict(data: dict[str, Any]) -> Settings:
    """Rebuild Settings from `dataclasses.asdict` output (paths as strings)."""
    data = dict(data)
    crawl = CrawlSettings(**{k: v for k, v in data.pop("crawl", {}).items()
                             if k in CrawlSettings.__dataclass_fields__})
    framing = FramingSettings(**data.pop("framing", {}))
    for key in ("workdir", "seeds_dir"):
        if key in data:
            data[key] = Path(data[key])
    return Settings(crawl=crawl, framing=framing, **data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spiders", description=__doc__)
    parser.add_argument("--job", required=True, help="JSON job file written by run_crawl")
    args = parser.parse_args(argv)
    job = json.loads(Path(args.job).read_text(encoding="utf-8"))
    settings = settings_from_dict(job["settings"])
    values = scrapy_settings(settings, run_id=job["run_id"], sources_path=job["sources_path"])
    values.update(job.get("scrapy_overrides") or {})
    process = CrawlerProcess(values)
    crawler = process.create_crawler(NewsSpider)
    errors: list[str] = []

    def failed(failure: Any) -> None:
        errors.append(failure.getTraceback())
        logger.error("crawl failed: %s", failure.getErrorMessage())

    process.crawl(crawler).addErrback(failed)
    process.start()
    if errors:
        sys.stderr.write(errors[-1])
        return 1
    reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
    if reason != "finished":
        logger.error("crawl stopped early: %s", reason)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
