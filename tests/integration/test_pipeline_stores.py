"""The worker's RocksDB databases share one memory budget (real RocksDB, on disk)."""

from __future__ import annotations

from pathlib import Path

import rocksdict
from faust.stores.rocksdb import RocksDBOptions

from services.pipeline.stores import STORE_OPTIONS, SharedMemoryOptions


def test_databases_opened_with_shared_options_count_their_memtables_in_one_budget(
        tmp_path: Path) -> None:
    cache = rocksdict.Cache(4 * 1024 * 1024)
    buffers = rocksdict.WriteBufferManager(64 * 1024 * 1024, False)
    base = RocksDBOptions(**STORE_OPTIONS, use_rocksdict=True)
    options = SharedMemoryOptions(base, cache, buffers)
    first = options.open(tmp_path / "proposal-state-0.db")
    first[b"usulan-1"] = b"x" * 100_000
    after_first = buffers.get_usage()
    second = options.open(tmp_path / "proposal-state-1.db")
    second[b"usulan-2"] = b"y" * 100_000

    assert after_first >= 100_000
    assert buffers.get_usage() >= after_first + 100_000  # both databases draw on it
    assert first[b"usulan-1"] == b"x" * 100_000 and second[b"usulan-2"] == b"y" * 100_000
    assert options.write_buffer_size == STORE_OPTIONS["write_buffer_size"]
    first.close()
    second.close()
