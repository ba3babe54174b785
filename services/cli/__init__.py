"""The ``gotong`` command line: thin entry points that parse, hand over and report.

One module per command group; this one composes them.
"""

from __future__ import annotations

import click

from services import settings as settings_module
from services.cli import bench, events, kafka, nodes, run, users


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Gotong: event-driven collaboration for a city's social programs."""
    if settings_module.get().exit_with_parent:
        from services.process.lifetime import exit_with_parent

        exit_with_parent()


for command in (run.worker, run.web, run.up, run.demo_keys, nodes.node, events.publish,
                events.rebuild, bench.bench, kafka.kafka, users.user):
    main.add_command(command)
