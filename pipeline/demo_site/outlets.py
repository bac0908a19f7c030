"""The synthetic outlets: six archetypes (US daily, US tech site, Chinese state media, European
paper, Asian business paper, wire service) and the hostile outlet used in fault mode."""

from __future__ import annotations

from dataclasses import replace

from pipeline.demo_site.model import DemoOutlet

ARCHETYPES: tuple[DemoOutlet, ...] = (
    DemoOutlet(
        id="harbor_daily",
        name="The Harbor Daily",
        country="US",
        language="en",
        kind="outlet",
        theme="broadsheet",
        topic_sections=("technology", "world", "politics", "business"),
        off_topics=("football", "motor_racing", "weather", "local_politics", "recipes"),
        local_tz="US_EASTERN",
        metadata="jsonld",
        rss_path="/feeds/rss/all.xml",
        atom_path="/feeds/atom/all.xml",
        sitemap_path="/sitemap.xml",
        news_sitemap_path="/sitemap-news.xml",
        article_path_style="dated_section",
        legacy_prefix="/story",
        pagination="query",
        robots_disallow=("/private/", "/search"),
        private_section="private",
        amp=True,
        on_topic_weight=0.20,
        off_topic_weight=0.28,
        authors=("Claire Donnelly", "Marcus Webb", "Hannah Liu", "Samuel Ortiz", "Rebecca Stone"),
    ),
    DemoOutlet(
        id="circuit_ledger",
        name="Circuit Ledger",
        country="US",
        language="en",
        kind="tech",
        theme="techblog",
        topic_sections=("ai", "policy", "hardware"),
        off_topics=("phone_review",),
        local_tz="US_EASTERN",
        metadata="meta",
        rss_path="/feed/",
        atom_path="/feed/atom/",
        sitemap_path="/sitemap_index.xml",
        news_sitemap_path="/news-sitemap.xml",
        article_path_style="news_slug_id",
        legacy_prefix="/p",
        section_prefix="/category/",
        pagination="path",
        on_topic_weight=0.22,
        off_topic_weight=0.10,
        authors=("Devin Park", "Alexis Moreau", "Jordan Blake", "Nikhil Rao"),
    ),
    DemoOutlet(
        id="eastern_beacon",
        name="Eastern Beacon",
        country="CN",
        language="en",
        kind="state_media",
        theme="statemedia",
        topic_sections=("china", "world", "business", "tech"),
        off_topics=("football", "weather"),
        local_tz="BEIJING",
        metadata="visible",
        rss_path="/rss/china_rss.xml",
        atom_path="/rss/china_atom.xml",
        sitemap_path="/sitemap/index.xml",
        news_sitemap_path="/sitemap/news.xml",
        article_path_style="cd_style",
        legacy_prefix="/cndy",
        pagination="query",
        crawl_delay=0.2,
        on_topic_weight=0.16,
        off_topic_weight=0.14,
        authors=("LI WEI", "ZHANG YUE", "WANG XIAOQING", "CHEN JIA", "HU RUIXUE"),
    ),
    DemoOutlet(
        id="rhine_courier",
        name="The Rhine Courier",
        country="DE",
        language="en",
        kind="outlet",
        theme="european",
        topic_sections=("europe", "world", "economy", "science"),
        off_topics=("recipes", "football", "weather", "local_politics"),
        local_tz="CENTRAL_EUROPE",
        metadata="jsonld",
        rss_path="/rss/index.rss",
        atom_path="/rss/index.atom",
        sitemap_path="/sitemaps/index.xml",
        news_sitemap_path="/sitemaps/news.xml",
        article_path_style="section_slug_a",
        legacy_prefix="/artikel",
        pagination="query",
        on_topic_weight=0.14,
        off_topic_weight=0.22,
        authors=("Anna Brandt", "Lukas Meier", "Sophie Klein", "Jonas Weber"),
    ),
    DemoOutlet(
        id="lotus_business",
        name="Lotus Business Review",
        country="SG",
        language="en",
        kind="outlet",
        theme="business",
        topic_sections=("technology", "markets", "asia"),
        off_topics=("phone_review", "weather"),
        local_tz="SINGAPORE",
        metadata="visible",
        rss_path="/rss/latest.xml",
        atom_path="/atom/latest.xml",
        sitemap_path="/sitemap-index.xml",
        news_sitemap_path="/sitemap-googlenews.xml",
        article_path_style="article_section",
        legacy_prefix="/news/id",
        pagination="path",
        amp=True,
        on_topic_weight=0.12,
        off_topic_weight=0.12,
        authors=("Tan Wei Ming", "Priya Nair", "Kelvin Ong", "Rachel Lim"),
    ),
    DemoOutlet(
        id="meridian_wire",
        name="Meridian Wire",
        country="INT",
        language="en",
        kind="wire",
        theme="wire",
        topic_sections=("technology", "world", "business"),
        off_topics=("football", "weather", "motor_racing"),
        local_tz="UTC",
        metadata="meta",
        rss_path="/rss/topnews.xml",
        atom_path="/atom/topnews.xml",
        sitemap_path="/sitemap/index.xml",
        news_sitemap_path="/sitemap/news.xml",
        article_path_style="wire_dated",
        legacy_prefix="/article/id",
        pagination="query",
        on_topic_weight=0.16,
        off_topic_weight=0.14,
        authors=("Karen Holt", "Ibrahim Sadiq", "Yoko Fujita", "Peter Lindgren", "Mariana Costa"),
    ),
)

HOSTILE = DemoOutlet(
    id="hostile",
    name="Hostile Test Outlet",
    country="US",
    language="en",
    kind="outlet",
    theme="hostile",
    topic_sections=("news",),
    off_topics=(),
    local_tz="UTC",
    metadata="visible",
    rss_path="/feeds/all.xml",
    atom_path="/feeds/atom.xml",
    sitemap_path="/sitemap.xml",
    news_sitemap_path="/sitemap-news.xml",
    article_path_style="news_slug_id",
    legacy_prefix="/old",
    robots_disallow=("/members/",),
    authors=("Test Desk",),
)

_SMALL = ("harbor_daily", "eastern_beacon", "meridian_wire")
_EDITIONS = ("Northern", "Pacific", "Gulf", "Alpine", "Lakes", "Capital")


def outlets_for(count: int | None, scale: str) -> list[DemoOutlet]:
    """The outlets of a scale; `count` above 6 adds regional editions of the archetypes."""
    if count is None:
        if scale == "small":
            return [o for o in ARCHETYPES if o.id in _SMALL]
        count = 8 if scale == "bench" else len(ARCHETYPES)
    if count < 3:
        raise ValueError(
            f"outlets={count}: the demo site needs at least 3 outlets (daily, state media, wire)"
        )
    if count <= len(ARCHETYPES):
        chosen = [o for o in ARCHETYPES if o.id in _SMALL]
        chosen += [o for o in ARCHETYPES if o.id not in _SMALL][: count - len(chosen)]
        return sorted(chosen, key=ARCHETYPES.index)
    outlets = list(ARCHETYPES)
    for extra in range(count - len(ARCHETYPES)):
        base = ARCHETYPES[extra % len(ARCHETYPES)]
        edition = _EDITIONS[extra % len(_EDITIONS)]
        # Editions are ordinary outlets: a wire's edition must not be a second wire.
        kind = "outlet" if base.kind == "wire" else base.kind
        outlets.append(
            replace(
                base,
                id=f"{base.id}_{edition.lower()}",
                name=f"{base.name} {edition} Edition",
                kind=kind,
            )
        )
    return outlets
