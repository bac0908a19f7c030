"""The clean and frame stages on a real local Dask cluster (a `dask scheduler` and two
single-threaded `dask worker` processes on 127.0.0.1): the same articles and labels as the
single-process path, every unit written once when a worker is killed mid-stage, and a scheduler
that does not answer refused with one line naming the setting, before anything is written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fixtures.archived import ArchivedPage, store_archived_pages

from pipeline.cluster.dask import DaskCluster, start_dask, stop_dask
from pipeline.cluster.processes import free_port
from pipeline.distributed.worker import model_loads
from pipeline.errors import ConfigError
from pipeline.settings import FramingSettings, ProcessingSettings, Settings
from pipeline.stages.runs import clean_stage, frame_stage
from warehouse.db import warehouse
from warehouse.queries import named_queries

REPO = Path(__file__).resolve().parents[1]

# The PostgreSQL fixtures (postgres_server, lake_location), by name.
pytest_plugins = ["fixtures.postgres"]

# Paragraphs about the AI race from several angles (so several frames), and two off the topic.
ANGLES = [
    ("US widens AI chip export curbs",
     ("The Commerce Department widened its restrictions on exports of advanced AI chips to China, "
     "adding companies to its entity list and closing a loophole on accelerators.")),
    ("Who will win the AI race?",
     ("Officials warned that whoever leads in frontier artificial intelligence models this decade "
     "will set the rules for everyone else, and that second place is losing.")),
    ("Lawmakers want audits of powerful AI",
     ("Lawmakers pressed for audits, licensing and hard limits on the most capable AI systems, "
     "saying voluntary commitments by the labs were not enough.")),
    ("Investors pour billions into AI labs",
     ("Venture investors poured billions of dollars into artificial intelligence start-ups this "
     "quarter, betting that the national champions of AI will dominate the market.")),
    ("Army tests AI for battlefield targeting",
     ("The defence ministry said its new artificial intelligence targeting system would keep the "
     "armed forces ahead of rival militaries racing to field autonomous weapons.")),
    ("AI researchers leave for rival labs",
     ("A wave of top AI researchers left for labs abroad, and officials warned that the brain drain "
     "of machine learning talent would cost the country its lead.")),
    ("Scientists call for AI cooperation, not a race",
     ("Scientists from both countries argued that artificial intelligence is not a race to be won "
     "and called for joint safety research and shared evaluation standards.")),
    ("Facial recognition AI raises rights concerns",
     ("Civil liberties groups said the government's use of AI facial recognition for surveillance "
     "violated privacy rights and demanded a moratorium.")),
]
OFF_TOPIC = [
    ("Ten soups for winter", ("A hearty lentil soup needs onions, carrots, celery and a good stock, "
     "simmered slowly, then finished with lemon juice and parsley.")),
    ("Local team wins the cup", ("The home side won the cup final on penalties after a goalless "
     "draw, and fans celebrated in the square until late.")),
]
OUTLETS = [("wire", "wire"), ("daily", "outlet"), ("tech", "tech"), ("times", "outlet")]
CITIES = ["Washington", "Beijing", "Brussels", "London", "Tokyo", "Delhi", "Paris", "Seoul"]


def _stories(n: int) -> list[tuple[str, str, str, list[str], datetime]]:
    """n stories (url, source, title, paragraphs, published): each angle in several cities and
    weeks; every ninth story repeats an earlier one word for word on another outlet (a copy)."""
    stories = []
    start = datetime(2026, 10, 5, 9, tzinfo=UTC)
    for index in range(n):
        source, _ = OUTLETS[index % len(OUTLETS)]
        published = start + timedelta(days=index % 40, hours=index % 7)
        if index % 9 == 8 and stories:
            _, _, title, paragraphs, _ = stories[index - 5]
        else:
            title, lead = (OFF_TOPIC + ANGLES)[index % (len(ANGLES) + len(OFF_TOPIC))]
            city = CITIES[index % len(CITIES)]
            other = ANGLES[(index * 3 + 1) % len(ANGLES)][1]
            title = f"{title} ({city}, story {index})"
            paragraphs = [f"{city.upper()} - {lead}", other,
                          (f"Reporting for story {index} was done in {city} over {index % 5 + 2} days "
                          f"of interviews with {index % 11 + 3} officials and experts.")]
        stories.append((f"https://{source}.example/news/{index}", source, title, paragraphs, published))
    return stories


def _page(title: str, paragraphs: list[str], published: datetime) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html><head><title>{title}</title>"
            f'<meta property="article:published_time" content="{published.isoformat()}"></head>'
            f"<body><article><h1>{title}</h1>{body}</article></body></html>").encode()


def crawled(settings: Settings, n: int) -> None:
    """What a crawl of n stories leaves: sources, a WARC archive and its index, pages."""
    with warehouse(settings.warehouse_target) as con:
        for source_id, kind in OUTLETS:
            con.execute("insert into core.sources (source_id, name, kind) values (?, ?, ?)",
                        [source_id, source_id.title(), kind])
        store_archived_pages(con, settings.archive_path, listed=False, pages=(
            ArchivedPage(url, source_id, _page(title, paragraphs, published))
            for url, source_id, title, paragraphs, published in _stories(n)))


def stored(settings: Settings) -> dict[str, list[tuple]]:
    with warehouse(settings.warehouse_target, read_only=True) as con:
        return {
            "articles": con.execute(
                "select * exclude (cleaned_at, relevance_score, relevance_evidence) "
                "from core.articles order by article_id").fetchall(),
            "relevance": con.execute(
                "select article_id, relevance_score, relevance_evidence from core.articles "
                "order by article_id").fetchall(),
            "labels": con.execute(
                "select article_id, frame_id, present, is_primary, label_version, score "
                "from core.frame_labels order by all").fetchall(),
            "evidence": con.execute(
                "select article_id, frame_id, rank, passage_idx, label_version "
                "from core.frame_evidence order by all").fetchall(),
            "passages": con.execute("select * from core.passages order by all").fetchall(),
            "embeddings": con.execute(
                "select model_id, text_sha256 from core.embeddings order by all").fetchall(),
            # On a lake the claims live in its catalog's PostgreSQL (read there by the lake test).
            "claims": {stage: con.execute(named_queries("units")["unit_claims"], [stage]).fetchall()
                       for stage in ("clean", "frame")} if settings.warehouse.backend == "duckdb" else {},
            "stages": con.execute(
                "select stage, status, rows_in, rows_out from core.stage_runs order by all").fetchall(),
        }


def _settings(workdir: Path, processing: ProcessingSettings | None = None) -> Settings:
    # One embedding process in the single-process path as on each single-threaded worker.
    settings = replace(Settings(workdir=workdir), framing=FramingSettings(workers=1))
    return replace(settings, processing=processing) if processing else settings


def _on_dask(address: str, unit_size: int) -> ProcessingSettings:
    return ProcessingSettings(engine="dask", dask_address=address, unit_size=unit_size)


def _assert_same_results(dask: dict, local: dict) -> None:
    assert dask["articles"] == local["articles"]
    assert dask["passages"] == local["passages"]
    assert dask["evidence"] == local["evidence"]
    assert [row[:5] for row in dask["labels"]] == [row[:5] for row in local["labels"]]
    # Vectors embedded in other batches may differ in the last bits of a float32.
    for ours, theirs in zip(dask["labels"], local["labels"], strict=True):
        assert ours[5] == pytest.approx(theirs[5], abs=1e-5)
    for ours, theirs in zip(dask["relevance"], local["relevance"], strict=True):
        assert ours[0] == theirs[0]
        assert ours[1] == pytest.approx(theirs[1], abs=2e-4)
        if theirs[2] is not None:
            ours_evidence, their_evidence = json.loads(ours[2]), json.loads(theirs[2])
            assert ours_evidence["decided_by"] == their_evidence["decided_by"]
            assert ours_evidence["term_hits"] == their_evidence["term_hits"]
    # Every passage's vector is kept for later runs (the topic's exemplars, which the
    # single-process path embeds through the cache too, are embedded on the workers only).
    embedded = {sha for _, sha in dask["embeddings"]}
    assert {row[-1] for row in dask["passages"]} <= embedded


def _assert_every_unit_once(result: dict, stages: dict[str, int]) -> None:
    for stage, minimum in stages.items():
        claims = result["claims"][stage]
        assert len(claims) >= minimum, stage
        assert all(completed for _, _, _, completed in claims), f"{stage}: a unit left unfinished"
        assert len({unit_id for unit_id, *_ in claims}) == len(claims)


@pytest.fixture(scope="module")
def local_result(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The single-process path on the test corpus (the reference)."""
    settings = _settings(tmp_path_factory.mktemp("local"))
    crawled(settings, STORY_COUNT)
    clean_stage(settings, "run-1")
    frame_stage(settings, "run-1")
    return stored(settings)


