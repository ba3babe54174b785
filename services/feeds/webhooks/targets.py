"""Which webhook targets are allowed: no private, loopback or link-local addresses.

A subscription's URL is checked when it is created and again before every
delivery (DNS may have changed). The delivery itself connects only to addresses
checked at that moment: its HTTP client resolves names through
``CheckedResolver``, so a name that answers with a public address to the check
and a private one to the connection (DNS rebinding) is still refused.
``GOTONG_WEBHOOK_ALLOWED_HOSTS`` names hosts that may be private anyway (an
agency's own network; the tests' loopback receivers). Redirects are never
followed, so a public target cannot bounce a delivery to a forbidden address.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver


class TargetRefused(ValueError):
    pass


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (address.is_private or address.is_loopback or address.is_link_local
            or address.is_multicast or address.is_reserved or address.is_unspecified
            or not address.is_global)


def host_of(url: str) -> str:
    """The host of an acceptable URL (http or https, a host, no credentials); else raise."""
    if len(url) > 2000:
        raise TargetRefused("the URL is longer than 2000 characters")
    if any(ord(c) <= 32 or ord(c) == 127 for c in url):
        raise TargetRefused("the URL holds a space or a control character")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError as exc:
        raise TargetRefused(f"not a URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("the URL must be http or https")
    if not parts.hostname:
        raise TargetRefused("the URL has no host")
    if parts.username or parts.password:
        raise TargetRefused("the URL must not carry credentials")
    return parts.hostname.lower()


def check_addresses(host: str, addresses: Iterable[str], allowed: Iterable[str]) -> None:
    if host in {h.lower() for h in allowed}:
        return
    for raw in addresses:
        address = ipaddress.ip_address(raw.split("%")[0])
        if _forbidden(address):
            raise TargetRefused(f"{host} resolves to {address}, a private, loopback or "
                                "link-local address (see GOTONG_WEBHOOK_ALLOWED_HOSTS)")


async def check_target(url: str, allowed: Iterable[str]) -> None:
    """Refuse ``url`` unless every address it resolves to now is public (or the host allowed)."""
    host = host_of(url)
    allowed = tuple(allowed)
    if host in allowed:
        return
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        check_addresses(host, [str(literal)], allowed)
        return
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, None, type=socket.SOCK_STREAM), timeout=5)
    except (OSError, TimeoutError) as exc:
        raise TargetRefused(f"{host} does not resolve ({exc})") from None
    check_addresses(host, [str(info[4][0]) for info in infos], allowed)


class CheckedResolver(AbstractResolver):
    """aiohttp's name resolution for deliveries: only public addresses (or allowed hosts).

    The addresses returned here are the ones aiohttp connects to, so the check and
    the connection see the same answer; a forbidden one raises ``TargetRefused``.
    """

    def __init__(self, allowed: Iterable[str]) -> None:
        self._allowed = tuple(h.lower() for h in allowed)
        self._resolver = ThreadedResolver()

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        results = await self._resolver.resolve(host, port, family)
        check_addresses(host.lower(), [r["host"] for r in results], self._allowed)
        return results

    async def close(self) -> None:
        await self._resolver.close()
