"""Find articles that are the same story: exact copies, near copies and syndicated wire copies.

Texts are compared as sets of word 5-shingles summarised by MinHash signatures (datasketch).
A MinHashLSH index proposes candidates at a low Jaccard threshold; each candidate is then
verified with the estimated Jaccard similarity and the estimated containment of the shorter
text in the longer one, so a wire story that an outlet trimmed or padded still matches.

All state the index needs (signature, shingle count, fingerprint, source, wire credit) is
returned by :func:`index_row` for storage in the warehouse, and
:meth:`DuplicateIndex.from_rows` rebuilds the index from those rows.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal, Protocol

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

logger = logging.getLogger(__name__)

__all__ = [
    "DuplicateIndex",
    "DuplicateMatch",
    "IndexRow",
    "StoryGroups",
    "StoryLink",
    "choose_original",
    "index_row",
    "minhash_signature",
    "normalise_text",
    "shingles",
    "signature_from_stored",
    "signature_to_bytes",
    "text_fingerprint",
    "wire_credit",
]

SHINGLE_WORDS = 5
NUM_PERM = 128
# Fixed seed and scheme: signatures stored in the warehouse must stay comparable across runs
# and datasketch upgrades (datasketch >= 2 refuses to compare signatures of different schemes).
MINHASH_SEED = 20260101
MINHASH_SCHEME = "affine64"

# Thresholds measured on tests/test_dedupe.py's edited-copy set (see the module's report).
NEAR_JACCARD = 0.80
WIRE_CONTAINMENT = 0.60
WIRE_CONTAINMENT_CREDITED = 0.45
MIN_JACCARD = 0.08
CANDIDATE_JACCARD = 0.15
# Below this many shingles the MinHash estimates are too coarse to call a near match.
MIN_SHINGLES = 12

MatchKind = Literal["exact", "near", "wire"]
_KIND_RANK = {"exact": 2, "near": 1, "wire": 0}

# Han and kana are written without spaces: treat each character as a word there, so Chinese
# and Japanese texts get shingles as fine-grained as English ones.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")


def normalise_text(text: str) -> str:
    """Lower-case words of ``text`` joined by single spaces (NFKC, punctuation dropped).

    Two texts that differ only in case, punctuation, quotes or whitespace normalise equal.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


def text_fingerprint(text: str) -> str:
    """Hex sha256 of the normalised text: equal fingerprints mean exact duplicates."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def shingles(text: str, k: int = SHINGLE_WORDS) -> set[str]:
    """The set of k-word shingles of the normalised text (a shorter text is one shingle)."""
    if k < 1:
        raise ValueError(f"shingle size k must be at least 1, got {k}")
    words = normalise_text(text).split()
    if not words:
        return set()
    if len(words) <= k:
        return {" ".join(words)}
    return {" ".join(words[i : i + k]) for i in range(len(words) - k + 1)}


@lru_cache(maxsize=8)
def _permutations(num_perm: int) -> Any:
    # Building the permutation parameters dominates a small MinHash; make them once per size.
    return MinHash(num_perm=num_perm, seed=MINHASH_SEED, scheme=MINHASH_SCHEME).permutations


def _minhash_of_shingles(shingle_set: set[str], num_perm: int) -> np.ndarray:
    minhash = MinHash(
        num_perm=num_perm,
        seed=MINHASH_SEED,
        scheme=MINHASH_SCHEME,
        permutations=_permutations(num_perm),
    )
    minhash.update_batch([s.encode("utf-8") for s in shingle_set])
    return np.asarray(minhash.hashvalues, dtype=np.uint64)


def minhash_signature(text: str, num_perm: int = NUM_PERM) -> np.ndarray:
    """MinHash signature (``num_perm`` uint64 values) of the text's word 5-shingles.

    Deterministic across processes. Store it as DuckDB ``UBIGINT[]`` (``sig.tolist()``) or
    as ``BLOB`` (:func:`signature_to_bytes`); :func:`signature_from_stored` reads either back.
    """
    shingle_set = shingles(text)
    if not shingle_set:
        raise ValueError("cannot sign an empty text: it has no words")
    return _minhash_of_shingles(shingle_set, num_perm)


def signature_to_bytes(signature: np.ndarray) -> bytes:
    """Little-endian uint64 bytes of a signature, for a BLOB column."""
    return np.asarray(signature, dtype="<u8").tobytes()


def signature_from_stored(value: Any, num_perm: int = NUM_PERM) -> np.ndarray:
    """A signature from what the warehouse returns: list of ints, bytes, or an array."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        if len(raw) != 8 * num_perm:
            raise ValueError(
                f"stored signature has {len(raw)} bytes, expected {8 * num_perm} "
                f"({num_perm} uint64 values)"
            )
        return np.frombuffer(raw, dtype="<u8").astype(np.uint64)
    if value is None:
        raise ValueError("stored signature is missing (NULL)")
    array = np.asarray(value, dtype=np.uint64)
    if array.shape != (num_perm,):
        raise ValueError(f"stored signature has shape {array.shape}, expected ({num_perm},)")
    return array


