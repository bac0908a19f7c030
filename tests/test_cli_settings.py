"""One settings path: every command reads the root --config and takes the same --workdir.

`framewatch report` and the report step of `framewatch run` read the same `[report]` settings,
so they write the same report for the same week; a command that ignored `--config` or lacked
`--workdir` would fail the walk over every command below.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import click
import pytest
from fixtures.cli import run_framewatch
from fixtures.recipes.small_warehouse import small_warehouse
from fixtures.report.synthetic import planted_trends

from pipeline.cli import COMMANDS
from pipeline.commands._common import workdir_option
from pipeline.settings import load_settings
from pipeline.stages.runs import new_run_id, report_stage

REPO = Path(__file__).resolve().parents[1]
WEEK = "2026-W47"


@pytest.fixture(scope="module")
def trends_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("trends") / "framewatch.duckdb"
    planted_trends(path, WEEK)
    return path


def _report_files(folder: Path) -> dict[str, str]:
    """The report's text files by relative path, without the manifest (it holds the time)."""
    return {str(p.relative_to(folder)): p.read_text(encoding="utf-8")
            for p in sorted(folder.rglob("*"))
            if p.is_file() and p.suffix in {".md", ".html", ".csv", ".json", ".svg"}
            and p.name != "manifest.json"}


def test_report_command_and_run_write_the_same_report_from_the_same_settings(
        trends_db, tmp_path, capsys, monkeypatch):
    """`[report]` in the --config file reaches both; the command is given only --config."""
    for name in ("by_command", "by_run"):
        (tmp_path / name).mkdir()
        shutil.copyfile(trends_db, tmp_path / name / "framewatch.duckdb")
    config = tmp_path / "framewatch.toml"
    config.write_text('workdir = "by_command"\n\n[report]\nweeks = 6\nmin_effect = 2.5\n'
                      'min_articles = 5\n', encoding="utf-8")

    code, out, err = run_framewatch(["--config", str(config), "report", "--week", WEEK],
                                    capsys, monkeypatch, tmp_path)
    assert code == 0, err
    assert f"report for {WEEK}" in out

    settings = load_settings(config).with_workdir(tmp_path / "by_run")
    report_stage(settings, new_run_id(), week=WEEK)

    by_command = _report_files(tmp_path / "by_command" / "reports" / WEEK)
    by_run = _report_files(tmp_path / "by_run" / "reports" / WEEK)
    assert "report.md" in by_command and by_command.keys() == by_run.keys()
    for name, text in by_command.items():
        assert text == by_run[name], f"{name} differs between `framewatch report` and the run"
    markdown = by_command["report.md"]
    assert "at least 2.5 points" in markdown, "[report] min_effect was not used"
    assert "fewer than 5 stories" in markdown, "[report] min_articles was not used"


def test_report_reads_no_quality_file_from_the_test_folder(trends_db, tmp_path, capsys, monkeypatch):
    shutil.copyfile(trends_db, tmp_path / "framewatch.duckdb")
    code, _, err = run_framewatch(["report", "--workdir", str(tmp_path), "--week", WEEK],
                                  capsys, monkeypatch, tmp_path)
    assert code == 0, err
    manifest = (tmp_path / "reports" / WEEK / "manifest.json").read_text(encoding="utf-8")
    assert "framing_baseline" not in manifest and "tests/quality" not in manifest
    source = (REPO / "pipeline" / "commands" / "report.py").read_text(encoding="utf-8")
    assert "load_settings" not in source and "tests/quality" not in source.replace(
        "no quality box", "")


# --- every command: the same --workdir, and the root --config honoured ---------------------

# Commands that never touch a workdir (no warehouse, archive or reports), and why.
NO_WORKDIR = {
    "demo-site": "serves the synthetic site; writes nothing",
    "extract": "reads the files it is given and writes JSONL to --out",
    "label": "labels the texts it is given",
    "frames calibrate": "reads a gold file, writes a calibration file",
    "frames evaluate": "reads a gold file",
    "frames shares": "reads --input rows, writes --output",
    "annotate import": "reads sheets, writes a gold file",
    "seeds check": "checks seed files",
    "models list": "installed encoders live in [framing] models_dir, not in a workdir",
    "models install": "installed encoders live in [framing] models_dir, not in a workdir",
    "models verify": "installed encoders live in [framing] models_dir, not in a workdir",
}


def _commands() -> list[tuple[str, click.Command]]:
    found = []
    for name, target in sorted(COMMANDS.items()):
        module_name, _, attribute = target.partition(":")
        command = getattr(__import__(module_name, fromlist=[attribute]), attribute)
        found.append((name, command))
        if isinstance(command, click.Group):
            found += [(f"{name} {sub}", command.commands[sub]) for sub in sorted(command.commands)]
    return found


def _shared_workdir_help() -> str:
    @workdir_option
    def probe(workdir: str | None) -> None: ...

    return probe.__click_params__[0].help  # type: ignore[attr-defined]


