"""Score extraction on ../shared/eval/extraction by dataset and by half of the sites (run by hand).

    cd /work/main && PYTHONPATH=. .venv/bin/python tests/quality/evaluate_extraction.py [--pred out.jsonl]

Sites are split into two halves by a hash of their `group`: rules are tuned on half 0 and
checked on half 1, so that a rule that only fits the sites it was written for shows up as a gap
between the halves. Prints body F1/precision/recall per dataset and half, the fundus metadata
scores (title, date, authors) per half, and CPU milliseconds per page.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import json
import logging
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
EVAL = HERE.parents[1].parent / "shared" / "eval" / "extraction"


def site_half(group: str) -> int:
    """0 or 1: the half of the development sites a page's site belongs to."""
    return int(hashlib.sha1(group.encode("utf-8")).hexdigest(), 16) % 2


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _predict(gold: list[dict]) -> tuple[dict[str, dict], float]:
    from pipeline.extraction.article import extract_article

    predictions = {}
    start = time.process_time()
    for row in gold:
        data = gzip.decompress((EVAL / "pages" / f"{row['id']}.html.gz").read_bytes())
        article = extract_article(data, row["url"])
        predictions[row["id"]] = {
            "id": row["id"],
            "text": article.text,
            "title": article.title,
            "authors": list(article.authors),
            "date": article.published.isoformat() if article.published else None,
        }
    return predictions, 1000 * (time.process_time() - start) / max(1, len(gold))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pred", type=Path, help="also write the predictions as JSON lines here")
    args = parser.parse_args(argv)
    if not EVAL.is_dir():
        print(f"{EVAL} not found: the evaluation needs ../shared/eval/extraction", file=sys.stderr)
        return 1
    logging.disable(logging.WARNING)  # trafilatura warns about odd pages; not what we score
    scorer = _load("score_extraction", EVAL.parent / "score_extraction.py")
    metadata_scorer = _load("metadata_scorer", HERE / "metadata_scorer.py")
    gold = [json.loads(line) for line in (EVAL / "gold.jsonl").read_text("utf-8").splitlines()]
    predictions, ms_per_page = _predict(gold)
    if args.pred:
        args.pred.write_text(
            "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in predictions.values()),
            "utf-8",
        )
    print(f"{'subset':<8} {'half':<5} {'pages':>5}  {'F1':>6} {'P':>6} {'R':>6}")
    for dataset in ("all", "aeb", "fundus"):
        for half in ("both", 0, 1):
            rows = [
                g
                for g in gold
                if dataset in ("all", g["dataset"]) and half in ("both", site_half(g["group"]))
            ]
            m = scorer.metrics(
                [scorer.page_counts(g["text"], predictions[g["id"]]["text"]) for g in rows]
            )
            print(
                f"{dataset:<8} {half!s:<5} {len(rows):>5}  "
                f"{m['f1']:.4f} {m['precision']:.4f} {m['recall']:.4f}"
            )
    print(f"\n{'fundus':<8} {'half':<5} {'pages':>5}  {'title':>6} {'date':>6} {'authors':>7}")
    for half in ("both", 0, 1):
        rows = [
            g for g in gold if g["dataset"] == "fundus" and half in ("both", site_half(g["group"]))
        ]
        m = metadata_scorer.score_metadata(rows, predictions)
        print(
            f"{'':<8} {half!s:<5} {len(rows):>5}  "
            f"{m['title_exact']:.4f} {m['date_day']:.4f} {m['authors_f1']:.4f}"
        )
    print(f"\nCPU {ms_per_page:.1f} ms per page (one process)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
