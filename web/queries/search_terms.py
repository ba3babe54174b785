"""What a person typed into search, as terms both full-text engines take safely.

People type anything: quotes, ``*``, ``-``, ``NEAR``, ``OR``, parentheses. None of it
reaches SQLite's or PostgreSQL's query syntax: the text is cut into words (letters and
digits, as both engines' tokenizers cut it) and each word is quoted; a "quoted
phrase" stays a phrase; the last word, while still being typed, matches as a prefix.
All terms must match. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape

MAX_QUERY = 200  # characters read of a query
MAX_WORDS = 12  # words kept of it
PREFIX_FROM = 2  # letters a last word needs to match as a prefix

WORD = re.compile(r"[^\W_]+")

#: what the engines put around a match in a snippet: private-use characters, never
#: markup, so the text around them is escaped before they become <mark>
START, END = "\ue000", "\ue001"
MARKS = re.compile(f"([{START}{END}])")


@dataclass(frozen=True)
class Terms:
    #: each a word, or the words of a phrase
    groups: tuple[tuple[str, ...], ...]
    #: the last group's last word is a prefix (it was still being typed)
    prefix: bool = False

    def __bool__(self) -> bool:
        return bool(self.groups)

    def fts5(self) -> str:
        """An FTS5 query: every group a quoted string (a phrase of its words)."""
        parts = [f'"{" ".join(group)}"' for group in self.groups]
        if self.prefix:
            parts[-1] += " *"
        return " AND ".join(parts)

    def tsquery(self) -> str:
        """A PostgreSQL ``to_tsquery`` text: every word quoted, a phrase's words adjacent."""
        parts = []
        for i, group in enumerate(self.groups):
            words = [f"'{w}'" for w in group]
            if self.prefix and i == len(self.groups) - 1:
                words[-1] += ":*"
            parts.append("(" + " <-> ".join(words) + ")")
        return " & ".join(parts)


def parse(text: str) -> Terms:
    """The terms of ``text``: words outside quotes one by one, words inside a pair of
    quotes (or after an unclosed one) as a phrase."""
    text = text[:MAX_QUERY]
    groups: list[tuple[str, ...]] = []
    kept = 0
    for i, part in enumerate(text.split('"')):
        words = [w.lower() for w in WORD.findall(part)][:MAX_WORDS - kept]
        kept += len(words)
        if i % 2 and words:
            groups.append(tuple(words))
        else:
            groups.extend((w,) for w in words)
    last = groups[-1][-1] if groups else ""
    typing = bool(text) and WORD.fullmatch(text[-1]) is not None
    return Terms(tuple(groups), prefix=typing and len(last) >= PREFIX_FROM
                 and text.lower().endswith(last))


def highlight(snippet: str) -> Markup:
    """A snippet whose matches the engine marked with ``START``/``END``, as safe HTML: the
    text escaped, each match in ``<mark>``. Marks typed into the text itself only mark it;
    every ``<mark>`` opened is closed."""
    html: list[str] = []
    marking = False
    for piece in MARKS.split(snippet):
        if piece in (START, END):
            marking = piece == START
        elif piece:
            html.append(f"<mark>{escape(piece)}</mark>" if marking else str(escape(piece)))
    return Markup("".join(html).replace("</mark><mark>", ""))
