"""The worker's batch histogram exposes what prometheus_client's own histogram would."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Histogram, generate_latest

from services.pipeline.metrics import BatchHistogram

BUCKETS = (.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10)


def _without_created(text: bytes) -> list[str]:
    return [line for line in text.decode().splitlines() if "_created" not in line]


@given(st.lists(st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), max_size=40),
                max_size=5))
def test_a_batch_histogram_reads_like_a_histogram_fed_one_value_at_a_time(
    batches: list[list[float]],
) -> None:
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    batch = BatchHistogram("gotong_latency_seconds", "Latency.", BUCKETS, registry=ours)
    single = Histogram("gotong_latency_seconds", "Latency.", buckets=BUCKETS, registry=theirs)
    for values in batches:
        batch.observe_many(values)
        for value in values:
            single.observe(value)
    mine = _without_created(generate_latest(ours))
    expected = _without_created(generate_latest(theirs))
    # the sums may differ in their last digits (added in another order)
    assert [line for line in mine if "_sum" not in line] == \
        [line for line in expected if "_sum" not in line]
    total = sum(sum(values) for values in batches)
    summed = next(float(line.split()[-1]) for line in mine if line.startswith(
        "gotong_latency_seconds_sum"))
    assert abs(summed - total) <= 1e-9 * max(1.0, total)


def test_a_value_on_a_bound_counts_in_that_bucket() -> None:
    registry = CollectorRegistry()
    histogram = BatchHistogram("gotong_on_bound_seconds", "On a bound.", (1, 2), registry=registry)
    histogram.observe_many([1.0, 2.0, 2.5])
    text = generate_latest(registry).decode()
    assert 'gotong_on_bound_seconds_bucket{le="1.0"} 1.0' in text
    assert 'gotong_on_bound_seconds_bucket{le="2.0"} 2.0' in text
    assert 'gotong_on_bound_seconds_bucket{le="+Inf"} 3.0' in text
    assert "gotong_on_bound_seconds_count 3.0" in text
