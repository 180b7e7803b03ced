"""The webhook rules (domain/webhooks/webhook.py), without I/O: URLs, events, retries, deliveries, bodies."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from ipaddress import ip_network
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.credentials.credential import SealedSecret
from domain.kernel.errors import ValidationFailed
from domain.kernel.events import Event, EventType
from domain.kernel.network_policy import NetworkPolicy
from domain.webhooks.webhook import (
    PING,
    SUBSCRIBABLE,
    AttemptOutcome,
    Delivery,
    DeliveryStatus,
    WebhookPolicy,
    WebhookSubscription,
    check_events,
    check_url,
    delivery_for,
    event_body,
    ping_body,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
POLICY = WebhookPolicy()
PRODUCTION = WebhookPolicy(require_https=True)
LOOPBACK_ALLOWED = WebhookPolicy(network=NetworkPolicy((ip_network("127.0.0.1/32"),)))
CURRENT = SealedSecret(ciphertext=b"current", nonce=b"n" * 12, key_version="k1")
PREVIOUS = SealedSecret(ciphertext=b"previous", nonce=b"p" * 12, key_version="k1")


def subscription(**changes: object) -> WebhookSubscription:
    made = WebhookSubscription(
        id=uuid4(),
        workspace_id=uuid4(),
        url="https://hooks.example.com/cascade",
        events=("job.completed",),
        sealed_secret=CURRENT,
        created_by=uuid4(),
        created_at=T0,
        updated_at=T0,
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def event(**changes: object) -> Event:
    made = Event(
        id=UUID("01890000-0000-7000-8000-000000000001"),
        workspace_id=UUID("01890000-0000-7000-8000-0000000000aa"),
        type=EventType.JOB_COMPLETED,
        data={"jobId": "j-1", "name": "Zoë", "counts": {"done": 3}},
        occurred_at=T0,
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def delivery(event_type: str = "job.completed", **changes: object) -> Delivery:
    made = delivery_for(event(), subscription(), delivery_id=uuid4(), now=T0)
    return replace(made, event_type=event_type, **changes)  # type: ignore[arg-type]


def answer(status: int | None, excerpt: str = "", error: str | None = None) -> AttemptOutcome:
    return AttemptOutcome(status_code=status, latency_ms=12, response_excerpt=excerpt, error=error)


def refused(raw: str, policy: WebhookPolicy = POLICY) -> str:
    with pytest.raises(ValidationFailed) as caught:
        check_url(raw, policy)
    assert [d.field for d in caught.value.details] == ["url"]
    return caught.value.message


# --- check_url ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("https://hooks.example.com/cascade", "https://hooks.example.com/cascade"),
        ("HTTPS://Hooks.Example.COM:443/In?x=1#fragment", "https://hooks.example.com/In?x=1"),
        ("http://example.com:80", "http://example.com/"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("  https://example.com/trimmed  ", "https://example.com/trimmed"),
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
        ("https://93.184.216.34/hook", "https://93.184.216.34/hook"),
    ],
)
def test_check_url_normalizes(raw: str, normalized: str) -> None:
    assert check_url(raw, POLICY) == normalized
    assert check_url(normalized, POLICY) == normalized, "a normalized URL passes unchanged"


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("example.com", "absolute http or https URL"),
        ("//example.com/hook", "absolute http or https URL"),
        ("", "absolute http or https URL"),
        ("ftp://example.com/hook", "scheme"),
        ("javascript://alert(1)", "scheme"),
        ("https://user:password@example.com/", "credentials"),
        ("https://token@example.com/", "credentials"),
        ("https:///nohost", "no host"),
        ("https://exa mple.com/", "whitespace"),
        ("https://example.com:99999/", "port"),
    ],
)
def test_check_url_refuses_what_is_not_a_plain_http_url(raw: str, why: str) -> None:
    assert why in refused(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "http://10.0.0.1/",
        "http://172.16.5.4/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1/",
        "http://0.0.0.0/",
        "http://100.64.0.1/",
        "http://[::1]/",
        "http://[fd00::1]/",
        "http://[::ffff:10.0.0.1]/",
        "http://0x7f.1/",  # 127.0.0.1 as a browser reads it
        "http://2130706433/",  # 127.0.0.1 as one number
        "http://localhost/",
        "http://LOCALHOST:8080/",
        "http://localhost./",
        "http://api.localhost/",
    ],
)
def test_check_url_refuses_internal_addresses_it_can_see_without_dns(raw: str) -> None:
    assert "url" in refused(raw)


def test_the_metadata_address_is_named_as_such() -> None:
    assert "cloud metadata" in refused("http://169.254.169.254/")


def test_check_url_does_not_resolve_names() -> None:
    """An internal-sounding name passes here; the SSRF guard checks what it resolves to at each delivery."""
    assert check_url("https://metadata.internal/hook", POLICY) == "https://metadata.internal/hook"


def test_production_requires_https() -> None:
    assert "https" in refused("http://hooks.example.com/cascade", PRODUCTION)
    assert check_url("https://hooks.example.com/cascade", PRODUCTION) == "https://hooks.example.com/cascade"
    assert check_url("http://hooks.example.com/cascade", POLICY) == "http://hooks.example.com/cascade"


def test_an_allowlisted_address_is_accepted_and_only_that_one() -> None:
    assert check_url("http://127.0.0.1:8080/hook", LOOPBACK_ALLOWED) == "http://127.0.0.1:8080/hook"
    refused("http://127.0.0.2/", LOOPBACK_ALLOWED)
    refused("http://[::ffff:127.0.0.1]/", LOOPBACK_ALLOWED)  # the match is on the address itself
    refused("http://10.0.0.1/", LOOPBACK_ALLOWED)


def test_localhost_needs_both_loopback_addresses_allowlisted() -> None:
    """`localhost` may resolve to 127.0.0.1 or ::1: allowing only 127.0.0.1 does not allow the name."""
    refused("http://localhost:8080/", LOOPBACK_ALLOWED)
    both = WebhookPolicy(network=NetworkPolicy((ip_network("127.0.0.1/32"), ip_network("::1/128"))))
    assert check_url("http://localhost:8080/", both) == "http://localhost:8080/"


def test_a_scheme_less_url_is_refused_even_with_a_url_in_its_query() -> None:
    refused("hooks.example.com/in?next=http://elsewhere")


# --- check_events ---------------------------------------------------------------------------------------------


def test_check_events_answers_known_types_sorted() -> None:
    assert check_events(["job.failed", "credits.low", "job.completed"]) == (
        "credits.low",
        "job.completed",
        "job.failed",
    )
    assert check_events(sorted(SUBSCRIBABLE)) == tuple(sorted(SUBSCRIBABLE))


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ([], "name one or more"),
        (["job.exploded"], "unknown event types ['job.exploded']"),
        (["job.completed", "nope"], "unknown event types ['nope']"),
        ([PING], "unknown event types ['ping']"),  # pings are sent on demand, not subscribed to
        (["JOB.COMPLETED"], "unknown"),
        (["job.completed", "job.completed"], "repeat"),
    ],
)
def test_check_events_refuses(raw: list[str], why: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_events(raw)
    assert why in caught.value.message
    assert [d.field for d in caught.value.details] == ["events"]


# --- the retry schedule ---------------------------------------------------------------------------------------


def test_backoff_doubles_from_the_first_retry_up_to_the_cap() -> None:
    policy = WebhookPolicy(first_retry_seconds=30, max_retry_seconds=300)
    full = [policy.backoff(n, jitter=1.0).total_seconds() for n in range(1, 8)]
    assert full == [30, 60, 120, 240, 300, 300, 300]
    assert policy.backoff(0, 1.0) == policy.backoff(1, 1.0) == timedelta(seconds=30)
    assert policy.backoff(-5, 1.0) == timedelta(seconds=30)
    assert policy.backoff(10_000, 1.0) == timedelta(seconds=300)


def test_jitter_keeps_at_least_half_the_step() -> None:
    policy = WebhookPolicy(first_retry_seconds=40, max_retry_seconds=1000)
    assert policy.backoff(1, 0.0) == timedelta(seconds=20)
    assert policy.backoff(1, 0.5) == timedelta(seconds=30)
    assert policy.backoff(1, 0.999) < timedelta(seconds=40)
    assert policy.backoff(2, 0.0) == timedelta(seconds=40)
    assert policy.backoff(1, -3.0) == timedelta(seconds=20), "a jitter out of range is clamped"
    assert policy.backoff(1, 7.0) == timedelta(seconds=40)


def test_next_attempt_is_none_past_the_retry_window() -> None:
    policy = WebhookPolicy(first_retry_seconds=60, max_retry_seconds=600, retry_window_seconds=3600)
    assert policy.next_attempt(T0, 1, T0, 1.0) == T0 + timedelta(seconds=60)
    late = T0 + timedelta(seconds=3000)
    assert policy.next_attempt(T0, 5, late, 1.0) == late + timedelta(seconds=600), "exactly at the window's end"
    assert policy.next_attempt(T0, 5, late + timedelta(seconds=1), 1.0) is None
    assert policy.next_attempt(T0, 5, late + timedelta(seconds=1), 0.0) is not None, "half the step still fits"


@given(
    failures=st.integers(min_value=-(10**6), max_value=10**9),
    jitter=st.floats(min_value=0.0, max_value=1.0, exclude_max=True),
    first=st.floats(min_value=0.01, max_value=86_400),
    cap=st.floats(min_value=0.01, max_value=7 * 86_400),
)
def test_backoff_stays_between_half_the_step_and_the_step(
    failures: int, jitter: float, first: float, cap: float
) -> None:
    policy = WebhookPolicy(first_retry_seconds=first, max_retry_seconds=cap)
    step = min(first * 2.0 ** min(max(failures - 1, 0), 60), cap)
    waited = policy.backoff(failures, jitter).total_seconds()
    assert step / 2 - 1e-6 <= waited <= step + 1e-6
    assert 0 < waited <= max(cap, 0) + 1e-6


@given(
    failures=st.integers(min_value=1, max_value=200),
    jitter=st.floats(min_value=0.0, max_value=1.0),
    elapsed=st.floats(min_value=0, max_value=10 * 86_400),
)
def test_next_attempt_never_falls_past_the_window(failures: int, jitter: float, elapsed: float) -> None:
    now = T0 + timedelta(seconds=elapsed)
    at = POLICY.next_attempt(T0, failures, now, jitter)
    if at is not None:
        assert now < at <= T0 + timedelta(seconds=POLICY.retry_window_seconds)
    else:
        assert now + POLICY.backoff(failures, jitter) > T0 + timedelta(seconds=POLICY.retry_window_seconds)


@given(jitter=st.floats(min_value=0.0, max_value=1.0), failures=st.integers(min_value=1, max_value=10))
def test_the_wait_never_shrinks_as_failures_grow(jitter: float, failures: int) -> None:
    """With the same jitter, a later failure never waits less than an earlier one."""
    assert POLICY.backoff(failures + 1, jitter) >= POLICY.backoff(failures, jitter)


# --- deliveries -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_a_2xx_answer_is_a_success(status: int) -> None:
    done = delivery().attempted(answer(status, "ok"), policy=POLICY, now=T0, jitter=0.5)
    assert done.status is DeliveryStatus.SUCCEEDED
    assert (done.attempts, done.next_attempt_at, done.finished_at) == (1, None, T0)
    assert (done.last_status_code, done.last_latency_ms, done.last_response_excerpt) == (status, 12, "ok")


@pytest.mark.parametrize("status", [None, 100, 301, 302, 304, 400, 404, 410, 429, 500, 503])
def test_anything_else_is_a_failure_retried_later(status: int | None) -> None:
    now = T0 + timedelta(seconds=5)
    done = delivery().attempted(answer(status, error="boom"), policy=POLICY, now=now, jitter=1.0)
    assert done.status is DeliveryStatus.PENDING
    assert done.attempts == 1
    assert done.next_attempt_at == now + timedelta(seconds=POLICY.first_retry_seconds)
    assert (done.finished_at, done.lease_id, done.last_error, done.last_status_code) == (None, None, "boom", status)


def test_retries_double_and_the_failure_count_is_the_attempts() -> None:
    current = delivery()
    now = T0
    waits = []
    for _ in range(4):
        current = current.attempted(answer(500), policy=POLICY, now=now, jitter=1.0)
        assert current.next_attempt_at is not None
        waits.append((current.next_attempt_at - now).total_seconds())
        now = current.next_attempt_at
    assert waits == [30, 60, 120, 240]
    assert current.attempts == 4


def test_a_failed_ping_is_failed_at_once() -> None:
    ping = delivery(PING, next_attempt_at=None)
    done = ping.attempted(answer(500, "nope"), policy=POLICY, now=T0, jitter=0.5)
    assert (done.status, done.attempts, done.next_attempt_at, done.finished_at) == (DeliveryStatus.FAILED, 1, None, T0)
    unreachable = ping.attempted(answer(None, error="refused"), policy=POLICY, now=T0, jitter=0.5)
    assert unreachable.status is DeliveryStatus.FAILED
    assert ping.attempted(answer(204), policy=POLICY, now=T0, jitter=0.5).status is DeliveryStatus.SUCCEEDED


def test_a_failure_past_the_window_dead_letters() -> None:
    policy = WebhookPolicy(first_retry_seconds=60, max_retry_seconds=60, retry_window_seconds=600)
    late = T0 + timedelta(seconds=590)
    done = delivery(attempts=7).attempted(answer(503), policy=policy, now=late, jitter=0.0)
    assert (done.status, done.next_attempt_at, done.finished_at) == (DeliveryStatus.DEAD_LETTERED, None, late)
    assert done.attempts == 8


def test_long_answers_and_errors_are_cut_short() -> None:
    done = delivery().attempted(answer(500, "x" * 5000, "e" * 5000), policy=POLICY, now=T0, jitter=0.0)
    assert len(done.last_response_excerpt) == 1024
    assert done.last_error is not None
    assert len(done.last_error) == 300


def test_an_attempt_entry_is_numbered_as_it_is_sent_and_keeps_what_the_delivery_keeps() -> None:
    long = answer(500, "x" * 5000, "e" * 5000)
    third = delivery(attempts=2)
    entry = third.attempt_entry(long, T0)
    done = third.attempted(long, policy=POLICY, now=T0 + timedelta(seconds=1), jitter=0.0)
    assert (entry.delivery_id, entry.number, entry.started_at) == (third.id, 3, T0)
    assert entry.number == done.attempts
    kept = entry.outcome
    assert (kept.status_code, kept.latency_ms) == (500, 12)
    assert (kept.response_excerpt, kept.error) == (done.last_response_excerpt, done.last_error)
    assert (len(kept.response_excerpt), len(kept.error or "")) == (1024, 300)
    assert done.replayed(T0).attempt_entry(answer(204), T0).number == 1, "a replay counts from 1 again"


def test_a_replay_starts_a_fresh_window_with_the_same_id_and_body() -> None:
    policy = WebhookPolicy(first_retry_seconds=60, max_retry_seconds=60, retry_window_seconds=600)
    dead = delivery().attempted(answer(500), policy=policy, now=T0 + timedelta(seconds=590), jitter=0.0)
    assert dead.status is DeliveryStatus.DEAD_LETTERED
    later = T0 + timedelta(days=2)
    again = dead.replayed(later)
    assert (again.id, again.body, again.event_id, again.created_at) == (dead.id, dead.body, dead.event_id, T0)
    assert (again.status, again.attempts, again.next_attempt_at) == (DeliveryStatus.PENDING, 0, later)
    assert (again.replayed_at, again.finished_at, again.window_start) == (later, None, later)
    retried = again.attempted(answer(500), policy=policy, now=later, jitter=0.0)
    assert retried.status is DeliveryStatus.PENDING, "the new window has room for a retry"


def test_a_delivery_is_dead_lettered_without_an_attempt() -> None:
    gone = delivery().dead_lettered("the webhook is inactive", T0)
    assert (gone.status, gone.attempts, gone.next_attempt_at, gone.finished_at) == (
        DeliveryStatus.DEAD_LETTERED, 0, None, T0,
    )  # fmt: skip
    assert gone.last_error == "the webhook is inactive"


# --- subscriptions --------------------------------------------------------------------------------------------


def test_the_previous_secret_signs_only_until_it_expires() -> None:
    assert subscription().signing_secrets(T0) == [CURRENT]
    rotating = subscription(previous_secret=PREVIOUS, previous_secret_expires_at=T0 + timedelta(hours=1))
    assert rotating.signing_secrets(T0) == [CURRENT, PREVIOUS]
    assert rotating.signing_secrets(T0 + timedelta(minutes=59)) == [CURRENT, PREVIOUS]
    assert rotating.signing_secrets(T0 + timedelta(hours=1)) == [CURRENT]
    assert subscription(previous_secret=PREVIOUS).signing_secrets(T0) == [CURRENT], "no expiry: not kept"


def test_dead_letters_in_a_row_disable_the_subscription_at_disable_after() -> None:
    policy = WebhookPolicy(disable_after=3)
    current = subscription()
    for streak in (1, 2):
        current = current.after_dead_letter(policy, T0)
        assert (current.failure_streak, current.active, current.disabled_reason) == (streak, True, None)
    current = current.after_dead_letter(policy, T0 + timedelta(seconds=1))
    assert (current.failure_streak, current.active) == (3, False)
    assert current.disabled_reason is not None
    assert "3" in current.disabled_reason
    assert current.updated_at == T0 + timedelta(seconds=1)
    assert not current.wants("job.completed")


def test_a_success_clears_the_streak() -> None:
    policy = WebhookPolicy(disable_after=3)
    streaky = subscription().after_dead_letter(policy, T0).after_dead_letter(policy, T0)
    cleared = streaky.after_success(T0 + timedelta(seconds=9))
    assert (cleared.failure_streak, cleared.updated_at) == (0, T0 + timedelta(seconds=9))
    assert cleared.after_dead_letter(policy, T0).active, "the count starts again"
    fresh = subscription()
    assert fresh.after_success(T0 + timedelta(days=1)) is fresh


def test_wants_only_its_types_while_active() -> None:
    webhook = subscription(events=("credits.low", "job.failed"))
    assert webhook.wants("job.failed")
    assert webhook.wants("credits.low")
    assert not webhook.wants("job.completed")
    assert not replace(webhook, active=False).wants("job.failed")


def test_audit_entries_name_the_url_and_never_a_secret() -> None:
    webhook = subscription()
    entry = webhook.audit_entry(entry_id=uuid4(), actor_id=None, action="webhook.updated", at=T0, fields=["url"])
    assert entry.details == {"url": webhook.url, "fields": ["url"]}
    assert (entry.target_type, entry.target_id, entry.workspace_id) == ("webhook", webhook.id, webhook.workspace_id)


# --- bodies ---------------------------------------------------------------------------------------------------


def test_the_event_body_is_compact_json_of_five_fields() -> None:
    body = event_body(event())
    assert body == (
        b'{"id":"01890000-0000-7000-8000-000000000001","type":"job.completed","createdAt":"2026-03-01T12:00:00Z",'
        b'"workspaceId":"01890000-0000-7000-8000-0000000000aa","data":{"jobId":"j-1","name":"Zo\xc3\xab",'
        b'"counts":{"done":3}}}'
    )
    assert list(json.loads(body)) == ["id", "type", "createdAt", "workspaceId", "data"]


def test_the_body_is_fixed_when_the_delivery_is_made() -> None:
    made = delivery_for(event(), subscription(), delivery_id=uuid4(), now=T0 + timedelta(minutes=3))
    assert made.body == event_body(event())
    assert (made.status, made.attempts, made.next_attempt_at, made.created_at) == (
        DeliveryStatus.PENDING, 0, T0 + timedelta(minutes=3), T0 + timedelta(minutes=3),
    )  # fmt: skip
    assert made.event_type == "job.completed"
    assert made.event_id == event().id


def test_a_ping_names_its_webhook() -> None:
    webhook = subscription()
    ping_id = uuid4()
    parsed = json.loads(ping_body(ping_id, webhook, T0 + timedelta(microseconds=5)))
    assert parsed == {
        "id": str(ping_id),
        "type": "ping",
        "createdAt": "2026-03-01T12:00:00.000005Z",
        "workspaceId": str(webhook.workspace_id),
        "data": {"webhookId": str(webhook.id)},
    }
