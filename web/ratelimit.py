"""Login throttling: a sliding window of attempts per client address and per username."""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Callable, Iterable


class LoginLimiter:
    """At most ``max_failures`` failed logins per key within ``window_s`` seconds.

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

    def blocked(self, keys: Iterable[str]) -> bool:
        return any(len(self._recent(k) or ()) >= self.max_failures for k in keys)

    def attempt(self, keys: Iterable[str]) -> float | None:
        """Count an attempt for every key, unless one of them is blocked (then None).

        Check and count happen with no await between them, so concurrent attempts
        cannot all slip past the limit. Returns the attempt's mark for ``succeeded``.
        """
        keys = list(keys)
        if self.blocked(keys):
            return None
        return self._count(keys)

    def failed(self, keys: Iterable[str]) -> None:
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

    def succeeded(self, keys: Iterable[str], mark: float | None = None,
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
