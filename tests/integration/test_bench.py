"""``gotong bench`` scenarios run end to end (tiny sizes) and report the documented JSON keys.

The figures themselves are not asserted: speed is measured, not tested.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.kafka


def _bench(tmp_path: Path, *args: str) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k != "GOTONG_KAFKA_BOOTSTRAP"}
    env["GOTONG_DATA_DIR"] = str(tmp_path / "data")
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "bench", *args, "--json",
         "--results-dir", str(tmp_path / "results")],
        env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    saved = json.loads(next((tmp_path / "results").glob("*.json")).read_text())
    assert saved["figures"] == figures and saved["machine"]["cores"] >= 1
    return figures


def test_bench_pipeline_reports_rate_beside_the_raw_kafka_baseline(tmp_path: Path) -> None:
    figures = _bench(tmp_path, "pipeline", "--events", "300")
    assert set(figures) >= {"events", "seconds", "events_per_s", "baseline_events_per_s",
                            "ratio", "worker_rss_mb", "events_per_cpu_s", "fold_us",
                            "kafka_wait_us", "sql_us", "state_us", "events_per_batch"}
    assert figures["events"] == 300 and figures["events_per_s"] > 0
    assert figures["ratio"] == pytest.approx(
        figures["events_per_s"] / figures["baseline_events_per_s"], rel=0.01)
    # the stages come from the worker's own metrics: they saw every event
    assert figures["fold_us"] > 0 and figures["events_per_batch"] > 0


def test_bench_pipeline_with_two_workers_reports_the_speedup(tmp_path: Path) -> None:
    figures = _bench(tmp_path, "pipeline", "--events", "300", "--workers", "2")
    assert figures["workers"] == 2 and figures["events_per_s_n"] > 0
    assert figures["speedup"] == pytest.approx(
        figures["events_per_s_n"] / figures["events_per_s"], rel=0.02)


def test_bench_latency_reports_percentiles(tmp_path: Path) -> None:
    figures = _bench(tmp_path, "latency", "--rate", "20", "--seconds", "2")
    assert set(figures) >= {"rate", "events", "unseen", "p50_ms", "p90_ms", "p99_ms", "max_ms",
                            "accept_p99_ms", "projected_p50_ms", "projected_p99_ms"}
    assert figures["events"] == 40 and figures["unseen"] == 0
    # 20 a second is far below what the service holds: it takes in about what is offered
    assert figures["accepted_per_s"] == pytest.approx(20, rel=0.5)
    assert 0 < figures["p50_ms"] <= figures["p90_ms"] <= figures["p99_ms"] <= figures["max_ms"]


def test_bench_ingest_reports_single_and_batch_rates(tmp_path: Path) -> None:
    figures = _bench(tmp_path, "ingest", "--seconds", "1", "--clients", "2")
    assert figures["single_events_per_s"] > 0 and figures["batch_events_per_s"] > 0
    assert figures["p99_ms"] > 0


def test_bench_recovery_reports_restart_and_rebuild(tmp_path: Path) -> None:
    figures = _bench(tmp_path, "recovery", "--events", "300")
    assert figures["events"] == 300
    assert figures["restart_ready_s"] > 0 and figures["rebuild_events_per_s"] > 0
    assert figures["loaded_rss_mb"] > 0 and figures["load_rss_mb"] > 0


def test_bench_pages_reports_thread_and_board_rates(tmp_path: Path) -> None:
    figures = _bench(tmp_path, "pages", "--proposals", "200", "--comments", "1000", "--items",
                     "100", "--seconds", "1", "--concurrency", "2")
    assert set(figures) >= {"thread_rps", "thread_p99_ms", "board_rps", "board_p99_ms",
                            "rebuild_events_per_s", "rebuild_rss_mb", "load_seconds"}
    assert figures["events"] > 1300 and figures["errors"] == 0
    assert figures["thread_rps"] > 0 and figures["board_rps"] > 0
    assert figures["thread_warm_rps"] > 0 and figures["thread_warm_ratio_to_hello"] > 0
    assert figures["hello_before_rps"] > 0 and figures["hello_after_rps"] > 0
    # a visitor's board page is kept with its ETag: reopened, it is answered 304
    assert figures["board_304_share"] > 0 and figures["board_304_ratio_to_hello"] > 0
