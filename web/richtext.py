"""People's text as safe HTML: paragraphs, line breaks, links, lists and emphasis.

Proposals, comments, minutes and commitments are written by people on phones, who
press Enter for a new line and paste links. The text is read as Markdown (CommonMark,
with raw HTML off, so ``<script>`` stays text), line breaks kept and bare URLs made
links (``markdown-it-py`` with ``linkify-it-py``), and the HTML that comes out passes
through a sanitiser (``nh3``) that keeps only the tags below, only http, https and
mailto links, and marks every link ``nofollow noopener ugc``: whatever a parser
version does, no markup of the author's reaches the page.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

TAGS = {"p", "br", "a", "ul", "ol", "li", "strong", "em", "blockquote", "code", "pre"}
ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
SCHEMES = {"http", "https", "mailto"}
ABSOLUTE = ("http://", "https://", "mailto:")


def _only_absolute(tag: str, attribute: str, value: str) -> str | None:
    """nh3 keeps relative links ("/x", "//host/x"): here a link goes nowhere else."""
    if tag == "a" and attribute == "href":
        return value if value.lower().startswith(ABSOLUTE) else None
    return value


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": True, "breaks": True,
                                       "typographer": False})
    # headings, rules, images and tables are not for comments: their text stays as typed
    parser.enable("linkify").disable(["heading", "lheading", "hr", "image"])
    return parser


def render(text: str | None) -> Markup:
    """``text`` (as a person typed it) as sanitised HTML."""
    if not text:
        return Markup("")
    html = _parser().render(text)
    return Markup(nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=SCHEMES,
                            attribute_filter=_only_absolute, link_rel="nofollow noopener ugc"))


INLINE_TAGS = {"br", "a", "strong", "em", "code"}


def render_inline(text: str | None) -> Markup:
    """A short text that follows other words on its line (a reason, a progress note, a
    decision) as sanitised HTML: its line breaks and links kept, no paragraphs or lists."""
    if not text:
        return Markup("")
    html = _parser().renderInline(text)
    return Markup(nh3.clean(html, tags=INLINE_TAGS, attributes=ATTRIBUTES, url_schemes=SCHEMES,
                            attribute_filter=_only_absolute, link_rel="nofollow noopener ugc"))
