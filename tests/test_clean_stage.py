"""The clean stage over a real warehouse and WARC archive: rows, bad pages, duplicates, re-runs."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from fixtures.archived import ArchivedPage, store_archived_pages

from pipeline.relevance import RelevanceModel
from pipeline.seeds import load_topic
from pipeline.settings import DEFAULT_SEEDS_DIR
from pipeline.stages.clean import (
    BATCH_SIZE,
    MIN_TAIL_BATCH,
    _batches,
    article_id_for,
    clean_pending,
)
from pipeline.stages.embedding_cache import EmbeddingCache
from warehouse.db import warehouse

WIRE_BODY = [
    ("The Commerce Department on Tuesday widened its restrictions on exports of advanced AI chips "
    "to China, adding twelve Chinese companies to its entity list and closing a loophole that let "
    "firms buy high-end accelerators through subsidiaries abroad."),
    ("Officials said the rules were needed to stop the chips from reaching military programmes, "
    "while chipmakers warned that the measures would cost them billions of dollars in lost sales "
    "and push Chinese buyers towards domestic suppliers."),
    ("Analysts said the curbs would slow but not stop Chinese laboratories, which have learned to "
    "train large language models with fewer and older processors than their American rivals."),
]


def page(title: str, paragraphs: list[str], published: str) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html><head><title>{title}</title>"
            f'<meta property="article:published_time" content="{published}"></head>'
            f"<body><nav>Home | World | Tech</nav><article><h1>{title}</h1>{body}</article>"
            "<footer>Contact us</footer></body></html>").encode()


def store_pages(con, archive_dir, pages) -> None:
    """Store (source_id, url, body, listing_published) pages as a crawl does; again: a re-crawl."""
    store_archived_pages(con, archive_dir, refetch=True, pages=(
        ArchivedPage(url, source_id, body, listing_published=listing_published)
        for source_id, url, body, listing_published in pages))


@pytest.fixture
def stage(tmp_path, embedder):
    db = tmp_path / "fw.duckdb"
    with warehouse(db) as con:
        con.execute("insert into core.sources (source_id, name, kind) values "
                    "('wire', 'Wire', 'wire'), ('daily', 'Daily', 'outlet'), ('tech', 'Tech', 'tech')")

    def run(pages, **options):
        with warehouse(db) as con:
            store_pages(con, tmp_path / "archive", pages)
            cache = EmbeddingCache(con, embedder)
            relevance = RelevanceModel(load_topic(DEFAULT_SEEDS_DIR / "topic.toml"), cache.encode)
            summary = clean_pending(con, tmp_path / "archive", relevance, workers=1, **options)
            rows = con.execute("select canonical_url, extraction_status, duplicate_of, duplicate_kind, in_scope, "
                               "published_at, title from core.articles order by canonical_url").fetchall()
        return summary, {r[0]: r for r in rows}

    return run


def test_copy_cleaned_first_still_points_at_the_earlier_original(stage):
    original = "http://127.0.0.1/wire/us-widens-chip-curbs"
    copy = "http://127.0.0.2/daily/washington-tightens-ai-chip-exports"
    other = "http://127.0.0.3/tech/phone-review"
    # The copy's listing date sorts it first; the wire original has none and was published earlier.
    summary, rows = stage([
        ("daily", copy, page("Washington tightens AI chip exports",
                                          ["WASHINGTON (Wire) - " + WIRE_BODY[0], *WIRE_BODY[1:]],
                                          "2026-11-18T15:00:00Z"), datetime(2026, 11, 18, 15)),
        ("wire", original, page("US widens chip curbs", WIRE_BODY, "2026-11-18T09:00:00Z"), None),
        ("tech", other, page("Our verdict on the new phone",
                             [("The new phone has a bright screen and a battery that lasts two days of "
                              "ordinary use, though the camera struggles in low light and the "
                              "speakers sound thin at high volume compared with last year's model.")] * 1 +
                             [("It costs less than its rivals and comes in four colours, which makes it an "
                              "easy recommendation for most people who want a dependable handset.")],
                             "2026-11-18T10:00:00Z"), None),
    ])
    assert summary.pages == 3 and summary.ok == 3
    assert rows[original][2] is None
    assert rows[copy][2] == article_id_for(original) and rows[copy][3] == "wire"
    assert rows[other][2] is None
    assert rows[original][4] and not rows[other][4]  # chip curbs in scope, the phone review not


def test_bad_pages_get_a_status_and_the_batch_goes_on(stage):
    good = "http://127.0.0.1/wire/good"
    summary, rows = stage([
        ("wire", "http://127.0.0.1/wire/empty", b"", None),
        ("wire", "http://127.0.0.1/wire/binary", bytes(range(256)) * 40, None),
        ("wire", "http://127.0.0.1/wire/scripts", b"<html><script>var a = 1;</script></html>", None),
        ("wire", good, page("US widens chip curbs", WIRE_BODY, "2026-11-18T09:00:00Z"), None),
    ])
    assert summary.pages == 4 and summary.ok == 1
    assert {rows[u][1] for u in rows if u != good} <= {"empty", "binary", "no_article", "not_html"}
    assert rows[good][1] == "ok"


def test_rerun_cleans_only_new_or_changed_pages(stage):
    url = "http://127.0.0.1/wire/us-widens-chip-curbs"
    first, _ = stage([("wire", url, page("US widens chip curbs", WIRE_BODY, "2026-11-18T09:00:00Z"), None)])
    again, _ = stage([])
    changed, rows = stage([("wire", url, page("US widens chip curbs (updated)", WIRE_BODY,
                                               "2026-11-18T09:00:00Z"), None)])
    assert (first.pages, again.pages, changed.pages) == (1, 0, 1)
    assert rows[url][6] == "US widens chip curbs (updated)"


def test_a_day_only_date_is_not_earlier_than_a_timed_copy_of_that_day():
    from pipeline.dedupe import Copy
    from pipeline.stages.clean import _earlier

    wire = Copy("wire", datetime(2026, 10, 30, 13, 45), is_wire=True)
    day_only = Copy("outlet", datetime(2026, 10, 30), is_wire=False)
    previous_day = Copy("outlet", datetime(2026, 10, 29), is_wire=False)
    assert _earlier(day_only, wire) == "wire"
    assert _earlier(previous_day, wire) == "outlet"


def test_relevance_evidence_says_how_each_article_was_judged(stage, tmp_path):
    chips = "http://127.0.0.1/wire/us-widens-chip-curbs"
    recipe = "http://127.0.0.3/tech/autumn-soup"
    stage([
        ("wire", chips, page("US widens chip curbs", WIRE_BODY, "2026-11-18T09:00:00Z"), None),
        ("tech", recipe, page("A warming autumn soup", [
            ("Roast the squash with garlic and thyme until soft, then blend it with hot stock, a "
             "splash of cream and plenty of black pepper for a soup that feeds four people."),
            ("Serve it with toasted bread and a spoonful of yoghurt; it keeps for three days in the "
             "fridge and freezes well in small portions for weekday lunches.")], "2026-11-18T10:00:00Z"),
         None),
    ])
    with warehouse(tmp_path / "fw.duckdb") as con:
        rows = {url: (score, in_scope, json.loads(evidence)) for url, score, in_scope, evidence in con.execute(
            "select canonical_url, relevance_score, in_scope, relevance_evidence from core.articles").fetchall()}
    score, in_scope, evidence = rows[recipe]
    # no topic term: ruled out without the model, and the row says so instead of faking a score
    assert (score, in_scope) == (None, False)
    assert evidence == {"decided_by": "no_term", "term_hits": {}, "passages": []}
    score, in_scope, evidence = rows[chips]
    assert in_scope and score is not None and evidence["decided_by"] == "embedding"
    assert evidence["term_hits"]["chips"] >= 2 and evidence["passages"]


@pytest.mark.parametrize("pages", [1, 7, 64, 130, 218, 5000])
def test_batches_keep_page_order_and_shrink_towards_the_end(pages):
    items = list(range(pages))
    sizes = [len(batch) for batch in _batches(items, BATCH_SIZE)]
    assert [i for batch in _batches(items, BATCH_SIZE) for i in batch] == items
    assert max(sizes) <= BATCH_SIZE
    # the main process's work after the workers are done is one small batch, not a full one
    if pages > 2 * MIN_TAIL_BATCH:
        assert MIN_TAIL_BATCH <= sizes[-1] < 2 * MIN_TAIL_BATCH
    assert sizes == sorted(sizes, reverse=True)
