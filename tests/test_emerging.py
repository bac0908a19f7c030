"""Emerging framings: unclaimed passages cluster, get keywords, and keep their ids across runs."""

from __future__ import annotations

import numpy as np

from pipeline.framing.emerging import KnownCluster, PassageRef, cluster_keywords, find_emerging
from pipeline.furniture import strip_page_furniture

TOPICS = {
    "energy": "Data centres for AI strain the power grid and utilities warn of blackouts and electricity prices",
    "copyright": "Authors sue AI labs over copyright as publishers demand licensing fees for training text",
}


def _passages(seed: int = 0) -> tuple[list[PassageRef], np.ndarray]:
    rng = np.random.default_rng(seed)
    refs, vectors = [], []
    for topic_index, (name, sentence) in enumerate(TOPICS.items()):
        center = np.zeros(32)
        center[topic_index * 8] = 1.0
        for k in range(12):
            week = f"2026-W{40 + k % 4}"
            refs.append(PassageRef(f"{name}-{k}", 1, week, f"{sentence} (case {k})."))
            vectors.append(center + rng.normal(0, 0.03, 32))
    for k in range(6):  # scattered noise that belongs to no cluster
        refs.append(
            PassageRef(
                f"noise-{k}", 2, "2026-W43", f"Unrelated remark number {k} about the weather."
            )
        )
        scattered = np.zeros(32)
        scattered[16 + 2 * k] = 1.0  # far from both topics and from each other
        vectors.append(scattered + rng.normal(0, 0.03, 32))
    matrix = np.asarray(vectors, dtype=np.float32)
    return refs, matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def test_clusters_found_with_keywords():
    refs, vectors = _passages()
    clusters = find_emerging(refs, vectors, current_week="2026-W43")
    assert len(clusters) == 2
    for cluster in clusters:
        topics = [ref.article_id.split("-")[0] for ref, _ in cluster.members]
        main_topic, count = max(((t, topics.count(t)) for t in set(topics)), key=lambda x: x[1])
        assert main_topic in TOPICS and count == 12 and len(topics) <= 13
    assert all(c.first_seen_week == "2026-W40" and c.last_seen_week == "2026-W43" for c in clusters)
    energy = next(c for c in clusters if "energy" in c.members[0][0].article_id)
    assert {"grid", "power", "electricity", "blackouts", "utilities"} & set(energy.keywords)


def test_identity_is_kept_across_runs_and_new_ones_are_marked():
    refs, vectors = _passages()
    first = find_emerging(refs, vectors, current_week="2026-W43")
    known = [KnownCluster(c.cluster_id, c.centroid, "2026-W30") for c in first[:1]]
    refs2, vectors2 = _passages(seed=1)
    second = find_emerging(refs2, vectors2, current_week="2026-W44", known=known)
    ids = {c.cluster_id for c in second}
    assert first[0].cluster_id in ids
    kept = next(c for c in second if c.cluster_id == first[0].cluster_id)
    assert kept.first_seen_week == "2026-W30"
    fresh = next(c for c in second if c.cluster_id != first[0].cluster_id)
    assert fresh.cluster_id.startswith("em-2026-W44-")


def test_too_few_passages_give_no_clusters():
    refs, vectors = _passages()
    assert find_emerging(refs[:5], vectors[:5], current_week="2026-W43") == []


def test_keywords_prefer_words_distinctive_to_a_cluster():
    words = cluster_keywords(
        ["chips chips export controls", "talent visas talent scientists"], top=2
    )
    assert words[0][0] == "chips" and words[1][0] == "talent"


def _warehouse_with_unclaimed_passages(path):
    """A real warehouse file: 24 in-scope articles over four weeks, each with one long body
    passage no frame claims; returns the open SyntheticWarehouse and those passages' hashes."""
    from fixtures.report.synthetic import SyntheticWarehouse

    wh = SyntheticWarehouse(path)
    wh.add_source("alpha", "Alpha", "US")
    for k, (name, sentence) in enumerate(
        (name, sentence) for name, sentence in TOPICS.items() for _ in range(12)
    ):
        article_id = wh.add_articles(f"2026-W{40 + k % 4}", "alpha", 1)[0]
        wh.add_passage(
            article_id, 9, f"{sentence}, Alpha said, quoting source number {k} on the wire."
        )
    wh.flush()
    hashes = [
        row[0]
        for row in wh.con.execute(
            "select text_sha256 from core.passages where idx = 9 order by text"
        ).fetchall()
    ]
    return wh, hashes


