"""One settings object for every stage, read from a TOML file and FRAMEWATCH_* environment variables.

Precedence, lowest first: the defaults below, `framewatch.toml` (in the working directory, or the
file named by --config / FRAMEWATCH_CONFIG), then environment variables such as
FRAMEWATCH_WORKDIR or FRAMEWATCH_CRAWL__DOWNLOAD_DELAY (a double underscore enters a table).
Paths in the file are relative to the file; paths in the environment relative to the current
directory.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, get_type_hints

from pipeline.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SEEDS_DIR = REPO_ROOT / "seeds"
ENV_PREFIX = "FRAMEWATCH_"


@dataclass(frozen=True)
class CrawlSettings:
    """Politeness and limits of the Scrapy crawl."""

    user_agent: str = "framewatch/0.1 (+https://github.com/framewatch/framewatch; research crawler)"
    obey_robots: bool = True
    download_delay: float = 1.0
    autothrottle: bool = True
    autothrottle_target_concurrency: float = 1.0
    concurrent_requests: int = 16
    concurrent_requests_per_domain: int = 2
    timeout_seconds: float = 30.0
    retry_times: int = 2
    max_page_bytes: int = 10_000_000
    max_pages_per_source: int = 0  # 0: no limit
    warc_max_bytes: int = 500_000_000
    log_level: str = "INFO"
    # After this many URLs of a host fail in a row, back off, then skip the host for the run.
    host_max_failures: int = 5
    # A Retry-After longer than this (seconds) is not waited for: the host is skipped this run.
    max_retry_after: float = 120.0
    # A failed article URL (timeout, reset, 5xx, redirect loop, cut-short body) is tried again in
    # later runs only after a wait that doubles with each failed run in a row: retry_backoff_hours
    # after the first, twice that after the second, ...; after retry_give_up_after failed runs it
    # is given up (status given_up). 0 hours: retried every run; 0 runs: never given up.
    retry_backoff_hours: float = 12.0
    retry_give_up_after: int = 5
    # Scale-out (docs/scale-out.md): "local" keeps the crawl frontier in the crawl process;
    # "redis" shares one frontier (scrapy-redis scheduler and duplicate filter) on `redis_url`
    # among crawler processes on any number of machines.
    frontier: str = "local"
    redis_url: str = ""  # redis://[:password@]host:port/db, required by frontier = "redis"
    frontier_lease_seconds: float = 60.0  # a crawler silent this long is dead: its requests go back
    frontier_ttl_hours: float = 72.0  # a crawl's Redis keys expire this long after its last activity


@dataclass(frozen=True)
class FramingSettings:
    """Which model embeds passages and how articles get frame labels."""

    model: str = ""  # empty: the bundled all-MiniLM-L6-v2 (checksum verified)
    backend: str = "torch"  # torch | onnx | onnx-int8
    batch_size: int = 32
    threads: int = 1  # per process: a second thread in one process adds next to nothing on a CPU
    workers: int = 0  # processes that embed at once; 0 = one per CPU (at most 4)
    codebook: str = ""  # empty: <seeds_dir>/frames.toml
    calibration: str = ""  # optional calibration file from `framewatch frames calibrate`
    models_dir: str = ""  # installed encoders (framewatch models); empty: ~/.local/share/framewatch/models
    trust_model: bool = False  # use a model whose weights' sha256 is not a known one (marked in labels)


@dataclass(frozen=True)
class ReportSettings:
    """What the weekly report shows; `framewatch report` and `framewatch run` both read it."""

    weeks: int = 12  # weeks in the trend charts, ending with the reported week
    min_articles: int = 10  # weeks with fewer labelled stories are flagged, not plotted, not tested
    min_effect: float = 5.0  # smallest change in a frame's share, in percentage points, reported as moved
    quality_file: str = ""  # JSON of framing quality measured on labelled data; empty: no quality box

    def build_arguments(self) -> dict[str, Any]:
        """Keyword arguments of `pipeline.report.build_report` for these settings."""
        return {"weeks": self.weeks, "min_articles": self.min_articles,
                "min_effect": self.min_effect / 100,
                "quality_path": Path(self.quality_file) if self.quality_file else None}


@dataclass(frozen=True)
class WarehouseSettings:
    """Which warehouse every command reads and writes (docs/scale-out.md, "Warehouse")."""

    backend: str = "duckdb"  # duckdb: one file (`database`), one writer | ducklake: many writers
    catalog_dsn: str = ""  # ducklake: PostgreSQL catalog, postgresql://user:password@host:5432/db
    data_path: str = ""  # ducklake: folder of the lake's Parquet files; empty: <workdir>/lake


@dataclass(frozen=True)
class ProcessingSettings:
    """Where the clean and frame stages do their work (docs/scale-out.md, "Processing on Dask")."""

    engine: str = "local"  # local: this process (and its pools) | dask: units of work on a Dask cluster
    dask_address: str = ""  # dask: the scheduler, tcp://host:8786; empty: a local cluster of local_workers
    local_workers: int = 2  # dask without an address: single-threaded worker processes started here
    unit_size: int = 64  # pages (clean) or articles (frame) in one unit of work
    lease_seconds: float = 900.0  # a unit claimed this long and not finished is another's to take


@dataclass(frozen=True)
class Settings:
    """Where framewatch reads its seeds and writes its warehouse, archive and reports."""

    workdir: Path = Path("framewatch-data")
    seeds_dir: Path = DEFAULT_SEEDS_DIR
    database: str = ""  # empty: <workdir>/framewatch.duckdb
    archive_dir: str = ""  # empty: <workdir>/archive
    reports_dir: str = ""  # empty: <workdir>/reports
    sources_file: str = ""  # empty: <seeds_dir>/sources.toml
    crawl: CrawlSettings = field(default_factory=CrawlSettings)
    framing: FramingSettings = field(default_factory=FramingSettings)
    report: ReportSettings = field(default_factory=ReportSettings)
    warehouse: WarehouseSettings = field(default_factory=WarehouseSettings)
    processing: ProcessingSettings = field(default_factory=ProcessingSettings)

    @property
    def db_path(self) -> Path:
        return Path(self.database) if self.database else self.workdir / "framewatch.duckdb"

    @property
    def warehouse_target(self) -> Any:
        """What `warehouse.db.connect` opens: the file `db_path`, or a `LakeLocation`."""
        from warehouse.db import LakeLocation  # lazily: reading settings needs no DuckDB

        if self.warehouse.backend == "duckdb":
            return self.db_path
        if self.warehouse.backend == "ducklake":
            data_path = self.warehouse.data_path or str(self.workdir / "lake")
            return LakeLocation(self.warehouse.catalog_dsn, data_path)
        raise ConfigError("settings", "warehouse.backend",
                          f"unknown backend {self.warehouse.backend!r} (known: duckdb, ducklake)")

    @property
    def archive_path(self) -> Path:
        return Path(self.archive_dir) if self.archive_dir else self.workdir / "archive"

    @property
    def reports_path(self) -> Path:
        return Path(self.reports_dir) if self.reports_dir else self.workdir / "reports"

    @property
    def sources_path(self) -> Path:
        return Path(self.sources_file) if self.sources_file else self.seeds_dir / "sources.toml"

    @property
    def topic_path(self) -> Path:
        return self.seeds_dir / "topic.toml"

    @property
    def codebook_path(self) -> Path:
        return Path(self.framing.codebook) if self.framing.codebook else self.seeds_dir / "frames.toml"

    def with_workdir(self, workdir: str | Path) -> Settings:
        """The same settings with every default output path under `workdir`."""
        return replace(self, workdir=Path(workdir))


_PATH_KEYS = {"workdir", "seeds_dir", "database", "archive_dir", "reports_dir", "sources_file",
              "codebook", "calibration", "models_dir", "quality_file", "data_path"}


def _coerce(value: Any, kind: type, where: str, origin: str) -> Any:
    """Convert a TOML or environment value to the field's type, or say what is wrong."""
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
            return value.lower() in {"1", "true", "yes", "on"}
    elif kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                pass
    elif kind is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
    elif kind in (str, Path) and isinstance(value, str):
        return kind(value)
    raise ConfigError(origin, where, f"expected {kind.__name__}, got {value!r}")


