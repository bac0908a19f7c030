"""The raw archive: every fetched HTTP exchange as gzip-per-record WARC files, and reading one back.

Files are written as `<run_id>/<run_id>-<seq>.warc.gz.open` and renamed to `.warc.gz` when
closed; they rotate once they pass `max_bytes`. Each record is compressed on its own and written
with one call, then flushed, so its bytes are on disk before any index row names it. A crawl that
is killed leaves an `.open` file whose tail may be torn: `recover_open_files` cuts it back to the
last complete record and gives it its final name, so every index row stays valid.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import logging
import os
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

logger = logging.getLogger(__name__)

__all__ = ["ArchivedRecord", "WarcArchive", "read_record", "recover_open_files"]

OPEN_SUFFIX = ".open"
# Level 6 costs a fraction of warcio's level 9 for files a few percent larger.
COMPRESS_LEVEL = 6
# Hop-by-hop and encoding headers no longer describe the body we store (Scrapy decoded it).
_DROPPED_RESPONSE_HEADERS = {"content-encoding", "transfer-encoding", "content-length", "connection"}


@dataclass(frozen=True)
class ArchivedRecord:
    """Where one response record lies in the archive."""

    record_id: str
    warc_file: str  # relative to the archive directory
    offset: int
    length: int
    payload_digest: str


def _warc_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class WarcArchive:
    """Append request/response pairs to rotating WARC files of one crawl run."""

    def __init__(self, archive_dir: str | Path, run_id: str, *, max_bytes: int,
                 software: str = "framewatch", operator: str = "") -> None:
        self.archive_dir = Path(archive_dir)
        self.run_id = run_id
        self.max_bytes = max(int(max_bytes), 1)
        self.software = software
        self.operator = operator
        self._builder = WARCWriter(io.BytesIO(), gzip=False, warc_version="1.1")
        self._handle: io.BufferedWriter | None = None
        self._relative: str = ""
        self._size = 0
        self._dirty = False
        self._seq = self._last_sequence()

    def _run_dir(self) -> Path:
        return self.archive_dir / self.run_id

    def _last_sequence(self) -> int:
        """Continue numbering after files an earlier attempt of this run left behind."""
        run_dir = self._run_dir()
        if not run_dir.is_dir():
            return 0
        numbers = []
        for path in run_dir.glob(f"{self.run_id}-*.warc.gz*"):
            stem = path.name.removesuffix(OPEN_SUFFIX).removesuffix(".warc.gz")
            tail = stem.rsplit("-", 1)[-1]
            if tail.isdigit():
                numbers.append(int(tail))
        return max(numbers, default=0)

    def _open_next(self) -> None:
        self._close_current()
        self._seq += 1
        name = f"{self.run_id}-{self._seq:05d}.warc.gz"
        self._relative = f"{self.run_id}/{name}"
        path = self.archive_dir / self._relative
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = open(path.with_name(name + OPEN_SUFFIX), "ab")  # noqa: SIM115 - kept open
        self._size = self._handle.tell()
        info = {"software": self.software, "format": "WARC File Format 1.1",
                "isPartOf": self.run_id}
        if self.operator:
            info["http-header-user-agent"] = self.operator
        record = self._builder.create_warcinfo_record(name, info)
        self._append(record)

    def _serialize(self, record) -> bytes:
        buffer = io.BytesIO()
        WARCWriter(buffer, gzip=False, warc_version="1.1").write_record(record)
        return gzip.compress(buffer.getvalue(), compresslevel=COMPRESS_LEVEL, mtime=0)

    def _append(self, record) -> tuple[int, int]:
        assert self._handle is not None
        data = self._serialize(record)
        offset = self._size
        self._handle.write(data)
        self._handle.flush()
        self._size += len(data)
        self._dirty = True
        return offset, len(data)

    def write_exchange(
        self,
        *,
        url: str,
        method: str,
        request_headers: Iterable[tuple[str, str]],
        status: int,
        reason: str,
        response_headers: Iterable[tuple[str, str]],
        body: bytes,
        fetched_at: datetime,
        protocol: str = "HTTP/1.1",
        ip_address: str | None = None,
        truncated: str | None = None,
    ) -> ArchivedRecord:
        """Write the response record, then its request record; return where the response lies."""
        if self._handle is None or self._size >= self.max_bytes:
            self._open_next()
        date = _warc_date(fetched_at)
        headers = [(k, v) for k, v in response_headers if k.lower() not in _DROPPED_RESPONSE_HEADERS]
        headers.append(("Content-Length", str(len(body))))
        http_headers = StatusAndHeaders(f"{status} {reason}".strip(), headers,
                                        protocol=protocol or "HTTP/1.1")
        warc_headers = {"WARC-Date": date}
        if ip_address:
            warc_headers["WARC-IP-Address"] = ip_address
        if truncated:
            warc_headers["WARC-Truncated"] = truncated
        response = self._builder.create_warc_record(
            url, "response", payload=io.BytesIO(body), length=len(body),
            http_headers=http_headers, warc_headers_dict=warc_headers)
        split = url.split("/", 3)
        target = "/" + split[3] if len(split) > 3 else "/"
        request = self._builder.create_warc_record(
            url, "request", payload=io.BytesIO(b""), length=0,
            http_headers=StatusAndHeaders(f"{method} {target} HTTP/1.1", list(request_headers),
                                          is_http_request=True),
            warc_headers_dict={"WARC-Date": date})
        record_id = response.rec_headers.get_header("WARC-Record-ID")
        request.rec_headers.add_header("WARC-Concurrent-To", record_id)
        offset, length = self._append(response)
        digest = response.rec_headers.get_header("WARC-Payload-Digest") or ""
        self._append(request)
        return ArchivedRecord(record_id, self._relative, offset, length, digest)

    def sync(self) -> None:
        """Make every record written so far durable (fsync) before the index names it."""
        if self._handle is not None and self._dirty:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._dirty = False

    def _close_current(self) -> None:
        if self._handle is None:
            return
        self.sync()
        open_path = Path(self._handle.name)
        self._handle.close()
        self._handle = None
        open_path.rename(open_path.with_name(open_path.name.removesuffix(OPEN_SUFFIX)))

    def close(self) -> None:
        """Flush and give the current file its final name."""
        self._close_current()


def _complete_prefix(path: Path, chunk_size: int = 1 << 20) -> int:
    """Byte length of the leading run of complete, CRC-checked gzip members in `path`."""
    good_end = 0
    consumed = 0
    decompressor = zlib.decompressobj(wbits=31)
    with open(path, "rb") as handle:
        pending = b""
        while True:
            if not pending:
                pending = handle.read(chunk_size)
                if not pending:
                    return good_end
            try:
                decompressor.decompress(pending)
            except zlib.error:
                return good_end
            if decompressor.eof:
                rest = decompressor.unused_data
                consumed += len(pending) - len(rest)
                good_end = consumed
                decompressor = zlib.decompressobj(wbits=31)
                pending = rest
            else:
                consumed += len(pending)
                pending = b""


def recover_open_files(archive_dir: str | Path, *, runs: str = "*") -> list[Path]:
    """Cut every `.open` WARC file (of the run folders matching the glob `runs`) back to its
    last complete record and give it its final name."""
    recovered = []
    root = Path(archive_dir)
    if not root.is_dir():
        return recovered
    for path in sorted(root.glob(f"{runs}/*.warc.gz{OPEN_SUFFIX}")):
        keep = _complete_prefix(path)
        size = path.stat().st_size
        if keep < size:
            logger.warning("cutting torn tail of %s: %d of %d bytes kept", path, keep, size)
            with open(path, "r+b") as handle:
                handle.truncate(keep)
        final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
        path.rename(final)
        recovered.append(final)
    return recovered


def read_record(
    archive_dir: str | Path, warc_file: str, offset: int
) -> tuple[str, dict[str, str], bytes]:
    """Read the response record at `offset`: (target URL, HTTP headers, body bytes).

    Header names keep their case; a header sent twice is joined with ', '.
    """
    path = Path(archive_dir) / warc_file
    if not path.exists() and path.with_name(path.name + OPEN_SUFFIX).exists():
        path = path.with_name(path.name + OPEN_SUFFIX)  # the run that writes it is still going
    with open(path, "rb") as handle:
        handle.seek(offset)
        for record in ArchiveIterator(handle):
            if record.rec_type != "response":
                raise ValueError(f"{warc_file}@{offset} is a {record.rec_type} record, not a response")
            url = record.rec_headers.get_header("WARC-Target-URI")
            headers: dict[str, str] = {}
            for name, value in (record.http_headers.headers if record.http_headers else []):
                headers[name] = f"{headers[name]}, {value}" if name in headers else value
            return url, headers, record.raw_stream.read()
    raise ValueError(f"no WARC record at {warc_file}@{offset}")


def sha256_hex(body: bytes) -> str:
    """Hex SHA-256 of a body: how core.pages and http_validators compare content."""
    return hashlib.sha256(body).hexdigest()
