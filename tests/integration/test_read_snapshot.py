"""One answer, one state: the reads of a page or an API answer share a snapshot of the
read model while the worker commits between them, on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, bindparam, func, update
from sqlmodel import Session, select

from services.readmodel import db
from services.readmodel.db import make_engine, migrate, snapshot, upsert
from services.readmodel.tables import Proposal, ProposalComment, WorkerHeartbeat
from web.queries.records import list_proposals


def _thread(comments: int) -> dict[str, list[dict[str, Any]]]:
    """The rows the worker writes for a thread with ``comments`` comments."""
    at = "2026-12-02T05:36:00Z"
    return {
        "proposal_comments": [
            {"proposal_id": "usulan-bank-sampah", "comment_id": f"c-{n}", "seq": n,
             "body": f"Setuju {n}", "author": "Budi", "node_id": "pkk-bitung-tengah",
             "in_reply_to": None, "at": at} for n in range(1, comments + 1)],
        "proposals": [{
            "id": "usulan-bank-sampah", "forum_id": "forum-sampah", "title": "Bank sampah",
            "body": "Bank sampah di tiap RT", "author": "Ani", "node_id": "pkk-bitung-tengah",
            "tags": [], "program": None, "location": None, "budget_estimate": None,
            "status": "submitted", "status_history": [], "comment_count": comments,
            "endorsers": [], "endorsement_count": 0, "submitted_at": at, "updated_at": at,
            "version": 1 + comments}],
    }


def _commit(engine: Engine, comments: int) -> None:
    with engine.begin() as connection:
        upsert(connection, _thread(comments))


def _count_and_listed(session: Session) -> tuple[int, int]:
    proposal = session.get(Proposal, "usulan-bank-sampah")
    assert proposal is not None
    listed = session.exec(select(func.count()).select_from(ProposalComment).where(
        ProposalComment.proposal_id == "usulan-bank-sampah")).one()
    return proposal.comment_count, listed


def test_a_page_reads_one_state_while_the_worker_commits_between_its_queries(
        engine: Engine) -> None:
    _commit(engine, 19)
    with snapshot(engine) as session:
        proposal = session.get(Proposal, "usulan-bank-sampah")
        assert proposal is not None and proposal.comment_count == 19
        _commit(engine, 20)  # the worker's next batch lands between two queries of a page
        listed = session.exec(select(func.count()).select_from(ProposalComment).where(
            ProposalComment.proposal_id == "usulan-bank-sampah")).one()
        assert listed == 19
        session.expire_all()
        assert _count_and_listed(session) == (19, 19)
    with snapshot(engine) as session:
        assert _count_and_listed(session) == (20, 20)


def test_the_worker_writes_while_a_page_holds_its_snapshot(engine: Engine) -> None:
    """A snapshot is read-only and takes no lock the writer waits for."""
    _commit(engine, 1)
    with snapshot(engine) as session:
        assert _count_and_listed(session) == (1, 1)
        for comments in range(2, 6):
            _commit(engine, comments)
    with Session(engine) as session:
        assert _count_and_listed(session) == (5, 5)


def _proposal(n: int, forum: str, status: str = "submitted", tags: list[str] | None = None
              ) -> dict[str, Any]:
    at = f"2026-12-02T05:{n:02d}:00Z"
    return {"id": f"usulan-{n}", "forum_id": forum, "title": f"Usulan {n}", "body": "Isi",
            "author": "Ani", "node_id": "pkk-bitung-tengah", "tags": tags or [],
            "program": None, "location": None, "budget_estimate": None, "status": status,
            "status_history": [], "comment_count": 0, "endorsers": [],
            "endorsement_count": 0, "submitted_at": at, "updated_at": at, "version": 1}


def test_the_api_list_filters_pages_and_counts_newest_first(engine: Engine) -> None:
    with engine.begin() as connection:
        upsert(connection, {"proposals": [
            _proposal(n, "forum-sampah" if n % 2 else "forum-gizi",
                      "accepted" if n % 3 == 0 else "submitted", tags=[f"rt-{n}"])
            for n in range(1, 13)]})
    items, total = list_proposals(engine, forum="forum-sampah", limit=2, offset=1)
    assert total == 6
    assert [i["id"] for i in items] == ["usulan-9", "usulan-7"]  # 11 is the newest
    assert items[0]["tags"] == ["rt-9"] and items[0]["comment_count"] == 0
    items, total = list_proposals(engine, forum="forum-sampah", status="accepted")
    assert (total, [i["id"] for i in items]) == (2, ["usulan-9", "usulan-3"])
    items, total = list_proposals(engine, status="accepted", limit=50)
    assert total == 4 and [i["id"] for i in items][:2] == ["usulan-12", "usulan-9"]
    assert list_proposals(engine, forum="forum-tidak-ada") == ([], 0)


def test_a_list_and_its_total_come_from_one_state(engine: Engine,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker commits between the count and the page: both still agree."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL reads both in one REPEATABLE READ transaction (tested above)")
    with engine.begin() as connection:
        upsert(connection, {"proposals": [_proposal(1, "forum-sampah")]})
    run = db._run
    landed: list[int] = []

    def worker_commits_between(*args: Any) -> list[Any]:
        rows = run(*args)
        if not landed:
            landed.append(1)
            with engine.begin() as connection:  # another connection, as the worker's
                upsert(connection, {"proposals": [_proposal(2, "forum-sampah")]})
        return rows

    monkeypatch.setattr(db, "_run", worker_commits_between)
    items, total = list_proposals(engine, forum="forum-sampah")
    assert landed and (total, len(items)) == (1, 1)
    items, total = list_proposals(engine, forum="forum-sampah")
    assert (total, len(items)) == (2, 2)


def test_the_generation_changes_with_every_commit_and_only_then(engine: Engine) -> None:
    """What a feed's kept validators are checked against (``web.feeds.documents``)."""
    first = db.generation(engine)
    assert first is not None
    assert db.generation(engine) == first  # nothing committed: the same
    with engine.begin() as connection:  # the worker's commit, on another connection
        upsert(connection, {"proposals": [_proposal(1, "forum-sampah")]})
    second = db.generation(engine)
    assert second != first
    assert db.generation(engine) == second
    with Session(engine) as session:  # a heartbeat (every 2 s) is not a change of pages
        session.add(WorkerHeartbeat(worker_id="w-1", seen_at=1.0))
        session.commit()
    assert db.generation(engine) == second
    with engine.begin() as connection:  # nor is a rebuild's restart ever an older token
        db.empty_read_model(connection)
    assert db.generation(engine) not in (first, second)


