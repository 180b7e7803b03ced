from __future__ import annotations

import random


class SystemJitter:
    """Not for secrets: only spreads retry times."""

    def fraction(self) -> float:
        return random.random()  # noqa: S311 - scheduling jitter, not security
