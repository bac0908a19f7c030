"""The demo outlets' back catalogue: a year or more of stories as CC-NEWS-like WARC files.

A new install starts empty; a researcher back-fills it from archives (docs/backfill.md). To show
that offline, this module writes what such an archive looks like: months of the synthetic
outlets' on-topic stories (with planted long-run frame trends: `regulation` rises month after
month, `compute_chips` falls, `not_a_race` stays flat), a few of their off-topic stories, and a
flood of off-topic news from hosts that sources.toml does not follow, like the ~95% of CC-NEWS
that is not about the topic. Files are gzip-per-record WARC/1.0 with response records only,
named like CC-NEWS files. It also writes a Media Cloud-style story export (CSV) of the live demo
site's articles, for `framewatch import urls`.

    framewatch demo-site --sources-out sources.toml --backcatalogue-out backfill/
    python -m pipeline.demo_site.backcatalogue --out backfill/warc --months 14   # WARC files only

Deterministic from the seed and the end month; every story is synthetic.
"""

from __future__ import annotations

import argparse
import csv
import html
import io
import logging
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline.demo_site.compose import compose_off_topic, compose_on_topic
from pipeline.demo_site.model import FRAME_IDS, Corpus, DemoArticle, DemoOutlet
from pipeline.demo_site.outlets import outlets_for
from pipeline.demo_site.pages import article_page
from pipeline.demo_site.phrases_other import OFF_TOPIC
from pipeline.demo_site.server import FIRST_HOST

logger = logging.getLogger(__name__)

# Planted long-run trends: primary-frame share of on-topic stories, first month -> last month.
TRENDS = {"regulation": (0.08, 0.56), "compute_chips": (0.52, 0.10), "not_a_race": (0.10, 0.10)}
# Hosts that publish off-topic news only; sources.toml follows none of them.
UNFOLLOWED_HOSTS = ("daily-courier.example", "metro-bulletin.example", "sportsdesk.example",
                    "weatherline.example", "kitchen-table.example", "county-times.example")
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class BackStory:
    """One story of the back catalogue, as its page will be archived."""

    url: str
    published: datetime  # aware UTC
    captured: datetime  # aware UTC: when the archive fetched it
    html: str
    outlet_id: str | None  # None: an unfollowed host
    on_topic: bool
    primary_frame: str | None


def month_starts(end_month: date, months: int) -> list[date]:
    """First days of the `months` months ending with `end_month`."""
    firsts = []
    year, month = end_month.year, end_month.month
    for _ in range(months):
        firsts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return firsts[::-1]


def trend_shares(index: int, months: int) -> dict[str, float]:
    """Target primary-frame shares of the on-topic stories of month `index`."""
    t = index / max(months - 1, 1)
    shares = {frame: start + (end - start) * t for frame, (start, end) in TRENDS.items()}
    rest = [f for f in FRAME_IDS if f not in shares]
    left = (1.0 - sum(shares.values())) / len(rest)
    shares.update({f: left for f in rest})
    return shares


def _quota(shares: dict[str, float], total: int) -> list[str]:
    """`total` frames in the given shares (largest remainder), in a fixed order."""
    exact = {f: shares[f] * total for f in shares}
    counts = {f: int(v) for f, v in exact.items()}
    for f in sorted(exact, key=lambda k: exact[k] - counts[k], reverse=True)[: total - sum(counts.values())]:
        counts[f] += 1
    return [f for f in shares for _ in range(counts[f])]


def base_urls(outlets: Sequence[DemoOutlet], host_prefix: str = "127.0.0") -> dict[str, str]:
    """The outlets' base URLs as a DemoSite on `host_prefix` serves them (ports aside: sources
    are matched by host)."""
    return {o.id: f"http://{host_prefix}.{FIRST_HOST + i}" for i, o in enumerate(outlets)}


def _day_moment(rng: random.Random, first: date) -> datetime:
    next_month = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    day = first + timedelta(days=rng.randrange((next_month - first).days))
    return datetime.combine(day, time(rng.randint(6, 20), rng.randint(0, 59)), UTC)


def _slug(title: str) -> str:
    return _SLUG.sub("-", title.lower()).strip("-")[:70]


