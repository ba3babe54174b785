"""Login throttling: sliding windows of failed attempts per (address, username), per
address and per username, each with its own limit."""

from __future__ import annotations

import contextlib
import ipaddress
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping

#: how many more failures one address may collect in the window than one (address,
#: username) pair: everyone behind an office's or a phone network's address shares it
ADDRESS_FACTOR = 10
#: and one username, from all addresses together: a guesser spread over many addresses
#: gets no more than this, and a stranger needs this many to lock a person out
USERNAME_FACTOR = 3

Keys = Iterable[str] | Mapping[str, int]


def client_key(address: str) -> str:
    """An IPv4 address as it is; an IPv6 one as its /64, which one subscriber holds whole."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6 and not ip.ipv4_mapped:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip.ipv4_mapped or ip) if ip.version == 6 else str(ip)


def login_keys(address: str, username: str, max_failures: int) -> dict[str, int]:
    """What a login attempt counts against, each key with its limit in the window.

    The pair is the tight one: a stranger's wrong guesses at a made-up name, from the
    same address as a real user, do not lock that user out; guessing one account's
    password from one address stops after ``max_failures``.
    """
    client = client_key(address)
    return {f"pair:{client}|{username}": max_failures,
            f"ip:{client}": max_failures * ADDRESS_FACTOR,
            f"user:{username}": max_failures * USERNAME_FACTOR}


class LoginLimiter:
    """At most ``max_failures`` failed logins per key within ``window_s`` seconds (or the
    key's own limit, when keys come as a mapping of key to limit).

    An attempt is counted *before* the password is checked (``attempt``) and taken
    back only when it succeeds: checking a password takes a while (it is hashed in
    a thread), so attempts sent together would otherwise all pass the check before
    the first failure was counted, and guessing would only be bounded by how many
    requests fit in that while.

    Kept in the web process's memory: with several web processes each throttles
    on its own, which still bounds guessing to a small multiple of the limit. At
    most ``max_keys`` addresses and usernames are remembered; beyond that the
    expired ones, then the oldest, are forgotten, so a flood of made-up usernames
    cannot exhaust the memory.
    """

    def __init__(self, max_failures: int, window_s: float,
                 clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self.clock = clock
        self.max_keys = max_keys
        self._attempts: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float] | None:
        window = self._attempts.get(key)
        if window is None:
            return None
        horizon = self.clock() - self.window_s
        while window and window[0] <= horizon:
            window.popleft()
        if not window:
            del self._attempts[key]
            return None
        return window

    def _limits(self, keys: Keys) -> dict[str, int]:
        if isinstance(keys, Mapping):
            return dict(keys)
        return dict.fromkeys(keys, self.max_failures)

    def blocked(self, keys: Keys) -> bool:
        return any(len(self._recent(k) or ()) >= limit for k, limit in self._limits(keys).items())

    def attempt(self, keys: Keys) -> float | None:
        """Count an attempt for every key, unless one of them is blocked (then None).

        Check and count happen with no await between them, so concurrent attempts
        cannot all slip past the limit. Returns the attempt's mark for ``succeeded``.
        """
        limits = self._limits(keys)
        if self.blocked(limits):
            return None
        return self._count(limits)

    def failed(self, keys: Keys) -> None:
        """Count a failure that was not counted beforehand with ``attempt``."""
        self._count(keys)

    def _count(self, keys: Iterable[str]) -> float:
        now = self.clock()
        for key in keys:
            window = self._recent(key)
            if window is None:
                self._make_room()
                window = self._attempts[key] = deque()
            window.append(now)
        return now

    def succeeded(self, keys: Keys, mark: float | None = None,
                  forget: Iterable[str] = ()) -> None:
        """Take back the attempt ``mark`` of ``keys``; forget ``forget`` altogether."""
        for key in keys:
            window = self._attempts.get(key)
            if window is not None and mark is not None:
                with contextlib.suppress(ValueError):  # already out of the window
                    window.remove(mark)
                if not window:
                    del self._attempts[key]
        for key in forget:
            self._attempts.pop(key, None)

    def _make_room(self) -> None:
        if len(self._attempts) < self.max_keys:
            return
        for key in list(self._attempts):  # expired windows go first
            self._recent(key)
        excess = len(self._attempts) - self.max_keys + 1
        if excess > 0:  # then the oldest remembered keys (insertion order)
            for key in list(self._attempts)[: max(excess, self.max_keys // 10)]:
                del self._attempts[key]

    def __len__(self) -> int:
        return len(self._attempts)
