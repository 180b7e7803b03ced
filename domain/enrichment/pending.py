"""How long a "pending" answer is waited for.

A provider that answers "pending" has accepted the lookup and is still
working on it (Clearbit queued it, Hunter is still verifying): the same
question is asked again, after a wait that doubles from the first up to the
most (never sooner than the provider's own Retry-After), as long as the ask
falls within the deadline, counted from the start of the record's run. What
the provider answers then is the lookup's answer; a lookup still pending at
the deadline stays pending.
"""

from __future__ import annotations

from dataclasses import dataclass

_MAX_DOUBLINGS = 30  # past this, any first wait is over the most


@dataclass(slots=True, kw_only=True, frozen=True)
class Patience:
    deadline_seconds: float  # no ask later than this after the run started; 0: a pending answer is final
    first_wait_seconds: float = 1.0
    max_wait_seconds: float = 8.0

    def wait(self, asks: int, retry_after_seconds: float | None = None) -> float:
        """The wait before asking again a lookup that was still pending after `asks` asks."""
        doublings = min(max(asks - 1, 0), _MAX_DOUBLINGS)
        backoff = min(self.first_wait_seconds * 2.0**doublings, self.max_wait_seconds)
        return max(backoff, retry_after_seconds or 0.0)
