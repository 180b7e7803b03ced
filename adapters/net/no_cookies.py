"""A cookie jar that keeps nothing, for the shared HTTP clients that call on behalf of many workspaces.

httpx keeps every `Set-Cookie` it is answered and sends it back to that host on every later request
of the same client. Our clients (providers, webhook receivers, scraped sites) serve every workspace
at once: a cookie one workspace's call was given (a receiver's session on a shared host, a site's
consent or load-balancer cookie) would ride along on the next workspace's calls. None of these
calls needs a cookie, so none is kept; not parsing them is also a few percent of a provider call.
"""

from __future__ import annotations

from http.cookiejar import Cookie, CookieJar
from typing import Any


class NoCookies(CookieJar):
    def extract_cookies(self, response: Any, request: Any) -> None:
        return None

    def set_cookie(self, cookie: Cookie) -> None:
        return None
