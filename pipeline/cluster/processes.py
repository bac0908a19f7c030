"""Small process helpers the launchers share: free ports, waiting, stopping what we started."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.errors import FramewatchError


class ClusterError(FramewatchError):
    """A local server could not be started, or stopped."""


# Servers this process started and has not stopped: a Popen dropped while its process runs
# warns (ResourceWarning), and holding it lets `stop_pid` reap the exit status.
_STARTED: dict[int, subprocess.Popen[bytes]] = {}


def spawn(command: list[str], *, env: dict[str, str] | None = None,
          log: Path | None = None) -> subprocess.Popen[bytes]:
    """Start a server in its own session (it outlives this process unless stopped)."""
    out = open(log, "ab") if log is not None else subprocess.DEVNULL  # noqa: SIM115
    try:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True, env=env)
    finally:
        if log is not None:
            out.close()
    _STARTED[process.pid] = process
    return process


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (the server binds it moments later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def wait_until(check: Callable[[], bool], *, timeout: float, what: str,
               alive: Callable[[], bool] = lambda: True, log: Path | None = None) -> None:
    """Poll `check` until it is true; ClusterError naming `what` (and its log) otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if not alive():
            break
        time.sleep(0.1)
    tail = ""
    if log is not None and log.exists():
        tail = " " + " | ".join(log.read_text(errors="replace").strip().splitlines()[-3:])
    state = "exited" if not alive() else f"did not answer within {timeout:.0f}s"
    raise ClusterError(f"{what} {state}{' (log ' + str(log) + ')' if log else ''}:{tail}")


def write_private(path: Path, text: str) -> None:
    """Write a file only we can read: state and settings files hold the servers' passwords.
    Created 0600 from the start, so the password is never readable for a moment."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(descriptor, "w", encoding="utf-8") as out:
        out.write(text)
    path.chmod(0o600)  # an existing file keeps its mode through O_CREAT


def save_state(path: Path, fields: dict[str, Any]) -> None:
    """Write a launcher's state file (how to reach and stop its server)."""
    write_private(path, json.dumps(fields, indent=2))


def load_state(path: Path) -> dict[str, Any] | None:
    """The fields `save_state` wrote, or None when no server was started there."""
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of ours has exited already
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def stop_pid(pid: int, *, expect: str, timeout: float = 15.0) -> bool:
    """SIGTERM the process `pid` if its command line still contains `expect` (a recycled pid
    is left alone), then SIGKILL after `timeout`; True if it was running."""
    if not pid_alive(pid) or expect not in command_line(pid):
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            _reap(pid)
            return True
        _reap(pid)
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    _reap(pid)
    return True


def _reap(pid: int) -> None:
    process = _STARTED.get(pid)
    if process is not None:
        if process.poll() is not None:
            del _STARTED[pid]
        return
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
