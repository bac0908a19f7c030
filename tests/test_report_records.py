"""The report's model is typed records: a misspelled field fails where a row is built or read,
before anything is rendered; the lead sentence reads right when nothing moved."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
import pytest
from fixtures.report.synthetic import SyntheticWarehouse, planted_trends
from jinja2 import UndefinedError

from pipeline.report.analysis import build_model, mark_moved
from pipeline.report.build import _options
from pipeline.report.data import load_report_data
from pipeline.report.records import FrameRow, FrameTest
from pipeline.report.render import _environment
from pipeline.report.view import lead
from pipeline.report.weeks import week_range

WEEK = "2026-W47"
FREE_FORM = {"verdicts", "quality", "source_weeks"}  # plain mappings by design


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("records") / "planted.duckdb"
    planted_trends(db, WEEK)
    con = duckdb.connect(str(db), read_only=True)
    try:
        options = _options(WEEK, 12, 10, 0.05, 0.05, "holm")
        return build_model(load_report_data(con, options.data_weeks[0], WEEK), options, None)
    finally:
        con.close()


def _untyped(value, path: str) -> list[str]:
    """Paths of every dict in `value` that carries report rows instead of a record."""
    found = []
    if dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            if f.name not in FREE_FORM:
                found += _untyped(getattr(value, f.name), f"{path}.{f.name}")
    elif isinstance(value, dict):
        if any(isinstance(v, (str, int, float)) for v in value.values()):
            found.append(path)
        for key, item in value.items():
            found += _untyped(item, f"{path}[{key!r}]")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found += _untyped(item, f"{path}[{index}]")
    return found


def test_the_model_holds_typed_records_only(model) -> None:
    assert _untyped(model, "model") == []
    assert model.frame_table and all(isinstance(r, FrameRow) for r in model.frame_table)
    assert all(isinstance(t, FrameTest) for t in model.tests)


def test_a_misspelled_field_fails_before_rendering(model) -> None:
    row = model.frame_table[0]
    fields = {f.name: getattr(row, f.name) for f in dataclasses.fields(row)}
    fields["shar"] = fields.pop("share")
    with pytest.raises(TypeError, match="shar"):
        FrameRow(**fields)
    with pytest.raises(AttributeError):
        row.moved_carries_last_wek = "up"  # slots: no new attributes
    test = dataclasses.replace(model.tests[0], reference="last_wek", moved=True, direction="up")
    with pytest.raises(AttributeError):
        mark_moved([row], [test])
    template = _environment(False).from_string("{{ r.shar }}")
    with pytest.raises(UndefinedError):
        template.render(r=row)


def test_the_lead_says_when_nothing_moved(tmp_path: Path) -> None:
    """Twelve flat weeks: no test passes; the sentence says so and how large the largest change
    was, and the chart colours nothing."""
    db = tmp_path / "flat.duckdb"
    wh = SyntheticWarehouse(db)
    wh.add_source("alpha", "Alpha", "US")
    for week in week_range(WEEK, 12):
        wh.add_articles(week, "alpha", 30, {"race_to_win": 9, "cooperation": 6})
    wh.close()
    con = duckdb.connect(str(db), read_only=True)
    try:
        options = _options(WEEK, 12, 10, 0.05, 0.05, "holm")
        flat = build_model(load_report_data(con, options.data_weeks[0], WEEK), options, None)
    finally:
        con.close()
    found = lead(flat)
    assert found.sentence.startswith(
        "No frame moved this week or over the last 4 weeks: none of the 36 tests passed after "
        "Holm correction with a change of at least 5 points; the largest change, "
    )
    assert not any(r.moved for r in found.rows) and len(found.rows) == 12
