"""Drive the site's pages with concurrent keep-alive clients, from a process of its own.

``gotong bench pages`` runs this as a subprocess so that the client's own work
does not share an interpreter (and its GIL) with what it measures::

    python -m services.bench.page_load http://127.0.0.1:8000 --paths paths.json \
        --seconds 10 --concurrency 16

``paths.json`` maps a name (``thread``, ``board``) to the list of paths to
request, picked at random. Clients keep cookies and ask for gzip, as a browser
does. A name ending in ``_304`` is driven as a poller that has read each path once:
every request sends the ETag it holds (``If-None-Match``), and a 304 counts as an
answer. Prints one JSON object: per name, requests, errors, requests/s, p50/p90/p99,
mean response size and the share of answers that were 304.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None  # no request succeeded: JSON has no NaN
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


async def drive(session: aiohttp.ClientSession, paths: list[str], seconds: float,
                concurrency: int, seed: int, etags: dict[str, str] | None = None
                ) -> dict[str, Any]:
    """Request ``paths`` for ``seconds``; with ``etags``, conditionally (kept up to date)."""
    timings: list[float] = []
    errors = 0
    size = 0
    not_modified = 0
    rng = random.Random(seed)
    stop = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal errors, size, not_modified
        while time.perf_counter() < stop:
            path = rng.choice(paths)
            held = etags.get(path) if etags is not None else None
            began = time.perf_counter()
            try:
                async with session.get(path, headers={"If-None-Match": held} if held else None
                                       ) as response:
                    body = await response.read()
                    ok = response.status == 200 or (held is not None and response.status == 304)
                    if etags is not None and response.status == 200 and "ETag" in response.headers:
                        etags[path] = response.headers["ETag"]
            except (TimeoutError, aiohttp.ClientError):
                ok, body = False, b""
            if ok:
                timings.append((time.perf_counter() - began) * 1000)
                size += len(body)
                not_modified += response.status == 304
            else:
                errors += 1

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    count = len(timings)
    return {
        "requests": count, "errors": errors, "rps": round(count / elapsed, 1),
        **{f"p{n}_ms": None if (value := percentile(timings, n / 100)) is None
           else round(value, 2) for n in (50, 90, 99)},
        "mean_bytes": round(size / count) if count else 0,
        "share_304": round(not_modified / count, 3) if count else 0,
    }


async def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("--paths", type=Path, required=True)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    named: dict[str, list[str]] = json.loads(args.paths.read_text())
    connector = aiohttp.TCPConnector(limit=args.concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=120)
    results: dict[str, Any] = {}
    # keep cookies as a browser does (aiohttp's default jar refuses them from an IP address)
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(args.base, connector=connector, timeout=timeout,
                                     cookie_jar=jar) as session:
        for number, (name, paths) in enumerate(named.items()):
            etags: dict[str, str] | None = {} if name.endswith("_304") else None
            if args.warmup:
                await drive(session, paths, args.warmup, args.concurrency, seed=-number,
                            etags=etags)
            results[name] = await drive(session, paths, args.seconds, args.concurrency,
                                        seed=number, etags=etags)
            print(f"{name}: {results[name]}", file=sys.stderr, flush=True)
    print(json.dumps(results), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
