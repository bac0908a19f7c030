"""Duplicates and wire copies: exact, near and syndicated copies, measured on edited copies.

The quality test builds a stream of articles: originals, lightly edited copies of some of them
(wire syndication with a dateline, a trimmed or added paragraph, a new headline, an agency tail,
typos; trimmed regional reprints; corrected versions from the same outlet) and distinct articles
on the same topic that share an outlet's boilerplate. It then measures precision and recall of
:class:`DuplicateIndex` and pins them. Base texts: the synthetic articles of
tests/fixtures/relevance/labelled.jsonl (always) and the real article bodies of
../shared/eval/extraction/gold.jsonl (when that folder exists).
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pytest

from pipeline.dedupe import (
    Copy,
    DuplicateIndex,
    IndexRow,
    StoryGroups,
    StoryLink,
    choose_original,
    index_row,
    minhash_signature,
    normalise_text,
    shingles,
    signature_from_stored,
    signature_to_bytes,
    text_fingerprint,
    wire_credit,
)
from pipeline.stages.clean import article_id_for

FIXTURES = Path(__file__).parent / "fixtures"
SHARED_GOLD = (
    Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "extraction" / "gold.jsonl"
)

# Measured with the defaults of DuplicateIndex, pooled over the streams of SEEDS; the gate
# allows a margin. The synthetic articles are short (60-120 words), so the same edits remove a
# larger share of their shingles than of a real article's: recall is lower there.
SEEDS = (7, 11, 13)
PINNED = {
    "synthetic": {"precision": 1.0, "recall": 0.892},
    "real": {"precision": 1.0, "recall": 0.997},
}
MARGIN = 0.03

# --- building the stream --------------------------------------------------------------------

DATELINES = [
    ("BEIJING, March 3 (Xinhua) -- ", "Xinhua"),
    ("WASHINGTON (Reuters) - ", "Reuters"),
    ("SAN FRANCISCO (AP) — ", "AP"),
    ("PARIS (AFP) - ", "AFP"),
    ("", None),
]
TAILS = [
    "(Reporting by Karen Freifeld in New York; Editing by Chizu Nomiyama and Mark Porter)",
    "(Additional reporting by Fanny Potkin; Writing by Josh Ye; Editing by Sonali Paul)",
    "--With assistance from Jane Doe.",
    "",
]
LOCAL_PARAGRAPHS = [
    "Officials in the state capital did not immediately respond to a request for comment on Tuesday.",
    "The story was updated with comments from the regional chamber of commerce.",
    "Read more: what the new rules mean for companies in our area, and how local firms are responding.",
    "Our correspondent adds that several local suppliers said they had not yet been contacted.",
]
BOILERPLATE = (
    "Sign up for our free morning newsletter to get the day's most important stories in your "
    "inbox. You can unsubscribe at any time, and we will never share your address with anyone."
)


@dataclass
class StreamItem:
    article_id: str
    cluster: str
    source_id: str
    text: str
    edit: str  # original | wire | trimmed | corrected | follow-up


def _typo(paragraphs: list[str], rng: random.Random) -> list[str]:
    index = rng.randrange(len(paragraphs))
    words = paragraphs[index].split()
    long_words = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    if not long_words:
        return paragraphs
    i = rng.choice(long_words)
    word = words[i]
    j = rng.randrange(1, len(word) - 2)
    words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
    return [*paragraphs[:index], " ".join(words), *paragraphs[index + 1 :]]


def wire_copy(title: str, paragraphs: Sequence[str], rng: random.Random) -> str:
    """A syndicated copy: dateline, new headline, trimmed/added paragraph, typos, tail."""
    paras = list(paragraphs)
    dateline, _ = rng.choice(DATELINES)
    paras[0] = dateline + paras[0]
    if len(paras) >= 4 and rng.random() < 0.7:
        paras = paras[: len(paras) - rng.randint(1, max(1, len(paras) // 4))]
    if rng.random() < 0.5:
        paras.insert(rng.randint(1, len(paras)), rng.choice(LOCAL_PARAGRAPHS))
    for _ in range(rng.randint(0, 3)):
        paras = _typo(paras, rng)
    tail = rng.choice(TAILS)
    if tail:
        paras.append(tail)
    headline = "UPDATE 1-" + " ".join(reversed(title.split()[:6]))
    return "\n\n".join([headline, *paras])


def trimmed_copy(title: str, paragraphs: Sequence[str], rng: random.Random) -> str:
    """A regional reprint of the first half or so of the story, under its own headline."""
    keep = max(2, round(len(paragraphs) * rng.uniform(0.3, 0.7)))
    return "\n\n".join([title.upper(), *paragraphs[:keep]])


def corrected_copy(title: str, paragraphs: Sequence[str], rng: random.Random) -> str:
    """The same outlet's corrected version: a fixed word or two and a correction note."""
    paras = list(paragraphs)
    for _ in range(rng.randint(1, 2)):
        paras = _typo(paras, rng)
    paras.append("This story has been corrected to fix a misspelling.")
    return "\n\n".join([title, *paras])


