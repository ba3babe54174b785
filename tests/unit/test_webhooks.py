"""Webhook pieces: Standard Webhooks signatures, the retry schedule, refused targets, sealing."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import random

import pytest

from services.webhooks import signing
from services.webhooks.retry import next_delay, parse_retry_after
from services.webhooks.sealing import seal, unseal
from services.webhooks.targets import TargetRefused, check_target, host_of


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
