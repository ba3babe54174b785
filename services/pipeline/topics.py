"""Create the contract topics of DESIGN.md, idempotently, at start-up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from events.catalog import ALL_TOPICS, DEAD_LETTER_TOPIC
from services.settings import Settings

if TYPE_CHECKING:
    import faust

log = logging.getLogger(__name__)

# The log is the source of truth: typed topics and the ingest topic keep everything.
KEEP_FOREVER = {"retention.ms": "-1", "retention.bytes": "-1"}
DEAD_LETTER_RETENTION = {"retention.ms": str(90 * 24 * 3600 * 1000)}
# webhook delivery tasks: longer than the retry schedule, no need to keep them forever
DELIVERY_TASK_RETENTION = {"retention.ms": str(7 * 24 * 3600 * 1000)}


def topic_config(name: str) -> dict[str, str]:
    if name.endswith("-webhook-deliveries"):
        return DELIVERY_TASK_RETENTION
    return DEAD_LETTER_RETENTION if name == DEAD_LETTER_TOPIC else KEEP_FOREVER


def delivery_topic(settings: Settings) -> str:
    """The internal topic of webhook delivery tasks, named like Faust's own (app id prefix)."""
    return f"{settings.app_id}-webhook-deliveries"


def internal_topics(settings: Settings) -> tuple[str, ...]:
    """Topics of features that Faust must find at start-up (not part of the contract)."""
    return (delivery_topic(settings),)


def faust_topics(app: faust.App) -> dict[str, tuple[int, dict[str, str]]]:
    """The topics Faust would create itself at start-up: (partitions, config) by name.

    Created here beforehand, they are in the consumer's first subscription; created
    by Faust during start-up, they were missing from it until a later rebalance.
    """
    topics: dict[str, tuple[int, dict[str, str]]] = {
        f"{app.conf.id}-__assignor-__leader": (1, {})}  # Faust's LeaderAssignor
    for table in app.tables.values():
        changelog = table.changelog_topic
        policy = ",".join(p for p, on in (("compact", changelog.compacting),
                                          ("delete", changelog.deleting)) if on)
        topics[changelog.get_topic_name()] = (
            table.partitions or app.conf.topic_partitions,
            {"cleanup.policy": policy} if policy else {},
        )
    return topics


async def ensure_topics(settings: Settings, app: faust.App | None = None) -> list[str]:
    """Create the topics that do not exist yet (with ``app``, Faust's own too); return
    the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap, request_timeout_ms=15000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = {t: (settings.topic_partitions, topic_config(t))
                  for t in (*ALL_TOPICS, *internal_topics(settings))}
        if app is not None:
            wanted |= faust_topics(app)
        missing = [t for t in wanted if t not in existing]
        if missing:
            new = [
                NewTopic(
                    name=t,
                    num_partitions=wanted[t][0],
                    replication_factor=settings.topic_replication,
                    topic_configs=wanted[t][1],
                )
                for t in missing
            ]
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(new)
            await _listed(admin, set(missing))
            log.info("created topics %s", ", ".join(missing))
        return missing
    finally:
        await admin.close()


async def _listed(admin: AIOKafkaAdminClient, names: set[str], timeout_s: float = 15.0) -> None:
    """Wait until the broker's metadata lists ``names``: a topic is created by the
    controller and listed a moment later, and a consumer that subscribes in between does
    not get it (seen on a loaded machine: an empty list right after the creation)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not names <= set(await admin.list_topics()):
        if asyncio.get_running_loop().time() > deadline:
            log.warning("topics not listed yet after %.0f s: %s", timeout_s,
                        ", ".join(sorted(names)))
            return
        await asyncio.sleep(0.1)
