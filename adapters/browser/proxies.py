"""Outgoing proxies for the scraper: round-robin over the healthy ones, a cool-down for those that fail.

Rules:
- `pick(domain)` answers the next healthy proxy in list order (round-robin), None when there are no proxies.
- `failed(proxy)` cools a proxy down for `cooldown_seconds`; `succeeded(proxy)` makes it healthy at once.
- When every proxy is cooling down, the one whose cool-down ends first is answered (ties: list order): a fetch
  through a doubtful proxy beats no fetch.
- `sticky`: a domain keeps the proxy it was given while that proxy stays healthy (the site sees one address);
  at most `max_sticky_domains` are remembered, the least recently used forgotten first.
- Proxy URLs are configuration (trusted, not checked by the network policy) and may carry credentials: they are
  never put into messages here.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from urllib.parse import urlsplit

PROXY_SCHEMES = frozenset({"http", "https", "socks5", "socks5h"})


class ProxyManager:
    def __init__(
        self,
        proxies: list[str],
        *,
        cooldown_seconds: float = 60.0,
        sticky: bool = False,
        clock: Callable[[], float] = time.monotonic,
        max_sticky_domains: int = 10_000,
    ) -> None:
        for index, proxy in enumerate(proxies):
            parts = urlsplit(proxy)
            if parts.scheme not in PROXY_SCHEMES or not parts.hostname:
                raise ValueError(f"proxy #{index + 1} is not a {'/'.join(sorted(PROXY_SCHEMES))} URL")
        self._proxies = list(dict.fromkeys(proxies))
        self._cooldown = cooldown_seconds
        self._sticky = sticky
        self._clock = clock
        self._max_sticky = max_sticky_domains
        self._cooling_until: dict[str, float] = {}
        self._next = 0
        self._by_domain: OrderedDict[str, str] = OrderedDict()

    @property
    def proxies(self) -> tuple[str, ...]:
        return tuple(self._proxies)

    def pick(self, domain: str) -> str | None:
        if not self._proxies:
            return None
        now = self._clock()
        domain = domain.lower()
        if self._sticky:
            kept = self._by_domain.get(domain)
            if kept is not None and self._healthy(kept, now):
                self._by_domain.move_to_end(domain)
                return kept
        chosen = self._next_healthy(now)
        if chosen is None:
            return min(self._proxies, key=lambda proxy: self._cooling_until.get(proxy, now))
        if self._sticky:
            self._by_domain[domain] = chosen
            self._by_domain.move_to_end(domain)
            while len(self._by_domain) > self._max_sticky:
                self._by_domain.popitem(last=False)
        return chosen

    def failed(self, proxy: str) -> None:
        if proxy in self._proxies:
            self._cooling_until[proxy] = self._clock() + self._cooldown

    def succeeded(self, proxy: str) -> None:
        self._cooling_until.pop(proxy, None)

    def healthy(self) -> list[str]:
        now = self._clock()
        return [proxy for proxy in self._proxies if self._healthy(proxy, now)]

    def _healthy(self, proxy: str, now: float) -> bool:
        return self._cooling_until.get(proxy, now) <= now

    def _next_healthy(self, now: float) -> str | None:
        count = len(self._proxies)
        for step in range(count):
            index = (self._next + step) % count
            if self._healthy(self._proxies[index], now):
                self._next = (index + 1) % count
                return self._proxies[index]
        return None
