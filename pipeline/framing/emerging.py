"""Emerging framings: clusters of passages that no frame of the codebook claims.

Density clustering (HDBSCAN, scikit-learn) over the embeddings of unclaimed passages finds
groups of passages that say similar things; c-TF-IDF names each group with keywords. A cluster
keeps its identity across runs when its centroid is close to a stored one, so the report can say
honestly which candidates are new this week.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.cluster import HDBSCAN
from sklearn.feature_extraction.text import CountVectorizer

logger = logging.getLogger(__name__)

MIN_CLUSTER_SIZE = 6
# Cosine similarity of centroids above which a cluster is the same as one stored earlier.
SAME_CLUSTER_SIMILARITY = 0.85
KEYWORDS = 8


@dataclass(frozen=True)
class PassageRef:
    article_id: str
    passage_idx: int
    week: str
    text: str


@dataclass(frozen=True)
class KnownCluster:
    cluster_id: str
    centroid: np.ndarray
    first_seen_week: str


@dataclass
class EmergingCluster:
    cluster_id: str
    keywords: list[str]
    centroid: np.ndarray
    first_seen_week: str
    last_seen_week: str
    members: list[tuple[PassageRef, float]] = field(default_factory=list)
    weekly_counts: dict[str, int] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.members)

    def examples(self, n: int = 3) -> list[str]:
        """The passages closest to the centroid."""
        return [ref.text for ref, _ in sorted(self.members, key=lambda m: -m[1])[:n]]


def cluster_keywords(texts_per_cluster: Sequence[str], top: int = KEYWORDS) -> list[list[str]]:
    """c-TF-IDF: words frequent in one cluster's passages and rare in the others'."""
    if not texts_per_cluster:
        return []
    vectorizer = CountVectorizer(stop_words="english", ngram_range=(1, 2), min_df=1,
                                 token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z\-]+\b")
    counts = vectorizer.fit_transform(texts_per_cluster).toarray().astype(float)
    term_frequency = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    average_words = counts.sum() / max(len(texts_per_cluster), 1)
    idf = np.log(1.0 + average_words / np.maximum(counts.sum(axis=0), 1.0))
    scores = term_frequency * idf
    vocabulary = np.array(vectorizer.get_feature_names_out())
    return [list(vocabulary[np.argsort(-row)[:top]]) for row in scores]


def _new_cluster_id(centroid: np.ndarray, week: str) -> str:
    digest = hashlib.sha1(np.round(centroid, 3).astype(np.float32).tobytes()).hexdigest()[:8]
    return f"em-{week}-{digest}"


def find_emerging(
    refs: Sequence[PassageRef],
    vectors: np.ndarray,
    *,
    current_week: str,
    known: Sequence[KnownCluster] = (),
    min_cluster_size: int = MIN_CLUSTER_SIZE,
) -> list[EmergingCluster]:
    """Cluster unclaimed passages; reuse the id of a known cluster whose centroid matches."""
    if len(refs) < max(min_cluster_size * 2, 4):
        return []
    labels = HDBSCAN(min_cluster_size=min_cluster_size, min_samples=max(2, min_cluster_size // 2),
                     metric="euclidean", copy=True).fit_predict(vectors)
    groups = sorted({label for label in labels if label >= 0})
    if not groups:
        return []
    texts = [" ".join(refs[i].text for i in np.flatnonzero(labels == g)) for g in groups]
    keywords = cluster_keywords(texts)
    # A centroid of other dimensions comes from another model's space: it can match nothing.
    known = [k for k in known if len(k.centroid) == vectors.shape[1]]
    known_matrix = np.stack([k.centroid for k in known]) if known else np.zeros((0, vectors.shape[1]))
    clusters = []
    taken: set[str] = set()
    for group, words in zip(groups, keywords, strict=True):
        members = np.flatnonzero(labels == group)
        centroid = vectors[members].mean(axis=0)
        centroid /= np.linalg.norm(centroid) or 1.0
        cluster_id, first_seen = _new_cluster_id(centroid, current_week), current_week
        if len(known_matrix):
            similarity = known_matrix @ centroid
            best = int(np.argmax(similarity))
            if similarity[best] >= SAME_CLUSTER_SIMILARITY and known[best].cluster_id not in taken:
                cluster_id, first_seen = known[best].cluster_id, known[best].first_seen_week
        taken.add(cluster_id)
        weeks = Counter(refs[i].week for i in members)
        clusters.append(EmergingCluster(
            cluster_id=cluster_id, keywords=words, centroid=centroid,
            first_seen_week=min(first_seen, min(weeks)), last_seen_week=max(weeks),
            members=[(refs[i], float(vectors[i] @ centroid)) for i in members],
            weekly_counts=dict(sorted(weeks.items())),
        ))
    return sorted(clusters, key=lambda c: -c.size)
