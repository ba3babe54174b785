"""The JSON API: ingest, the read endpoints, the event feed, webhooks and the OpenAPI document."""