# --- wire credits ---------------------------------------------------------------------------

# Canonical agency name -> the spellings agencies use in datelines and credits.
_AGENCIES: dict[str, str] = {
    "Reuters": r"Reuters",
    "AP": r"AP|Associated\s+Press",
    "AFP": r"AFP|Agence\s+France[- ]Presse",
    "Xinhua": r"Xinhua",
    "Bloomberg": r"Bloomberg(?:\s+News)?",
    "Kyodo": r"Kyodo(?:\s+News)?",
    "Yonhap": r"Yonhap",
    "PTI": r"PTI",
    "dpa": r"dpa",
    "ANI": r"ANI",
    "TASS": r"TASS",
}
_AGENCY_ALTERNATION = "|".join(f"(?P<{name}>{pattern})" for name, pattern in _AGENCIES.items())
# "BEIJING, March 3 (Xinhua) --", "WASHINGTON (AP) —", "(Reuters) -": a credit in parentheses
# followed by a dash opens a syndicated story; "according to Reuters" does not.
_DATELINE = re.compile(rf"\((?:{_AGENCY_ALTERNATION})\)\s*(?:[-–—]|--|:)")
# Agency house style in a story's last lines.
_TAILS: list[tuple[str, re.Pattern[str]]] = [
    (
        "Reuters",
        re.compile(r"\((?:Additional\s+)?[Rr]eporting\s+by\b[^)]*(?:[Ee]diting|[Ww]riting)\s+by"),
    ),
    ("Reuters", re.compile(r"\bThomson\s+Reuters\s+Trust\s+Principles\b")),
    ("Bloomberg", re.compile(r"(?:©|\(c\))\s*\d{4}\s+Bloomberg\s+L\.?P\.?")),
    ("Bloomberg", re.compile(r"--\s*With\s+assistance\s+from\b")),
    ("AP", re.compile(r"\bCopyright\s+\d{4}\s+The\s+Associated\s+Press\b")),
    ("AFP", re.compile(r"\(?(?:©|\(c\))\s*\d{4}\s+AFP\b")),
]
_HEAD_CHARS = 400
_TAIL_CHARS = 600


def wire_credit(text: str) -> str | None:
    """The news agency a text is credited to by a dateline or credit line, else None.

    Recognises datelines such as ``BEIJING (Xinhua) -`` or ``WASHINGTON (AP) —`` near the start
    and agency tails such as ``(Reporting by ...; Editing by ...)`` near the end. A mention
    ("according to Reuters") is not a credit. Returns a canonical name: Reuters, AP, AFP,
    Xinhua, Bloomberg, Kyodo, Yonhap, PTI, dpa, ANI or TASS.
    """
    head = text[:_HEAD_CHARS]
    dateline = _DATELINE.search(head)
    if dateline:
        return next(name for name, value in dateline.groupdict().items() if value)
    tail = text[-_TAIL_CHARS:]
    for name, pattern in _TAILS:
        if pattern.search(tail):
            return name
    return None


