"""Start the servers a scaled-out framewatch uses on this machine: Redis, PostgreSQL, Dask.

Each launcher starts one existing server program (Debian's `redis-server`, PostgreSQL's
`pg_ctl`, `dask scheduler` / `dask worker`) bound to 127.0.0.1 on a free port, and returns a
handle that knows its address and how to stop it. `framewatch cluster up|down|status`
(pipeline/commands/cluster.py) and the test fixtures (tests/fixtures/services.py) use them.
"""
