"""Parsing pages: the same tree as trafilatura's loader, built with element classes chosen in C."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from lxml import etree
from lxml import html as lxml_html
from trafilatura.utils import load_html

from pipeline.extraction.parse import parse_html

EVAL_PAGES = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "extraction" / "pages"

PAGES = {
    "doctype": "<!DOCTYPE html><html><head><title>T</title></head><body><p>One</p></body></html>",
    "no_doctype": "<html><body><article><p>Text <b>bold</b> tail</p></article></body></html>",
    "declared_encoding": (
        '<?xml version="1.0" encoding="utf-8"?><html><head><meta charset="utf-8"></head>'
        "<body><p>Grüße</p></body></html>"
    ),
    "comments_and_forms": (
        "<html><body><!-- hidden --><form><input name=q value=x><label>L</label>"
        "<select><option>o</option></select><textarea>t</textarea></form><p>after</p></body></html>"
    ),
    "control_characters": "<html><body><p>bad\x0bchar\x1f here</p></body></html>",
    "fragment": "<div><p>only a fragment</p><p>second</p></div>",
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_tree_is_the_one_trafilatura_builds(name):
    html = PAGES[name]
    expected, tree = load_html(html), parse_html(html)
    if expected is None:
        assert tree is None
        return
    assert etree.tostring(tree, encoding="unicode") == etree.tostring(expected, encoding="unicode")


def test_every_node_is_a_plain_html_element():
    tree = parse_html(PAGES["comments_and_forms"])
    # forms get no form helpers: nothing in extraction uses them, and asking Python for each
    # element's class is what this parser avoids
    assert {type(element) for element in tree.iter()} == {lxml_html.HtmlElement}
    assert tree.find(".//p").text_content() == "after"
    assert type(tree.find(".//form").getparent()) is lxml_html.HtmlElement


def test_copies_keep_the_plain_classes():
    import copy

    tree = copy.deepcopy(parse_html(PAGES["no_doctype"]))
    assert {type(element) for element in tree.iter()} == {lxml_html.HtmlElement}


def test_text_that_is_not_html_gives_no_tree():
    assert parse_html("just some words, no markup at all") is None
    assert parse_html("") is None


def test_development_pages_parse_to_the_same_trees():
    if not EVAL_PAGES.is_dir():
        pytest.skip("../shared/eval/extraction is not available")
    from pipeline.extraction.decode import decode_html

    for path in sorted(EVAL_PAGES.glob("*.html.gz"))[:40]:
        text, _ = decode_html(gzip.decompress(path.read_bytes()), "text/html")
        expected, tree = load_html(text), parse_html(text)
        assert (tree is None) == (expected is None), path.name
        if tree is not None:
            assert etree.tostring(tree) == etree.tostring(expected), path.name