# --- the index ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DuplicateMatch:
    """An earlier article that tells the same story.

    ``similarity`` is 1.0 for exact copies, the estimated Jaccard similarity for near copies
    and the estimated containment of the shorter text in the longer one for wire copies.
    """

    duplicate_of: str
    kind: MatchKind
    similarity: float
    jaccard: float
    containment: float
    wire_credit: str | None = None


@dataclass(frozen=True)
class IndexRow:
    """What the warehouse keeps per article so :class:`DuplicateIndex` can be rebuilt."""

    article_id: str
    signature: np.ndarray
    shingle_count: int | None = None
    fingerprint: str | None = None
    source_id: str | None = None
    wire_credit: str | None = None


def index_row(
    article_id: str,
    text: str,
    *,
    source_id: str | None = None,
    num_perm: int = NUM_PERM,
) -> IndexRow:
    """Everything to store for an article so a later run can match against it."""
    shingle_set = shingles(text)
    if not shingle_set:
        raise ValueError(f"article {article_id!r}: text is empty, nothing to deduplicate")
    return IndexRow(
        article_id=article_id,
        signature=_minhash_of_shingles(shingle_set, num_perm),
        shingle_count=len(shingle_set),
        fingerprint=text_fingerprint(text),
        source_id=source_id,
        wire_credit=wire_credit(text),
    )


_ROW_FIELDS = (
    "article_id",
    "signature",
    "shingle_count",
    "fingerprint",
    "source_id",
    "wire_credit",
)
_COLUMN_ALIASES = {"minhash": "signature", "text_fingerprint": "fingerprint"}


def _coerce_row(row: IndexRow | Mapping[str, Any] | Sequence[Any]) -> IndexRow:
    if isinstance(row, IndexRow):
        return row
    if isinstance(row, Mapping):
        # core.articles names two of the columns differently.
        renamed = {_COLUMN_ALIASES.get(key, key): value for key, value in row.items()}
        values = {name: renamed[name] for name in _ROW_FIELDS if name in renamed}
    else:
        if not 2 <= len(row) <= len(_ROW_FIELDS):
            raise ValueError(
                f"an index row needs 2 to {len(_ROW_FIELDS)} fields {_ROW_FIELDS}, got {len(row)}"
            )
        values = dict(zip(_ROW_FIELDS, row, strict=False))
    if "article_id" not in values or "signature" not in values:
        raise ValueError(f"an index row needs article_id and signature, got {sorted(values)}")
    return IndexRow(**values)


