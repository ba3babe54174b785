"""Atom (RFC 4287) documents, built with ElementTree from plain entry data."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

ATOM = "http://www.w3.org/2005/Atom"
TAG_AUTHORITY = "tag:gotong.id,2026:"


@dataclass(frozen=True)
class Entry:
    key: str  # e.g. "proposal/usulan-1"; the entry id is a tag URI (RFC 4151) made from it
    title: str
    updated: str  # RFC 3339
    link: str
    author: str
    summary: str
    published: str | None = None
    categories: tuple[str, ...] = ()


def tag_uri(key: str) -> str:
    return TAG_AUTHORITY + key


def _rfc3339(stamp: str) -> str:
    return stamp.replace("+00:00", "Z")


# Characters XML 1.0 does not allow at all, not even escaped: one of them in one title
# would make the whole feed unreadable for every subscriber.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _text(parent: ET.Element, name: str, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{name}",
                            {k: xml_text(v) for k, v in attrs.items()})
    element.text = xml_text(text)
    return element


def document(key: str, title: str, self_url: str, alternate: str,
             entries: Sequence[Entry], fallback_updated: str) -> bytes:
    """The feed: newest entries first; ``updated`` is the newest entry's (or the fallback)."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "id", tag_uri(key))
    _text(feed, "title", title)
    updated = max((e.updated for e in entries), default=fallback_updated)
    _text(feed, "updated", _rfc3339(updated))
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "self", "href": self_url,
                                             "type": "application/atom+xml"})
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "alternate", "href": alternate})
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "Gotong")
    _text(feed, "generator", "Gotong")
    for entry in entries:
        item = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(item, "id", tag_uri(entry.key))
        _text(item, "title", entry.title)
        _text(item, "updated", _rfc3339(entry.updated))
        if entry.published:
            _text(item, "published", _rfc3339(entry.published))
        ET.SubElement(item, f"{{{ATOM}}}link", {"rel": "alternate", "href": entry.link})
        by = ET.SubElement(item, f"{{{ATOM}}}author")
        _text(by, "name", entry.author)
        for term in entry.categories:
            ET.SubElement(item, f"{{{ATOM}}}category", {"term": xml_text(term)})
        _text(item, "summary", entry.summary, type="text")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8")
