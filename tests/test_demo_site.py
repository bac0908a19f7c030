"""The synthetic demo news site: corpus facts (determinism, weeks, frames, planted trends, wire
copies, URL variants) and the real HTTP servers on 127.0.0.x, including fault mode."""

from __future__ import annotations

import html as html_lib
import http.client
import json
import random
import re
import socket
import tomllib
import xml.etree.ElementTree as ET
import zlib
from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from defusedxml import EntitiesForbidden
from defusedxml.ElementTree import fromstring as safe_fromstring

from pipeline.commands import demo_site as demo_site_command
from pipeline.dedupe import DuplicateIndex, shingles
from pipeline.demo_site import CRAWL_STATUSES, FRAME_IDS, DemoSite, build_corpus
from pipeline.demo_site.compose import SlotFiller, compose_off_topic, compose_on_topic, fill
from pipeline.demo_site.grammar import expand
from pipeline.demo_site.phrases_frames import (
    BACKGROUND_SENTENCES,
    FRAME_SENTENCES,
    FRAME_TITLES,
    NEUTRAL_SENTENCES,
)
from pipeline.demo_site.phrases_other import OFF_TOPIC
from pipeline.demo_site.schedule import BASE_SHARES

ANCHOR = date(2026, 11, 26)  # a Thursday in ISO week 2026-W48
NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
    "atom": "http://www.w3.org/2005/Atom",
}


@pytest.fixture(scope="module")
def small():
    return build_corpus(seed=7, scale="small", anchor=ANCHOR)


@pytest.fixture(scope="module")
def demo():
    return build_corpus(seed=7, scale="demo", anchor=ANCHOR)


@pytest.fixture(scope="module")
def site(small):
    with DemoSite(small, faults=True, slow_seconds=2.0) as running:
        yield running


