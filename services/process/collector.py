"""The cyclic garbage collector, tuned for a long-running process (the worker, the web).

CPython's collector walks every tracked object in a full (oldest-generation)
collection. What a process builds at start-up (modules, the ORM's mappers, the
templates, the schemas) lives until it ends, yet a full collection scans it again
each time: measured with gc.callbacks around the web's ingest handler (in process,
10,000 requests), three full collections of 90-110 ms each, during which no request
is answered (the p99 of every page and of ingest); after ``settle``, none.
``settle`` moves what exists at start-up out of the collector's sight (``gc.freeze``)
and sets how many allocations start a young collection.
"""

from __future__ import annotations

import gc

#: the web: a page allocates thousands of objects, nearly all freed by their reference
#: count; a young collection every 50,000 costs about 2 ms
WEB_YOUNG = 50_000
#: the worker: a batch of 6,000 records holds some 100,000 objects at once
WORKER_YOUNG = 1_000_000


def settle(young: int) -> None:
    """Collect once, freeze what survives, and collect the young every ``young`` allocations."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(young, 20, 100)
