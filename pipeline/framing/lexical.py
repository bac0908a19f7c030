"""Word features for a calibrated head: TF-IDF over word unigrams and bigrams of an article's passages.

Sentence embeddings blur the cue words annotators key on ("background checks", "NRA", "poll"),
so a calibration may add a linear head over word counts. Everything it needs at labelling time
is a term list and its IDF weights, stored in the calibration's JSON: the passages' texts (kept in
the warehouse) are re-tokenised by scikit-learn's vectorizer rebuilt from them, never re-embedded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

MIN_DOCUMENT_FREQUENCY = 2  # a term seen in one training text only is that text's fingerprint
MAX_TERMS = 20_000


def article_text(passage_texts: Iterable[str]) -> str:
    """The text an article's word features are counted over: its passages, headline included."""
    return "\n".join(passage_texts)


def _vectorizer(**options) -> TfidfVectorizer:
    # Lower-cased words of two or more letters or digits, and their bigrams; sublinear counts,
    # smoothed IDF and unit-length rows, so long articles do not outvote short ones.
    return TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, dtype=np.float64, **options)


@dataclass(frozen=True)
class Vocabulary:
    terms: tuple[str, ...]
    idf: np.ndarray  # (terms,)

    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        *,
        min_df: int = MIN_DOCUMENT_FREQUENCY,
        max_terms: int = MAX_TERMS,
    ) -> Vocabulary:
        """Terms in at least min_df texts (the max_terms most frequent), with their IDF weights."""
        vectorizer = _vectorizer(min_df=min_df, max_features=max_terms)
        try:
            vectorizer.fit(texts)
        except ValueError:  # no term is in min_df texts: no word features
            return cls((), np.zeros(0))
        return cls(tuple(vectorizer.get_feature_names_out()), np.asarray(vectorizer.idf_))

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """(texts, terms) TF-IDF rows of unit length (all-zero for a text with no known term)."""
        if not self.terms:
            return sparse.csr_matrix((len(texts), 0), dtype=np.float64)
        vectorizer = _vectorizer(vocabulary=list(self.terms))
        vectorizer.idf_ = self.idf
        return vectorizer.transform(texts).tocsr()
