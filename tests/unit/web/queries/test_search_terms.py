"""What people type into search becomes safe terms for FTS5 and PostgreSQL."""

from __future__ import annotations

import pytest

from web.queries.search_terms import END, MAX_WORDS, START, Terms, highlight, parse


def test_words_are_lowercased_and_all_must_match() -> None:
    terms = parse("Pelatihan MENJAHIT ")
    assert terms.groups == (("pelatihan",), ("menjahit",))
    assert terms.fts5() == '"pelatihan" AND "menjahit"'
    assert terms.tsquery() == "('pelatihan') & ('menjahit')"


def test_the_last_word_still_being_typed_matches_as_a_prefix() -> None:
    terms = parse("kelompok ta")
    assert terms.prefix
    assert terms.fts5() == '"kelompok" AND "ta" *'
    assert terms.tsquery() == "('kelompok') & ('ta':*)"


def test_a_single_letter_is_not_a_prefix() -> None:
    assert not parse("padi a").prefix


def test_a_quoted_phrase_stays_a_phrase() -> None:
    terms = parse('"modal usaha" tani ')
    assert terms.groups == (("modal", "usaha"), ("tani",))
    assert terms.fts5() == '"modal usaha" AND "tani"'
    assert terms.tsquery() == "('modal' <-> 'usaha') & ('tani')"


def test_an_unclosed_quote_is_a_phrase_to_the_end() -> None:
    terms = parse('gizi "posyandu bal')
    assert terms.groups == (("gizi",), ("posyandu", "bal"))
    assert terms.fts5() == '"gizi" AND "posyandu bal" *'
    assert terms.tsquery() == "('gizi') & ('posyandu' <-> 'bal':*)"


@pytest.mark.parametrize("typed", [
    'a" OR "1"="1', "NEAR(a b)", "((((", "x AND", "-", "*", "a*b", "'; DROP TABLE x; --",
    "col:value", "^start", "a NOT b", "\x00", "foo)bar(", "!&|<->:*", "\\", "{x}", "+-+"])
def test_query_syntax_never_reaches_the_engines(typed: str) -> None:
    terms = parse(typed)
    for group in terms.groups:
        for word in group:
            assert word.isalnum(), word
    fts5 = terms.fts5() if terms else ""
    assert fts5.count('"') % 2 == 0
    assert all(token in ('AND', '*') or token.startswith('"') or token.endswith('"')
               for token in fts5.split())


def test_operators_typed_are_searched_as_words() -> None:
    assert parse("sawah NEAR irigasi ").groups == (("sawah",), ("near",), ("irigasi",))


def test_punctuation_alone_gives_no_terms() -> None:
    terms = parse('*** "" -- ()')
    assert not terms
    assert terms == Terms(())


def test_indonesian_and_accented_letters_are_words() -> None:
    assert parse("ibu-ibu PKK café ").groups == (("ibu",), ("ibu",), ("pkk",), ("café",))


def test_long_queries_are_cut() -> None:
    terms = parse(" ".join(f"w{i}" for i in range(100)))
    assert sum(len(g) for g in terms.groups) == MAX_WORDS
    assert not terms.prefix  # the last word kept is not the one being typed


def test_highlight_escapes_the_text_and_marks_matches() -> None:
    html = highlight(f"<script>alert(1)</script> {START}padi{END} & jagung")
    assert html == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>padi</mark> &amp; jagung"


def test_highlight_closes_every_mark_it_opens() -> None:
    assert highlight(f"{START}a{START}b") == "<mark>ab</mark>"
    assert highlight(f"{END}a{END}{START}") == "a"
    assert highlight("<mark>stored</mark>") == "&lt;mark&gt;stored&lt;/mark&gt;"
