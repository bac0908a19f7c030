"""`framewatch extract`: HTML files, folders and WARC archives in, one JSON line per page out."""

from __future__ import annotations

import gzip
import json
import logging
import os
import sys
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import click

from pipeline.extraction.article import ExtractedArticle, extract_article

logger = logging.getLogger(__name__)

HTML_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")
WARC_SUFFIXES = (".warc", ".warc.gz")
URLS_FILE = "urls.json"


@dataclass(frozen=True)
class PageJob:
    """One page to extract: either a file to read or bytes already read from a WARC record."""

    source: str
    page_id: str
    url: str | None
    path: str | None = None
    payload: bytes | None = None
    content_type: str | None = None


def _strip_suffix(name: str) -> str:
    for suffix in HTML_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _load_urls(folder: Path, cache: dict[Path, dict[str, str]]) -> dict[str, str]:
    if folder not in cache:
        mapping: dict[str, str] = {}
        urls_file = folder / URLS_FILE
        if urls_file.is_file():
            try:
                loaded = json.loads(urls_file.read_text("utf-8"))
                if not isinstance(loaded, dict):
                    raise TypeError("expected an object mapping file names to URLs")
                mapping = {str(k): str(v) for k, v in loaded.items()}
            except (OSError, ValueError, TypeError) as exc:
                logger.warning("%s: ignored: %s", urls_file, exc)
        cache[folder] = mapping
    return cache[folder]


def _page_url(path: Path, urls: dict[str, str]) -> str | None:
    return urls.get(path.name) or urls.get(_strip_suffix(path.name))


def _expand(paths: tuple[Path, ...]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.name.lower().endswith(HTML_SUFFIXES + WARC_SUFFIXES)
            )
        else:
            yield path


def _warc_jobs(path: Path) -> Iterator[PageJob]:
    from warcio.archiveiterator import ArchiveIterator

    with path.open("rb") as stream:
        records = ArchiveIterator(stream)
        for record in records:
            if record.rec_type != "response" or record.http_headers is None:
                continue
            content_type = record.http_headers.get_header("Content-Type") or ""
            if "html" not in content_type.lower():
                continue
            payload = (
                record.content_stream().read()
            )  # before asking for the offset, which moves the stream
            offset = records.get_record_offset()
            record_id = (record.rec_headers.get_header("WARC-Record-ID") or "").strip("<>")
            yield PageJob(
                source=f"{path}#{offset}",
                page_id=record_id.removeprefix("urn:uuid:") or f"{path.name}#{offset}",
                url=record.rec_headers.get_header("WARC-Target-URI"),
                payload=payload,
                content_type=content_type,
            )


def iter_jobs(paths: tuple[Path, ...]) -> Iterator[PageJob | dict]:
    """Pages to extract, in input order; a dict is an error record for an input that cannot be read."""
    url_cache: dict[Path, dict[str, str]] = {}
    for path in _expand(paths):
        name = path.name.lower()
        if name.endswith(WARC_SUFFIXES):
            try:
                yield from _warc_jobs(path)
            except Exception as exc:  # noqa: BLE001  (a broken archive must not end the batch)
                yield _error_record(
                    str(path),
                    path.name,
                    None,
                    f"cannot read WARC file: {type(exc).__name__}: {exc}",
                )
        else:
            urls = _load_urls(path.parent, url_cache)
            yield PageJob(
                source=str(path),
                page_id=_strip_suffix(path.name),
                url=_page_url(path, urls),
                path=str(path),
            )


def _error_record(source: str, page_id: str, url: str | None, reason: str) -> dict:
    return {
        "source": source,
        "id": page_id,
        "url": url,
        "title": None,
        "text": "",
        "date": None,
        "authors": [],
        "language": None,
        "status": "error",
        "reason": reason,
        "canonical_url": None,
        "date_source": "none",
        "method": "none",
        "truncated": False,
        "truncation_reason": None,
        "n_words": 0,
    }


def to_record(job: PageJob, article: ExtractedArticle) -> dict:
    return {
        "source": job.source,
        "id": job.page_id,
        "url": article.url,
        "title": article.title,
        "text": article.text,
        "date": article.published.isoformat() if article.published else None,
        "authors": list(article.authors),
        "language": article.language,
        "status": article.status,
        "reason": article.reason,
        "canonical_url": article.canonical_url,
        "date_source": article.date_source,
        "method": article.method,
        "truncated": article.truncated,
        "truncation_reason": article.truncation_reason,
        "n_words": article.n_words,
    }


def process_job(job: PageJob) -> dict:
    """Read (if needed) and extract one page; never raises."""
    try:
        if job.payload is not None:
            data = job.payload
        else:
            raw = Path(job.path or job.source).read_bytes()
            data = gzip.decompress(raw) if job.source.lower().endswith(".gz") else raw
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        return _error_record(
            job.source, job.page_id, job.url, f"cannot read page: {type(exc).__name__}: {exc}"
        )
    return to_record(job, extract_article(data, job.url, content_type=job.content_type))


def run_extraction(paths: tuple[Path, ...], out: IO[str], workers: int) -> Counter:
    """Extract every page under `paths` and write JSON lines to `out` in input order."""
    counts: Counter = Counter()

    def write(record: dict) -> None:
        counts[record["status"]] += 1
        out.write(json.dumps(record, ensure_ascii=False) + "\n")

    if workers <= 1:
        for job in iter_jobs(paths):
            write(job if isinstance(job, dict) else process_job(job))
        return counts
    window: deque[Future | dict] = deque()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for job in iter_jobs(paths):
            window.append(job if isinstance(job, dict) else pool.submit(process_job, job))
            while len(window) >= workers * 4:  # bounded: WARC payloads must not pile up in memory
                item = window.popleft()
                write(item if isinstance(item, dict) else item.result())
        while window:
            item = window.popleft()
            write(item if isinstance(item, dict) else item.result())
    return counts


@click.command(name="extract")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(allow_dash=True, path_type=Path),
    help="JSON-lines file to write, one record per page; '-' writes to standard output.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes to extract with (default: the number of CPUs).",
)
def command(paths: tuple[Path, ...], output: Path, workers: int | None) -> None:
    """Extract article text and metadata from saved pages.

    PATHS are HTML files (.html, .htm, optionally .gz), folders of them (searched recursively)
    and WARC archives (.warc, .warc.gz; HTML response records). A urls.json next to pages
    (file name -> original URL) gives each page its URL. Each output record has source, id,
    url, title, text, date, authors, language, status, reason, canonical_url, date_source,
    method and truncated; a page that fails gets status and reason and the batch goes on.
    """
    workers = workers or os.cpu_count() or 1
    if str(output) == "-":
        counts = run_extraction(paths, sys.stdout, workers)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        with output.open("w", encoding="utf-8") as out:
            counts = run_extraction(paths, out, workers)
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no pages found"
    click.echo(f"extracted {sum(counts.values())} pages: {summary}", err=True)
