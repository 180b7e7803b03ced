"""robots.txt, read through the SSRF guard and kept per origin (the RobotsPolicy port).

Rules (after RFC 9309):
- `<origin>/robots.txt` is fetched through the guarded fetcher (its redirects, up to five, are followed and
  checked like any fetch) at most once per origin per `ttl_seconds`; callers asking at the same time share the
  one fetch, and a caller that gives up does not cancel it for the others.
- 2xx: its rules are obeyed for our user agent (protego; only the first 500 KiB are read).
- 4xx but 429 (404 included): there is no robots.txt — everything is allowed, for the TTL.
- 5xx, 429, too many redirects, a network failure or a timeout: nothing is allowed on that origin, for
  `retry_seconds` (5 minutes by default, never longer than the TTL) rather than the whole TTL, so a site that was
  briefly down is not shunned for an hour.
- A URL or robots.txt the guard refuses (`TargetRefused`) is raised to the caller, not cached: the page itself
  would be refused for the same reason, and that reason says more than "disallowed by robots.txt".
- At most `max_origins` are remembered; expired ones are forgotten first, then the oldest.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from protego import Protego

from adapters.net.guarded_http import GuardedHttp
from domain.kernel.errors import FetchFailed
from domain.kernel.network_policy import parse_target

MAX_ROBOTS_BYTES = 500 * 1024


@dataclass(slots=True, frozen=True)
class _Rules:
    expires: float
    parsed: Protego | None = None  # None: `allow_all` says everything
    allow_all: bool = True


class ProtegoRobots:
    def __init__(
        self,
        http: GuardedHttp,
        user_agent: str,
        ttl_seconds: float = 3600.0,
        *,
        retry_seconds: float = 300.0,
        max_origins: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._user_agent = user_agent
        self._ttl = ttl_seconds
        self._retry = min(retry_seconds, ttl_seconds)
        self._max_origins = max_origins
        self._clock = clock
        self._cache: dict[str, _Rules] = {}
        self._loading: dict[str, asyncio.Task[_Rules]] = {}
        self.fetches = 0  # robots.txt fetches started (for tests and metrics)

    async def allowed(self, url: str) -> bool:
        target = parse_target(url)
        rules = await self._rules(target.origin)
        if rules.parsed is None:
            return rules.allow_all
        return bool(rules.parsed.can_fetch(target.url, self._user_agent))

    async def _rules(self, origin: str) -> _Rules:
        cached = self._cache.get(origin)
        if cached is not None and cached.expires > self._clock():
            return cached
        task = self._loading.get(origin)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._load(origin), name=f"robots {origin}")
            self._loading[origin] = task
            task.add_done_callback(lambda done: self._settled(origin, done))
        return await asyncio.shield(task)

    async def _load(self, origin: str) -> _Rules:
        self.fetches += 1
        try:
            fetched = await self._http.fetch(f"{origin}/robots.txt", max_bytes=MAX_ROBOTS_BYTES, truncate=True)
        except FetchFailed:
            return self._remember(origin, _Rules(expires=self._clock() + self._retry, allow_all=False))
        status = fetched.status
        if 200 <= status < 300:
            text = fetched.body.decode("utf-8", errors="replace").lstrip("\ufeff")
            try:
                rules = _Rules(expires=self._clock() + self._ttl, parsed=Protego.parse(text))
            except Exception:  # a file protego cannot read is treated as one we could not fetch
                rules = _Rules(expires=self._clock() + self._retry, allow_all=False)
        elif 400 <= status < 500 and status != 429:
            rules = _Rules(expires=self._clock() + self._ttl, allow_all=True)
        else:  # 5xx, 429, a redirect left unfollowed, anything odd
            rules = _Rules(expires=self._clock() + self._retry, allow_all=False)
        return self._remember(origin, rules)

    def _remember(self, origin: str, rules: _Rules) -> _Rules:
        self._cache.pop(origin, None)
        if len(self._cache) >= self._max_origins:
            now = self._clock()
            for key in [k for k, r in self._cache.items() if r.expires <= now]:
                del self._cache[key]
            while len(self._cache) >= self._max_origins:
                del self._cache[next(iter(self._cache))]
        self._cache[origin] = rules
        return rules

    def _settled(self, origin: str, task: asyncio.Task[_Rules]) -> None:
        if self._loading.get(origin) is task:
            del self._loading[origin]
        if not task.cancelled():
            task.exception()  # retrieved here, so that no caller left waiting means no "never retrieved" warning
