"""An optional per-client token-bucket rate limit answering 429 with an integer Retry-After."""

from __future__ import annotations

import math
import threading

import attrs

from scimcore.errors import TooManyRequests


@attrs.frozen(slots=True)
class RateLimit:
    """Allow ``per_second`` requests per client on average, with bursts up to ``burst``.

    A client is its token name when authenticated, else its IP address. Okta honours an integer
    ``Retry-After`` (seconds), so that is what a 429 carries.
    """

    per_second: float
    burst: int = 0

    def __attrs_post_init__(self) -> None:
        if self.per_second <= 0:
            raise ValueError("rate limit per_second must be positive")


class _Buckets:
    """The mutable state behind a RateLimit; the time is passed in by the caller."""

    def __init__(self, limit: RateLimit) -> None:
        self._limit = limit
        self._capacity = float(max(limit.burst, 1))
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, now: float) -> None:
        """Spend one request for ``key`` at time ``now`` (seconds) or raise TooManyRequests."""
        rate = self._limit.per_second
        with self._lock:
            tokens, last = self._state.get(key, (self._capacity, now))
            tokens = min(self._capacity, tokens + max(0.0, now - last) * rate)
            if tokens >= 1.0:
                self._state[key] = (tokens - 1.0, now)
                return
            self._state[key] = (tokens, now)
        wait = max(1, math.ceil((1.0 - tokens) / rate))
        raise TooManyRequests(
            f"rate limit of {rate:g} requests per second exceeded; retry in {wait} s",
            retry_after=wait,
        )
