"""``gotong bench``: benchmarks measured side by side with a raw-Kafka baseline."""