def _outlet_story(rng: random.Random, key: str, outlet: DemoOutlet, base_url: str,
                  published: datetime, frame: str | None) -> BackStory:
    if frame is not None:
        others = [f for f in FRAME_IDS if f not in (frame, *TRENDS)]
        secondary = tuple(rng.sample(others, 1)) if rng.random() < 0.5 else ()
        title, paragraphs = compose_on_topic(rng, frame, secondary, published)
        section, topic, frames = rng.choice(outlet.topic_sections), "ai_race", (frame, *secondary)
    else:
        topic = rng.choice(outlet.off_topics)
        title, paragraphs = compose_off_topic(rng, topic, published)
        section, frames = OFF_TOPIC[topic]["section"], ()
    path = f"/archive/{published:%Y/%m/%d}/{_slug(title)}-{key.rsplit('-', 1)[-1]}"
    article = DemoArticle(
        key=key, outlet_id=outlet.id, path=path, title=title, published=published,
        authors=(rng.choice(outlet.authors),) if outlet.authors else (), paragraphs=tuple(paragraphs),
        on_topic=frame is not None, primary_frame=frame, frames=frames, wire_of=None,
        variant_paths=(), section=section, topic=topic, summary=paragraphs[0].split(". ")[0] + ".")
    page = article_page(outlet, article, base_url, [])
    captured = published + timedelta(hours=rng.randint(1, 30), minutes=rng.randint(0, 59))
    return BackStory(base_url + path, published, captured, page, outlet.id, frame is not None, frame)


def _unfollowed_story(rng: random.Random, key: str, published: datetime) -> BackStory:
    host = rng.choice(UNFOLLOWED_HOSTS)
    topic = rng.choice(sorted(OFF_TOPIC))
    title, paragraphs = compose_off_topic(rng, topic, published)
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    page = (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
            f"{html.escape(title)} | {host}</title><meta property=\"article:published_time\" "
            f"content=\"{published.isoformat()}\"></head><body><header><a href=\"/\">{host}</a>"
            f"<nav><a href=\"/news/\">News</a> <a href=\"/sport/\">Sport</a> <a href=\"/life/\">"
            f"Life</a></nav></header><main><article><h1>{html.escape(title)}</h1><time datetime="
            f"\"{published.isoformat()}\">{published:%d %B %Y}</time>{body}</article></main>"
            f"<footer>Synthetic story for the framewatch demo.</footer></body></html>")
    url = f"https://{host}/{OFF_TOPIC[topic]['section']}/{published:%Y/%m}/{_slug(title)}-{key}"
    captured = published + timedelta(hours=rng.randint(1, 30))
    return BackStory(url, published, captured, page, None, False, None)


def back_catalogue(
    end_month: date,
    months: int = 14,
    *,
    on_topic_per_month: int = 24,
    outlet_off_topic_per_month: int = 6,
    unfollowed_per_month: int = 60,
    seed: int = 7,
    outlets: Sequence[DemoOutlet] | None = None,
    host_prefix: str = "127.0.0",
) -> Iterator[BackStory]:
    """The stories of the back catalogue, month by month, in capture order within a month."""
    if months < 2:
        raise ValueError(f"months={months}: a long-run trend needs at least 2 months")
    outlets = list(outlets or outlets_for(None, "demo"))
    urls = base_urls(outlets, host_prefix)
    for index, first in enumerate(month_starts(end_month, months)):
        rng = random.Random(f"{seed}:backcatalogue:{first:%Y-%m}")
        frames = _quota(trend_shares(index, months), on_topic_per_month)
        rng.shuffle(frames)
        plan: list[tuple[DemoOutlet | None, str | None]] = []
        on_weights = [o.on_topic_weight for o in outlets]
        off_weights = [o.off_topic_weight for o in outlets]
        plan += [(rng.choices(outlets, on_weights)[0], frame) for frame in frames]
        plan += [(rng.choices(outlets, off_weights)[0], None) for _ in range(outlet_off_topic_per_month)]
        plan += [(None, None)] * unfollowed_per_month
        stories = []
        for number, (outlet, frame) in enumerate(plan):
            key = f"bc-{first:%Y%m}-{number:05d}"
            published = _day_moment(rng, first)
            if outlet is None:
                stories.append(_unfollowed_story(rng, key, published))
            else:
                stories.append(_outlet_story(rng, key, outlet, urls[outlet.id], published, frame))
        yield from sorted(stories, key=lambda s: (s.captured, s.url))