def follow_up(background: Sequence[str], fresh: Sequence[str], rng: random.Random) -> str:
    """A new story that reuses a background paragraph or two of an earlier one: not a copy."""
    reused = list(background[1 : 1 + rng.randint(1, 2)])
    return "\n\n".join([*fresh[:2], *reused, *fresh[2:]])


def build_stream(articles: Sequence[tuple[str, list[str]]], seed: int = 7) -> list[StreamItem]:
    """Originals, edited copies of about 60% of them and follow-up stories that reuse some of
    their paragraphs, shuffled; article ids say nothing of the truth."""
    rng = random.Random(seed)
    # A fifth of the articles supply the new text of follow-up stories; they appear nowhere else.
    split = len(articles) * 4 // 5
    bases, fresh_pool = articles[:split], list(articles[split:])
    items: list[StreamItem] = []
    for n, (title, paragraphs) in enumerate(bases):
        cluster = f"story-{n}"
        outlet = f"outlet-{n % 7}"
        # Every outlet stamps its boilerplate on its own stories: shared text, different stories.
        body = [*paragraphs, BOILERPLATE] if n % 3 == 0 else list(paragraphs)
        items.append(StreamItem("", cluster, outlet, "\n\n".join([title, *body]), "original"))
        if rng.random() < 0.6:
            edit = rng.choice(["wire", "wire", "trimmed", "corrected"])
            if edit == "wire":
                text, source = wire_copy(title, paragraphs, rng), f"outlet-{(n + 1) % 7}"
            elif edit == "trimmed":
                text, source = trimmed_copy(title, paragraphs, rng), f"outlet-{(n + 2) % 7}"
            else:
                text, source = corrected_copy(title, body, rng), outlet
            items.append(StreamItem("", cluster, source, text, edit))
        if fresh_pool and len(paragraphs) >= 3 and rng.random() < 0.25:
            fresh_title, fresh = fresh_pool.pop()
            text = "\n\n".join([fresh_title, follow_up(paragraphs, fresh, rng)])
            items.append(StreamItem("", f"follow-up-{n}", outlet, text, "follow-up"))
    rng.shuffle(items)
    for number, item in enumerate(items):
        item.article_id = f"a{number:05d}"
    return items


@dataclass
class Scores:
    precision: float
    recall: float
    predicted: int
    expected: int
    wrong_kind: int


