"""Gotong event contracts: JSON Schemas, validation and codecs."""
