"""Errors that framewatch reports to users: each names the thing that is wrong and why."""

from __future__ import annotations

from pathlib import Path


class FramewatchError(Exception):
    """Base class: an error whose message is fit to show a user as is."""


class SeedError(FramewatchError):
    """A seeds/config TOML file is wrong: names the file, the key and the problem."""

    def __init__(self, path: str | Path, key: str, problem: str) -> None:
        self.path = str(path)
        self.key = key
        self.problem = problem
        super().__init__(f"{self.path}: {key}: {problem}")


class ConfigError(SeedError):
    """framewatch.toml or a FRAMEWATCH_* environment variable is wrong."""


class WarehouseBusyError(FramewatchError):
    """Another process holds the warehouse for writing."""


class WarehouseMissingError(FramewatchError, FileNotFoundError):
    """No usable warehouse where the settings (or --workdir) say: missing, not DuckDB, or not ours."""


class WarehouseConfigError(FramewatchError):
    """The [warehouse] settings name a lake that cannot be used: its PostgreSQL catalog is
    unreachable or refuses the credentials, or a setting is missing. Names the setting."""


class QueryError(FramewatchError):
    """A user's SQL was refused or failed; the message carries DuckDB's own words."""


class ModelIntegrityError(FramewatchError):
    """Model weights do not match the checksum they must have."""
