"""The demo corpus as plain data: outlets, articles, faults, and the ground truth they imply."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pipeline.demo_site.phrases_other import OFF_TOPIC

FRAME_IDS: tuple[str, ...] = (
    "data_advantage",
    "talent",
    "regulation",
    "security",
    "compute_chips",
    "investment",
    "public_benefit",
    "ethics_surveillance",
    "not_a_race",
)

CRAWL_STATUSES: tuple[str, ...] = (
    "server_error",
    "rate_limited",
    "timeout",
    "truncated",
    "not_html",
    "too_large",
    "blocked",
    "not_found",
    "robots_denied",
    "redirect_loop",
    "malformed_feed",
    "ok",
)


@dataclass(frozen=True)
class DemoOutlet:
    """One synthetic news outlet: identity, look, URL conventions and robots rules."""

    id: str
    name: str
    country: str
    language: str
    kind: str  # wire | outlet | tech | state_media | think_tank
    theme: str  # module name under pipeline/demo_site/themes
    topic_sections: tuple[str, ...]  # sections that carry AI-race stories
    off_topics: tuple[str, ...]  # off-topic categories (keys of phrases_other.OFF_TOPIC) it runs
    local_tz: str  # key of pipeline.demo_site.timefmt.ZONES: how bylines show the time
    metadata: str  # "jsonld" | "meta" | "visible": where title/author/date can be read
    rss_path: str
    atom_path: str
    sitemap_path: str  # a sitemap index
    news_sitemap_path: str
    article_path_style: str  # see corpus.article_path
    legacy_prefix: str  # old URL scheme that now answers 301
    section_prefix: str = "/"  # section pages live at <prefix><section>/
    pagination: str = "query"  # "query": ?page=N, "path": page/N/
    on_topic_weight: float = 1.0  # relative share of AI-race stories it publishes
    off_topic_weight: float = 1.0
    page_size: int = 20  # links per section page
    feed_size: int = 40  # items per feed
    robots_disallow: tuple[str, ...] = ()
    crawl_delay: float | None = None
    amp: bool = False  # serves /amp/<path> and links it with rel=amphtml
    private_section: str | None = None  # linked from the home page, disallowed in robots.txt
    authors: tuple[str, ...] = ()

    @property
    def sections(self) -> tuple[str, ...]:
        off = [OFF_TOPIC[topic]["section"] for topic in self.off_topics]
        return tuple(dict.fromkeys([*self.topic_sections, *off]))

    def section_path(self, section: str, page: int = 1) -> str:
        base = f"{self.section_prefix}{section}/"
        if page <= 1:
            return base
        return f"{base}page/{page}/" if self.pagination == "path" else f"{base}?page={page}"


@dataclass(frozen=True)
class DemoArticle:
    """One synthetic article. `published` is an aware UTC datetime."""

    key: str
    outlet_id: str
    path: str  # canonical path on the outlet's host
    title: str
    published: datetime
    authors: tuple[str, ...]
    paragraphs: tuple[str, ...]
    on_topic: bool
    primary_frame: str | None
    frames: tuple[str, ...]  # primary first, then 0-2 secondary frames; () when off-topic
    wire_of: str | None  # key of the wire original this article republishes
    variant_paths: tuple[
        str, ...
    ]  # other paths (query, fragment, amp, slash, legacy) linked on the site
    section: str
    topic: str  # "ai_race" or an off-topic category such as "recipes"
    summary: str
    updated: datetime | None = None
    legacy_path: str | None = None  # old path that redirects (301) to `path`

    @property
    def iso_week(self) -> str:
        return self.published.strftime("%G-W%V")

    @property
    def last_modified(self) -> datetime:
        return self.updated or self.published


@dataclass(frozen=True)
class Fault:
    """One misbehaving endpoint of the hostile outlet and what a careful crawler should record."""

    id: str
    path: str
    expected_status: str
    description: str
    discover_via: str  # "feed", "sitemap", "link", "sources" (listed in sources.toml)


@dataclass(frozen=True)
class PlantedTrend:
    frame: str
    direction: str  # "rise" | "fall" | "flat"
    weeks: tuple[str, ...]
    target_primary_share: tuple[float, ...]  # share of on-topic originals, one per week
    baseline_primary_share: float


@dataclass
class Corpus:
    """Everything `DemoSite` serves, plus the ground truth a report on it should recover."""

    seed: int
    scale: str
    anchor: date
    weeks: tuple[str, ...]
    outlets: list[DemoOutlet]
    articles: list[DemoArticle]
    planted: tuple[PlantedTrend, ...]
    thin_week: str
    fault_outlet: DemoOutlet
    faults: tuple[Fault, ...]
    private_paths: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _by_key: dict[str, DemoArticle] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_key = {article.key: article for article in self.articles}

    def article(self, key: str) -> DemoArticle:
        return self._by_key[key]

    def outlet(self, outlet_id: str) -> DemoOutlet:
        for outlet in [*self.outlets, self.fault_outlet]:
            if outlet.id == outlet_id:
                return outlet
        raise KeyError(f"no outlet {outlet_id!r} in this corpus")

    def articles_of(self, outlet_id: str) -> list[DemoArticle]:
        return [article for article in self.articles if article.outlet_id == outlet_id]

    def wire_groups(self) -> list[dict[str, Any]]:
        copies: dict[str, list[str]] = defaultdict(list)
        for article in self.articles:
            if article.wire_of:
                copies[article.wire_of].append(article.key)
        return [{"original": key, "copies": sorted(keys)} for key, keys in sorted(copies.items())]

    def weekly_counts(self) -> dict[str, dict[str, Any]]:
        """Per ISO week: volume, on-topic count and primary-frame counts/shares.

        `originals` counts stories once (wire copies left out), as a deduplicating pipeline
        should; `all` counts every page.
        """
        weekly: dict[str, dict[str, Any]] = {}
        for week in self.weeks:
            in_week = [a for a in self.articles if a.iso_week == week]
            weekly[week] = {
                "articles": len(in_week),
                "on_topic": sum(a.on_topic for a in in_week),
                "all": _frame_stats(in_week),
                "originals": _frame_stats([a for a in in_week if a.wire_of is None]),
            }
        return weekly

    def truth(self, base_urls: dict[str, str] | None = None) -> dict[str, Any]:
        """A JSON-able description of the corpus: what a faithful pipeline should find.

        With `base_urls` (from a running `DemoSite`), paths are also given as absolute URLs.
        """

        def url(outlet_id: str, path: str) -> str | None:
            if base_urls is None or outlet_id not in base_urls:
                return None
            return base_urls[outlet_id] + path

        articles = [
            {
                "key": a.key,
                "outlet_id": a.outlet_id,
                "path": a.path,
                "url": url(a.outlet_id, a.path),
                "title": a.title,
                "published": a.published.isoformat(),
                "iso_week": a.iso_week,
                "authors": list(a.authors),
                "on_topic": a.on_topic,
                "topic": a.topic,
                "primary_frame": a.primary_frame,
                "frames": list(a.frames),
                "wire_of": a.wire_of,
                "variant_paths": list(a.variant_paths),
                "legacy_path": a.legacy_path,
            }
            for a in self.articles
        ]
        return {
            "synthetic": True,
            "note": "Synthetic corpus written for the framewatch demo; no real outlet or person.",
            "seed": self.seed,
            "scale": self.scale,
            "anchor": self.anchor.isoformat(),
            "weeks": list(self.weeks),
            "last_complete_week": self.weeks[-1],
            "frames": list(FRAME_IDS),
            "outlets": [
                {
                    "id": o.id,
                    "name": o.name,
                    "country": o.country,
                    "language": o.language,
                    "kind": o.kind,
                    "base_url": (base_urls or {}).get(o.id),
                    "metadata": o.metadata,
                    "crawl_delay": o.crawl_delay,
                    "robots_disallow": list(o.robots_disallow),
                }
                for o in self.outlets
            ],
            "articles": articles,
            "wire_groups": self.wire_groups(),
            "weekly": self.weekly_counts(),
            "planted_trends": [
                {
                    "frame": t.frame,
                    "direction": t.direction,
                    "weeks": list(t.weeks),
                    "target_primary_share": list(t.target_primary_share),
                    "baseline_primary_share": t.baseline_primary_share,
                }
                for t in self.planted
            ],
            "thin_week": self.thin_week,
            "robots_denied": [
                {"outlet_id": outlet_id, "path": path, "url": url(outlet_id, path)}
                for outlet_id, paths in sorted(self.private_paths.items())
                for path in paths
            ],
            "faults": [
                {
                    "id": f.id,
                    "outlet_id": self.fault_outlet.id,
                    "path": f.path,
                    "url": url(self.fault_outlet.id, f.path),
                    "expected_status": f.expected_status,
                    "description": f.description,
                    "discover_via": f.discover_via,
                }
                for f in self.faults
            ],
        }


def _frame_stats(articles: list[DemoArticle]) -> dict[str, Any]:
    on_topic = [a for a in articles if a.on_topic]
    primary = Counter(a.primary_frame for a in on_topic)
    mentioned = Counter(frame for a in on_topic for frame in a.frames)
    total = len(on_topic)
    return {
        "on_topic": total,
        "primary_counts": {f: primary.get(f, 0) for f in FRAME_IDS},
        "primary_share": {f: (primary.get(f, 0) / total if total else 0.0) for f in FRAME_IDS},
        "frame_counts": {f: mentioned.get(f, 0) for f in FRAME_IDS},
    }
