"""Post events to ``POST /api/v1/events`` with concurrent clients, from a process of its own.

``gotong bench ingest`` runs this as a subprocess, so that building and sending
requests does not share an interpreter (and its GIL) with the server measured::

    python -m services.bench.ingest_load http://127.0.0.1:8000 --key gtk_… \
        --node dinsos-bitung --batch 1 --seconds 10 --concurrency 16

Each request carries ``--batch`` new proposals (one object when 1, else an
array). Prints one JSON object: requests, events accepted (202), errors,
requests/s, events/s, p50/p99 in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
import uuid
from typing import Any

import orjson
import uvloop

from events.catalog import PROPOSAL_SUBMITTED
from events.envelope import cloud_event, timestamp
from services.bench.keepalive import Client, RequestFailed
from services.bench.page_load import percentile


def proposal(node: str, forum: str, subject: str, rng: random.Random) -> dict[str, Any]:
    return cloud_event(
        PROPOSAL_SUBMITTED, node=node, subject=subject,
        event_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        time=timestamp(timespec="microseconds"),
        data={"forum_id": forum, "title": "Pelatihan menjahit", "author": "Ibu Ani",
              "body": "Pelatihan menjahit untuk ibu-ibu di kelurahan."})


def api_client(base: str, key: str, connections: int, timeout: float) -> Client:
    """Keep-alive connections to ``base`` that send JSON as the node of ``key``."""
    return Client(base, {"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
                  connections, timeout)


async def drive(session: Client, *, node: str, run: str, batch: int,
                seconds: float, concurrency: int) -> dict[str, Any]:
    timings: list[float] = []
    accepted = errors = 0
    stop = time.perf_counter() + seconds

    async def client(number: int) -> None:
        nonlocal accepted, errors
        rng = random.Random(f"{run}-{number}")
        index = 0
        while time.perf_counter() < stop:
            events = [proposal(node, f"bench-{run}-ingest", f"bench-{run}-c{number}-{index}-{i}",
                               rng) for i in range(batch)]
            index += 1
            body = orjson.dumps(events[0] if batch == 1 else events)
            began = time.perf_counter()
            try:
                status, _ = await session.request("POST", "/api/v1/events", body)
                ok = status == 202
            except RequestFailed:
                ok = False
            if ok:
                timings.append((time.perf_counter() - began) * 1000)
                accepted += batch
            else:
                errors += 1

    began = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(concurrency)))
    elapsed = time.perf_counter() - began
    return {
        "requests": len(timings), "events": accepted, "errors": errors,
        "rps": round(len(timings) / elapsed, 1), "events_per_s": round(accepted / elapsed, 1),
        "p50_ms": percentile(timings, 0.5), "p99_ms": percentile(timings, 0.99),
    }


async def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("--key", required=True)
    parser.add_argument("--node", required=True)
    parser.add_argument("--run", default="run")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    async with api_client(args.base, args.key, args.concurrency, timeout=120) as session:
        common = {"node": args.node, "batch": args.batch, "concurrency": args.concurrency}
        if args.warmup:
            await drive(session, run=f"{args.run}-w", seconds=args.warmup, **common)
        result = await drive(session, run=args.run, seconds=args.seconds, **common)
    result = {k: round(v, 2) if isinstance(v, float) else v for k, v in result.items()}
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    # (uvloop: the load costs the machine the service shares less, as it costs the server)
    uvloop.run(main(sys.argv[1:]))
