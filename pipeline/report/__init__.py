"""The weekly framing-trend report: numbers from the warehouse views, rendered as HTML/Markdown."""

from __future__ import annotations

from pipeline.report.build import ReportResult, build_report

__all__ = ["ReportResult", "build_report"]
