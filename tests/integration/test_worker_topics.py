"""Every topic the worker subscribes to exists before Faust starts (none is created mid-start)."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from services.pipeline.topics import ensure_topics, faust_topics
from services.pipeline.worker import Worker
from tests.support.kafka_fixtures import running_test_broker

pytestmark = pytest.mark.kafka


def test_ensure_topics_creates_the_changelogs_and_the_leader_topic_faust_would_create(
    tmp_path: Path,
) -> None:
    with running_test_broker(tmp_path / "kafka") as (base, bootstrap):
        settings = dataclasses.replace(base, kafka_bootstrap=bootstrap, app_id="topics-check",
                                       data_dir=tmp_path, database_url="sqlite://")
        app = Worker(settings).app
        wanted = faust_topics(app)
        assert "topics-check-proposal-state-changelog" in wanted
        assert "topics-check-__assignor-__leader" in wanted
        assert len(wanted) == len(app.tables) + 1

        async def check() -> dict[str, str]:
            await ensure_topics(settings, app)
            admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
            await admin.start()
            try:
                assert set(wanted) <= set(await admin.list_topics())
                changelog = "topics-check-proposal-state-changelog"
                described = await admin.describe_configs(
                    [ConfigResource(ConfigResourceType.TOPIC, changelog)])
                entries = described[0].resources[0][4]
                return {e[0]: e[1] for e in entries}
            finally:
                await admin.close()

        config = asyncio.run(check())
        assert config["cleanup.policy"] == "compact"
