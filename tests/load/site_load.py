"""Latency and size of the site's pages, measured from another process.

Usage (against a running ``gotong up --demo``)::

    .venv/bin/python tests/load/site_load.py http://127.0.0.1:8000 --requests 400 --concurrency 8

Prints the median and p99 time of the thread page and the board, and the bytes
transferred for each main page (raw and gzip-compressed, as a phone would fetch it).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx

THREAD = "/proposals/usulan-pelatihan-menjahit-bitung-tengah"
BOARD = "/commitments"
PAGES = ["/", "/forums/forum-ekonomi-maesa", THREAD, "/meetings/musyawarah-maesa-2026-03",
         BOARD, "/nodes/dinsos-bitung", "/programs", "/login", "/static/site.css",
         "/static/live.js"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


async def measure(client: httpx.AsyncClient, path: str, total: int, concurrency: int
                  ) -> list[float]:
    timings: list[float] = []
    queue = iter(range(total))

    async def worker() -> None:
        for _ in queue:
            started = time.perf_counter()
            response = await client.get(path)
            response.raise_for_status()
            timings.append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return timings


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    limits = httpx.Limits(max_connections=args.concurrency)
    async with httpx.AsyncClient(base_url=args.base, limits=limits, timeout=30) as client:
        print("| page | bytes (raw) | bytes (gzip) |\n| --- | ---: | ---: |")
        for path in PAGES:
            raw = await client.get(path, headers={"Accept-Encoding": "identity"})
            async with client.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as r:
                wire = sum([len(chunk) async for chunk in r.aiter_raw()])
            print(f"| `{path}` | {len(raw.content):,} | {wire:,} |")
        print(f"\n{args.requests} requests per page, {args.concurrency} at a time:\n")
        print("| page | median ms | p99 ms | requests/s |\n| --- | ---: | ---: | ---: |")
        for path in (THREAD, BOARD):
            await measure(client, path, 20, args.concurrency)  # warm-up
            started = time.perf_counter()
            timings = await measure(client, path, args.requests, args.concurrency)
            rate = args.requests / (time.perf_counter() - started)
            print(f"| `{path}` | {statistics.median(timings):.1f} | "
                  f"{percentile(timings, 0.99):.1f} | {rate:.0f} |")


if __name__ == "__main__":
    asyncio.run(main())
