"""Start and stop a local Redis server (Debian's `redis-server`) for the shared crawl frontier.

The server listens on 127.0.0.1 only, on a free port unless one is given, requires a password
(generated when none is given, so a wrong one fails the way it would on a real server), keeps
nothing on disk between runs (no RDB snapshots, no AOF: a crawl frontier outlives one crawl, not
a restart) and logs into its data directory. A production frontier is the user's own Redis,
named by `[crawl] redis_url`.
"""

from __future__ import annotations

import logging
import secrets
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote

from pipeline.cluster.processes import (
    ClusterError,
    free_port,
    load_state,
    pid_alive,
    save_state,
    spawn,
    stop_pid,
    wait_until,
    write_private,
)

logger = logging.getLogger(__name__)

STATE_FILE = "redis.json"


@dataclass(frozen=True)
class RedisServer:
    """A Redis server this machine started."""

    pid: int
    host: str
    port: int
    password: str
    data_dir: str

    @property
    def url(self) -> str:
        return f"redis://:{quote(self.password, safe='')}@{self.host}:{self.port}/0"

    def url_with_password(self, password: str) -> str:
        return f"redis://:{quote(password, safe='')}@{self.host}:{self.port}/0"

    @property
    def running(self) -> bool:
        return pid_alive(self.pid)


def redis_binary() -> str:
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None)
    if found is None:
        raise ClusterError("redis-server is not installed (Debian/Ubuntu: apt-get install "
                           "redis-server), or point [crawl] redis_url at your own Redis")
    return found


def _answers(host: str, port: int, password: str) -> bool:
    import redis

    try:
        client = redis.Redis(host=host, port=port, password=password, socket_timeout=1,
                             socket_connect_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except redis.RedisError:
        return False


def start_redis(data_dir: str | Path, *, port: int = 0, password: str = "",
                host: str = "127.0.0.1", timeout: float = 20.0) -> RedisServer:
    """Start `redis-server` in the background (it outlives this process); wait until it answers."""
    data = Path(data_dir).resolve()
    data.mkdir(parents=True, exist_ok=True)
    port = port or free_port(host)
    password = password or secrets.token_urlsafe(18)
    log = data / "redis.log"
    config = data / "redis.conf"
    # The password goes in a file readable by us only, not on the command line (ps shows that).
    write_private(config, "\n".join([
        f"bind {host}", f"port {port}", "protected-mode yes", f"dir {data}",
        'save ""', "appendonly no", f"logfile {log}", "daemonize no",
        f"requirepass {password}", "",
    ]))
    process = spawn([redis_binary(), str(config)])
    server = RedisServer(process.pid, host, port, password, str(data))
    try:
        wait_until(lambda: _answers(host, port, password), timeout=timeout,
                   what=f"redis-server on {host}:{port}", alive=lambda: process.poll() is None,
                   log=log)
    except ClusterError:
        process.kill()
        process.wait()
        raise
    save_state(data / STATE_FILE, asdict(server))
    logger.info("redis-server %d listening on %s:%d", process.pid, host, port)
    return server


def server_in(data_dir: str | Path) -> RedisServer | None:
    """The server `start_redis` started in this folder, if its state file is there."""
    fields = load_state(Path(data_dir) / STATE_FILE)
    return None if fields is None else RedisServer(**fields)


def stop_redis(data_dir: str | Path) -> bool:
    """Stop the server started in this folder; True if one was running."""
    server = server_in(data_dir)
    if server is None:
        return False
    stopped = stop_pid(server.pid, expect="redis-server")
    (Path(data_dir) / STATE_FILE).unlink(missing_ok=True)
    return stopped
