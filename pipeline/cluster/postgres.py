"""Start and stop a local PostgreSQL server (Debian's package) for the shared warehouse catalog.

PostgreSQL refuses to run as root, so when framewatch runs as root the server runs as an
unprivileged system user (`framewatch-pg`, created on first use), owning its data directory.
The server listens on 127.0.0.1 only, on a free port unless one is given, and requires a
password over TCP (scram-sha-256), so a wrong password fails the way it would on a real server.

This is for demos and tests (`framewatch cluster up`, the test fixtures); a production catalog
is the user's own PostgreSQL server, named by `[warehouse] catalog_dsn`.
"""

from __future__ import annotations

import logging
import os
import pwd
import secrets
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote

from pipeline.cluster.processes import free_port, load_state, save_state
from pipeline.errors import FramewatchError

logger = logging.getLogger(__name__)

SERVICE_USER = "framewatch-pg"
DATABASE = "framewatch"
ROLE = "framewatch"
STATE_FILE = "framewatch-postgres.json"  # beside the data directory's contents: how to reach it
START_TIMEOUT_SECONDS = 60


class PostgresLaunchError(FramewatchError):
    """The local PostgreSQL server could not be started or stopped."""


@dataclass(frozen=True)
class PostgresServer:
    """A running local server: where its data lives and how to reach it."""

    data_dir: str
    host: str
    port: int
    role: str
    password: str
    database: str

    @property
    def dsn(self) -> str:
        """A libpq URI, as `[warehouse] catalog_dsn` takes it."""
        return (f"postgresql://{quote(self.role)}:{quote(self.password, safe='')}"
                f"@{self.host}:{self.port}/{quote(self.database)}")

    def dsn_with(self, **changes: str | int) -> str:
        """The DSN with some parts changed (tests: a wrong password, a closed port)."""
        fields = asdict(self) | changes
        return PostgresServer(**fields).dsn


def postgres_bin_dir() -> Path:
    """Where initdb and pg_ctl are: Debian keeps them out of PATH, under /usr/lib/postgresql/<v>/bin."""
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
                        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if not candidates:
        raise PostgresLaunchError(
            "PostgreSQL is not installed: no pg_ctl on PATH or under /usr/lib/postgresql/*/bin "
            "(Debian: apt-get install postgresql)")
    return candidates[-1].parent