def measure(index: DuplicateIndex, stream: Sequence[StreamItem]) -> Scores:
    """Precision and recall of matching each item against everything seen before it."""
    cluster_of = {item.article_id: item.cluster for item in stream}
    seen_clusters: set[str] = set()
    predicted = correct = expected = found = wrong_kind = 0
    for item in stream:
        match, _ = index.match_and_add(item.article_id, item.text, source_id=item.source_id)
        has_earlier = item.cluster in seen_clusters
        expected += has_earlier
        if match is not None:
            predicted += 1
            if cluster_of[match.duplicate_of] == item.cluster:
                correct += 1
                found += has_earlier
                wrong_kind += _expected_kind(item, stream, match.duplicate_of) != match.kind
        seen_clusters.add(item.cluster)
    return Scores(
        precision=correct / predicted if predicted else 1.0,
        recall=found / expected if expected else 1.0,
        predicted=predicted,
        expected=expected,
        wrong_kind=wrong_kind,
    )


def measure_streams(articles: Sequence[tuple[str, list[str]]]) -> Scores:
    """Scores pooled over one fresh index per seed's stream."""
    runs = [measure(DuplicateIndex(), build_stream(articles, seed)) for seed in SEEDS]
    predicted = sum(r.predicted for r in runs)
    expected = sum(r.expected for r in runs)
    correct = sum(r.precision * r.predicted for r in runs)
    found = sum(r.recall * r.expected for r in runs)
    return Scores(
        precision=correct / predicted if predicted else 1.0,
        recall=found / expected if expected else 1.0,
        predicted=predicted,
        expected=expected,
        wrong_kind=sum(r.wrong_kind for r in runs),
    )


def _expected_kind(item: StreamItem, stream: Sequence[StreamItem], other_id: str) -> str:
    other = next(s for s in stream if s.article_id == other_id)
    if text_fingerprint(other.text) == text_fingerprint(item.text):
        return "exact"
    return "near" if other.source_id == item.source_id else "wire"


