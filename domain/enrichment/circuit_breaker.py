"""A circuit breaker per provider: a pure state machine over a sliding window of call results.

Closed: calls go through; their results are counted in `buckets` time buckets spanning
`window_seconds`. Once the window holds at least `minimum_calls` results and the share of
failures reaches `failure_rate`, the breaker opens. Open: no call goes through for
`open_seconds`. Half-open: at most `half_open_probes` probe calls are out at a time; a probe
success closes the breaker on an empty window, a probe failure opens it again. A probe slot
not answered within `open_seconds` is given back, so a caller that died cannot wedge it.
Results that arrive while open, or while half-open with no probe out, are from calls that
started before the breaker opened and are not counted.

Times are float seconds from one clock, passed in; nothing here reads a clock. A result
leaves the window between `window_seconds - window_seconds / buckets` and `window_seconds`
after it was recorded.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any


class Circuit(Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(slots=True, kw_only=True, frozen=True)
class BreakerPolicy:
    window_seconds: float = 60.0
    buckets: int = 10
    minimum_calls: int = 10
    failure_rate: float = 0.5
    open_seconds: float = 30.0
    half_open_probes: int = 1

    def __post_init__(self) -> None:
        valid = self.window_seconds > 0 and self.buckets >= 1 and self.minimum_calls >= 1
        if not (valid and 0 < self.failure_rate <= 1 and self.open_seconds > 0 and self.half_open_probes >= 1):
            raise ValueError(f"invalid circuit breaker policy: {self}")

    def bucket_of(self, now: float) -> int:
        return math.floor(now * self.buckets / self.window_seconds)


@dataclass(slots=True, kw_only=True, frozen=True)
class Bucket:
    index: int  # floor(time / bucket length)
    successes: int = 0
    failures: int = 0


@dataclass(slots=True, kw_only=True, frozen=True)
class BreakerState:
    circuit: Circuit = Circuit.CLOSED
    buckets: tuple[Bucket, ...] = ()  # oldest first; kept while open, for the view
    opened_at: float | None = None  # open and half-open: when it last opened
    probes: tuple[float, ...] = ()  # half-open: when each probe slot in use was taken


@dataclass(slots=True, kw_only=True, frozen=True)
class CircuitView:
    circuit: Circuit
    calls: int  # results in the window
    failures: int
    failure_rate: float  # failures / calls, 0.0 without calls
    seconds_until_probe: float | None  # open only: how long until a probe may go


def allow(policy: BreakerPolicy, state: BreakerState, now: float) -> tuple[bool, BreakerState]:
    """May a call go now? Taking a half-open probe slot is the only change it makes."""
    current = _advance(policy, state, now)
    if current.circuit is Circuit.CLOSED:
        return True, state
    if current.circuit is Circuit.HALF_OPEN and len(current.probes) < policy.half_open_probes:
        return True, replace(current, probes=(*current.probes, now))
    return False, state


def record(policy: BreakerPolicy, state: BreakerState, success: bool, now: float) -> BreakerState:
    """Count the result of a call that `allow` let through."""
    current = _advance(policy, state, now)
    if current.circuit is Circuit.HALF_OPEN and current.probes:
        return BreakerState() if success else _opened(current, now)
    if current.circuit is not Circuit.CLOSED:
        return state
    index = policy.bucket_of(now)
    buckets = list(current.buckets)
    if not buckets or buckets[-1].index != index:
        buckets.append(Bucket(index=index))
    last = buckets[-1]
    buckets[-1] = replace(last, successes=last.successes + int(success), failures=last.failures + int(not success))
    after = replace(current, buckets=tuple(buckets))
    calls, failures = _totals(after)
    if calls >= policy.minimum_calls and failures / calls >= policy.failure_rate:
        return _opened(after, now)
    return after


def view(policy: BreakerPolicy, state: BreakerState, now: float) -> CircuitView:
    current = _advance(policy, state, now)
    calls, failures = _totals(current)
    until_probe = None
    if current.circuit is Circuit.OPEN and current.opened_at is not None:
        until_probe = current.opened_at + policy.open_seconds - now
    return CircuitView(
        circuit=current.circuit,
        calls=calls,
        failures=failures,
        failure_rate=failures / calls if calls else 0.0,
        seconds_until_probe=until_probe,
    )


def to_dict(state: BreakerState) -> dict[str, Any]:
    data: dict[str, Any] = {"c": state.circuit.value}
    if state.buckets:
        data["b"] = [[b.index, b.successes, b.failures] for b in state.buckets]
    if state.opened_at is not None:
        data["o"] = state.opened_at
    if state.probes:
        data["p"] = list(state.probes)
    return data


def from_dict(data: dict[str, Any]) -> BreakerState:
    """The inverse of `to_dict`; `ValueError` for anything it did not write."""
    try:
        opened_at = data.get("o")
        return BreakerState(
            circuit=Circuit(data["c"]),
            buckets=tuple(Bucket(index=int(i), successes=int(s), failures=int(f)) for i, s, f in data.get("b", ())),
            opened_at=None if opened_at is None else float(opened_at),
            probes=tuple(float(t) for t in data.get("p", ())),
        )
    except (AttributeError, KeyError, OverflowError, TypeError, ValueError) as exc:
        raise ValueError(f"not a circuit breaker state: {data!r}") from exc


def dumps(state: BreakerState) -> str:
    return json.dumps(to_dict(state), separators=(",", ":"))


def loads(text: str | bytes) -> BreakerState:
    """`ValueError` for anything `dumps` did not write (bad JSON and bad UTF-8 are `ValueError`s too)."""
    return from_dict(json.loads(text))


def _advance(policy: BreakerPolicy, state: BreakerState, now: float) -> BreakerState:
    """The state as time alone has made it: old buckets out, open turned half-open, stale probes given back."""
    oldest = policy.bucket_of(now) - policy.buckets
    buckets = tuple(b for b in state.buckets if b.index > oldest)
    circuit, probes = state.circuit, state.probes
    opened_at = state.opened_at if state.opened_at is not None else now
    if circuit is Circuit.OPEN and now >= opened_at + policy.open_seconds:
        circuit, probes = Circuit.HALF_OPEN, ()
    if circuit is Circuit.HALF_OPEN:
        probes = tuple(t for t in probes if now < t + policy.open_seconds)
    return replace(state, circuit=circuit, buckets=buckets, probes=probes)


def _opened(state: BreakerState, now: float) -> BreakerState:
    return replace(state, circuit=Circuit.OPEN, opened_at=now, probes=())


def _totals(state: BreakerState) -> tuple[int, int]:
    return sum(b.successes + b.failures for b in state.buckets), sum(b.failures for b in state.buckets)
