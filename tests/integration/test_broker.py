"""The local broker, for real: started once for this module on free ports, in a temp dir."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from services.local import broker
from services.settings import Settings
from tests.support.kafka_fixtures import broker_settings

pytestmark = pytest.mark.kafka

TOPIC = "gotong.test-broker"


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A running local broker (always this project's own, whatever GOTONG_KAFKA_BOOTSTRAP says)."""
    settings = broker_settings(tmp_path_factory.mktemp("broker"), local=True)
    broker.start(settings, wait=90)
    yield settings
    broker.stop(settings)


def test_start_returns_bootstrap_once_kafka_answers(local: Settings) -> None:
    answer = broker.cluster_answer(local.bootstrap)

    assert local.bootstrap == f"127.0.0.1:{local.kafka_port}"
    assert answer is not None
    assert answer.broker_ids == (broker.NODE_ID,)
    assert answer.cluster_id == broker.BrokerFiles.of(local).cluster_id.read_text().strip()


def test_status_reports_running_broker(local: Settings) -> None:
    status = broker.status(local)

    assert status.running
    assert status.pid is not None
    assert status.bootstrap == local.bootstrap
    assert status.data_dir == local.data_dir / "kafka"
    assert status.kafka_version == broker._pom_kafka_version()
    assert status.log_file.exists()


def test_start_again_says_already_running(local: Settings) -> None:
    pid = broker.status(local).pid
    said: list[str] = []

    assert broker.start(local, say=said.append) == local.bootstrap
    assert said == [f"Kafka is already running (pid {pid}) at {local.bootstrap}"]
    assert broker.status(local).pid == pid


async def test_record_produced_is_consumed(local: Settings) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=local.bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        sent = await producer.send_and_wait(TOPIC, b'{"hello": "Bitung"}', key=b"forum-1")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        TOPIC,
        bootstrap_servers=local.bootstrap,
        group_id="test-broker",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        received = await consumer.getone()
        partitions = consumer.partitions_for_topic(TOPIC)
    finally:
        await consumer.stop()

    assert (received.key, received.value) == (b"forum-1", b'{"hello": "Bitung"}')
    assert (received.partition, received.offset) == (sent.partition, sent.offset)
    assert partitions is not None and len(partitions) == local.topic_partitions


def test_port_in_use_is_a_one_line_error(local: Settings, tmp_path: Path) -> None:
    other = dataclasses.replace(local, data_dir=tmp_path)  # same port, another broker

    with pytest.raises(broker.PortInUseError) as caught:
        broker.start(other)

    assert str(caught.value) == (
        f"port {local.kafka_port} is in use by another program: stop it or set GOTONG_KAFKA_PORT"
    )
    assert not (tmp_path / "kafka" / "broker.pid").exists()


def test_controller_port_in_use_names_its_setting(tmp_path: Path) -> None:
    settings = broker_settings(tmp_path, local=True)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", settings.kafka_controller_port))
        squatter.listen()

        with pytest.raises(broker.PortInUseError, match="GOTONG_KAFKA_CONTROLLER_PORT$"):
            broker.start(settings)


def test_broker_exiting_during_start_up_points_at_the_log(tmp_path: Path) -> None:
    settings = dataclasses.replace(broker_settings(tmp_path, local=True), kafka_heap_opts="-Xmx2m")

    with pytest.raises(broker.BrokerError) as caught:
        broker.start(settings)

    message = str(caught.value)
    assert message.startswith("Kafka exited during start-up")
    assert str(tmp_path / "kafka" / "broker.log") in message
    assert "\n" not in message
    assert not broker.status(settings).running


def test_external_cluster_is_only_checked(local: Settings, tmp_path: Path) -> None:
    external = dataclasses.replace(local, data_dir=tmp_path, kafka_bootstrap=local.bootstrap)

    assert broker.start(external) == local.bootstrap
    assert broker.status(external).running
    assert not broker.stop(external)
    assert not (tmp_path / "kafka").exists()


def test_external_cluster_that_does_not_answer_is_an_error(tmp_path: Path) -> None:
    closed_port = broker_settings(tmp_path, local=True).kafka_port
    external = dataclasses.replace(
        broker_settings(tmp_path, local=True), kafka_bootstrap=f"127.0.0.1:{closed_port}"
    )

    with pytest.raises(broker.BrokerError, match="GOTONG_KAFKA_BOOTSTRAP"):
        broker.start(external)


async def test_stop_then_restart_keeps_cluster_id_and_topics(local: Settings) -> None:
    await _create_topic(local.bootstrap, "gotong.test-restart")
    cluster_id = broker.BrokerFiles.of(local).cluster_id.read_text()

    assert broker.stop(local)
    assert not broker.status(local).running
    assert not broker.stop(local)

    assert broker.start(local, wait=90) == local.bootstrap
    answer = broker.cluster_answer(local.bootstrap)
    assert answer is not None and answer.cluster_id == cluster_id.strip()
    assert broker.BrokerFiles.of(local).cluster_id.read_text() == cluster_id
    assert "gotong.test-restart" in await _topics(local.bootstrap)


async def _create_topic(bootstrap: str, name: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=2, replication_factor=1)])
    finally:
        await admin.close()


async def _topics(bootstrap: str) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return list(await admin.list_topics())
    finally:
        await admin.close()
