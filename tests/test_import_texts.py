"""`framewatch import texts`: articles without HTML go through de-duplication, relevance and
framing like crawled pages, marked as imported; bad rows are named with their line numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixtures.backfill import write_demo_sources
from fixtures.warehouse import query

from pipeline.cli import cli

AI_TEXT = (
    "Washington tightened export controls on advanced AI chips again this week, widening the "
    "list of chipmaking tools that cannot be shipped to Chinese companies.\n\n"
    "Officials said the rules aim to keep a lead in the AI race by slowing the build-out of "
    "data centres that train frontier models abroad.\n\n"
    "Chipmakers warned that the controls would cost them sales and push buyers toward rival "
    "suppliers, while lawmakers asked for tighter enforcement against smuggling of GPUs."
)
OFF_TEXT = (
    "The city council approved a new bicycle lane along the river on Tuesday, after months of "
    "debate about parking.\n\nResidents said the lane would make the school run safer, and "
    "shop owners asked for more loading bays on the side streets."
)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FRAMEWATCH_SOURCES_FILE", str(write_demo_sources(tmp_path / "sources.toml")))
    return tmp_path / "wd"


def _run(*args: str):
    result = CliRunner().invoke(cli, list(args), obj={}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout[result.stdout.index("{"):])


@pytest.mark.slow
def test_texts_are_deduplicated_judged_framed_and_marked_imported(workdir, tmp_path, embedder) -> None:
    rows = [
        {"title": "Chip curbs widen", "text": AI_TEXT, "date": "2023-03-01T09:00:00Z",
         "outlet": "Meridian Wire", "url": "https://wire.example/chips-1"},
        {"title": "Chip curbs widen (copy)", "text": AI_TEXT, "date": "2023-03-01T15:00:00Z",
         "outlet": "The Harbor Daily"},
        {"title": "New bike lane", "text": OFF_TEXT, "date": "2023-03-02T00:50:00+02:00",
         "outlet": "Valley Gazette"},
        {"title": "broken", "text": "", "date": "2023-03-02", "outlet": "x"},
    ]
    export = tmp_path / "export.jsonl"
    export.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")

    summary = _run("import", "texts", str(export), "--workdir", str(workdir))
    assert summary["totals"] == {"imported": 3, "missing_field": 1}
    assert summary["problems"] == [{"file": str(export), "line": 4, "reason": "missing_field",
                                    "detail": "no 'text'"}]
    assert summary["frame"]["articles"] >= 1

    db = workdir / "framewatch.duckdb"
    articles = query(db, """select a.title, a.source_id, a.extraction_method, a.date_source,
                                   a.in_scope, a.duplicate_of is not null, i.path, i.line_number
                            from core.articles as a join core.imported_stories as i
                            using (canonical_url) order by i.line_number""")
    assert [(r[0], r[1], r[2], r[3], r[6], r[7]) for r in articles] == [
        ("Chip curbs widen", "meridian_wire", "imported-text", "import", "texts", 1),
        ("Chip curbs widen (copy)", "harbor_daily", "imported-text", "import", "texts", 2),
        ("New bike lane", "text-valley-gazette", "imported-text", "import", "texts", 3)]
    assert [r[4] for r in articles] == [True, True, False]  # relevance judged
    assert [r[5] for r in articles] == [False, True, False]  # the copy points at the wire story
    # the day is the publisher's: 00:50 at +02:00 is still 1 March in UTC
    assert query(db, """select published_offset_minutes, cast(published_day as varchar) from articles
                        where title = 'New bike lane'""") == [(120, "2023-03-02")]
    assert query(db, "select followed from core.sources where source_id = 'text-valley-gazette'") \
        == [(False,)]
    framed = query(db, "select count(distinct article_id) from core.frame_labels")
    assert framed == [(2,)]
    # the history report counts them under their acquisition path
    history = query(db, "select count(*) from core.imported_stories where path = 'texts'")
    assert history == [(3,)]

    again = _run("import", "texts", str(export), "--workdir", str(workdir), "--no-frame")
    assert again["totals"] == {"already_imported": 3, "missing_field": 1}
    assert query(db, "select count(*) from core.articles") == [(3,)]
