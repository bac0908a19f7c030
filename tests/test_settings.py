"""Settings: defaults, TOML file, environment, and errors that name the file, key and problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import ConfigError
from pipeline.settings import load_settings


def test_defaults_put_everything_under_the_workdir():
    settings = load_settings(environ={})
    assert settings.db_path == Path("framewatch-data/framewatch.duckdb")
    assert settings.codebook_path.name == "frames.toml"
    assert settings.crawl.obey_robots is True


def test_file_then_environment(tmp_path):
    config = tmp_path / "fw.toml"
    config.write_text('workdir = "data"\n[crawl]\ndownload_delay = 2.5\n[framing]\nbackend = "onnx"\n')
    settings = load_settings(config, environ={"FRAMEWATCH_CRAWL__DOWNLOAD_DELAY": "0.5"})
    assert settings.workdir == tmp_path / "data"  # relative to the file
    assert settings.crawl.download_delay == 0.5  # the environment wins
    assert settings.framing.backend == "onnx"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[crawl]\ndownload_delai = 1\n", r"crawl.download_delai: unknown setting"),
        ("[crawl]\ndownload_delay = 'soon'\n", r"crawl.download_delay: expected float"),
        ("crawl = 3\n", r"crawl: expected a table"),
        ("workdir = \n", r"\(file\): not valid TOML"),
    ],
)
def test_bad_config_names_file_key_and_problem(tmp_path, text, message):
    config = tmp_path / "fw.toml"
    config.write_text(text)
    with pytest.raises(ConfigError, match=message) as raised:
        load_settings(config, environ={})
    assert str(config) in str(raised.value)


def test_missing_explicit_config_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml", environ={})


def test_bad_environment_value_names_the_variable():
    with pytest.raises(ConfigError, match=r"environment: FRAMEWATCH_CRAWL__OBEY_ROBOTS: expected bool"):
        load_settings(environ={"FRAMEWATCH_CRAWL__OBEY_ROBOTS": "maybe"})
