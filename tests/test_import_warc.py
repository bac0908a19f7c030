"""`framewatch import warc`: on-topic HTML responses of WARC files become pages with provenance,
mapped to sources by host, pre-filtered on raw bytes, and importing a file again adds nothing."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from fixtures.backfill import (
    OFF_TOPIC_HTML,
    TOPIC,
    Rec,
    demo_sources,
    outlet_url,
    warc_records,
)
from warcio.archiveiterator import ArchiveIterator

from pipeline import archive
from pipeline.demo_site.backcatalogue import back_catalogue, write_warc_files
from pipeline.imports import DateRange, TopicPrefilter, read_warc
from pipeline.stages.imports import import_warc
from warehouse.db import connect


@pytest.fixture
def con(tmp_path: Path):
    connection = connect(tmp_path / "w.duckdb")
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory):
    """Three months of the demo back catalogue in CC-NEWS-like files, and its stories."""
    folder = tmp_path_factory.mktemp("catalogue")
    stories = list(back_catalogue(date(2026, 9, 1), 3, on_topic_per_month=6,
                                  outlet_off_topic_per_month=3, unfollowed_per_month=20))
    return write_warc_files(stories, folder / "warc", records_per_file=40), stories


def _import(con, files, tmp_path, unknown_hosts="keep"):
    return import_warc(con, files, archive_dir=tmp_path / "archive",
                       sources=demo_sources(tmp_path / "sources.toml"), topic_terms=TOPIC.terms,
                       unknown_hosts=unknown_hosts)


def _table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {table: con.execute(f"select count(*) from core.{table}").fetchone()[0]
            for table in ("pages", "warc_records", "imported_stories", "sources")}


def test_prefilter_follows_the_topic_term_rules() -> None:
    keep = TopicPrefilter(["AI", "chip", "data centre", "artificial intelligence"])
    assert keep(b"<p>The AI race</p>")
    assert keep(b"<p>Artificial Intelligence rules</p>")  # long terms in any case
    assert keep(b"a new data-centre opens")  # a space matches a hyphen
    assert not keep(b"<p>said again: the artist Ai Weiwei</p>")  # short acronyms as written
    assert not keep(b"chocolate chips and paint")  # whole words only
    with pytest.raises(ValueError, match="no terms"):
        TopicPrefilter([" "])


def test_on_topic_pages_are_stored_with_their_provenance(con, catalogue, tmp_path) -> None:
    files, stories = catalogue
    summary = _import(con, files, tmp_path)
    totals = summary.totals()
    # every on-topic story of a followed outlet is in; the pre-filter dropped off-topic news
    stored = {url for (url,) in con.execute("select url from core.pages").fetchall()}
    on_topic = {s.url for s in stories if s.on_topic}
    assert on_topic <= stored
    assert totals["off_topic"] > 0
    assert totals["imported"] == len(stored) == summary.imported
    assert totals["not_response"] == len(files)  # one warcinfo record per file
    # provenance: file, offset, record id and capture time point at the original record
    rows = con.execute("""select i.input_file, i.source_offset, i.source_record_id, i.captured_at,
                                 p.url, p.fetched_at, w.warc_file, w.warc_offset
                          from core.imported_stories as i join core.pages as p using (canonical_url)
                          join core.warc_records as w on w.record_id = p.warc_record_id
                          where i.path = 'warc'""").fetchall()
    assert len(rows) == len(stored)
    by_url = {s.url: s for s in stories}
    for input_file, offset, record_id, captured, url, fetched_at, warc_file, warc_offset in rows:
        with open(input_file, "rb") as handle:
            handle.seek(offset)
            record = next(iter(ArchiveIterator(handle)))
            assert record.rec_headers.get_header("WARC-Record-ID") == record_id
            assert record.rec_headers.get_header("WARC-Target-URI") == url
            original_body = record.content_stream().read()
        assert captured == fetched_at == by_url[url].captured.replace(tzinfo=None)
        # the copy in framewatch's own archive is what the clean stage reads
        copied_url, _, body = archive.read_record(tmp_path / "archive", warc_file, warc_offset)
        assert copied_url == url and body == original_body


def test_sources_by_host_and_unknown_hosts_kept_or_skipped(con, catalogue, tmp_path) -> None:
    files, stories = catalogue
    _import(con, files, tmp_path, unknown_hosts="keep")
    followed = dict(con.execute("select source_id, followed from core.sources").fetchall())
    derived = {sid for sid, flag in followed.items() if not flag}
    assert derived and all(sid.startswith("web-") for sid in derived)
    page_sources = {sid for (sid,) in con.execute("select distinct source_id from core.pages").fetchall()}
    outlet_of = {s.url: s.outlet_id for s in stories}
    for url, source_id in con.execute("select url, source_id from core.pages").fetchall():
        expected = outlet_of[url]
        assert source_id == expected if expected else source_id.startswith("web-")
    assert page_sources & derived

    skipping = connect(tmp_path / "skip.duckdb")
    try:
        summary = import_warc(skipping, files, archive_dir=tmp_path / "archive2",
                              sources=demo_sources(tmp_path / "s2.toml"), topic_terms=TOPIC.terms,
                              unknown_hosts="skip")
        kept = con.execute("select count(*) from core.pages where source_id like 'web-%'").fetchone()[0]
        assert summary.totals()["unknown_host"] == kept > 0
        assert skipping.execute("select count(*) from core.pages where source_id like 'web-%'").fetchone()[0] == 0
        assert skipping.execute("select count(*) from core.sources where not followed").fetchone()[0] == 0
    finally:
        skipping.close()


def test_importing_the_same_files_again_adds_nothing(con, catalogue, tmp_path) -> None:
    files, _ = catalogue
    first = _import(con, files, tmp_path)
    before = _table_counts(con)
    again = _import(con, files, tmp_path)
    assert again.imported == 0
    assert again.totals()["already_imported"] == first.imported
    assert _table_counts(con) == before
    runs = con.execute("select status, kind from core.import_runs order by started_at").fetchall()
    assert runs == [("finished", "warc"), ("finished", "warc")]
    counts = dict(con.execute("""select outcome, sum(n) from core.import_counts
                                 where import_run_id = ? group by outcome""",
                              [again.import_run_id]).fetchall())
    assert counts == again.totals()


def test_a_stored_page_is_never_replaced(con, tmp_path) -> None:
    """A URL the warehouse already holds (crawled earlier) is skipped and left as it was."""
    url = outlet_url("harbor_daily", "chip-race")
    con.execute("""insert into core.pages values (?, 'harbor_daily', ?, 200, 'text/html', 'crawled-sha',
                   '<urn:uuid:crawled>', '2026-03-01 00:00:00', 'crawl-1')""", [url, url])
    data, _ = warc_records([Rec(url), Rec(outlet_url("harbor_daily", "other-story"))])
    path = tmp_path / "one.warc.gz"
    path.write_bytes(data)
    summary = _import(con, [path], tmp_path)
    assert summary.totals() == {"imported": 1, "url_already_stored": 1}
    assert con.execute("select content_sha256, run_id from core.pages where canonical_url = ?",
                       [url]).fetchone() == ("crawled-sha", "crawl-1")


def test_the_reader_streams_plain_warc_files_too(tmp_path) -> None:
    data, offsets = warc_records([Rec(outlet_url("harbor_daily", "a")),
                                  Rec(outlet_url("harbor_daily", "b"), body=OFF_TOPIC_HTML)], gzip=False)
    path = tmp_path / "plain.warc"
    path.write_bytes(data)
    items = list(read_warc(path, TopicPrefilter(TOPIC.terms), DateRange(now=datetime(2026, 12, 1).astimezone())))
    assert [getattr(i, "reason", "page") for i in items] == ["page", "off_topic"]
    assert [i.offset if hasattr(i, "offset") else i.position for i in items] == offsets


def test_derived_sources_are_not_reported_as_silent_crawl_sources(con, catalogue, tmp_path) -> None:
    files, _ = catalogue
    _import(con, files, tmp_path, unknown_hosts="keep")
    con.execute("""insert into core.fetch_log (run_id, url, source_id, kind, status, fetched_at)
                   values ('crawl-1', 'http://127.0.0.11/feed', 'harbor_daily', 'feed', 'new',
                           '2026-11-01 00:00:00')""")
    health = dict(con.execute("select source_id, health from source_health").fetchall())
    assert "harbor_daily" in health
    assert not [sid for sid in health if sid.startswith("web-")]
    assert con.execute("select count(*) from core.sources where not followed").fetchone()[0] > 0


def test_an_import_left_running_by_a_killed_process_is_marked_interrupted(con, tmp_path) -> None:
    con.execute("""insert into core.import_runs (import_run_id, kind, started_at, status)
                   values ('import-warc-killed', 'warc', '2026-11-01 00:00:00', 'running')""")
    data, _ = warc_records([Rec(outlet_url("harbor_daily", "after-kill"))])
    (tmp_path / "f.warc.gz").write_bytes(data)
    _import(con, [tmp_path / "f.warc.gz"], tmp_path)
    assert dict(con.execute("select import_run_id, status from core.import_runs").fetchall())[
        "import-warc-killed"] == "interrupted"
