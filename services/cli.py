"""The ``gotong`` command line: thin entry points that parse, hand over and report."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Gotong: event-driven collaboration for a city's social programs."""
