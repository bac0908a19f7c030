"""The seed files users edit: the shipped files are valid and rich enough, and broken files are
reported with the file, the key path and the problem."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.commands.seeds import command as seeds_command
from pipeline.errors import SeedError
from pipeline.framing.codebook import load_codebook
from pipeline.seeds import (
    SOURCE_KINDS,
    SeedErrors,
    Source,
    load_sources,
    load_topic,
    read_toml,
)
from pipeline.seeds.summary import validate_seeds

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
MINIMAL = Path(__file__).parent / "fixtures" / "seeds" / "minimal"
SHARED = REPO.parent / "shared"

FRAME_IDS = {
    "data_advantage",
    "talent",
    "regulation",
    "security",
    "compute_chips",
    "investment",
    "public_benefit",
    "ethics_surveillance",
    "not_a_race",
}
REGIONS = {
    "United States": {"US"},
    "China, Hong Kong, Taiwan": {"CN", "HK", "TW"},
    "Europe": {"GB", "FR", "DE", "BE", "NL", "IT", "ES", "IE", "SE", "PL", "CH"},
    "Asia-Pacific": {"JP", "KR", "IN", "SG", "AU", "MY", "ID", "VN", "TH", "PH"},
}


# ------------------------------------------------------------------------------------------
# The shipped seed files
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped_sources() -> list[Source]:
    return load_sources(SEEDS / "sources.toml")


def test_shipped_seeds_pass_validation():
    result = validate_seeds(SEEDS)
    assert [problem for problem in result.problems] == []
    assert {check.path.name for check in result.files} >= {
        "sources.toml",
        "topic.toml",
        "frames.toml",
    }
    assert result.ok


def test_shipped_sources_cover_regions_kinds_and_wires(shipped_sources):
    assert len(shipped_sources) >= 30
    for region, countries in REGIONS.items():
        in_region = [source.id for source in shipped_sources if source.country in countries]
        assert len(in_region) >= 3, f"only {in_region} in {region}"
    assert {source.kind for source in shipped_sources} == set(SOURCE_KINDS)
    ids = {source.id for source in shipped_sources}
    assert {"reuters", "ap", "afp", "xinhua"} <= ids
    assert {"nytimes", "ft", "scmp", "globaltimes", "nikkei_asia", "mittr"} <= ids


def test_every_shipped_source_has_an_entry_point(shipped_sources):
    for source in shipped_sources:
        assert source.feeds or source.sitemaps or source.news_sitemaps or source.sections


@pytest.mark.parametrize(
    ("source_id", "url", "accepted"),
    [
        ("guardian", "https://www.theguardian.com/technology/2025/jan/27/deepseek-ai-chips", True),
        ("guardian", "https://www.theguardian.com/business/live/2025/jan/27/markets-live", False),
        ("nytimes", "https://www.nytimes.com/2025/01/27/technology/deepseek-ai.html", True),
        ("nytimes", "https://www.nytimes.com/video/technology/100000009.html", False),
        ("ft", "https://www.ft.com/content/0f5a1e2c-3b4d-4e6f-8a9b-0c1d2e3f4a5b", True),
        ("ft", "https://www.ft.com/technology", False),
        (
            "xinhua",
            "https://english.news.cn/20250127/3c9a1f0b2e4d4f6a8b0c1d2e3f4a5b6c/c.html",
            True,
        ),
        (
            "chinadaily",
            "https://www.chinadaily.com.cn/a/202501/27/WS6797a1b2a310a2ab06ea9c1d.html",
            True,
        ),
        ("globaltimes", "https://www.globaltimes.cn/page/202501/1327501.shtml", True),
        ("bbc", "https://www.bbc.com/news/articles/c5yv5976z9po", True),
        ("bbc", "https://www.bbc.com/news/av/world-asia-12345678", False),
        (
            "thehindu",
            "https://www.thehindu.com/sci-tech/technology/deepseek/article69148612.ece",
            True,
        ),
        (
            "lemonde_en",
            "https://www.lemonde.fr/en/pixels/article/2025/01/28/deepseek_6737616_13.html",
            True,
        ),
        (
            "lemonde_en",
            "https://www.lemonde.fr/pixels/article/2025/01/28/deepseek_6737617_4408996.html",
            False,
        ),
        ("theverge", "https://www.theverge.com/reviews/123456/pixel-10-review", False),
    ],
)
def test_shipped_url_patterns_keep_articles_and_skip_the_rest(
    shipped_sources, source_id, url, accepted
):
    source = next(source for source in shipped_sources if source.id == source_id)
    assert source.accepts(url) is accepted


def test_shipped_codebook_has_the_agreed_frames_and_enough_examples():
    codebook = load_codebook(SEEDS / "frames.toml")
    assert codebook.version == "2026.11.1"
    assert codebook.multi_label is True
    assert set(codebook.frame_ids) == FRAME_IDS
    exemplar_counts = [len(frame.exemplars) for frame in codebook.frames]
    negative_counts = [len(frame.negatives) for frame in codebook.frames]
    assert all(8 <= count <= 12 for count in exemplar_counts), exemplar_counts
    assert all(3 <= count <= 6 for count in negative_counts), negative_counts


def test_shipped_topic_has_terms_exemplars_and_negatives():
    topic = load_topic(SEEDS / "topic.toml")
    assert len(topic.exemplars) >= 15
    assert len(topic.negatives) >= 10
    folded = {term.casefold() for term in topic.terms}
    for term in ["ai", "artificial intelligence", "semiconductors", "nvidia", "deepseek",
                 "export controls", "large language model", "gpus"]:  # fmt: skip
        assert term in folded


def _word_ngrams(text: str, size: int = 8) -> set[tuple[str, ...]]:
    words = re.findall(r"[\w']+", text.casefold().replace("\u2019", "'"))
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def test_exemplars_do_not_copy_the_seed_article():
    """The seed article tests recognition; exemplars must not quote it (8-word runs)."""
    seed_article = SHARED / "seeds" / "seed-article.txt"
    if not seed_article.exists():
        pytest.skip("../shared/seeds/seed-article.txt is not present")
    article_ngrams = _word_ngrams(seed_article.read_text(encoding="utf-8"))
    frames = read_toml(SEEDS / "frames.toml")["frames"]
    sentences = [text for frame in frames for text in frame["exemplars"] + frame["negatives"]]
    topic = read_toml(SEEDS / "topic.toml")["topic"]
    sentences += topic["exemplars"] + topic["negatives"]
    copied = [text for text in sentences if _word_ngrams(text) & article_ngrams]
    assert copied == []


# ------------------------------------------------------------------------------------------
# Loading a known small set of files
# ------------------------------------------------------------------------------------------


def test_minimal_sources_load_into_typed_records():
    first, second = load_sources(MINIMAL / "sources.toml")
    assert first == Source(
        id="example-wire",
        name="Example Wire",
        homepage="https://wire.example.org/",
        country="INT",
        language="en",
        kind="wire",
        feeds=(
            "https://wire.example.org/feeds/tech.xml",
            "http://wire.example.org/feeds/world.atom",
        ),
        sitemaps=("https://wire.example.org/sitemap.xml",),
        news_sitemaps=("https://wire.example.org/news-sitemap.xml",),
        sections=("https://wire.example.org/technology/",),
        allow=(r"/20\d\d/\d\d/", "/article/"),
        deny=("/video/",),
        max_pages=50,
        since=dt.date(2026, 1, 1),
    )
    # A bare TOML date is accepted as well as a quoted one; absent lists are empty.
    assert second.since == dt.date(2026, 3, 15)
    assert second.feeds == () and second.allow == () and second.max_pages is None


def test_source_accepts_uses_allow_then_deny():
    source = load_sources(MINIMAL / "sources.toml")[0]
    assert source.accepts("https://wire.example.org/2026/03/chips-story")
    assert source.accepts("https://wire.example.org/article/chips")
    assert not source.accepts("https://wire.example.org/about-us")
    assert not source.accepts("https://wire.example.org/video/2026/03/clip")
    no_patterns = load_sources(MINIMAL / "sources.toml")[1]
    assert no_patterns.accepts("https://daily.example.com/anything")


def test_minimal_topic_and_codebook():
    topic = load_topic(MINIMAL / "topic.toml")
    assert topic.terms == ("AI", "chips")
    assert topic.threshold == pytest.approx(0.4)
    codebook = load_codebook(MINIMAL / "frames.toml")
    assert codebook.frame_ids == ["security", "investment"]
    assert [len(frame.exemplars) for frame in codebook.frames] == [3, 3]
    assert [len(frame.negatives) for frame in codebook.frames] == [1, 0]
    assert codebook.multi_label is False


# ------------------------------------------------------------------------------------------
# Broken files: each names the file, the key path and the problem
# ------------------------------------------------------------------------------------------

SOURCE = """
[[sources]]
id = "bbc"
name = "BBC News"
homepage = "https://www.bbc.com/news"
country = "GB"
language = "en"
kind = "outlet"
feeds = ["https://feeds.bbci.co.uk/news/technology/rss.xml"]
"""


def _source(**changes: str | None) -> str:
    """The valid SOURCE entry with keys replaced (value: TOML text) or removed (None)."""
    lines = SOURCE.strip().splitlines()
    for key, value in changes.items():
        lines = [line for line in lines if not line.startswith(f"{key} =")]
        if value is not None:
            lines.append(f"{key} = {value}")
    return "\n".join(lines) + "\n"


def _expect_problem(error: SeedError, path: Path, key: str, problem: str) -> None:
    errors = error.errors if isinstance(error, SeedErrors) else (error,)
    found = [(e.key, e.problem) for e in errors]
    assert any(e.key == key and problem in e.problem for e in errors), found
    assert all(e.path == str(path) for e in errors)
    assert f"{path}: {key}: " in str(error)


BROKEN_SOURCES = [
    pytest.param(_source(name=None), "sources[0].name", "missing required key", id="missing"),
    pytest.param(_source(max_pages='"500"'), "sources[0].max_pages",
                 "expected an integer, got a string", id="wrong-type"),
    pytest.param(_source(max_pages="true"), "sources[0].max_pages",
                 "expected an integer, got a boolean", id="bool-is-not-int"),
    pytest.param(_source(max_pages="0"), "sources[0].max_pages", "must be at least 1",
                 id="max-pages-zero"),
    pytest.param(_source(feed='["https://x.example/rss"]'), "sources[0].feed",
                 "unknown key; did you mean 'feeds'?", id="typo"),
    pytest.param(_source(id='"BBC News"'), "sources[0].id", "bad id 'BBC News'", id="slug"),
    pytest.param(SOURCE + SOURCE, "sources[1].id",
                 "duplicate id 'bbc' (first used at sources[0].id)", id="duplicate-id"),
    pytest.param(_source(feeds='["https://a.example/rss", "ftp://a.example/rss"]'),
                 "sources[0].feeds[1]", "not an http(s) URL: 'ftp://a.example/rss'", id="url"),
    pytest.param(_source(homepage='"www.bbc.com"'), "sources[0].homepage",
                 "not an http(s) URL", id="url-without-scheme"),
    pytest.param(_source(country='"UK"'), "sources[0].country",
                 "did you mean 'GB'?", id="country-uk"),
    pytest.param(_source(country='"gb"'), "sources[0].country",
                 "did you mean 'GB'?", id="country-case"),
    pytest.param(_source(country='"XX"'), "sources[0].country",
                 "bad country code 'XX'", id="country-unknown"),
    pytest.param(_source(language='"english"'), "sources[0].language",
                 "bad language code 'english'", id="language"),
    pytest.param(_source(since='"2026-13-01"'), "sources[0].since",
                 "bad date '2026-13-01': month must be in 1..12", id="date-invalid"),
    pytest.param(_source(since='"01/02/2026"'), "sources[0].since",
                 'write it as "YYYY-MM-DD"', id="date-format"),
    pytest.param(_source(kind='"wires"'), "sources[0].kind",
                 "'wires' is not one of wire, outlet", id="kind"),
    pytest.param(_source(allow="['/tech(']"), "sources[0].allow[0]",
                 "bad regular expression '/tech('", id="regex"),
    pytest.param(_source(feeds=None), "sources[0]", "nothing to crawl", id="no-entry-point"),
    pytest.param(_source(feeds="[]"), "sources[0]", "nothing to crawl", id="empty-entry-points"),
    pytest.param(_source(feeds='"https://a.example/rss"'), "sources[0].feeds",
                 "expected an array, got a string", id="string-not-list"),
    pytest.param(_source(feeds='["https://a.example/rss", "https://a.example/rss"]'),
                 "sources[0].feeds[1]", "duplicate of sources[0].feeds[0]", id="duplicate-url"),
    pytest.param(SOURCE.replace("[[sources]]", "[[source]]"), "source",
                 "unknown key; did you mean 'sources'?", id="top-level-typo"),
    pytest.param("", "sources", "missing: add at least one [[sources]] table", id="empty-file"),
    pytest.param('name = "x"\nid = \n', "line 2, column 6", "TOML syntax error: Invalid value",
                 id="syntax"),
    pytest.param(SOURCE + 'name = "again"\n', "line 10, column 15",
                 "a key or table is defined twice", id="syntax-duplicate-key"),
    pytest.param(SOURCE + 'deny = ["/video/', "end of file",
                 "TOML syntax error: Unterminated string", id="syntax-at-end"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "key", "problem"), BROKEN_SOURCES)
def test_broken_sources_name_file_key_and_problem(tmp_path, text, key, problem):
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SeedError) as caught:
        load_sources(path)
    _expect_problem(caught.value, path, key, problem)


def test_problems_name_the_source_by_id_too(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text(_source(country='"UK"'), encoding="utf-8")
    with pytest.raises(SeedError, match=r"\(source 'bbc'\)$"):
        load_sources(path)


def test_all_problems_of_a_file_are_reported_together(tmp_path):
    path = tmp_path / "sources.toml"
    second = _source(id='"bbc2"', language='"EN"', feeds='["mailto:x@example.org"]')
    path.write_text(_source(country='"UK"', name=None) + second, encoding="utf-8")
    with pytest.raises(SeedErrors) as caught:
        load_sources(path)
    keys = [error.key for error in caught.value.errors]
    assert keys == [
        "sources[0].name",
        "sources[0].country",
        "sources[1].language",
        "sources[1].feeds[0]",
    ]
    message = str(caught.value)
    assert len(message.splitlines()) == 4
    assert f"{path}: sources[1].language: bad language code 'EN'" in message
    assert "did you mean 'en'?" in message


def test_missing_file_is_reported(tmp_path):
    path = tmp_path / "nowhere.toml"
    with pytest.raises(SeedError) as caught:
        load_sources(path)
    assert str(caught.value) == f"{path}: (file): file not found"


TOPIC = """
[topic]
id = "ai-race"
description = "AI competition."
terms = ["AI", "chips"]
exemplars = ["Washington tightened export controls on AI chips."]
negatives = ["Bake the chocolate chip cookies."]
"""

BROKEN_TOPICS = [
    pytest.param(TOPIC.replace('exemplars = ["Washington tightened export controls on AI chips."]',
                               "exemplars = []"),
                 "topic.exemplars", "is empty: give at least one item", id="empty-exemplars"),
    pytest.param(TOPIC.replace('terms = ["AI", "chips"]', 'terms = ["AI", "ai"]'),
                 "topic.terms[1]", "repeats topic.terms[0] (terms ignore case)", id="dup-term"),
    pytest.param(TOPIC + "threshold = 1.5\n", "topic.threshold", "must be between 0 and 1",
                 id="threshold-range"),
    pytest.param(TOPIC + 'threshold = "high"\n', "topic.threshold",
                 "expected a number, got a string", id="threshold-type"),
    pytest.param(TOPIC + 'treshold = 0.3\n', "topic.treshold", "did you mean 'threshold'?",
                 id="threshold-typo"),
    pytest.param(TOPIC.replace("Bake the chocolate chip cookies.",
                               "Washington tightened export controls on AI chips."),
                 "topic.negatives[0]", "same sentence as topic.exemplars[0]", id="contradiction"),
    pytest.param(TOPIC.replace('description = "AI competition."', 'description = "  "'),
                 "topic.description", "is empty", id="blank-description"),
    pytest.param(TOPIC.replace("[topic]", "[topics]"), "topic", "missing required key",
                 id="no-topic-table"),
    pytest.param(TOPIC.replace('terms = ["AI", "chips"]', 'terms = ["AI", 3]'),
                 "topic.terms[1]", "expected a string, got an integer (3)", id="term-type"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "key", "problem"), BROKEN_TOPICS)
def test_broken_topics_name_file_key_and_problem(tmp_path, text, key, problem):
    path = tmp_path / "topic.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SeedError) as caught:
        load_topic(path)
    _expect_problem(caught.value, path, key, problem)


FRAMES = (MINIMAL / "frames.toml").read_text(encoding="utf-8")

BROKEN_CODEBOOKS = [
    pytest.param(re.sub(r"exemplars = \[[^\]]*\]", "exemplars = []", FRAMES, count=1),
                 "frames[0].exemplars", "is empty: give at least one item", id="no-exemplars"),
    pytest.param(FRAMES.replace('id = "investment"', 'id = "security"'), "frames[1].id",
                 "duplicate frame id 'security' (first used at frames[0].id)", id="duplicate"),
    pytest.param(FRAMES.replace("multi_label = false", 'multi_label = "no"'),
                 "codebook.multi_label", "expected true or false, got a string", id="bool"),
    pytest.param(FRAMES.replace('version = "2026.11.1"\n', ""), "codebook.version",
                 "missing required key", id="no-version"),
    pytest.param(FRAMES.replace('label = "Security"', 'lable = "Security"'), "frames[0].lable",
                 "did you mean 'label'?", id="typo"),
    pytest.param(FRAMES.replace('id = "security"', 'id = "Security Frame"'), "frames[0].id",
                 "bad id 'Security Frame'", id="slug"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "key", "problem"), BROKEN_CODEBOOKS)
def test_broken_codebooks_name_file_key_and_problem(tmp_path, text, key, problem):
    path = tmp_path / "frames.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SeedError) as caught:
        load_codebook(path)
    _expect_problem(caught.value, path, key, problem)


# The four places where `seeds check` and the framing stage's loader used to disagree, and more:
# now one parser decides, so both refuse the same files with the same words.
ONE_SCHEMA = [
    pytest.param(FRAMES.replace('id = "security"', 'id = "_security"'), "frames[0].id",
                 "bad id '_security'", id="slug-start"),
    pytest.param(re.sub(r"exemplars = \[[^\]]*\]", "exemplars = []", FRAMES, count=1),
                 "frames[0].exemplars", "give at least one item", id="no-exemplars"),
    pytest.param(FRAMES.replace('label = "Security"', 'label = "Security"\nweight = 2'),
                 "frames[0].weight", "unknown key", id="unknown-key"),
    pytest.param(re.sub(r'title = "[^"]*"\n', "", FRAMES, count=1), "codebook.title",
                 "missing required key", id="title"),
    pytest.param(FRAMES.replace('label = "Investment"', 'label = "SECURITY"'), "frames[1].label",
                 "duplicate frame label", id="duplicate-label"),
    pytest.param(FRAMES[:FRAMES.index("[[frames]]", FRAMES.index("[[frames]]") + 1)], "frames",
                 "give at least 2", id="one-frame"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "key", "problem"), ONE_SCHEMA)
def test_seeds_check_and_the_framing_loader_refuse_the_same_codebooks(tmp_path, text, key, problem):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name in ("sources.toml", "topic.toml"):
        (seeds / name).write_bytes((MINIMAL / name).read_bytes())
    path = seeds / "frames.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SeedError) as caught:
        load_codebook(path)
    _expect_problem(caught.value, path, key, problem)
    checked = {check.path.name: check for check in validate_seeds(seeds).files}["frames.toml"]
    assert not checked.ok
    assert [str(p) for p in checked.problems] == [
        str(p) for p in getattr(caught.value, "errors", (caught.value,))]


def test_few_exemplars_warn_alike_in_seeds_check_and_the_loader(tmp_path, caplog):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name in ("sources.toml", "topic.toml"):
        (seeds / name).write_bytes((MINIMAL / name).read_bytes())
    (seeds / "frames.toml").write_text(FRAMES.replace('"Chips power missiles.", ', ""),
                                       encoding="utf-8")
    codebook = load_codebook(seeds / "frames.toml")
    expected = (f"{seeds / 'frames.toml'}: frames[0].exemplars: only 2 exemplar(s); "
                "3 or more give steadier zero-shot labels")
    assert codebook.warnings == (expected,)
    assert codebook.warnings[0] in caplog.text
    checked = {check.path.name: check for check in validate_seeds(seeds).files}["frames.toml"]
    assert checked.ok and checked.warnings == codebook.warnings
    result = CliRunner().invoke(seeds_command, ["check", str(seeds)], obj={})
    assert result.exit_code == 0, result.output
    assert f"warning: {codebook.warnings[0]}" in result.stderr


def test_there_is_one_codebook_parser():
    """`seeds check` summarises what `load_codebook` returns; no second checker exists."""
    import pipeline.seeds as seeds_package
    from pipeline.seeds import summary

    assert not hasattr(seeds_package, "check_codebook")
    assert summary.load_codebook is load_codebook


# ------------------------------------------------------------------------------------------
# validate_seeds and `framewatch seeds check`
# ------------------------------------------------------------------------------------------


@pytest.fixture
def broken_seeds_dir(tmp_path: Path) -> Path:
    """A seeds directory with a good sources file, a broken topic and no frames.toml."""
    (tmp_path / "sources.toml").write_bytes((MINIMAL / "sources.toml").read_bytes())
    (tmp_path / "topic.toml").write_text(TOPIC + "threshold = 2\n", encoding="utf-8")
    codebooks = tmp_path / "codebooks"
    codebooks.mkdir()
    (codebooks / "extra.toml").write_bytes((MINIMAL / "frames.toml").read_bytes())
    return tmp_path


def test_validate_seeds_reports_each_file(broken_seeds_dir):
    result = validate_seeds(broken_seeds_dir)
    by_name = {check.path.name: check for check in result.files}
    assert list(by_name) == ["sources.toml", "topic.toml", "frames.toml", "extra.toml"]
    assert by_name["sources.toml"].ok
    assert by_name["sources.toml"].summary.startswith("2 sources (1 wire, 1 outlet); 2 countries")
    assert [e.key for e in by_name["topic.toml"].problems] == ["topic.threshold"]
    assert [e.problem for e in by_name["frames.toml"].problems] == ["file not found"]
    assert by_name["extra.toml"].summary.startswith("codebook 'mini' v2026.11.1 (single-label)")
    assert not result.ok and len(result.problems) == 2


def test_seeds_check_command_passes_on_shipped_seeds():
    result = CliRunner().invoke(seeds_command, ["check", str(SEEDS)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) >= 3 and all(line.startswith("ok ") for line in lines)
    assert re.search(r"sources\.toml: \d+ sources \(", result.stdout)
    assert "codebook 'ai-race' v2026.11.1 (multi-label): 9 frames" in result.stdout


def test_seeds_check_command_fails_and_lists_problems(broken_seeds_dir):
    result = CliRunner().invoke(seeds_command, ["check", str(broken_seeds_dir)])
    assert result.exit_code == 1
    assert f"FAILED  {broken_seeds_dir / 'topic.toml'}: 1 problem" in result.stdout
    assert (
        f"{broken_seeds_dir / 'topic.toml'}: topic.threshold: must be between 0 and 1, got 2.0"
        in result.stderr
    )
    assert f"{broken_seeds_dir / 'frames.toml'}: (file): file not found" in result.stderr
    assert "2 problem(s) in 2 file(s)" in result.stderr


def test_seeds_check_command_rejects_a_missing_directory(tmp_path):
    result = CliRunner().invoke(seeds_command, ["check", str(tmp_path / "absent")])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_seeds_commands_have_help_text():
    runner = CliRunner()
    for args in (["--help"], ["check", "--help"]):
        result = runner.invoke(seeds_command, args)
        assert result.exit_code == 0
        assert "seed files" in result.stdout


def test_shipped_files_parse_as_plain_toml():
    """Other stages may read the files with tomllib directly: keep them plain TOML."""
    for name in ("sources.toml", "frames.toml", "topic.toml"):
        with (SEEDS / name).open("rb") as handle:
            assert tomllib.load(handle)
