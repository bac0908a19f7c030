"""Score extracted title, publication day and authors against the fundus gold rows.

title: share of pages whose title equals the gold title (Unicode NFKC, whitespace collapsed).
date: share of pages whose publication day equals the gold's, each on the clock of the offset it
states (a story at 00:50 +02:00 on 10 July is dated 10 July; a time without an offset is UTC).
authors: mean per-page F1 of the author name sets (case-folded), over pages whose gold has authors.
"""

from __future__ import annotations

import statistics
import unicodedata
from datetime import datetime


def _norm(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


def _publisher_day(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).date().isoformat()
    except ValueError:
        return None


def _set_f1(gold: set[str], pred: set[str]) -> float:
    if not gold and not pred:
        return 1.0
    tp = len(gold & pred)
    if tp == 0:
        return 0.0
    precision, recall = tp / len(pred), tp / len(gold)
    return 2 * precision * recall / (precision + recall)


def score_metadata(gold_rows: list[dict], predictions: dict[str, dict]) -> dict[str, float]:
    """gold_rows: gold.jsonl rows that carry title/date/authors; predictions: id -> record."""
    titles, dates, authors = [], [], []
    for row in gold_rows:
        pred = predictions.get(row["id"], {})
        if row.get("title"):
            titles.append(float(_norm(row["title"]) == _norm(pred.get("title"))))
        if row.get("date"):
            dates.append(float(_publisher_day(row["date"]) == _publisher_day(pred.get("date"))))
        if row.get("authors"):
            gold_names = {_norm(a).casefold() for a in row["authors"]}
            pred_names = {_norm(a).casefold() for a in pred.get("authors") or []}
            authors.append(_set_f1(gold_names, pred_names))
    return {
        "title_exact": statistics.mean(titles) if titles else 0.0,
        "date_day": statistics.mean(dates) if dates else 0.0,
        "authors_f1": statistics.mean(authors) if authors else 0.0,
        "pages": len(gold_rows),
    }