@pytest.mark.parametrize(("name", "command"), _commands(), ids=[n for n, _ in _commands()])
def test_every_command_that_uses_a_workdir_takes_the_shared_workdir_option(name, command):
    if name in NO_WORKDIR or isinstance(command, click.Group):  # a group only dispatches
        return
    options = {param.name: param for param in command.params if isinstance(param, click.Option)}
    assert "workdir" in options, f"`framewatch {name}` has no --workdir"
    if name != "demo":  # demo's default is its own folder, framewatch-demo/
        assert options["workdir"].help == _shared_workdir_help(), \
            f"`framewatch {name}` --workdir is not the shared option"


# Arguments that make each command get as far as reading its settings, in a folder where a bad
# --config must stop it before anything else happens.
MINIMAL_ARGS: dict[str, list[str]] = {
    "annotate export": ["--out", "sheet.csv"],
    "annotate import": ["sheet.csv", "--out", "gold.jsonl"],
    "extract": ["page.html"],
    "label": ["--input", "texts.jsonl", "--output", "labels.jsonl"],
    "frames shares": ["--input", "texts.jsonl", "--group-by", "week", "--output", "shares.csv"],
    "frames calibrate": ["--gold", "gold.jsonl", "--out", "calibration.json"],
    "frames evaluate": ["--gold", "gold.jsonl"],
    "import texts": ["texts.jsonl"],
    "import urls": ["urls.txt"],
    "import warc": ["page.html"],
    "sql": ["select 1"],
}
# Commands whose settings are not framewatch's own, and why.
NO_CONFIG = {
    "demo-site": "serves the synthetic site; has no settings",
    "extract": "takes its options on the command line and reads no seeds",
    "models install": "checks NAME against the known models first; then reads [framing] models_dir",
}


@pytest.mark.parametrize(("name", "command"), _commands(), ids=[n for n, _ in _commands()])
def test_every_command_reads_the_root_config(name, command, tmp_path, capsys, monkeypatch):
    """A --config with an unknown key must stop every command with the settings error."""
    if name in NO_CONFIG or isinstance(command, click.Group):
        return
    (tmp_path / "page.html").write_text("<html><body><p>hi</p></body></html>", encoding="utf-8")
    (tmp_path / "texts.jsonl").write_text('{"id": "1", "text": "hi"}\n', encoding="utf-8")
    (tmp_path / "gold.jsonl").write_text('{"id": "1", "text": "hi", "labels": []}\n', encoding="utf-8")
    (tmp_path / "sheet.csv").write_text("id\n", encoding="utf-8")
    (tmp_path / "urls.txt").write_text("http://127.0.0.1:9/a\n", encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text("[report]\nno_such_key = 1\n", encoding="utf-8")
    args = ["--config", str(bad), *name.split(), *MINIMAL_ARGS.get(name, [])]
    if name not in NO_WORKDIR:
        args += ["--workdir", str(tmp_path / "wd")]
    code, _, err = run_framewatch(args, capsys, monkeypatch, tmp_path)
    assert code == 2 and "report.no_such_key: unknown setting" in err, \
        f"`framewatch {name}` did not read --config: exit {code}, {err[-400:]}"
    assert not (tmp_path / "wd").exists()


@pytest.mark.parametrize("command", [["status"], ["sql", "select count(*) from articles"],
                                     ["export", "--format", "csv"], ["report", "--week", "2026-W47"],
                                     ["annotate", "export", "--out", "sheet.csv", "-n", "5"]])
def test_read_commands_find_the_warehouse_through_config_or_workdir(
        command, tmp_path, capsys, monkeypatch):
    small_warehouse(tmp_path / "data" / "framewatch.duckdb")
    config = tmp_path / "framewatch.toml"
    config.write_text('workdir = "data"\n', encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code, _, err = run_framewatch(["--config", str(config), *command], capsys, monkeypatch, elsewhere)
    assert code == 0, f"--config: {err}"
    code, _, err = run_framewatch([*command, "--workdir", str(tmp_path / "data")], capsys,
                                  monkeypatch, elsewhere)
    assert code == 0, f"--workdir: {err}"


def test_seeds_check_finds_the_bundled_seeds_outside_the_checkout(tmp_path, capsys, monkeypatch):
    code, out, err = run_framewatch(["seeds", "check"], capsys, monkeypatch, tmp_path)
    assert code == 0, err
    assert "frames.toml" in out and "sources.toml" in out
    # and a seeds_dir from the settings is what it checks
    seeds = tmp_path / "my-seeds"
    shutil.copytree(REPO / "seeds", seeds)
    (seeds / "frames.toml").write_text("not toml = = \n", encoding="utf-8")
    config = tmp_path / "framewatch.toml"
    config.write_text('seeds_dir = "my-seeds"\n', encoding="utf-8")
    code, out, err = run_framewatch(["--config", str(config), "seeds", "check"], capsys, monkeypatch,
                                    tmp_path)
    assert code == 1
    assert "my-seeds/frames.toml" in out + err