def _response(writer: WARCWriter, story: BackStory) -> object:
    body = story.html.encode("utf-8")
    headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                          ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
    return writer.create_warc_record(
        story.url, "response", payload=io.BytesIO(body), length=len(body), http_headers=headers,
        warc_headers_dict={"WARC-Date": story.captured.strftime("%Y-%m-%dT%H:%M:%SZ")})


def write_warc_files(stories: Sequence[BackStory] | Iterator[BackStory], out_dir: Path,
                     records_per_file: int = 1000) -> list[Path]:
    """CC-NEWS-like files: gzip per record, a warcinfo record, then responses in capture order."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    handle = writer = None
    count = 0
    for story in stories:
        if writer is None or count >= records_per_file:
            if handle is not None:
                handle.close()
            name = f"CC-NEWS-{story.captured:%Y%m%d%H%M%S}-{len(written) + 1:05d}.warc.gz"
            path = out_dir / name
            handle = open(path, "wb")  # noqa: SIM115 - closed when the next file starts
            writer = WARCWriter(handle, gzip=True, warc_version="1.0")
            writer.write_record(writer.create_warcinfo_record(name, {
                "software": "framewatch demo back catalogue", "format": "WARC File Format 1.0",
                "description": "Synthetic stories for the framewatch demo (CC-NEWS layout)"}))
            written.append(path)
            count = 0
        writer.write_record(_response(writer, story))
        count += 1
    if handle is not None:
        handle.close()
    return written


MEDIACLOUD_COLUMNS = ("id", "indexed_date", "language", "media_name", "media_url",
                      "publish_date", "title", "url")


def write_mediacloud_csv(path: Path, corpus: Corpus, urls: dict[str, str]) -> Path:
    """A Media Cloud-style story export of the demo site's articles (for `import urls`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    names = {o.id: o.name for o in corpus.outlets}
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(MEDIACLOUD_COLUMNS)
        for number, article in enumerate(corpus.articles, start=1):
            if article.outlet_id not in urls:
                continue
            base = urls[article.outlet_id]
            writer.writerow([
                9_000_000 + number, (article.published + timedelta(hours=2)).isoformat(), "en",
                names[article.outlet_id], base + "/", article.published.strftime("%Y-%m-%d %H:%M:%S"),
                article.title, base + article.path])
    return path


def catalogue_end(corpus: Corpus) -> date:
    """The last month before the live corpus begins: the back catalogue ends there."""
    first_day = min(article.published for article in corpus.articles).date()
    return (first_day.replace(day=1) - timedelta(days=1)).replace(day=1)


def write_demo_backcatalogue(out_dir: Path, corpus: Corpus, served: dict[str, str], *,
                             months: int = 14, seed: int = 7, host_prefix: str = "127.0.0",
                             unfollowed_per_month: int = 60) -> dict[str, object]:
    """What `framewatch demo-site --backcatalogue-out DIR` writes: the months before the live
    corpus as CC-NEWS-like files under DIR/warc/, and DIR/mediacloud.csv listing the served
    site's own articles (for `framewatch import urls`)."""
    end = catalogue_end(corpus)
    stories = back_catalogue(end, months, seed=seed, outlets=corpus.outlets, host_prefix=host_prefix,
                             unfollowed_per_month=unfollowed_per_month)
    files = write_warc_files(stories, out_dir / "warc")
    csv_path = write_mediacloud_csv(out_dir / "mediacloud.csv", corpus, served)
    first = month_starts(end, months)[0]
    return {"warc_files": files, "mediacloud_csv": csv_path, "first_month": f"{first:%Y-%m}",
            "last_month": f"{end:%Y-%m}"}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="Folder for the WARC files.")
    parser.add_argument("--months", type=int, default=14, help="Months of back catalogue.")
    parser.add_argument("--end", default=None, help="Last month, YYYY-MM (default: last month).")
    parser.add_argument("--per-month", type=int, default=24, help="On-topic stories per month.")
    parser.add_argument("--unfollowed-per-month", type=int, default=60,
                        help="Off-topic stories per month from hosts sources.toml does not follow.")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.end:
        end = datetime.strptime(args.end, "%Y-%m").date()
    else:
        today = datetime.now(UTC).date()
        end = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    files = write_warc_files(back_catalogue(end, args.months, on_topic_per_month=args.per_month,
                                            unfollowed_per_month=args.unfollowed_per_month,
                                            seed=args.seed), args.out)
    for path in files:
        print(path)


if __name__ == "__main__":
    main()
