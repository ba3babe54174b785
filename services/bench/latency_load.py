"""Publish at a steady rate and watch the API until each event shows: a process of its own.

``gotong bench latency`` runs this as a subprocess (a client in the bench's own
interpreter was the first thing to fall behind) with the lean keep-alive client of
``services.bench.keepalive``::

    python -m services.bench.latency_load http://127.0.0.1:8000 --key gtk_… \
        --node dinsos-bitung --rate 100 --seconds 20

Each event is a new proposal, posted alone (``POST /api/v1/events``) at ``--rate``
per second, the first ``PER_FORUM`` in one forum, the next in another, and so on. A
poller reads, all at once, the lists (``GET /api/v1/proposals?forum=…``) of the
forums that hold events not seen yet, and notes when each accepted event first
shows there. Forums smaller than a page keep a look to one request per forum:
with one forum for the whole run, a look paged down a list that grew by ``--rate``
rows a second, page after page in turn, and from 2,500 events/s on the poller fell
behind the service it watched (its delays grew to seconds while the worker's own
record -> row p99 stayed under 300 ms). Prints
one JSON object: events seen, accepted but unseen, p50/p90/p99/max from 202 to
seen, and p50/p99 of POST -> 202, in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import sys
import time
from typing import Any

import orjson
import uvloop

from services.bench.ingest_load import api_client, proposal
from services.bench.keepalive import Client, RequestFailed
from services.bench.page_load import percentile

# the poller's least pause between looks: asking without pause, it competed with the
# service for the same two cores
POLL_PAUSE_S = 0.02
POLL_PAGE = 200
PER_FORUM = POLL_PAGE // 2  # a forum's list fits in one page
POLL_GIVE_UP_S = 30
CONNECTIONS = 64


def _instant(timestamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))


async def _status(session: Client, method: str, path: str, body: bytes | None = None) -> int:
    try:
        status, _ = await session.request(method, path, body)
        return status
    except RequestFailed:
        return 0


async def _warm_up(session: Client, node: str, forum: str, run: str,
                   ids: random.Random) -> None:
    """The first event through: it also proves the web's producer and the worker are ready
    (ingest answers 503 until the producer has connected; retried as a client would)."""
    warm = proposal(node, forum + "-warmup", f"bench-{run}-warmup", ids)
    deadline = time.monotonic() + 120
    while await _status(session, "POST", "/api/v1/events", orjson.dumps(warm)) != 202:
        if time.monotonic() > deadline:
            raise RuntimeError("the web process never accepted an event")
        await asyncio.sleep(0.2)
    while await _status(session, "GET", f"/api/v1/proposals/{warm['subject']}") != 200:
        if time.monotonic() > deadline:
            raise RuntimeError("the warm-up event never reached the read model")
        await asyncio.sleep(0.1)


def _figures(accepted: dict[str, float], visible: dict[str, float], answers: list[float],
             took_s: float) -> dict[str, Any]:
    delays = [(visible[s] - t) * 1000 for s, t in accepted.items() if s in visible]
    figures = {
        "accepted_per_s": len(accepted) / took_s if took_s > 0 else None,
        "events": len(delays), "unseen": len(accepted) - len(delays),
        "p50_ms": percentile(delays, 0.5), "p90_ms": percentile(delays, 0.9),
        "p99_ms": percentile(delays, 0.99), "max_ms": max(delays) if delays else None,
        "accept_p50_ms": percentile(answers, 0.5), "accept_p99_ms": percentile(answers, 0.99),
    }
    return {k: round(v, 1) if isinstance(v, float) else v for k, v in figures.items()}


class _Run:
    """One measurement: events sent at a rate, and the forums' lists looked at until each
    event shows (or the poller gives up)."""

    def __init__(self, session: Client, node: str, run: str) -> None:
        self.session, self.node, self.run = session, node, run
        self.ids = random.Random(run)
        self.forum = f"bench-{run}-forum"
        self.accepted: dict[str, float] = {}
        self.visible: dict[str, float] = {}
        self.published: dict[str, dt.datetime] = {}
        self.forum_of: dict[str, str] = {}
        self.answers: list[float] = []
        self.done = asyncio.Event()
        self.last_send = time.perf_counter()

    async def send(self, index: int) -> None:
        event = proposal(self.node, f"{self.forum}-{index // PER_FORUM}",
                         f"bench-{self.run}-p{index}", self.ids)
        self.published[event["subject"]] = dt.datetime.fromisoformat(event["time"])
        self.forum_of[event["subject"]] = event["data"]["forum_id"]
        body = orjson.dumps(event)
        began = time.perf_counter()
        for _attempt in range(3):  # the same event again is safe: ingest dedupes by id
            status = await _status(self.session, "POST", "/api/v1/events", body)
            if status:  # 0: a keep-alive connection the server just closed
                break
        if status == 202:
            self.accepted[event["subject"]] = time.perf_counter()
            self.answers.append((self.accepted[event["subject"]] - began) * 1000)

    async def look(self) -> None:
        """One look at each forum that holds an event not seen yet."""
        oldest: dict[str, dt.datetime] = {}
        for subject in self.accepted:
            if subject not in self.visible:
                name, at = self.forum_of[subject], self.published[subject]
                oldest[name] = min(at, oldest.get(name, at))
        await asyncio.gather(*(self.look_at(name, since) for name, since in oldest.items()))

    async def look_at(self, name: str, oldest: dt.datetime) -> None:
        """The forum's list, newest first, down to its oldest event not seen yet.

        The list is in submission-time order, not projection order: an event can
        become visible below the first page, so the look pages on until it passes
        the oldest outstanding submission time (usually one request).
        """
        offset = 0
        while True:
            _, body = await self.session.request("GET", "/api/v1/proposals", params={
                "forum": name, "limit": POLL_PAGE, "offset": offset})
            items = orjson.loads(body)["items"]
            now = time.perf_counter()
            for item in items:
                if item["id"] in self.accepted:
                    self.visible.setdefault(item["id"], now)
            if len(items) < POLL_PAGE or _instant(items[-1]["submitted_at"]) < oldest:
                return
            offset += POLL_PAGE

    async def poll(self) -> None:
        while not self.done.is_set() or len(self.visible) < len(self.accepted):
            began = time.perf_counter()
            await self.look()
            if self.done.is_set() and time.perf_counter() - self.last_send > POLL_GIVE_UP_S:
                break
            # rest as long as the look took: the poller holds the web at most half the time
            await asyncio.sleep(max(POLL_PAUSE_S, time.perf_counter() - began))


async def measure(session: Client, *, node: str, run: str, rate: float,
                  seconds: float) -> dict[str, Any]:
    it = _Run(session, node, run)
    await _warm_up(session, node, it.forum, run, it.ids)
    poller = asyncio.create_task(it.poll())
    senders = []
    start = time.perf_counter()
    for index in range(int(rate * seconds)):
        delay = start + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        senders.append(asyncio.create_task(it.send(index)))
    await asyncio.gather(*senders)
    it.last_send = time.perf_counter()
    # what the service took in: a machine that does not hold the rate answers late, and
    # the 202s spread past the sending window (the target rate alone would not show it)
    took_s = max(it.accepted.values(), default=start) - start
    it.done.set()
    await poller
    return _figures(it.accepted, it.visible, it.answers, took_s)


async def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("--key", required=True)
    parser.add_argument("--node", required=True)
    parser.add_argument("--run", default="run")
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args(argv)
    async with api_client(args.base, args.key, CONNECTIONS, timeout=30) as session:
        figures = await measure(session, node=args.node, run=args.run, rate=args.rate,
                                seconds=args.seconds)
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    # (uvloop: the load costs the machine the service shares less, as it costs the server)
    uvloop.run(main(sys.argv[1:]))