def _merge(obj: Any, table: dict[str, Any], origin: str, prefix: str, base: Path | None) -> Any:
    """Overlay `table` on the dataclass `obj`; `prefix` names keys the way the user wrote them."""
    hints = get_type_hints(type(obj))
    known = {f.name for f in fields(obj)}
    changes: dict[str, Any] = {}
    from_env = origin == "environment"
    for key, value in table.items():
        where = f"{prefix}{key.upper()}" if from_env else f"{prefix}{key}"
        if key not in known:
            raise ConfigError(origin, where, f"unknown setting (known: {', '.join(sorted(known))})")
        kind = hints[key]
        if dataclasses.is_dataclass(kind):
            if not isinstance(value, dict):
                raise ConfigError(origin, where, "expected a table")
            changes[key] = _merge(getattr(obj, key), value, origin, f"{where}{'__' if from_env else '.'}", base)
            continue
        coerced = _coerce(value, kind, where, origin)
        if key in _PATH_KEYS and base is not None and coerced and not Path(coerced).is_absolute():
            coerced = kind(base / coerced)
        changes[key] = coerced
    return replace(obj, **changes)


def _env_table(environ: dict[str, str]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name == f"{ENV_PREFIX}CONFIG":
            continue
        path = name[len(ENV_PREFIX):].lower().split("__")
        node = table
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return table


def load_settings(
    config_path: str | Path | None = None, *, environ: dict[str, str] | None = None
) -> Settings:
    """Read the settings: defaults, then the TOML file (if any), then FRAMEWATCH_* variables."""
    environ = dict(os.environ if environ is None else environ)
    settings = Settings()
    explicit = config_path or environ.get(f"{ENV_PREFIX}CONFIG")
    path = Path(explicit) if explicit else Path("framewatch.toml")
    if path.exists():
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(path, "(file)", f"not valid TOML: {error}") from error
        settings = _merge(settings, table, str(path), "", path.resolve().parent)
    elif explicit:
        raise ConfigError(path, "(file)", "config file not found")
    env = _env_table(environ)
    if env:
        settings = _merge(settings, env, "environment", ENV_PREFIX, None)
    return settings
