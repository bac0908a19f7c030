"""Work claims (warehouse/claims.py) on the single file and on a lake's PostgreSQL catalog: a unit is
held by one owner at a time, done once, and taken over only when its lease ran out."""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from pipeline.cluster.postgres import server_in, start_postgres, stop_postgres
from warehouse.claims import WorkClaims
from warehouse.db import LakeLocation

# The PostgreSQL fixtures (postgres_server, lake_location), by name.
pytest_plugins = ["fixtures.postgres"]


@pytest.fixture(params=["file", "lake"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Path | LakeLocation:
    if request.param == "file":
        return tmp_path / "w.duckdb"
    return request.getfixturevalue("lake_location")


def test_a_unit_is_held_by_one_owner_and_done_once(target: Path | LakeLocation) -> None:
    with WorkClaims(target) as claims:
        assert claims.claim("frame", ["u1", "u2", "u3"], "worker-a", lease_seconds=600) == ["u1", "u2", "u3"]
        assert claims.claim("frame", ["u2", "u3", "u4"], "worker-b", lease_seconds=600) == ["u4"]
        # The holder renews its own claim; another stage's unit of the same id is separate.
        assert claims.claim("frame", ["u1"], "worker-a", lease_seconds=600) == ["u1"]
        assert claims.claim("clean", ["u1"], "worker-b", lease_seconds=600) == ["u1"]
        assert claims.complete("frame", ["u1", "u4"], "worker-a") == ["u1"]  # u4 is not worker-a's
        assert claims.complete("frame", ["u4"], "worker-b") == ["u4"]
        assert claims.claim("frame", ["u1", "u4"], "worker-c", lease_seconds=600) == []
        assert claims.completed("frame", ["u1", "u2", "u4"]) == {"u1", "u4"}
        assert claims.release("frame", ["u2"], "worker-a") == ["u2"]  # it failed on u2
        assert claims.claim("frame", ["u2"], "worker-c", lease_seconds=600) == ["u2"]
        summary = claims.summary("frame")
    assert (summary.completed, summary.held, summary.expired, summary.takeovers) == (2, 2, 0, 0)


def test_an_expired_lease_is_taken_over_and_counted(target: Path | LakeLocation) -> None:
    with WorkClaims(target) as claims:
        assert claims.claim("frame", ["u1", "u2"], "dead-worker", lease_seconds=1) == ["u1", "u2"]
        assert claims.claim("frame", ["u1"], "worker-b", lease_seconds=600) == []  # still leased
        time.sleep(2.2)
        assert claims.summary("frame").expired == 2
        assert claims.claim("frame", ["u1"], "worker-b", lease_seconds=600) == ["u1"]
        assert claims.complete("frame", ["u1"], "dead-worker") == []  # it lost the unit
        assert claims.reclaim_expired("frame") == ["u2"]
        assert claims.claim("frame", ["u2"], "worker-c", lease_seconds=600) == ["u2"]
        summary = claims.summary("frame")
        units = claims.units("frame")
    assert (summary.held, summary.expired, summary.takeovers) == (2, 0, 1)
    assert [(u.unit_id, u.owner, u.attempts, u.completed) for u in units] == [
        ("u1", "worker-b", 2, False), ("u2", "worker-c", 1, False)]


def test_workers_claiming_at_once_split_the_units(lake_location: LakeLocation) -> None:
    """Four workers race for the same 300 units in small claims: each unit goes to exactly one."""
    units = [f"unit-{n:03d}" for n in range(300)]

    def worker(owner: str) -> list[str]:
        got = []
        with WorkClaims(lake_location) as claims:
            order = units if owner in ("w0", "w2") else units[::-1]
            for start in range(0, len(order), 5):
                got += claims.claim("clean", order[start:start + 5], owner, lease_seconds=600)
        return got

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(worker, ["w0", "w1", "w2", "w3"]))
    everything = [unit for got in results for unit in got]
    assert sorted(everything) == units  # none lost, none given twice
    assert sum(1 for got in results if got) >= 2


@pytest.mark.slow
def test_postgres_runs_unprivileged_on_loopback_and_restarts() -> None:
    base = Path(tempfile.mkdtemp(prefix="framewatch-pg-restart-"))
    base.chmod(0o755)
    data_dir = base / "pg"
    try:
        first = start_postgres(data_dir)
        assert first.host == "127.0.0.1" and server_in(data_dir) == first
        assert start_postgres(data_dir) == first  # already running: the same server
        with psycopg.connect(first.dsn) as con:
            user, address = con.execute("select current_user, inet_server_addr()::text").fetchone()
        assert user == "framewatch" and address.startswith("127.0.0.1")
        pid = int((data_dir / "pgdata" / "postmaster.pid").read_text().split()[0])
        uid = int(next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                       if line.startswith("Uid:")).split()[1])
        if os.geteuid() == 0:  # PostgreSQL refuses root: it runs as the service user
            assert uid == pwd.getpwnam("framewatch-pg").pw_uid
        else:
            assert uid == os.geteuid()
        with psycopg.connect(first.dsn, autocommit=True) as con:
            con.execute("create table kept (n integer)")
            con.execute("insert into kept values (7)")
        assert stop_postgres(data_dir) and server_in(data_dir) is None
        assert not stop_postgres(data_dir)
        again = start_postgres(data_dir)  # same data, same password
        with psycopg.connect(again.dsn) as con:
            assert con.execute("select n from kept").fetchone() == (7,)
    finally:
        stop_postgres(data_dir)
        shutil.rmtree(base, ignore_errors=True)
