"""Login throttling: a sliding window of failures per client address and per username."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable


class LoginLimiter:
    """At most ``max_failures`` failed logins per key within ``window_s`` seconds.

    Kept in the web process's memory: with several web processes each throttles
    on its own, which still bounds guessing to a small multiple of the limit.
    """

    def __init__(self, max_failures: int, window_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self.clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, key: str) -> deque[float]:
        window = self._failures[key]
        horizon = self.clock() - self.window_s
        while window and window[0] < horizon:
            window.popleft()
        return window

    def blocked(self, keys: Iterable[str]) -> bool:
        return any(len(self._recent(k)) >= self.max_failures for k in keys)

    def failed(self, keys: Iterable[str]) -> None:
        now = self.clock()
        for key in keys:
            self._recent(key).append(now)

    def succeeded(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._failures.pop(key, None)
