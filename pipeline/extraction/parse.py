"""Parse decoded HTML into the lxml tree that every extraction step reads.

The same steps as `trafilatura.utils.load_html` for a decoded page (repair what libxml2 trips
over, parse, retry from bytes, reject a page that is not HTML), with one difference: the parser
gives every element the plain `lxml.html.HtmlElement` class, chosen in C. lxml.html's own
parser asks a Python method for the class of each element proxy it creates (to give <form>,
<input>, <select>, <textarea> and <label> their form helpers); trafilatura and the metadata
rules create over a million such proxies on 200 pages, and none of them uses a form helper.
"""

from __future__ import annotations

import logging

from lxml import etree
from lxml import html as lxml_html
from trafilatura.utils import is_dubious_html, repair_faulty_html

logger = logging.getLogger(__name__)

__all__ = ["parse_html"]


def _parser() -> lxml_html.HTMLParser:
    # trafilatura's parser settings (trafilatura.utils.HTML_PARSER), so the tree is the same
    parser = lxml_html.HTMLParser(
        collect_ids=False,
        default_doctype=False,
        encoding="utf-8",
        remove_comments=True,
        remove_pis=True,
    )
    parser.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=lxml_html.HtmlElement,
            comment=lxml_html.HtmlComment,
            pi=lxml_html.HtmlProcessingInstruction,
            entity=lxml_html.HtmlEntity,
        )
    )
    return parser


_HTML_PARSER = _parser()


def _parse_bytes(text: str) -> lxml_html.HtmlElement | None:
    try:
        return lxml_html.fromstring(text.encode("utf-8", "surrogatepass"), parser=_HTML_PARSER)
    except Exception as error:  # noqa: BLE001 (libxml2 rejects some inputs; the caller reports it)
        logger.debug("lxml could not parse the page as bytes: %s", error)
        return None


def parse_html(text: str) -> lxml_html.HtmlElement | None:
    """The page's tree, or None when the text cannot be parsed as an HTML document."""
    beginning = text[:50].lower()
    dubious = is_dubious_html(beginning)
    text = repair_faulty_html(text, beginning)
    tree = None
    from_bytes = False
    try:
        tree = lxml_html.fromstring(text, parser=_HTML_PARSER)
    except ValueError:  # a str that declares its encoding: libxml2 wants bytes
        tree = _parse_bytes(text)
        from_bytes = True
    except Exception as error:  # noqa: BLE001 (retried from bytes below)
        logger.debug("lxml could not parse the page: %s", error)
    if (tree is None or len(tree) < 1) and not from_bytes:
        tree = _parse_bytes(text)
    # a document that does not say it is HTML must at least have a head and a body
    if tree is not None and dubious and len(tree) < 2:
        return None
    return tree
