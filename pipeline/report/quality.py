"""Read the framing-quality file measured on labelled data, to show it as measured.

Shares are never corrected from this file: the report's one correction path is the estimator
(pipeline/report/shares.py), from gold labels and calibration rows stored in the warehouse.

The file is JSON written by the framing evaluation. Known keys are used when present and
everything else is shown as is:
  {"dataset": str, "measured_at": str, "model_id": str, "codebook_version": str, "n_items": int,
   "micro_f1": float, "macro_f1": float, ...,
   "per_frame": {frame_id: {"precision": float, "recall": float, "f1": float,
                            "specificity": float, "support": int}}}
`per_frame` may also be a list of objects each with a "frame_id" key, and may sit under a
"measured" object (as in tests/quality/extraction_baseline.json); nested objects are shown with
dotted keys.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


class QualityFileError(ValueError):
    """The quality file exists but cannot be read as framing-quality JSON."""


def load_quality(path: Path | None) -> dict[str, Any] | None:
    """The quality measurements, or None when no file is given or it does not exist."""
    if path is None or not Path(path).exists():
        return None
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise QualityFileError(f"{path}: not valid JSON: {error}") from error
    if not isinstance(raw, dict):
        raise QualityFileError(f"{path}: expected a JSON object at the top level")
    per_frame = raw.get("per_frame")
    if per_frame is None and isinstance(raw.get("measured"), dict):
        per_frame = raw["measured"].get("per_frame")
    per_frame = per_frame or {}
    if isinstance(per_frame, list):
        try:
            per_frame = {str(item["frame_id"]): item for item in per_frame}
        except (KeyError, TypeError) as error:
            raise QualityFileError(f"{path}: per_frame list items need a frame_id") from error
    if not isinstance(per_frame, dict):
        raise QualityFileError(f"{path}: per_frame must be an object or a list")
    summary = dict(sorted(_flatten(raw).items()))
    frames = {
        str(frame_id): {k: v for k, v in sorted(values.items()) if isinstance(v, (int, float, str))}
        for frame_id, values in sorted(per_frame.items())
        if isinstance(values, dict)
    }
    return {"path": str(path), "summary": summary, "per_frame": frames}


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Scalar leaves of nested objects as dotted keys (measured.f1.all), per_frame left out."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if key == "per_frame":
            continue
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        elif isinstance(value, (str, int, float, bool)):
            flat[f"{prefix}{key}"] = value
    return flat
