"""Running the service on one machine: the local Kafka broker and ``gotong up``."""
