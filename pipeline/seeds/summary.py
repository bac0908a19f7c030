"""Check a whole seeds directory file by file and summarise each (`framewatch seeds check`).

Each file is read by the loader the pipeline itself uses (codebooks by
`pipeline.framing.codebook.load_codebook`), so a file that passes here loads there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import SeedError
from pipeline.framing.codebook import load_codebook
from pipeline.seeds.checks import SeedErrors
from pipeline.seeds.sources import SOURCE_KINDS, URL_LISTS, load_sources
from pipeline.seeds.topic import load_topic


@dataclass(frozen=True)
class SeedFileCheck:
    """The outcome of checking one seed file: a one-line summary and any warnings, or its problems."""

    path: Path
    summary: str = ""
    problems: tuple[SeedError, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class SeedsCheck:
    """The outcome of checking a seeds directory, file by file."""

    directory: Path
    files: tuple[SeedFileCheck, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.files)

    @property
    def problems(self) -> tuple[SeedError, ...]:
        return tuple(problem for check in self.files for problem in check.problems)


def validate_seeds(directory: str | Path) -> SeedsCheck:
    """Check sources.toml, topic.toml, frames.toml and codebooks/*.toml in a seeds directory."""
    directory = Path(directory)
    checks = [
        _check_file(directory / "sources.toml", _summarise_sources),
        _check_file(directory / "topic.toml", _summarise_topic),
        _check_file(directory / "frames.toml", _summarise_codebook),
    ]
    for codebook in sorted((directory / "codebooks").glob("*.toml")):
        checks.append(_check_file(codebook, _summarise_codebook))
    return SeedsCheck(directory=directory, files=tuple(checks))


Summary = tuple[str, tuple[str, ...]]  # one line about the file, and its warnings


def _check_file(path: Path, summarise: Callable[[Path], Summary]) -> SeedFileCheck:
    try:
        summary, warnings = summarise(path)
    except SeedErrors as errors:
        return SeedFileCheck(path=path, problems=errors.errors)
    except SeedError as error:
        return SeedFileCheck(path=path, problems=(error,))
    return SeedFileCheck(path=path, summary=summary, warnings=warnings)


def _summarise_sources(path: Path) -> Summary:
    sources = load_sources(path)
    kinds = Counter(source.kind for source in sources)
    by_kind = ", ".join(f"{kinds[kind]} {kind}" for kind in SOURCE_KINDS if kinds[kind])
    countries = len({source.country for source in sources})
    languages = len({source.language for source in sources})
    counts = {key: sum(len(getattr(source, key)) for source in sources) for key in URL_LISTS}
    entry_points = ", ".join(f"{count} {key}" for key, count in counts.items())
    return (
        f"{len(sources)} sources ({by_kind}); {_plural(countries, 'country', 'countries')}, "
        f"{_plural(languages, 'language', 'languages')}; {entry_points}"
    ), ()


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _summarise_topic(path: Path) -> Summary:
    topic = load_topic(path)
    threshold = "default" if topic.threshold is None else f"{topic.threshold:g}"
    return (
        f"topic {topic.id!r}: {len(topic.terms)} terms, {len(topic.exemplars)} exemplars, "
        f"{len(topic.negatives)} negatives, threshold {threshold}"
    ), ()


def _summarise_codebook(path: Path) -> Summary:
    codebook = load_codebook(path)
    labels = "multi-label" if codebook.multi_label else "single-label"
    exemplars = [len(frame.exemplars) for frame in codebook.frames]
    negatives = sum(len(frame.negatives) for frame in codebook.frames)
    return (
        f"codebook {codebook.id!r} v{codebook.version} ({labels}): "
        f"{len(codebook.frames)} frames, {sum(exemplars)} exemplars "
        f"(min {min(exemplars, default=0)} per frame), {negatives} negatives"
    ), codebook.warnings