_TITLE = select(Proposal.title).where(Proposal.id == bindparam("id"))


def _retitle(engine: Engine, title: str) -> None:
    with engine.begin() as connection:
        connection.execute(update(Proposal).where(Proposal.id == "usulan-bank-sampah")
                           .values(title=title))


def test_a_reused_read_answers_the_newest_commit_of_another_connection(engine: Engine) -> None:
    """What ``read_rows(..., reuse=True)`` keeps (an API key, on every request) is never
    older than the database: a change committed elsewhere (a key revoked by the command
    line) is read at the next request."""
    _commit(engine, 1)
    wanted = {"id": "usulan-bank-sampah"}
    first = db.read_rows(engine, _TITLE, wanted, reuse=True)
    assert first == [("Bank sampah",)]
    again = db.read_rows(engine, _TITLE, wanted, reuse=True)
    assert again == first
    if engine.dialect.name == "sqlite":  # the same answer, from memory
        assert again is first
    _retitle(engine, "Bank sampah RT 3")
    assert db.read_rows(engine, _TITLE, wanted, reuse=True) == [("Bank sampah RT 3",)]
    assert db.read_rows(engine, _TITLE, {"id": "nothing"}, reuse=True) == []
    _retitle(engine, "Bank sampah RT 4")
    assert db.read_rows(engine, _TITLE, wanted, reuse=True) == [("Bank sampah RT 4",)]
    assert db.read_rows(engine, _TITLE, wanted) == [("Bank sampah RT 4",)]


def test_the_answers_kept_for_reuse_are_bounded(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'readmodel.db'}")
    migrate(engine)
    monkeypatch.setattr(db, "REUSED_ANSWERS", 3)
    for n in range(10):  # a client trying one unknown key after another
        assert db.read_rows(engine, _TITLE, {"id": f"unknown-{n}"}, reuse=True) == []
    assert len(db._kept.answers[engine]) <= 3
    engine.dispose()
