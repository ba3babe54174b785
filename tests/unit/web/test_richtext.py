"""People's text as safe HTML (pure: no I/O)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from web.richtext import render, render_inline


def test_paragraphs_and_line_breaks_survive() -> None:
    html = render("Baris satu\nbaris dua\n\nParagraf kedua")
    assert html == "<p>Baris satu<br>\nbaris dua</p>\n<p>Paragraf kedua</p>\n"


def test_a_bare_url_becomes_a_link_that_passes_no_rank() -> None:
    html = render("Lihat https://bitungkota.go.id/apbd untuk rinciannya")
    assert '<a href="https://bitungkota.go.id/apbd" rel="nofollow noopener ugc">' in html


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


@pytest.mark.parametrize("text", [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[klik](javascript:alert(1))",
    '<a href="https://x.example" onclick="alert(1)">x</a>',
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "<b>tebal</b> <iframe src=https://x.example></iframe>",
    "[a](//evil.example/x) [b](/logout)",
])
def test_no_markup_of_the_author_reaches_the_page(text: str) -> None:
    parser = _Elements()
    parser.feed(str(render(text)))
    for tag, attrs in parser.found:
        assert tag in {"p", "br", "a", "ul", "ol", "li", "strong", "em", "blockquote", "code",
                       "pre"}, tag
        assert set(attrs) <= {"href", "rel", "start"}, attrs
        href = attrs.get("href")
        assert href is None or href.startswith(("http://", "https://", "mailto:")), href


def test_lists_and_emphasis_are_kept_headings_are_plain_text() -> None:
    html = render("# Judul\n\n- satu\n- **dua**")
    assert "<h1>" not in html and "# Judul" in html
    assert "<ul>" in html and "<li><strong>dua</strong></li>" in html


def test_empty_text_is_empty() -> None:
    assert render("") == "" and render(None) == ""


def test_a_short_text_after_other_words_keeps_its_lines_and_links_in_one_line() -> None:
    html = render_inline("Dana cair.\nBukti: https://bitungkota.go.id/laporan **ya**")
    assert "<p>" not in html
    assert "Dana cair.<br>" in html
    assert '<a href="https://bitungkota.go.id/laporan" rel="nofollow noopener ugc">' in html
    assert "<strong>ya</strong>" in html


@pytest.mark.parametrize("text", [
    "<script>alert(1)</script>", "[klik](javascript:alert(1))", "- satu\n- dua",
    "<b>tebal</b> <iframe src=https://x.example></iframe>", "[a](//evil.example/x)",
])
def test_a_short_text_carries_no_markup_of_the_author_and_no_blocks(text: str) -> None:
    parser = _Elements()
    parser.feed(str(render_inline(text)))
    for tag, attrs in parser.found:
        assert tag in {"br", "a", "strong", "em", "code"}, tag
        href = attrs.get("href")
        assert href is None or href.startswith(("http://", "https://", "mailto:")), href


def test_an_empty_short_text_is_empty() -> None:
    assert render_inline("") == "" and render_inline(None) == ""
