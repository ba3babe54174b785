"""RocksDB for the worker's tables: one memory budget for all of their databases.

Faust opens one RocksDB database per table and partition (seven tables and six
partitions: 42 here) and gives each its own block cache and its own memtables. Even
small ones add up: with 8 MiB of cache and two 4 MiB memtables each, RocksDB alone
could take 670 MiB, and more with every partition a worker takes over. Here every
database of the worker shares one block cache and one write buffer manager (RocksDB's
own mechanism for a memory limit across databases), so RocksDB's share stays under
``cache_bytes`` plus ``write_buffer_bytes`` however many partitions the worker holds.
(Measured: this alone did not lower the worker's peak after 1,000,000 events, 1,089
MiB before and after; the decoded states of large batches were the bulk of it.)

The changelog is the truth and the state cache above (``services.pipeline.state``)
holds the hot states, so RocksDB only needs to be quick for the states that fell out
of that cache.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import rocksdict
from faust.stores.rocksdb import RocksDBOptions

# Faust's defaults (a 2 GiB block cache and three 64 MiB memtables for each of the
# databases) would let the worker grow by every state version written until a
# memtable filled: 555 MiB after 100,000 events. These are per database; the shared
# budget below caps their sum.
STORE_OPTIONS: dict[str, Any] = {
    "write_buffer_size": 4 * 1024 * 1024,
    "max_write_buffer_number": 2,
    "target_file_size_base": 16 * 1024 * 1024,
}


class SharedMemoryOptions(RocksDBOptions):
    """Faust's RocksDB options, with a block cache and a write buffer manager that all
    the databases opened with them share."""

    def __init__(self, base: RocksDBOptions, cache: Any, buffers: Any) -> None:
        super().__init__(
            max_open_files=base.max_open_files, write_buffer_size=base.write_buffer_size,
            max_write_buffer_number=base.max_write_buffer_number,
            target_file_size_base=base.target_file_size_base,
            bloom_filter_size=base.bloom_filter_size, use_rocksdict=True,
            # the base class still builds a cache of this size; as_options replaces it
            block_cache_size=1024 * 1024, ttl=base.ttl, **base.extra_options)
        self.cache = cache
        self.buffers = buffers

    def as_options(self) -> Any:
        options = super().as_options()
        table = rocksdict.BlockBasedOptions()
        table.set_bloom_filter(self.bloom_filter_size, True)
        table.set_block_cache(self.cache)
        table.set_index_type(rocksdict.BlockBasedIndexType.binary_search())
        options.set_block_based_table_factory(table)
        options.set_write_buffer_manager(self.buffers)
        return options


def share_memory(tables: Iterable[Any], *, cache_bytes: int, write_buffer_bytes: int) -> int:
    """Give the RocksDB stores of ``tables`` one block cache and one memtable budget.

    Called before the worker starts (the databases open when partitions are assigned).
    Returns how many stores now share them; tables on another store are left alone.
    """
    cache = rocksdict.Cache(cache_bytes)
    buffers = rocksdict.WriteBufferManager(write_buffer_bytes, False)
    shared = 0
    for table in tables:
        store = table.data
        if getattr(store, "use_rocksdict", False):
            store.rocksdb_options = SharedMemoryOptions(store.rocksdb_options, cache, buffers)
            shared += 1
    return shared