def _store_vectors(con, model_id: str, hashes: list[str], dim: int) -> None:
    """Two tight groups of vectors (the sorted texts: copyright first, then energy)."""
    rng = np.random.default_rng(dim)
    rows = []
    for i, sha in enumerate(hashes):
        vector = np.zeros(dim)
        vector[0 if i < len(hashes) // 2 else dim // 2] = 1.0
        vector += rng.normal(0, 0.03, dim)
        rows.append([model_id, sha, (vector / np.linalg.norm(vector)).tolist()])
    con.executemany(
        "insert into core.embeddings (model_id, text_sha256, vector) values (?, ?, ?)", rows
    )


def test_clusters_of_another_model_are_neither_matched_nor_a_crash(tmp_path):
    """Switching the embedding model (another size, or a tuned encoder) starts the cluster
    identities of that model's space; switching back finds the old identities again."""
    from pipeline.stages.emerging import update_emerging

    wh, hashes = _warehouse_with_unclaimed_passages(tmp_path / "w.duckdb")
    _store_vectors(wh.con, "model-a", hashes, 32)
    _store_vectors(wh.con, "model-b", hashes, 16)

    def cluster_models():
        return dict(
            wh.con.execute("select cluster_id, model_id from core.emerging_clusters").fetchall()
        )

    assert update_emerging(wh.con, "model-a", "2026-W43") == 2
    keywords = {
        w
        for (ws,) in wh.con.execute("select keywords from core.emerging_clusters").fetchall()
        for w in ws
    }
    assert keywords and not {"alpha", "said", "wire", "quoting source"} & keywords
    assert not any("alpha" in w or "said" in w for w in keywords)
    first = cluster_models()
    assert set(first.values()) == {"model-a"}
    assert update_emerging(wh.con, "model-b", "2026-W43") == 2
    after_switch = cluster_models()
    model_b = {cid for cid, model in after_switch.items() if model == "model-b"}
    assert len(model_b) == 2 and not model_b & set(first)
    assert update_emerging(wh.con, "model-a", "2026-W43") == 2
    members = {
        cid
        for (cid,) in wh.con.execute(
            "select distinct cluster_id from core.emerging_members"
        ).fetchall()
    }
    assert members == set(first)
    wh.close()


OUTLETS = ["xinhua", "Xinhua", "nyt", "The New York Times", "scmp", "South China Morning Post"]


def _newsy_clusters() -> list[str]:
    """Two clusters' text written the way news is: reporting verbs, wire credits, outlet names,
    an editor's note; what they are about is chips in China and the power grid."""
    chips = (
        "Xinhua said Chinese chip makers doubled output, the wire reported. The New York Times "
        "said export controls on chips failed, according to the South China Morning Post. "
        "[Editor: Zhang Wei] "
    )
    grid = (
        "Utilities said the power grid cannot feed data centres, the wire reported. Xinhua said "
        "blackouts loom, told the New York Times. (Reporting by Jane Doe; Editing by Tom Roe) "
    )
    return [chips * 6, grid * 6]


def test_keywords_leave_out_news_words_outlet_names_and_furniture():
    chips, grid = cluster_keywords(_newsy_clusters(), outlets=OUTLETS)
    words = {w for keyword in chips + grid for w in keyword.split()}
    banned = {"said", "wire", "reported", "told", "according", "xinhua", "york", "times", "nyt"}
    banned |= {"morning", "post", "scmp", "editor", "zhang", "wei", "reporting", "editing", "jane"}
    assert not words & banned, words & banned
    assert "chips" in chips or "chip" in chips, chips
    assert {"grid", "power", "blackouts"} & set(grid), grid
    # "China" is a word of the story, not only of an outlet's name
    assert any("chin" in k for k in chips), chips


def test_news_words_are_left_out_even_without_outlet_names():
    """The same texts without outlet names given still drop reporting verbs and furniture."""
    chips, grid = cluster_keywords(_newsy_clusters())
    words = {w for keyword in chips + grid for w in keyword.split()}
    assert not words & {"said", "wire", "reported", "editor", "reporting", "editing"}


def test_page_furniture_is_cut_from_passages():
    assert strip_page_furniture("Chips are scarce. [Editor: Zhang Wei]") == "Chips are scarce."
    assert (
        strip_page_furniture("Grid strain rises (Reporting by Jane Doe; Editing by Tom Roe) today.")
        == "Grid strain rises today."
    )
    assert strip_page_furniture("Read more: Why chips matter. The grid is full.") == (
        "The grid is full."
    )
    kept = "AI-related risks grew as officials related that talks stalled."
    assert strip_page_furniture(kept + " Subscribe to our newsletter.") == kept
    assert strip_page_furniture("© 2026 Xinhua. All rights reserved.") == ""
    assert (
        strip_page_furniture(
            "LONDON (Meridian Wire) - Chips are scarce. This story has been updated with "
            "further comment from officials. Observers agreed."
        )
        == "Chips are scarce. Observers agreed."
    )
    assert (
        strip_page_furniture("US (and allies) - not a dateline")
        == "US (and allies) - not a dateline"
    )


def test_clusters_quote_passages_without_furniture():
    refs, vectors = _passages()
    refs = [
        PassageRef(r.article_id, r.passage_idx, r.week, r.text + " [Editor: Li Na]") for r in refs
    ]
    refs.append(PassageRef("furniture-only", 3, "2026-W43", "[Editor: Li Na] Read more: chips."))
    vectors = np.vstack([vectors, vectors[:1]])
    clusters = find_emerging(refs, vectors, current_week="2026-W43")
    assert len(clusters) == 2
    for cluster in clusters:
        assert all("Editor" not in text for text in cluster.examples())
        assert not {"editor", "li", "na"} & set(cluster.keywords)
        assert "furniture-only" not in {ref.article_id for ref, _ in cluster.members}