def labelled_articles() -> list[tuple[str, list[str]]]:
    lines = (FIXTURES / "relevance" / "labelled.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    return [(row["title"], row["paragraphs"]) for row in rows]


def gold_articles(min_words: int = 80) -> list[tuple[str, list[str]]]:
    articles = []
    for line in SHARED_GOLD.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        paragraphs = [p.strip() for p in row["text"].split("\n") if p.strip()]
        if len(row["text"].split()) >= min_words and len(paragraphs) >= 2:
            articles.append((row.get("title") or paragraphs[0][:80], paragraphs))
    return articles


# --- quality gates --------------------------------------------------------------------------


def test_duplicate_quality_on_synthetic_articles() -> None:
    scores = measure_streams(labelled_articles())
    assert scores.expected > 150, "the stream must hold enough copies to measure recall"
    assert scores.precision >= PINNED["synthetic"]["precision"] - MARGIN, scores
    assert scores.recall >= PINNED["synthetic"]["recall"] - MARGIN, scores
    assert scores.wrong_kind <= 0.05 * scores.predicted, scores


@pytest.mark.skipif(not SHARED_GOLD.exists(), reason="../shared/eval/extraction is absent")
def test_duplicate_quality_on_real_article_bodies() -> None:
    scores = measure_streams(gold_articles())
    assert scores.expected > 250
    assert scores.precision >= PINNED["real"]["precision"] - MARGIN, scores
    assert scores.recall >= PINNED["real"]["recall"] - MARGIN, scores
    assert scores.wrong_kind <= 0.05 * scores.predicted, scores


# --- behaviour ------------------------------------------------------------------------------

STORY = [
    (
        "The Commerce Department added a dozen Chinese companies to its entity list on Tuesday, "
        "barring them from buying advanced processors and the tools used to make them."
    ),
    (
        "Officials said the move was meant to keep the most capable accelerators out of the hands "
        "of developers building large models for Beijing's military and security services."
    ),
    (
        "Shares in chip equipment makers fell in after-hours trading, with the largest suppliers "
        "losing between two and four percent of their value."
    ),
    (
        "Industry groups said the rules would hurt American firms and push Chinese customers "
        "toward domestic suppliers such as Huawei and SMIC, which have expanded production."
    ),
]
OTHER_STORY = [
    (
        "Huawei plans to double output of its Ascend processors next year as Chinese cloud "
        "providers look for alternatives to the American hardware they can no longer buy."
    ),
    (
        "The chips are made by SMIC on an older process, and engineers say yields remain low, "
        "but the government has urged state-owned firms to switch to domestic suppliers."
    ),
    (
        "Analysts said the shortfall would take years to close even with state support for the "
        "industry and new factories in Shanghai and Shenzhen."
    ),
]


def test_normalise_and_fingerprint_ignore_case_punctuation_and_spacing() -> None:
    assert normalise_text("  China’s AI—PLAN:\n\n“bold”  ") == "china s ai plan bold"
    assert text_fingerprint("Hello,   World!") == text_fingerprint("hello world")
    assert text_fingerprint("hello world") != text_fingerprint("hello there world")


def test_exact_copy_is_exact_even_with_other_whitespace_and_quotes() -> None:
    index = DuplicateIndex()
    index.add("a", "\n\n".join(STORY), source_id="reuters")
    match = index.match("b", "  ".join(STORY).replace("'", "’"), source_id="other")
    assert match is not None
    assert (match.duplicate_of, match.kind, match.similarity) == ("a", "exact", 1.0)


def test_wire_copy_with_dateline_new_headline_dropped_paragraph_and_tail_is_wire() -> None:
    index = DuplicateIndex()
    index.add("orig", "\n\n".join(STORY), source_id="reuters")
    copy = "\n\n".join(
        [
            "US blacklists Chinese firms over AI chips",
            "WASHINGTON (Reuters) - " + STORY[0],
            *STORY[1:3],
            "(Reporting by Karen Freifeld; Editing by Chizu Nomiyama)",
        ]
    )
    match = index.match("copy", copy, source_id="regional-paper")
    assert match is not None and match.duplicate_of == "orig"
    assert match.kind == "wire"
    assert match.wire_credit == "Reuters"
    assert match.containment > match.jaccard  # the copy is shorter: containment decides


def test_corrected_version_from_same_outlet_is_near() -> None:
    index = DuplicateIndex()
    index.add("v1", "\n\n".join(STORY), source_id="reuters")
    corrected = "\n\n".join(STORY).replace("Tuesday", "Wednesday").replace("four", "five")
    match = index.match("v2", corrected, source_id="reuters")
    assert match is not None and (match.duplicate_of, match.kind) == ("v1", "near")
    assert 0.8 <= match.similarity < 1.0


def test_distinct_story_on_same_topic_does_not_match() -> None:
    index = DuplicateIndex()
    index.add("a", "\n\n".join([*STORY, BOILERPLATE]), source_id="outlet")
    assert index.match("b", "\n\n".join([*OTHER_STORY, BOILERPLATE]), source_id="outlet") is None


def test_article_never_matches_itself_and_duplicate_ids_are_rejected() -> None:
    index = DuplicateIndex()
    index.add("a", "\n\n".join(STORY))
    assert index.match("a", "\n\n".join(STORY)) is None
    with pytest.raises(ValueError, match="already in the duplicate index"):
        index.add("a", "\n\n".join(OTHER_STORY))


def test_empty_text_and_bad_thresholds_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="empty"):
        DuplicateIndex().add("a", " \n -- ")
    with pytest.raises(ValueError, match="no words"):
        minhash_signature("...")
    with pytest.raises(ValueError, match="threshold must be in"):
        DuplicateIndex(threshold=1.5)


def test_signature_is_deterministic_and_survives_duckdb_round_trip(tmp_path: Path) -> None:
    text = "\n\n".join(STORY)
    signature = minhash_signature(text)
    assert signature.dtype == np.uint64 and signature.shape == (128,)
    assert np.array_equal(signature, minhash_signature(text))
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute("create table sigs (article_id varchar, as_list ubigint[], as_blob blob)")
        con.execute(
            "insert into sigs values (?, ?, ?)",
            ["a", signature.tolist(), signature_to_bytes(signature)],
        )
        as_list, as_blob = con.execute("select as_list, as_blob from sigs").fetchone()
    assert np.array_equal(signature_from_stored(as_list), signature)
    assert np.array_equal(signature_from_stored(as_blob), signature)
    with pytest.raises(ValueError, match="expected 1024"):
        signature_from_stored(b"\x00" * 10)