def fetch(url: str, headers: dict[str, str] | None = None, timeout: float = 5.0):
    """GET without following redirects: (status, headers, body)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.netloc, timeout=timeout)
    try:
        conn.request(
            "GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers or {}
        )
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def pooled_share(weekly: dict, weeks: list[str], frame: str) -> float:
    hits = sum(weekly[w]["originals"]["primary_counts"][frame] for w in weeks)
    total = sum(weekly[w]["originals"]["on_topic"] for w in weeks)
    return hits / total


# -- corpus -----------------------------------------------------------------------------------


def test_same_seed_and_anchor_give_the_same_corpus(small):
    again = build_corpus(seed=7, scale="small", anchor=ANCHOR)
    assert json.dumps(again.truth(), sort_keys=True) == json.dumps(small.truth(), sort_keys=True)
    assert [a.paragraphs for a in again.articles] == [a.paragraphs for a in small.articles]
    other = build_corpus(seed=8, scale="small", anchor=ANCHOR)
    assert [a.title for a in other.articles] != [a.title for a in small.articles]


@pytest.mark.parametrize("scale, outlets, low, high", [("small", 3, 40, 60), ("demo", 6, 400, 600)])
def test_scales_have_their_size(scale, outlets, low, high):
    corpus = build_corpus(seed=3, scale=scale, anchor=ANCHOR)
    assert len(corpus.outlets) == outlets
    assert low <= len(corpus.articles) <= high
    assert {o.kind for o in corpus.outlets} >= {"outlet", "state_media", "wire"}


def test_bench_overrides_set_outlets_and_articles():
    corpus = build_corpus(seed=1, scale="demo", anchor=ANCHOR, outlets=8, articles=1200)
    assert len(corpus.outlets) == 8
    assert len({o.id for o in corpus.outlets}) == 8
    assert abs(len(corpus.articles) - 1200) <= 12
    assert sum(o.kind == "wire" for o in corpus.outlets) == 1


def test_weeks_end_with_the_last_complete_iso_week_before_the_anchor(small, demo):
    for corpus in (small, demo):
        assert len(corpus.weeks) >= 14
        assert corpus.weeks[-1] == "2026-W47"
        weeks_with_articles = {a.iso_week for a in corpus.articles}
        assert weeks_with_articles == set(corpus.weeks)
        assert all(a.published.utcoffset() == timedelta(0) for a in corpus.articles)
        assert max(a.published for a in corpus.articles) < datetime(2026, 11, 23, tzinfo=UTC)
    # an anchor on a Monday makes the week just ended the last complete one
    monday = build_corpus(seed=7, scale="small", anchor=date(2026, 11, 23))
    assert monday.weeks[-1] == "2026-W47"


def test_on_topic_share_and_every_frame_as_primary(small, demo):
    for corpus in (small, demo):
        on_topic = [a for a in corpus.articles if a.on_topic]
        assert 0.58 <= len(on_topic) / len(corpus.articles) <= 0.75
        primaries = Counter(a.primary_frame for a in on_topic)
        assert set(primaries) == set(FRAME_IDS)
        for article in on_topic:
            assert article.frames[0] == article.primary_frame
            assert 1 <= len(article.frames) <= 3 and len(set(article.frames)) == len(article.frames)
        assert all(
            a.primary_frame is None and a.frames == () for a in corpus.articles if not a.on_topic
        )
    # before the planted trend, demo shares follow the baseline mix
    weekly = demo.truth()["weekly"]
    early = list(demo.weeks[:-4])
    for frame in FRAME_IDS:
        assert pooled_share(weekly, early, frame) == pytest.approx(BASE_SHARES[frame], abs=0.035)


def test_off_topic_stories_share_words_with_the_topic(demo):
    off_text = " ".join(" ".join(a.paragraphs) for a in demo.articles if not a.on_topic)
    for trap in ("race", "chip", "AI camera"):
        assert trap in off_text


@pytest.mark.parametrize("corpus_name", ["small", "demo"])
def test_planted_trends_are_in_the_truth(corpus_name, request):
    corpus = request.getfixturevalue(corpus_name)
    truth = corpus.truth()
    weekly = truth["weekly"]
    recent, before = list(corpus.weeks[-4:]), list(corpus.weeks[:-4])
    planted = {t["frame"]: t for t in truth["planted_trends"]}
    assert planted["regulation"]["direction"] == "rise" and planted["regulation"]["weeks"] == recent
    assert pooled_share(weekly, recent, "regulation") > 2 * pooled_share(
        weekly, before, "regulation"
    )
    assert pooled_share(weekly, recent, "compute_chips") < 0.6 * pooled_share(
        weekly, before, "compute_chips"
    )
    last_two, first_two = recent[2:], recent[:2]
    assert pooled_share(weekly, last_two, "regulation") > pooled_share(
        weekly, first_two, "regulation"
    )
    if corpus_name == "demo":  # enough stories per week for week-by-week claims
        shares = [weekly[w]["originals"]["primary_share"]["regulation"] for w in recent]
        assert shares == sorted(shares) and shares[-1] >= 0.40 and shares[0] <= 0.25
        assert pooled_share(weekly, before, "regulation") == pytest.approx(0.12, abs=0.03)
        flat = planted["not_a_race"]["baseline_primary_share"]
        assert pooled_share(weekly, recent, "not_a_race") == pytest.approx(flat, abs=0.02)
        assert pooled_share(weekly, before, "not_a_race") == pytest.approx(flat, abs=0.02)
        # one story more or less in a week of ~25 moves a share by 0.04
        assert all(abs(pooled_share(weekly, [w], "not_a_race") - flat) <= 0.05 for w in recent)
    volumes = [weekly[w]["articles"] for w in corpus.weeks]
    assert len(set(volumes)) > 3, "volume should vary from week to week"
    thin = weekly[truth["thin_week"]]
    assert truth["thin_week"] in corpus.weeks[:4]
    others = [weekly[w]["on_topic"] for w in corpus.weeks if w != truth["thin_week"]]
    assert thin["on_topic"] < min(others)
    assert thin["on_topic"] <= 3 and (corpus_name == "small" or thin["on_topic"] >= 2)


def test_wire_copies_are_light_edits_of_wire_stories(demo):
    wire_id = next(o.id for o in demo.outlets if o.kind == "wire")
    groups = demo.wire_groups()
    assert len(groups) >= 10
    for group in groups:
        original = demo.article(group["original"])
        assert original.outlet_id == wire_id and original.wire_of is None
        assert 1 <= len(group["copies"]) <= 3
        copy_outlets = [demo.article(k).outlet_id for k in group["copies"]]
        assert wire_id not in copy_outlets and len(set(copy_outlets)) == len(copy_outlets)
        for key in group["copies"]:
            copy = demo.article(key)
            assert copy.wire_of == original.key
            assert copy.title != original.title
            assert copy.frames == original.frames
            assert copy.published > original.published
            assert copy.paragraphs != original.paragraphs
            assert "(Meridian Wire) - " in copy.paragraphs[0]
            shared = set(copy.paragraphs) & set(original.paragraphs)
            assert len(shared) >= len(original.paragraphs) - 1
    assert sum(len(g["copies"]) >= 2 for g in groups) >= len(groups) // 2


def test_article_texts_are_not_near_duplicates(demo):
    def sentences(article):
        return set(re.split(r"(?<=[.!?\"])\s+", " ".join(article.paragraphs)))

    originals = [a for a in demo.articles if a.on_topic and a.wire_of is None]
    sets = [sentences(a) for a in originals]
    worst = max(len(x & y) / len(x | y) for i, x in enumerate(sets) for y in sets[i + 1 :])
    assert worst < 0.5
    assert len({a.title for a in originals}) > 0.6 * len(originals)


def _story(article) -> str:
    return article.wire_of or article.key


def test_duplicate_detector_sees_wire_copies_and_no_false_duplicates(demo):
    """The real dedupe stage over the demo corpus, in publication order: every match must be a
    wire copy of the same story, and nearly every copy must be matched."""
    index = DuplicateIndex()
    false_pairs, copies_matched = [], 0
    for article in sorted(demo.articles, key=lambda a: (a.published, a.key)):
        text = "\n\n".join(article.paragraphs)
        found, _ = index.match_and_add(article.key, text, source_id=article.outlet_id)
        if found is None:
            continue
        other = demo.article(found.duplicate_of)
        if _story(other) == _story(article):
            copies_matched += article.wire_of is not None
        else:
            false_pairs.append((article.key, other.key, found.kind, round(found.similarity, 2)))
    copies = sum(a.wire_of is not None for a in demo.articles)
    assert len(false_pairs) <= 0.01 * len(demo.articles), false_pairs[:10]
    assert copies >= 30 and copies_matched / copies >= 0.9


def test_distinct_articles_share_few_word_shingles(demo):
    """Distinct stories, on the same frame or the same off-topic beat, share few 5-word runs."""
    sets = {a.key: shingles("\n\n".join(a.paragraphs)) for a in demo.articles}
    keys = sorted(sets)
    worst, shared_counts = 0.0, []
    for i, x in enumerate(keys):
        for y in keys[i + 1 :]:
            if _story(demo.article(x)) == _story(demo.article(y)):
                continue
            shared = len(sets[x] & sets[y])
            shared_counts.append(shared)
            if shared:
                worst = max(worst, shared / len(sets[x] | sets[y]))
    assert worst < 0.3  # the dedupe stage calls 0.8 Jaccard, or 0.6 containment, a copy
    shared_counts.sort()
    assert shared_counts[int(0.95 * len(shared_counts))] <= 12


def test_every_template_renders_clean_text():
    pools = [*FRAME_SENTENCES.values(), *FRAME_TITLES.values(), NEUTRAL_SENTENCES]
    pools.append(BACKGROUND_SENTENCES)
    for topic in OFF_TOPIC.values():
        for story in (topic, *topic.get("angles", ())):
            pools += [story["titles"], story["leads"], story["sentences"]]
    published = datetime(2026, 11, 3, 9, tzinfo=UTC)
    for pool in pools:
        assert len(set(pool)) == len(pool)
        for template in pool:
            for seed in range(4):
                rng = random.Random(seed)
                text = fill(template, rng, SlotFiller(rng, published))
                assert not re.search(r"[\[\]{}<>|]|\s[\s,.]|\.\.|,,", text), (template, text)
                assert text[0].isupper() or text[0] == '"', text


def test_alternatives_nest_and_bad_templates_are_refused():
    seen = {expand("[a [b|c]|d]", random.Random(seed)) for seed in range(40)}
    assert seen == {"a b", "a c", "d"}
    with pytest.raises(ValueError, match="unbalanced"):
        expand("an [open group", random.Random(1))
    with pytest.raises(KeyError, match="unknown macro"):
        expand("<nonsense>", random.Random(1))
    with pytest.raises(KeyError, match="unknown slot"):
        fill("{nobody}", random.Random(1), SlotFiller(random.Random(1), datetime(2026, 1, 5)))


def test_articles_name_people_in_full_once_and_repeat_no_sentence():
    published = datetime(2026, 11, 3, 9, tzinfo=UTC)
    for seed in range(30):
        rng = random.Random(seed)
        _, paragraphs = compose_on_topic(rng, "regulation", ("security", "talent"), published)
        sentences = re.split(r"(?<=[.!?\"])\s+", " ".join(paragraphs))
        assert len(sentences) == len(set(sentences))
        _, paragraphs = compose_off_topic(rng, "football", published)
        assert len(paragraphs) >= 3
    slots = SlotFiller(random.Random(3), published)
    first, second = slots["analyst"], slots["analyst"]
    assert first != second and first.split(",")[0].endswith(f" {second}")
    assert slots["analyst_short"] == second


def test_url_variants_of_every_kind_exist(demo):
    variants = [v for a in demo.articles for v in a.variant_paths]
    assert any("?utm_source=" in v for v in variants)
    assert any(v.endswith("#comments") for v in variants)
    assert any(v.startswith("/amp/") for v in variants)
    assert any(a.legacy_path and a.legacy_path in a.variant_paths for a in demo.articles)
    assert any(
        v.rstrip("/") == a.path.rstrip("/") and v != a.path
        for a in demo.articles
        for v in a.variant_paths
    )


def test_bad_arguments_are_refused_with_a_clear_error(small):
    with pytest.raises(ValueError, match="scale='huge'"):
        build_corpus(scale="huge")
    with pytest.raises(ValueError, match="loopback"):
        DemoSite(small, host_prefix="10.0.0")
    with pytest.raises(ValueError, match="three octets"):
        DemoSite(small, host_prefix="127.0")


# -- HTTP -------------------------------------------------------------------------------------


def test_each_outlet_has_its_own_loopback_address(site, small):
    hosts = [urlsplit(site.base_urls[o.id]).hostname for o in small.outlets]
    assert hosts == [f"127.0.0.{11 + i}" for i in range(len(small.outlets))]
    assert urlsplit(site.base_urls["hostile"]).hostname == "127.0.0.14"
    status, _, body = fetch(site.base_urls["harbor_daily"] + "/")
    assert status == 200 and b"The Harbor Daily" in body
    assert ("harbor_daily", "GET", "/", 200) in site.request_log


def test_feeds_parse_and_list_the_newest_articles(site, small):
    for outlet in small.outlets:
        base = site.base_urls[outlet.id]
        articles = sorted(small.articles_of(outlet.id), key=lambda a: a.published, reverse=True)
        newest = {base + a.path for a in articles[: outlet.feed_size]}
        status, headers, body = fetch(base + outlet.rss_path)
        assert status == 200 and headers["Content-Type"].startswith("application/rss+xml")
        items = ET.fromstring(body).findall("./channel/item")
        assert {i.findtext("link") for i in items} == newest
        assert all(
            i.findtext("title") and parsedate_to_datetime(i.findtext("pubDate")) for i in items
        )
        assert "Synthetic" in ET.fromstring(body).findtext("./channel/description")
        status, headers, body = fetch(base + outlet.atom_path)
        entries = ET.fromstring(body).findall("atom:entry", NS)
        assert {e.find("atom:link", NS).get("href") for e in entries} == newest
        assert all(
            datetime.fromisoformat(e.findtext("atom:updated", namespaces=NS)) for e in entries
        )


def test_sitemaps_list_every_article(site, small):
    for outlet in small.outlets:
        base = site.base_urls[outlet.id]
        status, _, body = fetch(base + outlet.sitemap_path)
        monthly = [loc.text for loc in ET.fromstring(body).findall("sm:sitemap/sm:loc", NS)]
        assert len(monthly) >= 3
        listed = set()
        for url in monthly:
            status, _, body = fetch(url)
            assert status == 200
            listed |= {loc.text for loc in ET.fromstring(body).findall("sm:url/sm:loc", NS)}
        assert listed == {base + a.path for a in small.articles_of(outlet.id)}
        status, _, body = fetch(base + outlet.news_sitemap_path)
        urls = ET.fromstring(body).findall("sm:url", NS)
        assert urls
        dates = [
            datetime.fromisoformat(u.findtext("news:news/news:publication_date", namespaces=NS))
            for u in urls
        ]
        newest = max(a.published for a in small.articles_of(outlet.id))
        assert max(dates) == newest and min(dates) >= newest - timedelta(days=2)
        assert all(u.findtext("news:news/news:title", namespaces=NS) for u in urls)


def test_robots_txt_rules(site, small):
    for outlet in small.outlets:
        _, _, body = fetch(site.base_urls[outlet.id] + "/robots.txt")
        text = body.decode()
        assert f"Sitemap: {site.base_urls[outlet.id]}{outlet.sitemap_path}" in text
        assert f"Sitemap: {site.base_urls[outlet.id]}{outlet.news_sitemap_path}" in text
    harbor = fetch(site.base_urls["harbor_daily"] + "/robots.txt")[2].decode()
    assert "Disallow: /private/" in harbor
    assert 'href="/private/"' in fetch(site.base_urls["harbor_daily"] + "/")[2].decode()
    assert fetch(site.base_urls["harbor_daily"] + "/private/preview-1")[0] == 200
    assert "Crawl-delay: 0.2" in fetch(site.base_urls["eastern_beacon"] + "/robots.txt")[2].decode()
    denied = {d["path"] for d in small.truth()["robots_denied"]}
    assert "/private/preview-1" in denied


def test_conditional_get_answers_304(site, small):
    outlet = small.outlets[0]
    base = site.base_urls[outlet.id]
    article = small.articles_of(outlet.id)[3]
    for path in (outlet.rss_path, outlet.sitemap_path, article.path):
        status, headers, body = fetch(base + path)
        assert status == 200 and headers["ETag"] and headers["Last-Modified"]
        assert fetch(base + path, {"If-None-Match": headers["ETag"]})[0] == 304
        assert fetch(base + path, {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
        assert fetch(base + path, {"If-None-Match": '"other"'})[0] == 200
        earlier = parsedate_to_datetime(headers["Last-Modified"]) - timedelta(hours=1)
        older = earlier.strftime("%a, %d %b %Y %H:%M:%S GMT")
        status, _, body = fetch(base + path, {"If-Modified-Since": older})
        assert status == 200 and body
    assert parsedate_to_datetime(
        fetch(base + article.path)[1]["Last-Modified"]
    ) == article.last_modified.replace(microsecond=0)


def _canonical(html: bytes) -> str:
    match = re.search(rb'<link rel="canonical" href="([^"]+)"', html)
    assert match, "page has no rel=canonical"
    return match.group(1).decode()


def test_url_variants_are_served(site, small):
    harbor = site.base_urls["harbor_daily"]
    articles = small.articles_of("harbor_daily")
    article = articles[0]
    canonical = harbor + article.path
    status, _, body = fetch(f"{harbor}/amp{article.path}")
    assert status == 200 and b"<html amp" in body and _canonical(body) == canonical
    assert f'rel="amphtml" href="/amp{article.path}"'.encode() in fetch(canonical)[2]
    twin = article.path.rstrip("/")
    status, _, body = fetch(harbor + twin)
    assert status == 200 and _canonical(body) == canonical
    status, _, body = fetch(canonical + "?utm_source=newsletter&utm_medium=email")
    assert status == 200 and _canonical(body) == canonical
    legacy = [a for a in small.articles if a.legacy_path]
    assert legacy
    for a in legacy:
        status, headers, _ = fetch(site.base_urls[a.outlet_id] + a.legacy_path)
        assert status == 301 and headers["Location"] == a.path


def test_section_pages_paginate_through_every_article(site, small):
    outlet = small.outlets[0]
    base = site.base_urls[outlet.id]
    for section in outlet.sections:
        expected = {a.path for a in small.articles_of(outlet.id) if a.section == section}
        seen: set[str] = set()
        url, pages = base + outlet.section_path(section), 0
        while url and pages < 50:
            status, _, body = fetch(url)
            assert status == 200
            html = body.decode()
            for href in re.findall(r'<h2 class="stream-item__title"><a href="([^"]+)"', html):
                seen.add(html_lib.unescape(href))
            pages += 1
            nxt = re.search(r'<a rel="next" href="([^"]+)"', html)
            url = base + nxt.group(1).replace("&amp;", "&") if nxt else None
        resolved = set()
        for href in seen:  # listings may use tracked, slash or legacy variants
            article = next(
                a for a in small.articles_of(outlet.id) if href in (a.path, *a.variant_paths)
            )
            resolved.add(article.path)
        assert resolved == expected
        assert pages == max(1, -(-len(expected) // outlet.page_size))


def test_article_pages_carry_metadata_and_clutter(site, small):
    truth = {a["key"]: a for a in small.truth()["articles"]}
    harbor = small.articles_of("harbor_daily")[5]
    html = fetch(site.base_urls["harbor_daily"] + harbor.path)[2].decode()
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html).group(1))
    assert ld["headline"] == harbor.title
    assert datetime.fromisoformat(ld["datePublished"]) == datetime.fromisoformat(
        truth[harbor.key]["published"]
    )
    for clutter in (
        "onetrust-banner-sdk",
        "share-icons",
        "newsletter-signup",
        'id="comments"',
        "related-list",
        "masthead__nav",
    ):
        assert clutter in html
    footer = html[html.index('<footer class="site-footer">') :]
    assert "Synthetic article written for the framewatch demo" in footer
    body = html[
        html.index('itemprop="articleBody"') : html.index(
            "</section>", html.index('itemprop="articleBody"')
        )
    ]
    assert "Synthetic" not in body
    beacon = small.articles_of("eastern_beacon")[2]
    html = fetch(site.base_urls["eastern_beacon"] + beacon.path)[2].decode()
    assert "application/ld+json" not in html and "article:published_time" not in html
    assert f"By {' and '.join(beacon.authors)} | Eastern Beacon | Updated: " in html
    assert (
        beacon.published.astimezone(timezone(timedelta(hours=8))).strftime("%Y-%m-%d %H:%M") in html
    )
    assert f'<link rel="canonical" href="{site.base_urls["eastern_beacon"]}{beacon.path}"' in html


def test_related_teasers_carry_other_frames(site, small):
    article = next(a for a in small.articles_of("harbor_daily") if a.on_topic)
    html = fetch(site.base_urls["harbor_daily"] + article.path)[2].decode()
    rail = html[html.index('<ol class="related-list">') :]
    linked = re.findall(r'<li><a href="([^"]+)"', rail)
    related = [a for a in small.articles_of("harbor_daily") if a.path in linked]
    assert related and any(r.on_topic and r.primary_frame != article.primary_frame for r in related)


def test_sources_toml_has_the_documented_format(site, small, tmp_path):
    path = site.write_sources_toml(tmp_path / "seeds" / "sources.toml")
    sources = tomllib.loads(path.read_text())["sources"]
    assert [s["id"] for s in sources] == [o.id for o in small.outlets] + ["hostile"]
    for entry in sources:
        assert re.fullmatch(r"[a-z0-9_-]+", entry["id"])
        assert entry["kind"] in {"wire", "outlet", "tech", "state_media", "think_tank"}
        assert re.fullmatch(r"[A-Z]{2}|INT", entry["country"]) and entry["language"] == "en"
        base = site.base_urls[entry["id"]]
        assert entry["homepage"] == base + "/"
        for key in ("feeds", "sitemaps", "news_sitemaps", "sections"):
            assert all(url.startswith(base + "/") for url in entry[key])
        for url in entry["feeds"] + entry["sitemaps"] + entry["sections"]:
            assert fetch(url)[0] == 200
    assert sources[0]["feeds"][0] == site.base_urls["harbor_daily"] + small.outlets[0].rss_path


# -- fault mode -------------------------------------------------------------------------------


def fault_url(site, fault_id: str) -> str:
    fault = next(f for f in site.truth()["faults"] if f["id"] == fault_id)
    return fault["url"]


def test_fault_truth_lists_url_and_expected_status(site, small):
    faults = site.truth()["faults"]
    assert {f["expected_status"] for f in faults} == set(CRAWL_STATUSES)
    assert all(f["url"].startswith(site.base_urls["hostile"]) for f in faults)
    assert all(f["url"] is None for f in small.truth()["faults"])  # no site, no URLs


def test_fault_endpoints_behave(site):
    assert fetch(fault_url(site, "control"))[0] == 200
    flaky = fault_url(site, "flaky_5xx")
    assert [fetch(flaky)[0] for _ in range(3)] == [503, 503, 200]
    assert fetch(fault_url(site, "server_error"))[0] == 500
    status, headers, _ = fetch(fault_url(site, "rate_limited"))
    assert status == 429 and headers["Retry-After"] == "1"
    status, headers, _ = fetch(fault_url(site, "challenge"))
    assert status == 403
    assert fetch(fault_url(site, "not_found"))[0] == 404
    status, headers, _ = fetch(fault_url(site, "redirect_loop"))
    assert status == 302 and headers["Location"] == "/loop/b"
    status, headers, _ = fetch(site.base_urls["hostile"] + "/loop/b")
    assert status == 302 and headers["Location"] == "/loop/a"
    status, headers, body = fetch(fault_url(site, "pdf"))
    assert headers["Content-Type"] == "application/pdf" and body.startswith(b"%PDF")
    status, headers, body = fetch(fault_url(site, "jpeg"))
    assert headers["Content-Type"] == "image/jpeg" and body.startswith(b"\xff\xd8")
    robots = fetch(site.base_urls["hostile"] + "/robots.txt")[2].decode()
    assert "Disallow: /members/" in robots and urlsplit(fault_url(site, "robots")).path.startswith(
        "/members/"
    )


def test_slow_and_truncated_pages(site):
    with pytest.raises((socket.timeout, TimeoutError)):
        fetch(fault_url(site, "slow"), timeout=0.5)
    with pytest.raises(http.client.IncompleteRead):
        fetch(fault_url(site, "truncated"))


def test_charset_faults(site):
    _, headers, body = fetch(fault_url(site, "mislabelled_charset"))
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert "Müller" in body.decode("latin-1")
    _, headers, body = fetch(fault_url(site, "missing_charset"))
    assert headers["Content-Type"] == "text/html" and b"charset" not in body
    assert "\u20ac40m" in body.decode("cp1252") and "\u201cThe rules" in body.decode("cp1252")


def test_size_faults(site):
    _, headers, body = fetch(fault_url(site, "gzip_bomb"))
    assert headers["Content-Encoding"] == "gzip" and len(body) < 400_000
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    first = inflater.decompress(body, 32 * 1024 * 1024)  # bounded: never inflate it all
    assert len(first) == 32 * 1024 * 1024 and inflater.unconsumed_tail
    _, headers, body = fetch(fault_url(site, "oversized"), timeout=10)
    assert int(headers["Content-Length"]) == len(body) >= 12 * 1024 * 1024


def test_feed_faults(site):
    with pytest.raises(ET.ParseError):
        ET.fromstring(fetch(fault_url(site, "malformed_feed"))[2])
    with pytest.raises(EntitiesForbidden):
        safe_fromstring(fetch(fault_url(site, "entity_expansion"))[2])
    feed = ET.fromstring(fetch(site.base_urls["hostile"] + "/feeds/all.xml")[2])
    links = {i.findtext("link") for i in feed.findall("./channel/item")}
    assert fault_url(site, "flaky_5xx") in links and fault_url(site, "control") in links


# -- CLI --------------------------------------------------------------------------------------


def test_cli_serves_until_interrupted(tmp_path, monkeypatch):
    seen = {}

    def visit_then_interrupt():
        toml = tomllib.loads((tmp_path / "sources.toml").read_text())
        homepage = toml["sources"][0]["homepage"]
        seen["status"] = fetch(homepage)[0]
        raise KeyboardInterrupt

    monkeypatch.setattr(demo_site_command, "_wait_forever", visit_then_interrupt)
    result = CliRunner().invoke(
        demo_site_command.command,
        [
            "--scale",
            "small",
            "--anchor",
            "2026-11-26",
            "--sources-out",
            str(tmp_path / "sources.toml"),
            "--truth-out",
            str(tmp_path / "truth.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert seen["status"] == 200
    assert re.search(r"harbor_daily\s+http://127\.0\.0\.11:\d+/", result.output)
    assert "Stopping." in result.output
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert truth["last_complete_week"] == "2026-W47" and truth["articles"][0]["url"].startswith(
        "http://127.0.0."
    )


def test_cli_rejects_bad_options():
    result = CliRunner().invoke(demo_site_command.command, ["--scale", "huge"])
    assert result.exit_code == 2 and "huge" in result.output
    result = CliRunner().invoke(demo_site_command.command, ["--host-prefix", "192.168.1"])
    assert result.exit_code == 1 and "loopback" in result.output
