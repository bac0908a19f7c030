"""`framewatch import warc` on Dask: one unit per file on real workers gives the same pages as the
single-process import, and a run killed midway resumes without importing anything twice."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from fixtures.backfill import TOPIC, demo_sources

from pipeline.demo_site.backcatalogue import back_catalogue, write_warc_files
from pipeline.distributed.engine import DaskUnits
from pipeline.stages import imports
from pipeline.stages.imports import DASK_STAGE, import_warc, import_warc_on_dask
from warehouse.claims import WorkClaims
from warehouse.db import connect


@pytest.fixture(scope="module")
def warc_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    stories = back_catalogue(date(2026, 9, 1), 4, on_topic_per_month=8,
                             outlet_off_topic_per_month=2, unfollowed_per_month=15)
    return write_warc_files(stories, tmp_path_factory.mktemp("warc"), records_per_file=30)


@pytest.fixture(scope="module")
def client(dask_cluster):
    from distributed import Client

    with Client(dask_cluster.address, set_as_default=False) as connected:
        yield connected


def _pages(con) -> set[tuple]:
    return set(con.execute("""select p.canonical_url, p.source_id, p.content_sha256,
                                     i.input_file, i.source_offset, i.source_record_id
                              from core.pages as p join core.imported_stories as i
                              using (canonical_url)""").fetchall())


def _on_dask(con, files, tmp_path, run_units, owner="test-owner"):
    claims = WorkClaims(tmp_path / "dask.duckdb", connection=con)
    return import_warc_on_dask(con, files, run_units=run_units, claims=claims, owner=owner,
                               lease_seconds=600, archive_dir=tmp_path / "archive-dask",
                               sources=demo_sources(tmp_path / "sources.toml"),
                               topic_terms=TOPIC.terms)


@pytest.mark.slow
def test_files_split_across_workers_give_the_same_pages(warc_files, client, tmp_path) -> None:
    local = connect(tmp_path / "local.duckdb")
    on_dask = connect(tmp_path / "dask.duckdb")
    try:
        expected = import_warc(local, warc_files, archive_dir=tmp_path / "archive-local",
                               sources=demo_sources(tmp_path / "s.toml"), topic_terms=TOPIC.terms)
        summary = _on_dask(on_dask, warc_files, tmp_path, DaskUnits(client, "import").run)
        assert summary.totals() == expected.totals()
        assert _pages(on_dask) == _pages(local) and len(_pages(local)) == expected.imported
        done = on_dask.execute("select count(*) from core.work_claims where stage = ? and "
                               "completed_at is not null", [DASK_STAGE]).fetchone()[0]
        assert done == len(warc_files)
        again = _on_dask(on_dask, warc_files, tmp_path, DaskUnits(client, "import").run)
        assert again.totals() == {"file_already_imported": len(warc_files)}
    finally:
        local.close()
        on_dask.close()


@pytest.mark.slow
def test_a_killed_run_resumes_without_importing_anything_twice(warc_files, client, tmp_path,
                                                               monkeypatch) -> None:
    local = connect(tmp_path / "local.duckdb")
    expected = import_warc(local, warc_files, archive_dir=tmp_path / "archive-local",
                           sources=demo_sources(tmp_path / "s.toml"), topic_terms=TOPIC.terms)
    want = _pages(local)
    local.close()

    # The process dies while it writes a file's second batch (small batches: several per file),
    # after at least one file was written whole. Files arrive in the order workers finish them, and
    # a file may hold a single batch, so which file that is varies from run to run.
    store = imports._store_warc_batch
    batches_of: dict[str, int] = {}
    died_in: list[str] = []

    def dies_midway(con, archive, batch, ledger, known):
        if batch:
            name = batch[0].input_file
            batches_of[name] = batches_of.get(name, 0) + 1
            if len(batches_of) >= 2 and batches_of[name] == 2:
                died_in.append(name)
                raise KeyboardInterrupt
        store(con, archive, batch, ledger, known)

    monkeypatch.setattr(imports, "WARC_BATCH", 3)
    monkeypatch.setattr(imports, "_store_warc_batch", dies_midway)
    con = connect(tmp_path / "dask.duckdb")
    try:
        with pytest.raises(KeyboardInterrupt):
            _on_dask(con, warc_files, tmp_path, DaskUnits(client, "import").run, owner="first")
        monkeypatch.setattr(imports, "_store_warc_batch", store)
        assert con.execute("select status from core.import_runs").fetchall() == [("failed",)]
        partial = _pages(con)
        completed = {row[0] for row in con.execute(
            "select input_file from core.imported_stories").fetchall()}
        files_done = con.execute("select count(*) from core.work_claims where completed_at is not null"
                                 ).fetchone()[0]
        assert 0 < len(partial) < len(want) and 1 <= files_done < len(warc_files)
        assert died_in[0] in completed  # the file it died in is half written...
        assert con.execute("select completed_at from core.work_claims where unit_id = ?",
                           [imports.file_unit_id(Path(died_in[0]))]).fetchone() == (None,)  # ...not done
        # the next run (another owner: the dead run's claims are freed, as the command does)
        con.execute("delete from core.work_claims where completed_at is null and owner = 'first'")
        resumed = _on_dask(con, warc_files, tmp_path, DaskUnits(client, "import").run, owner="second")
        totals = resumed.totals()
        assert totals["file_already_imported"] == files_done
        assert totals["imported"] + len(partial) == expected.imported  # nothing twice, nothing lost
        assert totals["already_imported"] > 0  # the half-written file's pages were found by key
        assert _pages(con) == want
        assert con.execute("select count(*) from core.imported_stories").fetchone()[0] == len(want)
    finally:
        con.close()
