"""Full-text search on SQLite (FTS5) and PostgreSQL (tsvector): the documents the
aggregates project, ranked, with safe highlighted snippets, filtered, following updates,
and the same after a rebuild."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text

from services.domain import AGGREGATES
from services.domain.base import State, absorb, new_state
from services.pipeline.fold import with_convener
from services.readmodel import search_index
from services.readmodel.db import empty_read_model, merge_rows, upsert
from tests.support.records import event
from web.queries.search import Filters, Hit, search
from web.queries.search_terms import parse

FORUM = "forum-maesa"


def _forum(subject: str, program: str | None = None) -> dict[str, Any]:
    return event("gotong.forum.opened.v1", subject, {"title": f"Forum {subject}",
                                                     "program": program})


def _proposal(subject: str, title: str, body: str, forum: str = FORUM,
              program: str | None = None) -> dict[str, Any]:
    data = {"forum_id": forum, "title": title, "body": body, "author": "Ibu Sari"}
    return event("gotong.proposal.submitted.v1", subject,
                 data | ({"program": program} if program else {}), node="pkk-maesa")


def _comment(subject: str, comment_id: str, body: str) -> dict[str, Any]:
    return event("gotong.proposal.commented.v1", subject,
                 {"comment_id": comment_id, "body": body, "author": "Pak Budi"},
                 node="tani-girian", id_=f"{subject}-{comment_id}")


def _status(subject: str, status: str) -> dict[str, Any]:
    return event("gotong.proposal.status_changed.v1", subject, {"status": status},
                 id_=f"{subject}-status-{status}")


def _meeting(subject: str, title: str, summary: str, decision: str) -> list[dict[str, Any]]:
    return [event("gotong.meeting.scheduled.v1", subject,
                  {"forum_id": FORUM, "title": title, "starts_at": "2026-12-10T09:00:00Z"}),
            event("gotong.meeting.minutes_published.v1", subject,
                  {"attendees": ["dinsos-bitung"], "summary": summary,
                   "decisions": [{"text": decision}]})]


def _item(subject: str, title: str, description: str, owner: str,
          proposal: str | None = None) -> dict[str, Any]:
    data = {"title": title, "owner_node_id": owner, "due_date": "2026-12-20",
            "description": description}
    return event("gotong.action_item.created.v1", subject,
                 data | ({"proposal_id": proposal} if proposal else {}))


EVENTS = [
    _forum(FORUM, program="ketahanan-pangan"),
    _forum("forum-girian"),
    _proposal("usulan-padi", "Bibit padi unggul untuk kelompok tani",
              "Kelompok tani Girian meminta bibit padi dan pupuk."),
    _proposal("usulan-jahit", "Pelatihan menjahit ibu-ibu PKK",
              "Mesin jahit dan pelatihan; juga sedikit padi untuk konsumsi.",
              forum="forum-girian", program="pelatihan-perempuan"),
    _proposal("usulan-xss", "Judul <b>tebal</b>",
              "<script>alert('xss')</script> irigasi sawah <img src=x onerror=alert(1)>"),
    _comment("usulan-padi", "k1", "Kami setuju, irigasi juga perlu diperbaiki."),
    _status("usulan-jahit", "accepted"),
    *_meeting("rapat-desember", "Musyawarah Desember", "Membahas irigasi dan panen",
              "Dinas Pertanian menyalurkan bibit padi"),
    _item("rtl-pupuk", "Salurkan pupuk", "Pupuk untuk sawah kelompok tani", "dinas-pertanian",
          proposal="usulan-padi"),
]


def _fold(events: list[dict[str, Any]]) -> dict[str, dict[str, State]]:
    """What the worker does: a proposal's fold is handed its forum's convener."""
    states: dict[str, dict[str, State]] = {}

    def convener_of(forum: str) -> str | None:
        return states.get("forum", {}).get(forum, {}).get("node_id")

    for evt in events:
        name = evt["type"].split(".")[1]
        by_id = states.setdefault(name, {})
        state = by_id.setdefault(evt["subject"], new_state(evt["subject"]))
        handed = with_convener(evt, state, convener_of)[0] if name == "proposal" else evt
        absorb(AGGREGATES[name].fold, state, handed)
    return states


def _project(engine: Engine, events: list[dict[str, Any]], *, rebuild: bool = False) -> None:
    states = _fold(events)
    with engine.begin() as connection:
        if rebuild:
            empty_read_model(connection)
        upsert(connection, merge_rows(AGGREGATES[name].rows(state)
                                      for name, by_id in states.items()
                                      for state in by_id.values()))


def _find(engine: Engine, query: str, limit: int = 20, offset: int = 0,
          **filters: str) -> tuple[list[Hit], int]:
    return search(engine, parse(query), Filters(**filters), limit=limit, offset=offset)


def _ids(engine: Engine, query: str, **filters: str) -> list[tuple[str, str]]:
    return [(h.kind, h.id) for h in _find(engine, query, **filters)[0]]


@pytest.fixture
def indexed(engine: Engine) -> Engine:
    _project(engine, EVENTS)
    return engine


def test_every_kind_is_found_and_a_title_match_ranks_first(indexed: Engine) -> None:
    found = _ids(indexed, "padi ")
    assert found[0] == ("proposal", "usulan-padi")  # in its title and body
    assert set(found) == {("proposal", "usulan-padi"), ("proposal", "usulan-jahit"),
                          ("meeting", "rapat-desember")}
    assert set(_ids(indexed, "irigasi ")) == {
        ("proposal", "usulan-xss"), ("comment", "k1"), ("meeting", "rapat-desember")}
    assert _ids(indexed, "pupuk ")[0] == ("commitment", "rtl-pupuk")


def test_snippets_mark_the_matches_and_escape_the_text(indexed: Engine) -> None:
    hits, _ = _find(indexed, "irigasi ", kind="proposal")
    [hit] = hits
    assert "<mark>irigasi</mark>" in hit.snippet
    # stored markup comes back as text (PostgreSQL's headline drops what looks like a tag)
    assert "<" not in hit.snippet.replace("<mark>", "").replace("</mark>", "")
    assert "&lt;img" in hit.snippet
    assert hit.title == "Judul <b>tebal</b>"  # plain text: the template escapes it


def _moderated(kind: str, comment_id: str) -> dict[str, Any]:
    return event(f"gotong.proposal.comment_{kind}.v1", "usulan-padi",
                 {"comment_id": comment_id, "reason": "Uji"}, id_=f"{kind}-{comment_id}")


def test_a_hidden_comment_is_not_found_until_it_is_restored(indexed: Engine) -> None:
    # the forum's convener (the forum was opened by the same node) hides it
    _project(indexed, [*EVENTS, _moderated("hidden", "k1")])
    assert ("comment", "k1") not in _ids(indexed, "irigasi ")
    assert _find(indexed, "setuju") == ([], 0)

    _project(indexed, [*EVENTS, _moderated("hidden", "k1"), _moderated("restored", "k1")])
    assert ("comment", "k1") in _ids(indexed, "irigasi ")
    assert _find(indexed, "setuju")[1] == 1


def test_a_comment_is_found_under_its_threads_title_and_link(indexed: Engine) -> None:
    [hit], total = _find(indexed, "setuju")
    assert total == 1
    assert (hit.kind, hit.title, hit.url) == ("comment", "Bibit padi unggul untuk kelompok tani",
                                              "/proposals/usulan-padi/comments/k1")
    assert hit.forum_id == FORUM and hit.status == "open" and hit.node_id == "tani-girian"


def test_filters_by_kind_forum_program_node_and_status(indexed: Engine) -> None:
    assert _ids(indexed, "padi ", kind="meeting") == [("meeting", "rapat-desember")]
    assert _ids(indexed, "padi ", forum="forum-girian") == [("proposal", "usulan-jahit")]
    # a proposal's own program, or its forum's
    assert _ids(indexed, "padi ", program="pelatihan-perempuan") == [
        ("proposal", "usulan-jahit")]
    assert ("meeting", "rapat-desember") in _ids(indexed, "padi ", program="ketahanan-pangan")
    assert _ids(indexed, "pupuk ", node="dinas-pertanian") == [("commitment", "rtl-pupuk")]
    assert _ids(indexed, "padi ", status="accepted") == [("proposal", "usulan-jahit")]
    # a comment has its thread's status; a commitment its own
    assert _ids(indexed, "irigasi ", status="open", kind="comment") == [("comment", "k1")]
    assert _ids(indexed, "pupuk ", status="open", kind="commitment") == [
        ("commitment", "rtl-pupuk")]
    assert _ids(indexed, "padi ", kind="nothing") == []


def test_prefixes_phrases_and_every_word(indexed: Engine) -> None:
    assert ("proposal", "usulan-jahit") in _ids(indexed, "menja")
    assert _ids(indexed, '"bibit padi unggul"') == [("proposal", "usulan-padi")]
    assert _ids(indexed, '"padi bibit"') == []
    assert _ids(indexed, "padi mesin ") == [("proposal", "usulan-jahit")]
    assert _ids(indexed, "PADI Mesin ") == [("proposal", "usulan-jahit")]


@pytest.mark.parametrize("typed", [
    '"', '"padi', 'padi"', "padi*", "*", "-padi", "padi -", "NEAR(padi irigasi)", "padi OR",
    "AND", "((padi", "padi)", "'", "padi'; --", "a:b", "^padi", "padi & | ! <->", "\\",
    "\x00", "😀", "ibu-ibu", "padi^2", "{padi}", ":*", "!"])
def test_odd_queries_are_answered_not_failed(indexed: Engine, typed: str) -> None:
    hits, total = _find(indexed, typed)
    assert total == len(hits)


def test_pages_and_totals(indexed: Engine) -> None:
    everything, total = _find(indexed, "padi ")
    assert total == 3
    first, total_first = _find(indexed, "padi ", limit=2)
    second, total_second = _find(indexed, "padi ", limit=2, offset=2)
    assert total_first == total_second == 3
    assert [h.id for h in first + second] == [h.id for h in everything]


def test_updates_are_found_and_what_changed_is_not(indexed: Engine) -> None:
    _project(indexed, [*EVENTS, _comment("usulan-jahit", "k2", "Bagaimana dengan benang?"),
                       _proposal("usulan-padi", "Bibit jagung unggul", "Kelompok tani jagung.")])
    assert _ids(indexed, "benang") == [("comment", "k2")]
    assert ("proposal", "usulan-padi") not in _ids(indexed, "padi ")
    assert _ids(indexed, "jagung")[0] == ("proposal", "usulan-padi")
    [hit], _ = _find(indexed, "setuju")
    assert hit.title == "Bibit jagung unggul"  # the comment follows its thread


def test_a_rebuild_gives_the_same_index(indexed: Engine) -> None:
    later = [*EVENTS, _comment("usulan-jahit", "k2", "Bagaimana dengan benang?")]
    _project(indexed, later)
    before = {q: _find(indexed, q) for q in ("padi ", "irigasi ", "benang", "pupuk ")}
    _project(indexed, later, rebuild=True)
    assert {q: _find(indexed, q) for q in before} == before
    with indexed.begin() as connection:  # 3 proposals, 2 comments, a meeting, a commitment
        assert connection.execute(text("SELECT count(*) FROM search_documents")).scalar() == 7
        if indexed.dialect.name == "sqlite":  # the index agrees with its rows (or raises)
            connection.execute(text("INSERT INTO search_fts (search_fts, rank) "
                                    "VALUES ('integrity-check', 1)"))


def test_the_migration_indexes_what_the_read_model_holds(engine: Engine) -> None:
    """A read model made before search is indexed by the upgrade, not only by a rebuild."""
    from alembic import command
    from alembic.config import Config

    from services.readmodel.db import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    rows = merge_rows(AGGREGATES[name].rows(state) for name, by_id in _fold(EVENTS).items()
                      for state in by_id.values())
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0009_programs")
    with engine.begin() as connection:
        upsert(connection, {k: v for k, v in rows.items() if k != "search_documents"})
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")
    assert set(_ids(engine, "irigasi ")) == {
        ("proposal", "usulan-xss"), ("comment", "k1"), ("meeting", "rapat-desember")}
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM search_documents")).scalar() == 6


def _integrity(connection: Any) -> None:
    """FTS5 checks its index against the documents (raises if they disagree)."""
    connection.execute(text("INSERT INTO search_fts (search_fts, rank) "
                            "VALUES ('integrity-check', 1)"))


def _waiting(connection: Any) -> int:
    return connection.execute(text("SELECT count(*) FROM search_pending")).scalar()


def test_the_index_takes_every_change_since_it_last_caught_up(indexed: Engine) -> None:
    """Documents changed twice, added and deleted before the index catches up are
    indexed as they are then: old words gone, new words found, nothing twice."""
    if indexed.dialect.name != "sqlite":
        pytest.skip("PostgreSQL computes its tsvector beside the row")
    change = text("UPDATE search_documents SET title = :title, body = :body "
                  "WHERE kind = 'proposal' AND id = 'usulan-padi'")
    with indexed.begin() as connection:
        connection.execute(change, {"title": "Bibit jagung", "body": "Meminta jagung."})
        connection.execute(change, {"title": "Bibit kedelai", "body": "Meminta kedelai."})
        connection.execute(text("DELETE FROM search_documents WHERE kind = 'commitment'"))
        assert _waiting(connection) == 2  # the thread once (with what the index holds)
        assert ("proposal", "usulan-padi") in _ids(indexed, "padi ")  # not yet indexed
        assert search_index.catch_up(connection) == 2
        assert _waiting(connection) == 0
        _integrity(connection)
    assert ("proposal", "usulan-padi") not in _ids(indexed, "padi ")
    assert ("proposal", "usulan-jahit") in _ids(indexed, "padi ")
    assert _ids(indexed, "jagung") == []
    assert _ids(indexed, "kedelai") == [("proposal", "usulan-padi")]
    assert _ids(indexed, "pupuk ") == []  # the commitment is gone from the index too


def test_a_new_version_with_the_same_words_is_not_indexed_again(indexed: Engine) -> None:
    """A comment, an endorsement, a status: the thread's document changes, its words do
    not, and FTS5 is not asked to index it again."""
    if indexed.dialect.name != "sqlite":
        pytest.skip("PostgreSQL computes its tsvector beside the row")
    with indexed.connect() as connection, connection.begin() as transaction:
        connection.execute(text("UPDATE search_documents SET status = 'under_review', "
                                "version = version + 1, title = title, body = body "
                                "WHERE kind = 'proposal' AND id = 'usulan-padi'"))
        assert _waiting(connection) == 0
        transaction.rollback()
    states = _fold([*EVENTS, _status("usulan-padi", "rejected")])
    with indexed.begin() as connection:  # through the projection's own upsert
        upsert(connection, merge_rows([AGGREGATES["proposal"].rows(
            states["proposal"]["usulan-padi"])]))
        _integrity(connection)
    assert _find(indexed, "padi ", status="rejected")[0][0].id == "usulan-padi"
