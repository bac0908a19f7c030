"""Bad input to the imports: each damaged record or row gets a counted, named reason in the
summary and in the warehouse, the rest of the file goes in, and nothing stored before changes."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from fixtures.backfill import NOW, TOPIC, Rec, demo_sources, outlet_url, warc_records

from pipeline.imports import DateRange, TextColumns, read_texts, read_url_list
from pipeline.imports.outcomes import stated_offset_minutes
from pipeline.imports.urls import detect_layout
from pipeline.stages.imports import import_warc, prepare_url_import
from warehouse.db import connect

DATES = DateRange(now=NOW)


@pytest.fixture
def con(tmp_path: Path):
    connection = connect(tmp_path / "w.duckdb")
    yield connection
    connection.close()


def _import(con, path: Path, tmp_path: Path):
    return import_warc(con, [path], archive_dir=tmp_path / "archive",
                       sources=demo_sources(tmp_path / "sources.toml"), topic_terms=TOPIC.terms,
                       dates=DATES)


def _problems(con, run_id: str) -> list[tuple]:
    return con.execute("""select reason, position_kind, position from core.import_problems
                          where import_run_id = ? order by position""", [run_id]).fetchall()


def _stored_urls(con) -> set[str]:
    return {url for (url,) in con.execute("select url from core.pages").fetchall()}


def _five(prefix: str = "s") -> list[Rec]:
    return [Rec(outlet_url("harbor_daily", f"{prefix}{i}")) for i in range(5)]


def test_a_torn_last_gzip_member_is_named_and_the_rest_goes_in(con, tmp_path) -> None:
    data, offsets = warc_records(_five())
    path = tmp_path / "torn.warc.gz"
    path.write_bytes(data[: offsets[4] + (len(data) - offsets[4]) // 2])
    summary = _import(con, path, tmp_path)
    assert summary.totals() == {"imported": 4, "torn_gzip_member": 1}
    assert _problems(con, summary.import_run_id) == [("torn_gzip_member", "offset", offsets[4])]
    assert summary.problems[0]["reason"] == "torn_gzip_member"


def test_a_corrupt_gzip_member_is_skipped_and_reading_resumes(con, tmp_path) -> None:
    data, offsets = warc_records(_five())
    damaged = bytearray(data)
    damaged[offsets[2] + 20: offsets[2] + 60] = b"\x00" * 40
    path = tmp_path / "corrupt.warc.gz"
    path.write_bytes(bytes(damaged))
    summary = _import(con, path, tmp_path)
    assert summary.totals() == {"imported": 4, "corrupt_gzip_member": 1}
    assert _problems(con, summary.import_run_id) == [("corrupt_gzip_member", "offset", offsets[2])]
    assert outlet_url("harbor_daily", "s2") not in _stored_urls(con)
    assert {outlet_url("harbor_daily", f"s{i}") for i in (0, 1, 3, 4)} <= _stored_urls(con)


def test_a_bad_record_header_is_skipped(con, tmp_path) -> None:
    data, offsets = warc_records(_five())
    members = [data[a:b] for a, b in zip(offsets, [*offsets[1:], len(data)], strict=True)]
    members[1] = gzip.compress(gzip.decompress(members[1]).replace(b"WARC/1.0", b"WXRC/9.9", 1))
    path = tmp_path / "header.warc.gz"
    path.write_bytes(b"".join(members))
    summary = _import(con, path, tmp_path)
    assert summary.totals() == {"imported": 4, "bad_record_header": 1}
    assert _problems(con, summary.import_run_id) == [("bad_record_header", "offset", offsets[1])]


def test_a_bad_record_header_in_a_plain_warc_file(con, tmp_path) -> None:
    data, offsets = warc_records(_five(), gzip=False)
    damaged = data[: offsets[1]] + b"GARBAGE/1.0" + data[offsets[1] + len(b"WARC/1.0"):]
    path = tmp_path / "plain.warc"
    path.write_bytes(damaged)
    summary = _import(con, path, tmp_path)
    assert summary.totals()["bad_record_header"] == 1
    assert summary.totals()["imported"] == 4
    assert _problems(con, summary.import_run_id)[0][:2] == ("bad_record_header", "offset")


def test_non_html_and_other_records_are_counted_not_stored(con, tmp_path) -> None:
    url = outlet_url("harbor_daily", "x")
    records = [Rec(url + "-img", body=b"\x89PNG...", content_type="image/png"),
               Rec(url + "-json", body='{"AI": 1}', content_type="application/json"),
               Rec(url + "-gone", status="404 Not Found"),
               Rec(url + "-meta", kind="metadata", body="AI"),
               Rec(url)]
    data, _ = warc_records(records)
    path = tmp_path / "mixed.warc.gz"
    path.write_bytes(data)
    summary = _import(con, path, tmp_path)
    assert summary.totals() == {"imported": 1, "not_html": 2, "not_ok_status": 1, "not_response": 1}
    assert _problems(con, summary.import_run_id) == []  # ordinary filtering, not bad input
    assert _stored_urls(con) == {url}


def test_absurd_capture_dates_are_named(con, tmp_path) -> None:
    records = [Rec(outlet_url("harbor_daily", "old"), date="1985-06-01T00:00:00Z"),
               Rec(outlet_url("harbor_daily", "future"), date="2099-01-01T00:00:00Z"),
               Rec(outlet_url("harbor_daily", "nodate"), date="not a date"),
               Rec(outlet_url("harbor_daily", "fine"))]
    data, offsets = warc_records(records)
    path = tmp_path / "dates.warc.gz"
    path.write_bytes(data)
    summary = _import(con, path, tmp_path)
    assert summary.totals() == {"imported": 1, "date_out_of_range": 2, "bad_capture_date": 1}
    assert _problems(con, summary.import_run_id) == [
        ("date_out_of_range", "offset", offsets[0]), ("date_out_of_range", "offset", offsets[1]),
        ("bad_capture_date", "offset", offsets[2])]


def test_damage_leaves_what_was_stored_before_untouched(con, tmp_path) -> None:
    good, _ = warc_records(_five("a"))
    (tmp_path / "good.warc.gz").write_bytes(good)
    _import(con, tmp_path / "good.warc.gz", tmp_path)
    before = con.execute("select * from core.pages order by canonical_url").fetchall()
    bad, offsets = warc_records([*_five("a"), Rec(outlet_url("harbor_daily", "new"))])
    (tmp_path / "bad.warc.gz").write_bytes(bad[: offsets[-1] + 30])  # the new record is torn
    summary = _import(con, tmp_path / "bad.warc.gz", tmp_path)
    # other captures (record ids) of stories already stored
    assert summary.totals() == {"url_already_stored": 5, "torn_gzip_member": 1}
    assert con.execute("select * from core.pages order by canonical_url").fetchall() == before


def test_an_unreadable_file_is_named(con, tmp_path) -> None:
    folder = tmp_path / "a-folder.warc.gz"
    folder.mkdir()
    summary = _import(con, folder, tmp_path)
    assert set(summary.totals()) == {"unreadable_file"}
    assert con.execute("select status from core.import_runs").fetchone() == ("finished",)


# -- text exports ----------------------------------------------------------------------------


def _reasons(items) -> list[tuple[str, int]]:
    return [(i.reason, i.position) for i in items if hasattr(i, "reason")]


def test_text_rows_with_problems_are_named_with_their_line(tmp_path) -> None:
    rows = [
        {"title": "ok", "text": "AI chips", "date": "2024-05-01", "outlet": "Meridian Wire"},
        "this is not json",
        ["a", "list"],
        {"title": "no text", "date": "2024-05-01", "outlet": "x"},
        {"text": "t", "date": "yesterday-ish", "outlet": "x"},
        {"text": "t", "date": "1970-01-01", "outlet": "x"},
        {"text": "t", "date": "2099-01-01", "outlet": "x"},
        {"text": "t", "date": "2024-05-01"},
        {"text": "t", "date": "2024-05-01", "url": "ftp://nope"},
        {"body": "mapped", "day": "20240502", "paper": "Circuit Ledger"},
    ]
    lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
    path = tmp_path / "export.jsonl"
    path.write_bytes(("\n".join(lines[:5]) + "\n\n" + "\n".join(lines[5:]) + "\n").encode()
                     + b'{"text": "caf\xe9", "date": "2024-05-01", "outlet": "x"}\n')
    items = list(read_texts(path, dates=DATES))
    assert _reasons(items) == [("bad_json", 2), ("not_an_object", 3), ("missing_field", 4),
                               ("bad_date", 5), ("date_out_of_range", 7), ("date_out_of_range", 8),
                               ("no_outlet", 9), ("not_a_url", 10), ("missing_field", 11),
                               ("bad_encoding", 12)]
    good = [i for i in items if not hasattr(i, "reason")]
    assert [(g.line, g.outlet) for g in good] == [(1, "Meridian Wire")]
    mapped = list(read_texts(path, TextColumns(text="body", date="day", outlet="paper"), dates=DATES))
    assert [(g.line, g.outlet, g.published.date().isoformat()) for g in mapped
            if not hasattr(g, "reason")] == [(11, "Circuit Ledger", "2024-05-02")]


def test_text_dates_keep_the_offset_they_state_and_garbled_offsets_are_bad_dates(tmp_path) -> None:
    rows = [
        {"text": "t", "date": "2024-05-01T00:50:00+02:00", "outlet": "x"},
        {"text": "t", "date": "Wed, 01 May 2024 00:50:00 EDT", "outlet": "x"},
        {"text": "t", "date": "2024-05-01 00:50", "outlet": "x"},
        {"text": "t", "date": "2024-05-01 00:50 +9999", "outlet": "x"},  # dateutil keeps it
        {"text": "t", "date": "2024-05-01T00:50:00+15:00", "outlet": "x"},  # no clock is 15 h off
    ]
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    items = list(read_texts(path, dates=DATES))
    assert _reasons(items) == [("bad_date", 4), ("bad_date", 5)]
    good = [i for i in items if not hasattr(i, "reason")]
    assert [(i.published.date().isoformat(), stated_offset_minutes(i.published)) for i in good] == [
        ("2024-05-01", 120), ("2024-05-01", -240), ("2024-05-01", None)]


def test_a_csv_without_the_needed_columns_is_named(tmp_path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("headline,body\nA,B\n", encoding="utf-8")
    items = list(read_texts(path))
    assert len(items) == 1 and items[0].reason == "missing_columns" and items[0].position == 1
    assert "'text'" in items[0].detail and "--text-field" in items[0].detail


def test_a_csv_row_in_another_encoding_is_skipped_the_rest_read(tmp_path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(b"title,text,date,outlet\n"
                     + b"Un,Texte sur l'IA,2024-01-02,Le Monde\n"
                     + "Deux,Caf\xe9 et puces,2024-01-03,Le Monde\n".encode("latin-1")
                     + b'Trois,"multi\nline text",2024-01-04,Le Monde\n'
                     + b"Quatre,short row\n")
    items = list(read_texts(path, dates=DATES))
    assert _reasons(items) == [("bad_encoding", 3), ("missing_field", 6)]
    assert [i.line for i in items if not hasattr(i, "reason")] == [2, 4]
    latin = list(read_texts(path, encoding="latin-1", dates=DATES))
    assert [i.line for i in latin if not hasattr(i, "reason")] == [2, 3, 4]


# -- URL lists -------------------------------------------------------------------------------


def test_url_list_layouts_are_recognised_by_header() -> None:
    assert detect_layout("id,indexed_date,language,media_name,media_url,publish_date,title,url")[1].name \
        == "mediacloud"
    assert detect_layout("stories_id,publish_date,title,url,language,media_id,media_name")[1].name \
        == "mediacloud"
    assert detect_layout("GLOBALEVENTID\tSQLDATE\tDATEADDED\tSOURCEURL")[1].name == "gdelt-events"
    assert detect_layout("GKGRECORDID,DATE,SourceCollectionIdentifier,SourceCommonName,"
                         "DocumentIdentifier")[1].name == "gdelt-gkg"
    assert detect_layout("url,when\n")[1].name == "csv"
    assert detect_layout("\t".join(["x"] * 61))[0] == "gdelt-headerless"
    assert detect_layout("https://example.com/a\n")[0] == "text"


def test_url_lists_name_junk_lines_and_keep_dates(tmp_path) -> None:
    text = tmp_path / "urls.txt"
    text.write_bytes(b"# my list\nhttps://a.example/story-1\n\nnot a url\njavascript:alert(1)\n"
                     b"https://a.example/caf\xe9\nhttps://a.example/story-2\n")
    items = list(read_url_list(text, dates=DATES))
    assert _reasons(items) == [("not_a_url", 4), ("not_a_url", 5), ("bad_encoding", 6)]
    assert [i.url for i in items if not hasattr(i, "reason")] == [
        "https://a.example/story-1", "https://a.example/story-2"]

    gdelt = tmp_path / "events.csv"
    gdelt.write_text("GLOBALEVENTID,SQLDATE,DATEADDED,SOURCEURL\n1,20240105,20240105101500,"
                     "https://b.example/x\n2,20240106,19800101000000,https://b.example/y\n"
                     "3,20240106,20240106000000,\n", encoding="utf-8")
    items = list(read_url_list(gdelt, dates=DATES))
    assert items[0].published.isoformat() == "2024-01-05T10:15:00+00:00"
    assert items[1].published is None and items[1].date_problem.reason == "date_out_of_range"
    assert _reasons(items) == [("not_a_url", 4)]


def test_a_url_import_counts_what_it_cannot_fetch(con, tmp_path) -> None:
    good = outlet_url("circuit_ledger", "chips-1")
    path = tmp_path / "mediacloud.csv"
    path.write_text("id,indexed_date,language,media_name,media_url,publish_date,title,url\n"
                    f"1,2024-01-02,en,Circuit Ledger,x,2024-01-02 10:00:00,Chips,{good}\n"
                    "2,2024-01-02,en,Other,x,2024-01-02,Elsewhere,https://unfollowed.example/a\n"
                    f"3,2024-01-02,en,Circuit Ledger,x,1900-01-01,Chips again,{good}?utm_source=x\n"
                    "4,2024-01-02,en,Junk,x,2024-01-02,Junk,see attached\n", encoding="utf-8")
    job = prepare_url_import(con, path, sources=demo_sources(tmp_path / "sources.toml"),
                             work_dir=tmp_path / "logs", dates=DATES)
    assert job.summary.totals() == {"unknown_host": 1, "repeated_url": 1, "date_dropped": 1,
                                    "not_a_url": 1}
    listed = [json.loads(line) for line in job.list_path.read_text(encoding="utf-8").splitlines()]
    assert listed == [{"source_id": "circuit_ledger", "url": good, "title": "Chips",
                       "published": "2024-01-02T10:00:00", "published_offset_minutes": None}]
    assert _problems(con, job.summary.import_run_id) == [("date_out_of_range", "line", 4),
                                                         ("not_a_url", "line", 5)]