class DuplicateIndex:
    """Incremental index of articles seen so far; :meth:`match` finds the same story.

    ``near_threshold``: estimated Jaccard at or above which two texts are near-identical.
    ``wire_containment``: estimated share of the shorter text found in the longer one at or
    above which it is a (trimmed or padded) copy; ``wire_containment_credited`` applies when
    either text carries an agency dateline or credit line.
    """

    def __init__(
        self,
        threshold: float = NEAR_JACCARD,
        num_perm: int = NUM_PERM,
        *,
        wire_containment: float = WIRE_CONTAINMENT,
        wire_containment_credited: float = WIRE_CONTAINMENT_CREDITED,
        min_jaccard: float = MIN_JACCARD,
        candidate_threshold: float = CANDIDATE_JACCARD,
    ) -> None:
        for name, value in [
            ("threshold", threshold),
            ("wire_containment", wire_containment),
            ("wire_containment_credited", wire_containment_credited),
            ("min_jaccard", min_jaccard),
            ("candidate_threshold", candidate_threshold),
        ]:
            if not 0.0 < value <= 1.0:
                raise ValueError(f"{name} must be in (0, 1], got {value}")
        if num_perm < 16:
            raise ValueError(f"num_perm must be at least 16, got {num_perm}")
        self.near_threshold = threshold
        self.num_perm = num_perm
        self.wire_containment = wire_containment
        self.wire_containment_credited = wire_containment_credited
        self.min_jaccard = min_jaccard
        # Favour recall when proposing candidates: a false candidate costs one vector compare.
        self._lsh = MinHashLSH(threshold=candidate_threshold, num_perm=num_perm, weights=(0.2, 0.8))
        self._rows: dict[str, IndexRow] = {}
        self._by_fingerprint: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._rows

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[IndexRow | Mapping[str, Any] | Sequence[Any]],
        **options: Any,
    ) -> DuplicateIndex:
        """Rebuild an index from stored rows, in the order they were first seen.

        A row is an :class:`IndexRow`, a mapping with its field names (or the core.articles
        column names ``minhash`` and ``text_fingerprint``), or a tuple
        ``(article_id, signature[, shingle_count[, fingerprint[, source_id[, wire_credit]]]])``.
        Without ``shingle_count`` the set size is estimated from the signature, which makes
        wire matches less precise; without ``fingerprint`` exact copies are reported as near.
        """
        index = cls(**options)
        for row in rows:
            index.add_row(_coerce_row(row))
        return index

    def add_row(self, row: IndexRow) -> None:
        """Register a stored row (see :func:`index_row`)."""
        if row.article_id in self._rows:
            raise ValueError(f"article {row.article_id!r} is already in the duplicate index")
        signature = signature_from_stored(row.signature, self.num_perm)
        shingle_count = row.shingle_count
        if shingle_count is None:
            shingle_count = max(1, round(_estimated_count(signature)))
        row = IndexRow(
            row.article_id,
            signature,
            int(shingle_count),
            row.fingerprint,
            row.source_id,
            row.wire_credit,
        )
        self._rows[row.article_id] = row
        if row.fingerprint is not None:
            self._by_fingerprint.setdefault(row.fingerprint, row.article_id)
        self._lsh.insert(row.article_id, _as_minhash(signature), check_duplication=False)

    def add(
        self,
        article_id: str,
        text: str,
        *,
        signature: Any | None = None,
        source_id: str | None = None,
    ) -> IndexRow:
        """Register an article; returns the row to store for it."""
        row = self._row(article_id, text, signature, source_id)
        self.add_row(row)
        return row

    def match(
        self,
        article_id: str,
        text: str,
        *,
        signature: Any | None = None,
        source_id: str | None = None,
    ) -> DuplicateMatch | None:
        """The registered article that tells the same story as this text, or None.

        When several match, exact beats near beats wire, then the higher similarity wins.
        The article itself (same ``article_id``) never matches.
        """
        return self._match_row(self._row(article_id, text, signature, source_id))

    def match_and_add(
        self,
        article_id: str,
        text: str,
        *,
        signature: Any | None = None,
        source_id: str | None = None,
    ) -> tuple[DuplicateMatch | None, IndexRow]:
        """Match against earlier articles, then register this one (one signature computed)."""
        row = self._row(article_id, text, signature, source_id)
        found = self._match_row(row)
        self.add_row(row)
        return found, row

    def _row(
        self, article_id: str, text: str, signature: Any | None, source_id: str | None
    ) -> IndexRow:
        if not article_id:
            raise ValueError("article_id must be a non-empty string")
        if signature is None:
            return index_row(article_id, text, source_id=source_id, num_perm=self.num_perm)
        shingle_set = shingles(text)
        if not shingle_set:
            raise ValueError(f"article {article_id!r}: text is empty, nothing to deduplicate")
        return IndexRow(
            article_id,
            signature_from_stored(signature, self.num_perm),
            len(shingle_set),
            text_fingerprint(text),
            source_id,
            wire_credit(text),
        )

    def _match_row(self, row: IndexRow) -> DuplicateMatch | None:
        if row.fingerprint is not None:
            earlier = self._by_fingerprint.get(row.fingerprint)
            if earlier is not None and earlier != row.article_id:
                return DuplicateMatch(earlier, "exact", 1.0, 1.0, 1.0, row.wire_credit)
        best: tuple[tuple[int, float], DuplicateMatch] | None = None
        for found in self.matches(row):
            rank = (_KIND_RANK[found.kind], found.similarity)
            if best is None or rank > best[0]:
                best = (rank, found)
        return best[1] if best else None

    def matches(self, row: IndexRow) -> list[DuplicateMatch]:
        """Every registered article that tells the same story as `row` (not `row` itself).

        The test is symmetric (a matches b exactly when b matches a, with the same kind and
        similarity), so the pairs found do not depend on which article was registered first.
        Exact copies are found through the first registered article with the same fingerprint.
        """
        found: list[DuplicateMatch] = []
        exact = self._by_fingerprint.get(row.fingerprint) if row.fingerprint is not None else None
        if exact is not None and exact != row.article_id:
            found.append(DuplicateMatch(exact, "exact", 1.0, 1.0, 1.0, row.wire_credit))
        if row.shingle_count is not None and row.shingle_count < MIN_SHINGLES:
            return found
        for key in self._lsh.query(_as_minhash(row.signature)):
            if key == row.article_id or key == exact:
                continue
            match = self._verify(row, self._rows[key])
            if match is not None:
                found.append(match)
        return found

    def row(self, article_id: str) -> IndexRow:
        """The registered row of an article."""
        return self._rows[article_id]

    def relation(self, article_id: str, other_id: str) -> DuplicateMatch:
        """How `article_id` relates to `other_id` as a copy of it, for two registered articles
        of one story: the verified match when there is one; otherwise (they are linked through
        other copies) the estimated containment, as a near copy from the same outlet or a wire
        copy from another."""
        row, other = self._rows[article_id], self._rows[other_id]
        if row.fingerprint is not None and row.fingerprint == other.fingerprint:
            return DuplicateMatch(other_id, "exact", 1.0, 1.0, 1.0, row.wire_credit or other.wire_credit)
        verified = self._verify(row, other, thresholds=False)
        assert verified is not None
        return verified

    def _verify(self, row: IndexRow, other: IndexRow, *, thresholds: bool = True) -> DuplicateMatch | None:
        """The match of two rows, or None; without `thresholds`, their relation even below them."""
        if thresholds and other.shingle_count is not None and other.shingle_count < MIN_SHINGLES:
            return None
        jaccard = float(np.count_nonzero(row.signature == other.signature)) / self.num_perm
        if thresholds and jaccard < self.min_jaccard:
            return None
        containment = _containment(jaccard, row.shingle_count, other.shingle_count)
        credit = row.wire_credit or other.wire_credit
        same_source = row.source_id is not None and row.source_id == other.source_id
        other_source = (
            row.source_id is not None
            and other.source_id is not None
            and row.source_id != other.source_id
        )
        if jaccard >= self.near_threshold:
            kind: MatchKind = "wire" if other_source else "near"
            similarity = jaccard if kind == "near" else containment
            return DuplicateMatch(other.article_id, kind, similarity, jaccard, containment, credit)
        needed = self.wire_containment_credited if credit else self.wire_containment
        if containment >= needed or not thresholds:
            kind = "near" if same_source else "wire"
            return DuplicateMatch(other.article_id, kind, containment, jaccard, containment, credit)
        return None


