"""Emerging framings: clusters of passages that no frame of the codebook claims.

Density clustering (HDBSCAN, scikit-learn) over the embeddings of unclaimed passages finds
groups of passages that say similar things; c-TF-IDF names each group with keywords. A cluster
keeps its identity across runs when its centroid is close to a stored one, so the report can say
honestly which candidates are new this week.

Keywords name what a cluster says, not how news is written or who wrote it: reporting verbs and
newsroom words ("said", "wire", "editor") and the followed outlets' names never label a cluster,
and page furniture ("[Editor: ...]", "(Reporting by ...)", "Read more: ...") is cut from the
passages before they are named or quoted.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.cluster import HDBSCAN
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

from pipeline.furniture import strip_page_furniture

logger = logging.getLogger(__name__)

MIN_CLUSTER_SIZE = 6
# Cosine similarity of centroids above which a cluster is the same as one stored earlier.
SAME_CLUSTER_SIMILARITY = 0.85
KEYWORDS = 8
# A passage with less than this much text left once page furniture is cut says nothing to cluster.
MIN_CLEAN_CHARS = 40

# Words of news writing and of the newsroom, frequent in any cluster of news passages: as labels
# they say how a story was written, not what it says.
NEWS_STOP_WORDS = frozenset(
    [
        "said",
        "says",
        "say",
        "saying",
        "told",
        "tells",
        "tell",
        "according",
        "reported",
        "reports",
        "reporting",
        "report",
        "reporter",
        "reporters",
        "correspondent",
        "added",
        "adding",
        "noted",
        "stated",
        "statement",
        "statements",
        "spokesman",
        "spokeswoman",
        "spokesperson",
        "announced",
        "wire",
        "wires",
        "newswire",
        "agency",
        "agencies",
        "news",
        "editor",
        "editors",
        "editing",
        "edited",
        "writing",
        "written",
        "staff",
        "story",
        "stories",
        "article",
        "articles",
        "headline",
        "copyright",
        "rights",
        "reserved",
        "photo",
        "photos",
        "image",
        "images",
        "video",
        "caption",
        "click",
        "read",
        "subscribe",
        "newsletter",
        "updated",
        "published",
        "mr",
        "mrs",
        "ms",
        "dr",
        "percent",
        "per",
        "cent",
        "year",
        "years",
        "week",
        "weeks",
        "month",
        "months",
        "today",
        "yesterday",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ]
)


def outlet_terms(names: Iterable[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    """What must not label a cluster, from outlet names and ids: the one-word names and ids as
    stop words, and the longer names as phrases to cut from the text (their words alone, such as
    "China" in "South China Morning Post", can be what a cluster is about)."""
    words, phrases = set(), []
    for name in names:
        tokens = re.findall(r"[a-zA-Z][a-zA-Z\-]+", name or "")
        if len(tokens) > 1 and tokens[0].lower() == "the":  # "The Guardian" is "Guardian" too
            tokens = tokens[1:]
        if len(tokens) == 1:
            words.add(tokens[0].lower())
        elif tokens:
            phrases.append(" ".join(tokens))
    return frozenset(words), tuple(sorted(set(phrases), key=lambda p: (-len(p), p)))


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
        """The passages closest to the centroid, without page furniture."""
        closest = sorted(self.members, key=lambda m: -m[1])[:n]
        return [strip_page_furniture(ref.text) for ref, _ in closest]


def cluster_keywords(
    texts_per_cluster: Sequence[str], top: int = KEYWORDS, outlets: Iterable[str] = ()
) -> list[list[str]]:
    """c-TF-IDF: words frequent in one cluster's passages and rare in the others', never a stop
    word, a word of news writing or an outlet's name (`outlets`: names and ids)."""
    if not texts_per_cluster:
        return []
    outlet_words, outlet_phrases = outlet_terms(outlets)
    texts = [strip_page_furniture(text) for text in texts_per_cluster]
    if outlet_phrases:
        # Phrases go first, longest first, as whole words: "Associated Press's" loses the name.
        pattern = re.compile(
            r"\b(?:"
            + "|".join(r"\s+".join(map(re.escape, p.split())) for p in outlet_phrases)
            + r")\b",
            re.IGNORECASE,
        )
        texts = [pattern.sub(" ", text) for text in texts]
    stop_words = sorted(ENGLISH_STOP_WORDS | NEWS_STOP_WORDS | outlet_words)
    vectorizer = CountVectorizer(
        stop_words=stop_words,
        ngram_range=(1, 2),
        min_df=1,
        token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z\-]+\b",
    )
    try:
        counts = vectorizer.fit_transform(texts).toarray().astype(float)
    except ValueError:  # nothing but stop words and names left: no keywords to give
        return [[] for _ in texts]
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
    outlets: Iterable[str] = (),
) -> list[EmergingCluster]:
    """Cluster unclaimed passages; reuse the id of a known cluster whose centroid matches.

    `outlets` (names and ids of the followed outlets) never label a cluster; a passage that is
    page furniture and little else is left out."""
    keep = [
        i for i, ref in enumerate(refs) if len(strip_page_furniture(ref.text)) >= MIN_CLEAN_CHARS
    ]
    if len(keep) < len(refs):
        logger.info("%d passages are page furniture only: not clustered", len(refs) - len(keep))
        refs, vectors = [refs[i] for i in keep], vectors[keep]
    if len(refs) < max(min_cluster_size * 2, 4):
        return []
    labels = HDBSCAN(
        min_cluster_size=min_cluster_size,
        min_samples=max(2, min_cluster_size // 2),
        metric="euclidean",
        copy=True,
    ).fit_predict(vectors)
    groups = sorted({label for label in labels if label >= 0})
    if not groups:
        return []
    texts = [" ".join(refs[i].text for i in np.flatnonzero(labels == g)) for g in groups]
    keywords = cluster_keywords(texts, outlets=tuple(outlets))
    # A centroid of other dimensions comes from another model's space: it can match nothing.
    known = [k for k in known if len(k.centroid) == vectors.shape[1]]
    known_matrix = (
        np.stack([k.centroid for k in known]) if known else np.zeros((0, vectors.shape[1]))
    )
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
        clusters.append(
            EmergingCluster(
                cluster_id=cluster_id,
                keywords=words,
                centroid=centroid,
                first_seen_week=min(first_seen, min(weeks)),
                last_seen_week=max(weeks),
                members=[(refs[i], float(vectors[i] @ centroid)) for i in members],
                weekly_counts=dict(sorted(weeks.items())),
            )
        )
    return sorted(clusters, key=lambda c: -c.size)
