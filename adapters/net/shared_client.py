"""The HTTP clients that call on behalf of every workspace at once: no cookie kept, no redirect followed.

httpx keeps every `Set-Cookie` it is answered and sends it back to that host on every later request
of the same client. Our clients (providers, webhook receivers, scraped sites) serve every workspace
at once: a cookie one workspace's call was given (a receiver's session on a shared host, a site's
consent or load-balancer cookie) would ride along on the next workspace's calls. None of these
calls needs a cookie, so none is kept; not parsing them is also a few percent of a provider call.
"""

from __future__ import annotations

from http.cookiejar import Cookie, CookieJar
from typing import Any

import httpx


def shared_client(**options: Any) -> httpx.AsyncClient:
    """An httpx client for calls made for many workspaces (providers, webhook receivers, scraped sites): every
    such client is made here, so none keeps a cookie; redirects are answered, not followed (the callers check
    each hop themselves, or treat one as a failure)."""
    return httpx.AsyncClient(follow_redirects=False, cookies=NoCookies(), **options)


class NoCookies(CookieJar):
    def extract_cookies(self, response: Any, request: Any) -> None:
        return None

    def set_cookie(self, cookie: Cookie) -> None:
        return None
