"""Fixtures shared by the suite: where ../shared is, the real model, a small demo news site."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Real servers (Redis, PostgreSQL, Dask) for the scale-out tests: tests/fixtures/services.py.
from fixtures.services import *

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

# The suite runs offline: no model hub, no Prefect telemetry, Prefect state kept per session.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")


@pytest.fixture(scope="session", autouse=True)
def _prefect_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep Prefect's database out of the user's home."""
    if "PREFECT_HOME" not in os.environ:
        os.environ["PREFECT_HOME"] = str(tmp_path_factory.mktemp("prefect-home"))


@pytest.fixture(scope="session", autouse=True)
def _empty_models_dir(tmp_path_factory: pytest.TempPathFactory) -> None:
    """No installed encoders unless a test installs some: calibration would otherwise embed
    every training set with each model in the user's models folder (all-mpnet-base-v2: 6-8x)."""
    if "FRAMEWATCH_FRAMING__MODELS_DIR" not in os.environ:
        os.environ["FRAMEWATCH_FRAMING__MODELS_DIR"] = str(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared (seed article, evaluation sets); absent in a user's clone, always there in CI."""
    if not SHARED.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{SHARED} is missing, but CI must have it")
        pytest.skip("../shared is not present in this clone")
    return SHARED


@pytest.fixture(scope="session")
def embedder():
    """The real bundled all-MiniLM-L6-v2 (checksum verified), loaded once per test session."""
    from pipeline.stages.runs import load_embedder

    # The same arguments as the default settings' embedder_for(), so stage and CLI tests share it.
    return load_embedder("", "torch", 32, 1, 0)