def _as_minhash(signature: np.ndarray) -> LeanMinHash:
    # LeanMinHash carries no permutations: half the cost of a MinHash, enough for LSH.
    return LeanMinHash(seed=MINHASH_SEED, hashvalues=signature, scheme=MINHASH_SCHEME)


def _estimated_count(signature: np.ndarray) -> float:
    return _as_minhash(signature).count()


def _containment(jaccard: float, size_a: int | None, size_b: int | None) -> float:
    """Estimated share of the smaller shingle set found in the larger one.

    |A ∩ B| = J (|A| + |B|) / (1 + J), so containment = |A ∩ B| / min(|A|, |B|).
    """
    if not size_a or not size_b:
        return jaccard
    intersection = jaccard * (size_a + size_b) / (1.0 + jaccard)
    return min(1.0, intersection / min(size_a, size_b))


# --- which copy is the original -------------------------------------------------------------


class CopyCandidate(Protocol):
    """Anything with these attributes can be passed to :func:`choose_original`."""

    article_id: str
    published_at: datetime | None
    is_wire: bool


@dataclass(frozen=True)
class Copy:
    """One copy of a story: a convenient :class:`CopyCandidate`."""

    article_id: str
    published_at: datetime | None
    is_wire: bool = False


def choose_original(candidates: Iterable[CopyCandidate]) -> str:
    """The article_id of the original among copies of one story.

    The earliest published wins; on a tie the wire outlet's copy wins; copies without a
    publication time come last; article_id breaks remaining ties so the choice is stable.
    Naive and aware datetimes are compared as given, so pass them all in one convention.
    """
    pool = list(candidates)
    if not pool:
        raise ValueError("choose_original needs at least one candidate")

    def order(candidate: CopyCandidate) -> tuple[bool, float, bool, str]:
        published = candidate.published_at
        timestamp = published.timestamp() if published is not None else 0.0
        return (published is None, timestamp, not candidate.is_wire, candidate.article_id)

    return min(pool, key=order).article_id


