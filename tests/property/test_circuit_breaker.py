"""Invariants of the circuit breaker rules (domain/enrichment/circuit_breaker.py), and the rules against a plain model.

Times are multiples of a quarter second and windows whole seconds, so bucket
arithmetic is exact and "one window later" means what it says.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain.enrichment.circuit_breaker import (
    BreakerPolicy,
    BreakerState,
    Bucket,
    Circuit,
    allow,
    dumps,
    from_dict,
    loads,
    record,
    to_dict,
    view,
)

policies = st.builds(
    BreakerPolicy,
    window_seconds=st.integers(1, 120).map(float),
    buckets=st.integers(1, 12),
    minimum_calls=st.integers(1, 20),
    failure_rate=st.integers(1, 100).map(lambda percent: percent / 100),
    open_seconds=st.integers(1, 60).map(float),
    half_open_probes=st.integers(1, 4),
)
instants = st.integers(-4_000, 40_000).map(lambda quarters: quarters / 4)
steps = st.integers(0, 400).map(lambda quarters: quarters / 4)


def record_all(policy: BreakerPolicy, state: BreakerState, results: list[bool], now: float) -> BreakerState:
    for success in results:
        state = record(policy, state, success, now)
    return state


def opened(policy: BreakerPolicy, now: float) -> BreakerState:
    state = record_all(policy, BreakerState(), [False] * policy.minimum_calls, now)
    assert view(policy, state, now).circuit is Circuit.OPEN
    return state


@given(policy=policies, start=instants, delays=st.lists(st.integers(0, 10**6), max_size=20))
def test_never_allows_a_call_while_open(policy: BreakerPolicy, start: float, delays: list[int]) -> None:
    state = opened(policy, start)
    quarters_open = int(policy.open_seconds * 4)
    for delay in sorted(quarter % quarters_open for quarter in delays):
        now = start + delay / 4
        allowed, state = allow(policy, state, now)
        state = record(policy, state, True, now)  # late results of calls started before it opened
        assert not allowed
        assert view(policy, state, now).circuit is Circuit.OPEN


@given(policy=policies, now=instants, results=st.lists(st.booleans()))
def test_stays_closed_below_the_minimum_number_of_calls(policy: BreakerPolicy, now: float, results: list[bool]) -> None:
    state = record_all(policy, BreakerState(), results[: policy.minimum_calls - 1], now)

    assert allow(policy, state, now)[0]
    assert view(policy, state, now).circuit is Circuit.CLOSED


@given(policy=policies, now=instants, successes=st.integers(0, 60), failures=st.integers(0, 60))
def test_opens_exactly_when_both_thresholds_are_crossed(
    policy: BreakerPolicy, now: float, successes: int, failures: int
) -> None:
    calls = successes + failures
    state = record_all(policy, BreakerState(), [True] * successes + [False] * failures, now)

    crossed = calls >= policy.minimum_calls and failures / calls >= policy.failure_rate
    assert (view(policy, state, now).circuit is Circuit.OPEN) is crossed
    assert allow(policy, state, now)[0] is not crossed


@given(policy=policies, start=instants, late=steps, asks=st.integers(1, 10), spread=st.floats(0, 1, exclude_max=True))
def test_half_open_allows_at_most_the_probes_of_the_policy(
    policy: BreakerPolicy, start: float, late: float, asks: int, spread: float
) -> None:
    state = opened(policy, start)
    first = start + policy.open_seconds + late
    decisions = []
    for ask in range(asks):  # all within open_seconds of the first, so no slot is given back
        allowed, state = allow(policy, state, first + spread * policy.open_seconds * ask / asks)
        decisions.append(allowed)

    assert decisions == [True] * min(asks, policy.half_open_probes) + [False] * max(asks - policy.half_open_probes, 0)


@given(policy=policies, start=instants, late=steps, answer=steps, success=st.booleans())
def test_a_probe_success_closes_and_a_failure_reopens(
    policy: BreakerPolicy, start: float, late: float, answer: float, success: bool
) -> None:
    assume(answer < policy.open_seconds)
    probe_at = start + policy.open_seconds + late
    allowed, state = allow(policy, opened(policy, start), probe_at)
    assert allowed

    state = record(policy, state, success, probe_at + answer)

    now = probe_at + answer
    if success:
        assert view(policy, state, now) == view(policy, BreakerState(), now)
    else:
        assert state.opened_at == now
        assert view(policy, state, now).seconds_until_probe == policy.open_seconds
        assert not allow(policy, state, now + policy.open_seconds - 0.25)[0]


@given(policy=policies, start=instants, results=st.lists(st.tuples(steps, st.booleans()), max_size=30))
def test_results_leave_the_window_after_window_seconds(
    policy: BreakerPolicy, start: float, results: list[tuple[float, bool]]
) -> None:
    state, now = BreakerState(), start
    for step, success in results:
        now += step
        state = record(policy, state, success, now)

    assert view(policy, state, now + policy.window_seconds).calls == 0


@given(policy=policies, start=instants, results=st.lists(st.booleans(), min_size=1), fraction=st.floats(0, 1))
def test_results_stay_in_the_window_for_all_but_its_last_bucket(
    policy: BreakerPolicy, start: float, results: list[bool], fraction: float
) -> None:
    state = record_all(policy, BreakerState(), results[: policy.minimum_calls - 1], start)
    kept_for = policy.window_seconds * (policy.buckets - 1) / policy.buckets

    later = view(policy, state, start + fraction * kept_for * 0.999)

    assert later.calls == min(len(results), policy.minimum_calls - 1)


times = st.floats(-1e10, 1e10, allow_nan=False)
buckets = st.builds(
    Bucket, index=st.integers(-(2**40), 2**40), successes=st.integers(0, 10**6), failures=st.integers(0, 10**6)
)
states = st.builds(
    BreakerState,
    circuit=st.sampled_from(Circuit),
    buckets=st.lists(buckets, max_size=12).map(tuple),
    opened_at=st.none() | times,
    probes=st.lists(times, max_size=4).map(tuple),
)


@given(state=states)
def test_a_state_survives_serialization(state: BreakerState) -> None:
    assert loads(dumps(state)) == state
    assert from_dict(json.loads(json.dumps(to_dict(state)))) == state


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from("cbop") | st.text(max_size=3), inner),
    max_leaves=12,
)


@given(text=st.binary(max_size=40) | json_values.map(json.dumps))
def test_anything_else_is_refused_with_a_value_error(text: bytes | str) -> None:
    try:
        state = loads(text)
    except ValueError:
        return
    assert isinstance(state, BreakerState)


def test_a_policy_out_of_range_is_refused() -> None:
    for bad in (
        {"window_seconds": 0},
        {"buckets": 0},
        {"minimum_calls": 0},
        {"failure_rate": 1.5},
        {"open_seconds": 0},
    ):
        with pytest.raises(ValueError, match="policy"):
            BreakerPolicy(**bad)


# --- the rules against a plain model -----------------------------------------------------------------------------


@dataclass
class Model:
    """The breaker said as plainly as possible: a list of results, the circuit, the probes out."""

    policy: BreakerPolicy
    results: list[tuple[float, bool]] = field(default_factory=list)
    circuit: Circuit = Circuit.CLOSED
    opened_at: float = 0.0
    probes: list[float] = field(default_factory=list)

    def bucket(self, at: float) -> int:
        return math.floor(at * self.policy.buckets / self.policy.window_seconds)

    def catch_up(self, now: float) -> None:
        self.results = [(at, ok) for at, ok in self.results if self.bucket(now) - self.bucket(at) < self.policy.buckets]
        if self.circuit is Circuit.OPEN and now - self.opened_at >= self.policy.open_seconds:
            self.circuit, self.probes = Circuit.HALF_OPEN, []
        self.probes = [at for at in self.probes if now - at < self.policy.open_seconds]

    def allow(self, now: float) -> bool:
        self.catch_up(now)
        if self.circuit is Circuit.HALF_OPEN and len(self.probes) < self.policy.half_open_probes:
            self.probes.append(now)
            return True
        return self.circuit is Circuit.CLOSED

    def record(self, success: bool, now: float) -> None:
        self.catch_up(now)
        if self.circuit is Circuit.HALF_OPEN and self.probes:
            self.probes = []
            if success:
                self.circuit, self.results = Circuit.CLOSED, []
            else:
                self.circuit, self.opened_at = Circuit.OPEN, now
        elif self.circuit is Circuit.CLOSED:
            self.results.append((now, success))
            failures = self.failures()
            if (
                len(self.results) >= self.policy.minimum_calls
                and failures / len(self.results) >= self.policy.failure_rate
            ):
                self.circuit, self.opened_at = Circuit.OPEN, now

    def failures(self) -> int:
        return sum(not ok for _, ok in self.results)


class BreakerMachine(RuleBasedStateMachine):
    @initialize(policy=policies, start=instants)
    def start(self, policy: BreakerPolicy, start: float) -> None:
        self.policy, self.now = policy, start
        self.state, self.model = BreakerState(), Model(policy)

    @rule(step=steps)
    def time_passes(self, step: float) -> None:
        self.now += step

    @rule(span=st.sampled_from(["window_seconds", "open_seconds"]), times=st.integers(1, 3))
    def a_policy_span_passes(self, span: str, times: int) -> None:
        """Boundaries are where the bugs are: land exactly on them."""
        self.now += times * getattr(self.policy, span)

    @rule()
    def ask(self) -> None:
        allowed, self.state = allow(self.policy, self.state, self.now)
        assert allowed is self.model.allow(self.now)

    @rule(success=st.booleans())
    def answer(self, success: bool) -> None:
        self.state = record(self.policy, self.state, success, self.now)
        self.model.record(success, self.now)

    @rule(success=st.booleans())
    def call(self, success: bool) -> None:
        """What callers do: ask, and answer if allowed."""
        allowed, self.state = allow(self.policy, self.state, self.now)
        assert allowed is self.model.allow(self.now)
        if allowed:
            self.answer(success)

    @rule(success=st.booleans())
    def answer_a_burst(self, success: bool) -> None:
        for _ in range(self.policy.minimum_calls):
            self.answer(success)

    @invariant()
    def agrees_with_the_model(self) -> None:
        seen = view(self.policy, self.state, self.now)
        self.model.catch_up(self.now)
        expected = (self.model.circuit, len(self.model.results), self.model.failures())
        assert (seen.circuit, seen.calls, seen.failures) == expected
        if seen.circuit is Circuit.OPEN:
            assert seen.seconds_until_probe == self.model.opened_at + self.policy.open_seconds - self.now
            assert 0 < seen.seconds_until_probe <= self.policy.open_seconds
        else:
            assert seen.seconds_until_probe is None
        assert len(self.state.probes) <= self.policy.half_open_probes
        assert loads(dumps(self.state)) == self.state


BreakerMachine.TestCase.settings = settings(max_examples=200, stateful_step_count=60, deadline=None)
test_breaker_against_the_model = BreakerMachine.TestCase
