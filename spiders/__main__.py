"""Run one crawl in this process: `python -m spiders --job JOB.json`.

`pipeline.stages.crawl.run_crawl` starts this as a subprocess (Twisted's reactor cannot be restarted
within one process). The job file holds the framewatch settings, the run id, the sources file
and any Scrapy setting overrides. Exit status: 0 finished, 1 failed to start or crashed,
2 stopped before the end (signal, timeout, close reason other than "finished").
"""

from __future__ import annotations

import gc

# Start-up (Python, Twisted, Scrapy, DuckDB) creates a few hundred thousand objects that live
# as long as the process; the collector would scan them again and again while they are made,
# a tenth of the time of a short crawl. Collection resumes, with them frozen, once the spider
# opens (see `_collect_from_now_on`).
if __name__ == "__main__":
    gc.disable()

import argparse
import dataclasses
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any, get_type_hints

# Imported here, near the bottom of the stack, rather than by the engine deep inside the
# reactor: importing it calls inspect.stack() three times (Scrapy's deprecated-class aliases),
# which reads the source of every frame on the stack, a tenth of a second from down there.
import scrapy.core.downloader.handlers.http11  # noqa: F401
from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess

from pipeline.settings import Settings
from spiders.news import NewsSpider
from spiders.settings import scrapy_settings
from spiders.store import CrawlStore

logger = logging.getLogger("spiders")


def settings_from_dict(data: dict[str, Any]) -> Settings:
    """Rebuild Settings from `dataclasses.asdict` output (paths as strings)."""
    data = dict(data)
    hints = get_type_hints(Settings)
    for key, kind in hints.items():
        if dataclasses.is_dataclass(kind) and isinstance(data.get(key), dict):
            data[key] = kind(**{name: value for name, value in data[key].items()
                                if name in kind.__dataclass_fields__})
    for key in ("workdir", "seeds_dir"):
        if key in data:
            data[key] = Path(data[key])
    return Settings(**{key: value for key, value in data.items() if key in hints})


def _collect_from_now_on(**_: Any) -> None:
    """Move what start-up made to the permanent generation, then let the collector run."""
    gc.freeze()
    gc.enable()


def _report_totals(crawler: Crawler, path: str | None) -> None:
    """Hand run_crawl the run's totals, so that it need not open the warehouse to read them."""
    store = crawler.get_extension(CrawlStore) if path else None
    if store is None or store.totals is None:
        return
    Path(path).write_text(json.dumps(store.totals), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spiders", description=__doc__)
    parser.add_argument("--job", required=True, help="JSON job file written by run_crawl")
    args = parser.parse_args(argv)
    job = json.loads(Path(args.job).read_text(encoding="utf-8"))
    settings = settings_from_dict(job["settings"])
    values = scrapy_settings(settings, run_id=job["run_id"], sources_path=job["sources_path"],
                             crawler_id=job.get("crawler_id") or "")
    values.update(job.get("scrapy_overrides") or {})
    process = CrawlerProcess(values)
    crawler = process.create_crawler(NewsSpider)
    errors: list[str] = []

    def failed(failure: Any) -> None:
        errors.append(failure.getTraceback())
        logger.error("crawl failed: %s", failure.getErrorMessage())

    crawler.signals.connect(_collect_from_now_on, signal=signals.spider_opened)
    process.crawl(crawler).addErrback(failed)
    try:
        process.start()
    finally:
        gc.enable()
    if errors:
        sys.stderr.write(errors[-1])
        return 1
    reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
    if reason != "finished":
        logger.error("crawl stopped early: %s", reason)
        return 2
    _report_totals(crawler, job.get("totals_path"))
    return 0


def exit_now(code: int) -> None:
    """Leave without tearing the interpreter down (everything is written and closed by now).

    Freeing every module and object of a Scrapy process takes a third of a second, longer than
    an unchanged re-crawl's requests; only a clean finish skips it, so that a failure still
    exits the ordinary way.
    """
    if code != 0:
        sys.exit(code)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
