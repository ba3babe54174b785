"""Webhook pieces: Standard Webhooks signatures, the retry schedule, refused targets, sealing."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import random

import pytest

from services.feeds.webhooks import signing
from services.feeds.webhooks.retry import next_delay, parse_retry_after
from services.feeds.webhooks.sealing import seal, unseal
from services.feeds.webhooks.targets import TargetRefused, check_target, host_of


def test_signature_is_hmac_sha256_of_id_timestamp_body_with_the_decoded_secret() -> None:
    secret = signing.new_secret()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    body = b'{"id":"e1"}'
    expected = base64.b64encode(hmac.new(base64.b64decode(secret[6:]),
                                         b"msg_1.1700000000." + body,
                                         hashlib.sha256).digest()).decode()
    assert signing.sign(secret, "msg_1", 1700000000, body) == "v1," + expected
    assert signing.verify(secret, "msg_1", "1700000000", body, "v1,bogus v1," + expected)
    assert not signing.verify(secret, "msg_1", "1700000001", body, "v1," + expected)


def test_retry_schedule_has_jitter_and_ends() -> None:
    rng = random.Random(4)
    schedule = (5.0, 300.0)
    first = next_delay(schedule, 1, None, rng)
    assert first is not None and 4.0 <= first <= 6.0
    assert next_delay(schedule, 3, None, rng) is None


def test_a_longer_retry_after_wins_over_the_schedule() -> None:
    assert next_delay((1.0,), 1, 120.0) == 120.0
    assert parse_retry_after("120", 0) == 120.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", 1445412480.0) == 10.0
    assert parse_retry_after("soon", 0) is None


@pytest.mark.parametrize("url", ["http://10.1.2.3/hook", "http://127.0.0.1:9/x",
                                 "http://169.254.169.254/latest", "http://[::1]/x",
                                 "http://[::ffff:192.168.0.1]/x", "http://localhost/x",
                                 "http://0.0.0.0/x"])
def test_private_loopback_and_link_local_targets_are_refused(url: str) -> None:
    with pytest.raises(TargetRefused):
        asyncio.run(check_target(url, ()))


def test_a_named_host_may_be_allowed_although_private() -> None:
    asyncio.run(check_target("http://localhost:8080/hook", ("localhost",)))
    asyncio.run(check_target("http://127.0.0.1:8080/hook", ("127.0.0.1",)))


@pytest.mark.parametrize("url", ["ftp://example.org/x", "http:///x", "http://u:p@example.org/"])
def test_only_plain_http_urls_with_a_host(url: str) -> None:
    with pytest.raises(TargetRefused):
        host_of(url)


def test_sealed_secret_opens_only_with_the_service_secret() -> None:
    sealed = seal(b"service", "whsec_abc")
    assert "whsec" not in sealed and unseal(b"service", sealed) == "whsec_abc"
    with pytest.raises(Exception):  # noqa: B017 (nacl's CryptoError)
        unseal(b"other", sealed)


def test_a_name_that_resolves_privately_at_connection_time_is_not_connected_to() -> None:
    """DNS rebinding: the check before the delivery saw a public address, the connection
    would see a private one. The delivery's own resolver refuses it; nothing is sent."""
    import aiohttp

    from services.feeds.webhooks import attempt as attempt_module
    from services.feeds.webhooks.targets import CheckedResolver

    received: list[bytes] = []

    async def scenario() -> attempt_module.Outcome:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            received.append(await reader.read(1024))
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]

        async def public_at_check_time(url: str, allowed: object) -> None:
            return None  # what a rebinding name answers first

        original = attempt_module.check_target
        attempt_module.check_target = public_at_check_time
        connector = aiohttp.TCPConnector(resolver=CheckedResolver(allowed=()))
        try:
            async with aiohttp.ClientSession(connector=connector) as client:
                return await attempt_module.attempt(
                    client, f"http://localhost:{port}/hook", signing.new_secret(), "msg_1",
                    b"{}", allowed_hosts=(), timeout_s=5)
        finally:
            attempt_module.check_target = original
            server.close()
            await server.wait_closed()

    outcome = asyncio.run(scenario())
    assert not outcome.delivered
    assert outcome.error is not None and outcome.error.startswith("refused: localhost resolves")
    assert received == []


def test_the_delivery_resolver_lets_an_allowed_host_through() -> None:
    from services.feeds.webhooks.targets import CheckedResolver

    async def scenario() -> list[str]:
        resolver = CheckedResolver(allowed=("LOCALHOST",))
        try:
            return [r["host"] for r in await resolver.resolve("localhost", 80)]
        finally:
            await resolver.close()

    assert "127.0.0.1" in asyncio.run(scenario())
