"""Per-host slots: at most N requests in flight to one host, and a minimum pause between
the starts of two requests to it (with jitter), however many sources share the host. A
host's own pause (its robots.txt Crawl-delay) replaces the default one for it."""

from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class HostSlots:
    def __init__(self, per_host: int, delay: float, jitter: float = 0.25,
                 rng: random.Random | None = None):
        self.delay = delay
        self.jitter = jitter
        self._rng = rng or random.Random()
        self._inflight: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(per_host))
        self._spacing: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._next_start: dict[str, float] = {}
        self._delays: dict[str, float] = {}  # hosts with a pause of their own

    def set_delay(self, host: str, delay: float | None) -> None:
        """`host`'s pause between request starts; None: back to the default."""
        if delay is None:
            self._delays.pop(host, None)
        else:
            self._delays[host] = delay

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        async with self._inflight[host]:
            await self._wait_turn(host)
            yield

    async def _wait_turn(self, host: str) -> None:
        delay = self._delays.get(host, self.delay)
        if delay <= 0:
            return
        async with self._spacing[host]:
            now = time.monotonic()
            start = max(now, self._next_start.get(host, now))
            # Jitter keeps many sources on one host from polling in lockstep.
            pause = delay * (1 + self._rng.uniform(0, self.jitter))
            self._next_start[host] = start + pause
        if start > now:
            await asyncio.sleep(start - now)