def test_index_rebuilt_from_warehouse_rows_matches_like_the_original(tmp_path: Path) -> None:
    stream = build_stream(labelled_articles()[:60], seed=3)
    live = DuplicateIndex()
    rows: list[IndexRow] = []
    half = len(stream) // 2
    for item in stream[:half]:
        rows.append(live.add(item.article_id, item.text, source_id=item.source_id))
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute(
            "create table core_articles (article_id varchar, minhash ubigint[], "
            "shingle_count integer, fingerprint varchar, source_id varchar, wire_credit varchar)"
        )
        con.executemany(
            "insert into core_articles values (?, ?, ?, ?, ?, ?)",
            [
                [
                    r.article_id,
                    r.signature.tolist(),
                    r.shingle_count,
                    r.fingerprint,
                    r.source_id,
                    r.wire_credit,
                ]
                for r in rows
            ],
        )
        stored = con.execute("select * from core_articles order by article_id").fetchall()
    rebuilt = DuplicateIndex.from_rows(stored)
    signature_only = DuplicateIndex.from_rows([(r[0], r[1]) for r in stored])
    assert len(rebuilt) == half
    for item in stream[half:]:
        expected = live.match(item.article_id, item.text, source_id=item.source_id)
        got = rebuilt.match(
            item.article_id,
            item.text,
            signature=minhash_signature(item.text),
            source_id=item.source_id,
        )
        assert got == expected
        loose = signature_only.match(item.article_id, item.text)
        if expected is not None and expected.kind != "wire":
            assert loose is not None and loose.duplicate_of == expected.duplicate_of


def test_from_rows_accepts_core_articles_column_names() -> None:
    row = index_row("a", "\n\n".join(STORY), source_id="reuters")
    index = DuplicateIndex.from_rows(
        [
            {
                "article_id": "a",
                "minhash": row.signature.tolist(),
                "shingle_count": row.shingle_count,
                "text_fingerprint": row.fingerprint,
                "source_id": "reuters",
            }
        ]
    )
    match = index.match("b", "\n\n".join(STORY))
    assert match is not None and (match.duplicate_of, match.kind) == ("a", "exact")


def test_from_rows_rejects_malformed_rows() -> None:
    with pytest.raises(ValueError, match="2 to 6 fields"):
        DuplicateIndex.from_rows([("only-an-id",)])
    with pytest.raises(ValueError, match="shape"):
        DuplicateIndex.from_rows([("a", [1, 2, 3])])


def test_index_row_records_credit_count_and_fingerprint() -> None:
    text = "BEIJING, March 3 (Xinhua) -- " + " ".join(STORY)
    row = index_row("a", text, source_id="xinhua")
    assert row.wire_credit == "Xinhua" and row.source_id == "xinhua"
    assert row.shingle_count == len(shingles(text))
    assert row.fingerprint == text_fingerprint(text)
    assert np.array_equal(row.signature, minhash_signature(text))


def test_shingles_are_five_word_windows_and_cjk_counts_characters() -> None:
    assert shingles("one two three four five six") == {
        "one two three four five",
        "two three four five six",
    }
    assert shingles("Short text") == {"short text"}
    assert len(shingles("中国人工智能发展")) == 4  # 8 characters, 5-character windows