STORY_COUNT = 36


@pytest.mark.slow
def test_clean_and_frame_on_dask_store_what_the_single_process_path_stores(
        dask_cluster: DaskCluster, local_result: dict, tmp_path: Path) -> None:
    settings = _settings(tmp_path / "dask", _on_dask(dask_cluster.address, unit_size=4))
    crawled(settings, STORY_COUNT)
    cleaned = clean_stage(settings, "run-1")
    framed = frame_stage(settings, "run-1")
    result = stored(settings)

    assert len(local_result["articles"]) == STORY_COUNT
    assert any(row for row in local_result["articles"] if row[-1] is not None), "the corpus has copies"
    assert local_result["labels"], "the in-scope stories were labelled"
    _assert_same_results(result, local_result)
    assert cleaned["units"] == STORY_COUNT // 4 and cleaned["pages"] == STORY_COUNT
    assert framed["units"] >= 1 and framed["articles"] == len({row[0] for row in local_result["labels"]})
    _assert_every_unit_once(result, {"clean": STORY_COUNT // 4, "frame": framed["units"]})
    assert all(attempts == 1 for _, _, attempts, _ in result["claims"]["clean"])

    # A re-run finds nothing to do: no unit is claimed or written again.
    assert clean_stage(settings, "run-2")["pages"] == 0
    assert frame_stage(settings, "run-2")["articles"] == 0
    assert stored(settings)["claims"] == result["claims"]

    # Each worker process loaded each model once, however many units it ran.
    from distributed import Client

    with Client(dask_cluster.address, timeout=30) as client:
        loads = client.run(model_loads)
    assert len(loads) == 2
    assert all(counts["relevance"] <= 1 and counts["framing"] <= 1 for counts in loads.values()), loads
    assert sum(counts["relevance"] for counts in loads.values()) >= 1


@pytest.mark.slow
def test_a_worker_killed_mid_stage_leaves_every_unit_written_once(
        local_result: dict, tmp_path: Path) -> None:
    from distributed import Client

    # A cluster of its own: one of its workers is killed.
    cluster = start_dask(tmp_path / "dask-state", workers=2)
    try:
        settings = _settings(tmp_path / "dask", _on_dask(cluster.address, unit_size=2))
        crawled(settings, STORY_COUNT)
        killed: list[int] = []

        with Client(cluster.address, timeout=30) as client:
            def kill_a_busy_worker(done: int, total: int) -> None:
                """After the first unit is written, SIGKILL a worker process that is running one."""
                if killed:
                    return
                busy = [address for address, keys in client.processing().items() if keys]
                pids = client.run(os.getpid, workers=busy[:1])
                for pid in pids.values():
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)

            cleaned = clean_stage(settings, "run-1", progress=kill_a_busy_worker)
            assert killed, "a worker was busy when the first unit came back"
            killed_in_clean = list(killed)
            killed.clear()
            framed = frame_stage(settings, "run-1", progress=kill_a_busy_worker)
            assert killed and killed != killed_in_clean
    finally:
        stop_dask(tmp_path / "dask-state")

    result = stored(settings)
    assert cleaned["pages"] == STORY_COUNT and cleaned["units"] == STORY_COUNT // 2
    assert framed["articles"] == len({row[0] for row in local_result["labels"]})
    _assert_every_unit_once(result, {"clean": STORY_COUNT // 2, "frame": framed["units"]})
    # Every article once, with the labels the single-process path gives.
    assert len({row[0] for row in result["articles"]}) == len(result["articles"]) == STORY_COUNT
    _assert_same_results(result, local_result)
    assert [row[:2] for row in result["stages"]] == [("clean", "finished"), ("frame", "finished")]


@pytest.mark.slow
def test_a_scheduler_that_does_not_answer_is_one_line_naming_the_setting(tmp_path: Path) -> None:
    address = f"tcp://127.0.0.1:{free_port()}"
    settings = _settings(tmp_path / "fw", _on_dask(address, unit_size=4))
    crawled(settings, 4)
    before = stored(settings)
    with pytest.raises(ConfigError, match=r"processing\.dask_address: no Dask scheduler answers at "
                                          + address.replace(".", r"\.")):
        clean_stage(settings, "run-1")
    with pytest.raises(ConfigError, match=r"processing\.dask_address"):
        frame_stage(settings, "run-1")
    assert stored(settings) == before  # nothing written: no stage run, no article, no claim
    assert not before["articles"] and not before["stages"]


@pytest.mark.slow
def test_the_cli_prints_one_line_for_an_unanswering_scheduler_and_an_unknown_engine(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "fw")
    crawled(settings, 2)
    env = {**os.environ, "FRAMEWATCH_WORKDIR": str(settings.workdir),
           "FRAMEWATCH_PROCESSING__ENGINE": "dask",
           "FRAMEWATCH_PROCESSING__DASK_ADDRESS": f"tcp://127.0.0.1:{free_port()}"}
    for extra, expected in (({}, "processing.dask_address: no Dask scheduler answers"),
                            ({"FRAMEWATCH_PROCESSING__ENGINE": "spark"}, "processing.engine: unknown engine 'spark'")):
        done = subprocess.run([sys.executable, "-m", "pipeline.cli", "clean"], env={**env, **extra},
                              capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False)
        assert done.returncode != 0
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], done.stderr
        assert "Traceback" not in done.stderr
    assert not stored(settings)["articles"]


@pytest.mark.slow
def test_clean_and_frame_on_dask_into_a_lake_store_what_the_single_process_path_stores(
        dask_cluster: DaskCluster, local_result: dict, lake_location, tmp_path: Path) -> None:
    """With the DuckLake warehouse the claims live in the catalog's PostgreSQL: the flow writes
    each unit to the lake, then completes its claim there."""
    import psycopg

    from pipeline.settings import WarehouseSettings

    settings = replace(
        _settings(tmp_path / "dask", _on_dask(dask_cluster.address, unit_size=6)),
        warehouse=WarehouseSettings("ducklake", lake_location.catalog_dsn, lake_location.data_path))
    crawled(settings, STORY_COUNT)
    cleaned = clean_stage(settings, "run-1")
    framed = frame_stage(settings, "run-1")
    result = stored(settings)
    _assert_same_results(result, local_result)
    with psycopg.connect(lake_location.catalog_dsn) as pg:
        claims = {stage: pg.execute(named_queries("units")["unit_claims"].replace("?", "%s"), [stage]).fetchall()
                  for stage in ("clean", "frame")}
    assert len(claims["clean"]) == cleaned["units"] == STORY_COUNT // 6
    assert len(claims["frame"]) == framed["units"] >= 1
    assert all(completed and attempts == 1 for claims_of_stage in claims.values()
               for _, _, attempts, completed in claims_of_stage)
    assert frame_stage(settings, "run-2")["articles"] == 0


@pytest.mark.slow
def test_the_process_flow_runs_clean_and_frame_on_dask(
        dask_cluster: DaskCluster, local_result: dict, tmp_path: Path) -> None:
    """Prefect's process flow, with the settings file naming the engine and the scheduler."""
    from flows.pipeline import process_flow

    workdir = tmp_path / "flow"
    crawled(_settings(workdir), STORY_COUNT)
    config = tmp_path / "framewatch.toml"
    config.write_text(f'[framing]\nworkers = 1\n\n[processing]\nengine = "dask"\n'
                      f'dask_address = "{dask_cluster.address}"\nunit_size = 5\n', encoding="utf-8")
    result = process_flow(config=str(config), workdir=str(workdir))
    assert result["clean"]["pages"] == STORY_COUNT
    assert result["clean"]["units"] == -(-STORY_COUNT // 5)
    assert result["frame"]["units"] >= 1
    _assert_same_results(stored(_settings(workdir)), local_result)