# --- stories: the same answer whatever the order -------------------------------------------


@dataclass(frozen=True)
class StoryLink:
    """What an article's duplicate columns say: the original of its story (None for the
    original itself or a story of one) and how it relates to that original."""

    duplicate_of: str | None = None
    kind: MatchKind | None = None
    similarity: float | None = None


class StoryGroups:
    """Articles grouped into stories, with the same answer whatever order or batches they
    arrive in.

    Matching each article against the ones seen before it and keeping the best match makes the
    answer depend on the order: with a ~ b and b ~ c but not a ~ c, the order a, c, b finds two
    stories where a, b, c finds one. Here every verified pair is kept (the pair test is
    symmetric, so the same pairs are found in any order), a story is a connected component of
    those pairs, its original is chosen among all its members by `original_of`, and each copy
    is linked to that original by their own comparison (`DuplicateIndex.relation`). All of it
    depends on the set of articles only.
    """

    def __init__(self, original_of: Callable[[Sequence[CopyCandidate]], str] = choose_original,
                 **index_options: Any) -> None:
        self.index = DuplicateIndex(**index_options)
        self.original_of = original_of
        self._parent: dict[str, str] = {}
        self._members: dict[str, list[str]] = {}  # component root -> its articles
        self._copies: dict[str, CopyCandidate] = {}

    def __len__(self) -> int:
        return len(self._parent)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._parent

    def add(self, row: IndexRow, copy: CopyCandidate) -> None:
        """Register an article (its index row and its publication facts) and join its story."""
        if copy.article_id != row.article_id:
            raise ValueError(f"row {row.article_id!r} and copy {copy.article_id!r} differ")
        found = self.index.matches(row)
        self.index.add_row(row)
        self._parent[row.article_id] = row.article_id
        self._members[row.article_id] = [row.article_id]
        self._copies[row.article_id] = copy
        for match in found:
            self._union(row.article_id, match.duplicate_of)

    def add_text(self, copy: CopyCandidate, text: str, *, source_id: str | None = None) -> IndexRow:
        """Register an article by its text; returns the row to store for it."""
        row = index_row(copy.article_id, text, source_id=source_id, num_perm=self.index.num_perm)
        self.add(row, copy)
        return row

    def story(self, article_id: str) -> list[str]:
        """The articles of `article_id`'s story, sorted."""
        return sorted(self._members[self._find(article_id)])

    def links(self, article_id: str) -> dict[str, StoryLink]:
        """The duplicate columns of every article of `article_id`'s story."""
        members = self.story(article_id)
        if len(members) == 1:
            return {article_id: StoryLink()}
        original = self.original_of([self._copies[member] for member in members])
        links = {original: StoryLink()}
        for member in members:
            if member != original:
                match = self.index.relation(member, original)
                links[member] = StoryLink(original, match.kind, match.similarity)
        return links

    def all_links(self) -> dict[str, StoryLink]:
        """The duplicate columns of every registered article."""
        links: dict[str, StoryLink] = {}
        for root in list(self._members):
            links.update(self.links(root))
        return links

    def _find(self, article_id: str) -> str:
        root = article_id
        while self._parent[root] != root:
            root = self._parent[root]
        while self._parent[article_id] != root:  # path compression
            self._parent[article_id], article_id = root, self._parent[article_id]
        return root

    def _union(self, first: str, second: str) -> None:
        a, b = self._find(first), self._find(second)
        if a == b:
            return
        if len(self._members[a]) < len(self._members[b]):
            a, b = b, a
        self._parent[b] = a
        self._members[a].extend(self._members.pop(b))