@pytest.mark.parametrize(
    ("text", "agency"),
    [
        ("BEIJING, March 3 (Xinhua) -- China said on Monday ...", "Xinhua"),
        ("WASHINGTON (AP) — The Senate voted ...", "AP"),
        ("SINGAPORE (Reuters) - Shares fell ...", "Reuters"),
        ("PARIS (AFP) - France announced ...", "AFP"),
        ("TOKYO (Bloomberg) -- Japan will ...", "Bloomberg"),
        ("Chips fell.\n\n(Reporting by A. Reporter; Editing by An Editor)", "Reuters"),
        ("Story text.\n\n©2026 Bloomberg L.P.", "Bloomberg"),
        ("Text.\n\nCopyright 2026 The Associated Press. All rights reserved.", "AP"),
        ("Nvidia fell 3%, according to Reuters, after the report.", None),
        ("The AP style guide changed its rules on hyphens.", None),
        ("Bloomberg News reported on Monday that the deal was near.", None),
    ],
)
def test_wire_credit(text: str, agency: str | None) -> None:
    assert wire_credit(text) == agency


def test_choose_original_prefers_earliest_then_wire_then_dated() -> None:
    t0 = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    copies = [
        Copy("paper", t0 + timedelta(hours=2)),
        Copy("reuters", t0, is_wire=True),
        Copy("blog", None),
    ]
    assert choose_original(copies) == "reuters"
    tie = [Copy("paper", t0), Copy("ap", t0, is_wire=True)]
    assert choose_original(tie) == "ap"
    assert (
        choose_original([Copy("undated", None), Copy("dated", t0 + timedelta(days=9))]) == "dated"
    )
    with pytest.raises(ValueError, match="at least one"):
        choose_original([])


# --- the same answer whatever the order or batching -----------------------------------------

# b reprints all of a and all of c; a and c share nothing: a ~ b and b ~ c, but not a ~ c.
CHAIN_A = "\n\n".join(STORY)
CHAIN_C = "\n\n".join(OTHER_STORY)
CHAIN_B = "\n\n".join([*STORY, *OTHER_STORY])


def _chain_copy(article_id: str) -> Copy:
    published = {"a": datetime(2026, 3, 1, 9), "b": datetime(2026, 3, 1, 10),
                 "c": datetime(2026, 3, 1, 11)}[article_id]
    return Copy(article_id, published)


def _links_in_batches(items: Sequence[tuple[Copy, str, str]], batch_size: int) -> dict:
    """Story links after adding the items batch by batch, each batch in a fresh StoryGroups
    loaded from the rows stored so far, as the clean stage does from one run to the next."""
    stored: list[tuple[IndexRow, Copy]] = []
    for start in range(0, len(items), batch_size):
        groups = StoryGroups()
        for row, copy in stored:
            groups.add(row, copy)
        for copy, text, source in items[start:start + batch_size]:
            stored.append((groups.add_text(copy, text, source_id=source), copy))
    return groups.all_links()


def test_a_chain_of_copies_is_one_story_in_any_order() -> None:
    texts = {"a": CHAIN_A, "b": CHAIN_B, "c": CHAIN_C}
    # Matching each text against the earlier ones finds two copies in the order a, b, c and
    # one in the order a, c, b: the answer the clean stage used to give depended on the order.
    for order, copies_found in (("abc", 2), ("acb", 1)):
        index = DuplicateIndex()
        found = [index.match_and_add(key, texts[key], source_id=f"outlet-{key}")[0]
                 for key in order]
        assert sum(match is not None for match in found) == copies_found
    assert [m.duplicate_of for m in index.matches(index.row("a"))] == ["b"]  # a ~ b, not a ~ c
    answers = []
    for order in ("abc", "acb", "bac", "bca", "cab", "cba"):
        groups = StoryGroups()
        for key in order:
            groups.add_text(_chain_copy(key), texts[key], source_id=f"outlet-{key}")
        answers.append(groups.all_links())
    assert all(answer == answers[0] for answer in answers)
    links = answers[0]
    assert links["a"] == StoryLink()  # the earliest is the original of all three
    assert links["b"].duplicate_of == "a" and links["b"].kind == "wire"
    assert links["c"].duplicate_of == "a" and links["c"].kind == "wire"  # through b