def _service_user() -> pwd.struct_passwd | None:
    """The unprivileged user the server runs as when we are root (None: run as ourselves)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVICE_USER)
    except KeyError:
        pass
    created = subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                              "--shell", "/usr/sbin/nologin", SERVICE_USER],
                             check=False, capture_output=True, text=True)
    try:
        return pwd.getpwnam(SERVICE_USER)  # also when another process created it meanwhile
    except KeyError:
        raise PostgresLaunchError(f"cannot create the user {SERVICE_USER} that PostgreSQL runs as "
                                  f"(it refuses root): {created.stderr.strip()}") from None


def _as_service_user(command: list[str], user: pwd.struct_passwd | None) -> list[str]:
    if user is None:
        return command
    return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups",
            "--reset-env", "--", *command]


def _check_reachable(path: Path, user: pwd.struct_passwd) -> None:
    """Every parent of the data directory must let the service user through, or initdb fails
    with a confusing permission error; say which directory blocks it instead."""
    for parent in reversed(path.parents):
        mode = parent.stat().st_mode
        if not mode & 0o001 and parent.stat().st_uid != user.pw_uid:
            raise PostgresLaunchError(
                f"the PostgreSQL data directory {path} is inside {parent}, which the unprivileged "
                f"user {SERVICE_USER} cannot enter (mode {oct(mode & 0o777)}); choose a directory "
                "under /tmp or /var/lib, or chmod o+x the parent")


def _run(command: list[str], what: str) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, check=False,
                            env={"LC_ALL": "C.UTF-8", "PATH": os.environ.get("PATH", "")})
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise PostgresLaunchError(f"{what} failed: {detail[-1] if detail else 'exit ' + str(result.returncode)}")
    return result


def start_postgres(data_dir: str | Path, *, port: int = 0, host: str = "127.0.0.1") -> PostgresServer:
    """Create (first time) and start a server in `data_dir`; return how to reach it.

    Starting a directory whose server already runs returns the running server.
    """
    data_dir = Path(data_dir).resolve()
    state_path = data_dir / STATE_FILE
    running = server_in(data_dir)
    if running is not None:
        return running
    bin_dir = postgres_bin_dir()
    user = _service_user()
    data_dir.mkdir(parents=True, exist_ok=True)
    if user is not None:
        _check_reachable(data_dir, user)
    cluster_dir = data_dir / "pgdata"
    socket_dir = data_dir / "socket"
    state = load_state(state_path)
    if state is not None:
        password = state["password"]
        port = port or state["port"]
    else:
        password = secrets.token_urlsafe(18)
    port = port or free_port(host)
    if not (cluster_dir / "PG_VERSION").exists():
        cluster_dir.mkdir(exist_ok=True)
        socket_dir.mkdir(exist_ok=True)
        password_file = data_dir / "initdb-password"
        password_file.write_text(password + "\n", encoding="utf-8")
        for path in (data_dir, cluster_dir, socket_dir, password_file):
            if user is not None:
                os.chown(path, user.pw_uid, user.pw_gid)
        cluster_dir.chmod(0o700)
        try:
            _run(_as_service_user([str(bin_dir / "initdb"), "-D", str(cluster_dir), "-U", ROLE,
                                   f"--pwfile={password_file}", "--auth-local=trust",
                                   "--auth-host=scram-sha-256", "-E", "UTF8", "--no-instructions"],
                                  user), "initdb")
        finally:
            password_file.unlink(missing_ok=True)
    options = f"-c listen_addresses={host} -p {port} -k {socket_dir} -c fsync=on"
    _run(_as_service_user([str(bin_dir / "pg_ctl"), "-D", str(cluster_dir), "-l",
                           str(data_dir / "postgres.log"), "-o", options, "-w", "-t",
                           str(START_TIMEOUT_SECONDS), "start"], user),
         f"starting PostgreSQL in {data_dir} on {host}:{port} (log: {data_dir / 'postgres.log'})")
    server = PostgresServer(str(data_dir), host, port, ROLE, password, DATABASE)
    save_state(state_path, asdict(server))
    _ensure_database(server, bin_dir, user, socket_dir)
    logger.info("PostgreSQL running in %s on %s:%d", data_dir, host, port)
    return server


def _ensure_database(server: PostgresServer, bin_dir: Path, user: pwd.struct_passwd | None,
                     socket_dir: Path) -> None:
    psql = bin_dir / "psql" if (bin_dir / "psql").exists() else Path(shutil.which("psql") or "psql")
    base = [str(psql), "-h", str(socket_dir), "-p", str(server.port), "-U", ROLE, "-d", "postgres",
            "-tAc"]
    exists = _run(_as_service_user([*base, f"select 1 from pg_database where datname = '{DATABASE}'"], user),
                  "checking the framewatch database")
    if exists.stdout.strip() != "1":
        _run(_as_service_user([*base, f'create database "{DATABASE}" owner "{ROLE}"'], user),
             "creating the framewatch database")


def server_in(data_dir: str | Path) -> PostgresServer | None:
    """The server started in `data_dir` if it is running, else None."""
    data_dir = Path(data_dir).resolve()
    state_path = data_dir / STATE_FILE
    pid_file = data_dir / "pgdata" / "postmaster.pid"
    if not state_path.exists() or not pid_file.exists():
        return None
    try:
        pid = int(pid_file.read_text(encoding="utf-8").splitlines()[0])
        os.kill(pid, 0)
    except PermissionError:
        pass  # alive, owned by the service user
    except (ValueError, IndexError, ProcessLookupError):
        return None
    fields = load_state(state_path)
    return None if fields is None else PostgresServer(**fields)


def stop_postgres(data_dir: str | Path) -> bool:
    """Stop the server in `data_dir` (fast shutdown); False if none was running."""
    data_dir = Path(data_dir).resolve()
    if server_in(data_dir) is None:
        return False
    user = _service_user()
    _run(_as_service_user([str(postgres_bin_dir() / "pg_ctl"), "-D", str(data_dir / "pgdata"),
                           "-m", "fast", "-w", "stop"], user), f"stopping PostgreSQL in {data_dir}")
    return True
