"""`social`: the site's profile on each social network.

Rules: every link of every page is canonicalized (`normalize.social_profile`); share and intent links, posts and
the networks' own pages do not count. For each network the profile linked most often wins, ties going to the one
seen first; on LinkedIn a company (or school) page beats any person's profile however often those are linked (a
team page links its people). Only the networks found appear.
"""

from __future__ import annotations

from typing import Any

from adapters.extractors.html import links
from adapters.extractors.normalize import SOCIAL_NETWORKS, social_profile
from domain.scraping.pages import Page


class SocialExtractor:
    name: str = "social"
    fields: tuple[str, ...] = SOCIAL_NETWORKS

    def extract(self, pages: list[Page]) -> dict[str, Any]:
        counts: dict[str, dict[str, int]] = {network: {} for network in SOCIAL_NETWORKS}  # in first-seen order
        for page in pages:
            for url in links(page):
                profile = social_profile(url)
                if profile is not None:
                    network, canonical = profile
                    counts[network][canonical] = counts[network].get(canonical, 0) + 1
        found: dict[str, Any] = {}
        for network, seen in counts.items():
            if seen:
                order = {url: index for index, url in enumerate(seen)}
                found[network] = max(seen, key=lambda url: (_rank(network, url), seen[url], -order[url]))
        return found


def _rank(network: str, url: str) -> int:
    return 0 if network == "linkedin" and url.startswith("https://linkedin.com/in/") else 1