def test_stories_do_not_depend_on_order_or_batching() -> None:
    stream = build_stream(labelled_articles(), seed=11)
    items = [(Copy(item.article_id, datetime(2026, 3, 1) + timedelta(minutes=7 * (n % 50)),
                   is_wire=item.source_id == "outlet-0"), item.text, item.source_id)
             for n, item in enumerate(stream)]
    reference = _links_in_batches(items, len(items))
    copies = {article_id: link for article_id, link in reference.items() if link.duplicate_of}
    assert len(copies) > 40  # the stream holds many copies to disagree about
    rng = random.Random(5)
    for batch_size in (5, 16, 64, len(items)):
        shuffled = list(items)
        rng.shuffle(shuffled)
        assert _links_in_batches(shuffled, batch_size) == reference, batch_size
    # every copy points at the original its story would choose, not at whichever came first
    for link in copies.values():
        assert reference[link.duplicate_of] == StoryLink()


@pytest.mark.slow
def test_clean_stage_gives_the_same_stories_whatever_the_order_and_batches(tmp_path, embedder):
    """Three workdirs clean the same pages in other orders, batch sizes and runs: the
    warehouse must hold the same duplicates (it held 9, 16 and 11 of 25 pages before)."""
    from test_clean_stage import page, store_pages

    from pipeline.relevance import RelevanceModel
    from pipeline.seeds import load_topic
    from pipeline.settings import DEFAULT_SEEDS_DIR
    from pipeline.stages.clean import clean_pending
    from pipeline.stages.embedding_cache import EmbeddingCache
    from warehouse.db import warehouse

    pages = {
        "a": ("outlet-a", STORY, "2026-03-01T09:00:00Z"),
        "b": ("outlet-b", [*STORY, *OTHER_STORY], "2026-03-01T10:00:00Z"),
        "c": ("outlet-c", OTHER_STORY, "2026-03-01T11:00:00Z"),
        "d": ("outlet-a", [p.replace("Tuesday", "Wednesday") for p in STORY], "2026-03-01T12:00:00Z"),
    }

    def clean(workdir, runs, batch_size):
        with warehouse(workdir / "fw.duckdb") as con:
            con.execute("insert into core.sources (source_id, name, kind) values ('outlet-a', 'A', "
                        "'outlet'), ('outlet-b', 'B', 'wire'), ('outlet-c', 'C', 'outlet')")
            cache = EmbeddingCache(con, embedder)
            relevance = RelevanceModel(load_topic(DEFAULT_SEEDS_DIR / "topic.toml"), cache.encode)
            for keys in runs:
                # the listing date decides the order the clean stage takes the pages in
                store_pages(con, workdir / "archive", [
                    (pages[key][0], f"http://127.0.0.1/{key}", page(f"Story {key}", pages[key][1],
                                                                     pages[key][2]),
                     datetime(2026, 3, 2) + timedelta(hours=n)) for n, key in enumerate(keys)])
                clean_pending(con, workdir / "archive", relevance, workers=1, batch_size=batch_size)
            return con.execute("select canonical_url, duplicate_of, duplicate_kind, "
                               "round(duplicate_similarity, 9) from core.articles "
                               "where extraction_status = 'ok' order by all").fetchall()

    answers = [clean(tmp_path / "one-run", ["abcd"], 64),
               clean(tmp_path / "reversed-one-by-one", ["dcba"], 1),
               clean(tmp_path / "three-runs", ["ca", "d", "b"], 64)]
    assert answers[1] == answers[0] and answers[2] == answers[0]
    links = {url.rsplit("/", 1)[-1]: rest for url, *rest in answers[0]}
    assert len(links) == 4
    original = article_id_for("http://127.0.0.1/a")
    assert links["a"] == [None, None, None]  # the earliest copy is the original of all
    assert [links[key][:2] for key in "bcd"] == [[original, "wire"], [original, "wire"],
                                                [original, "near"]]
