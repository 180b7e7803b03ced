"""Settings: one object decoded with msgspec from `CASCADE_*` environment variables."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import msgspec

from adapters.crypto.keyring import KeyringError, parse_keyring
from domain.kernel.network_policy import parse_allowlist

PREFIX = "CASCADE_"
DEV_JWT_SECRET = "cascade-development-secret-do-not-use-in-production"  # noqa: S105 - refused in production
PROJECT_ROOT = Path(__file__).resolve().parents[2]


SECRET_FIELDS = (
    "jwt_secret",
    "encryption_keys",
    "database_url",
    "redis_url",
    "opensearch_url",
    "provider_apollo_api_key",
    "provider_hunter_api_key",
    "provider_clearbit_api_key",
    "scraper_service_keys",
    "scraper_proxies",
)


class ConfigError(Exception):
    """A missing or bad setting; the message names the variable."""


class DatabaseSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """PostgreSQL: where it is and the pool (`CASCADE_DATABASE_*`)."""

    url: str = ""
    pool_min: int = msgspec.field(default=1)
    pool_max: int = 10
    pool_timeout: float = 5.0


class HttpSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """How long a client may take to send a request (`CASCADE_HTTP_*`); then 408."""

    # A client has this long to send a request's headers, and to send each next part of its body; then 408.
    header_timeout_seconds: float = 10.0
    body_timeout_seconds: float = 15.0


class LoginSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Login attempts allowed per email and per IP in a window (`CASCADE_LOGIN_*`)."""

    attempts_per_email: int = 10
    attempts_per_ip: int = 50
    window_seconds: int = 900


class RateLimitSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """API requests per minute by route group, per caller and per workspace (`CASCADE_RATE_LIMIT_*`)."""

    # API requests allowed per minute by route group: per user (per IP on /auth) and per workspace.
    auth_per_minute: int = 300
    reads_per_minute: int = 2400
    workspace_reads_per_minute: int = 4800
    writes_per_minute: int = 600
    workspace_writes_per_minute: int = 1200
    jobs_per_minute: int = 60
    workspace_jobs_per_minute: int = 120


class EmbeddedSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The ports of `cascade dev`'s embedded PostgreSQL and Temporal (`CASCADE_EMBEDDED_*`)."""

    postgres_port: int = 54329
    temporal_port: int = 57233  # `cascade dev` only, when CASCADE_TEMPORAL_ADDRESS is empty


class ProviderSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Provider endpoints, the call timeout and the platform's own keys (`CASCADE_PROVIDER_*`)."""

    # Provider endpoints (point them at the fakes of tests/fakes for a sandbox) and optional platform keys.
    apollo_base_url: str = "https://api.apollo.io/api/v1"
    hunter_base_url: str = "https://api.hunter.io/v2"
    clearbit_person_base_url: str = "https://person.clearbit.com"
    clearbit_company_base_url: str = "https://company.clearbit.com"
    timeout_seconds: float = 10.0
    apollo_api_key: str = ""
    hunter_api_key: str = ""
    clearbit_api_key: str = ""


class PendingSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Asking a "pending" lookup again (`CASCADE_PENDING_*`)."""

    # A "pending" answer (Clearbit or Hunter 202) is asked again after the first wait, doubling up to the most,
    # while the run is younger than its deadline: the synchronous route's, or a job record's.
    first_wait_seconds: float = 1.0
    max_wait_seconds: float = 8.0
    enrich_deadline_seconds: float = 10.0
    job_deadline_seconds: float = 30.0


class TemporalSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Temporal: jobs and webhook deliveries on workers when an address is set (`CASCADE_TEMPORAL_*`)."""

    # Jobs: on Temporal when an address is set (required in production), else inline in the API process.
    address: str = ""
    namespace: str = "default"
    task_queue: str = "enrichment"


class JobSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Enrichment jobs: batches, concurrency, heartbeats (`CASCADE_JOB_*`)."""

    batch_size: int = 100
    concurrency: int = 32
    parallel_batches: int = 4
    heartbeat_timeout_seconds: float = 30.0
    batch_attempts: int = 5


class ScraperSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The scraper service and how the API reaches it (`CASCADE_SCRAPER_*`)."""

    # The scraper service (`cascade scraper`) and how the API reaches it.
    host: str = "127.0.0.1"
    port: int = 8100
    url: str = ""  # where the API and workers reach it; empty: the scraper provider is off
    service_keys: str = ""  # comma-separated; the service accepts any, the API sends the first
    user_agent: str = "CascadeBot/0.1 (+https://github.com/cascade-enrichment/cascade)"
    browsers: int = 1  # Chromium processes; 0: plain HTTP only
    pages_per_browser: int = 4
    chromium_path: str = "/usr/bin/chromium"
    domain_concurrency: int = 2
    domain_delay_seconds: float = 0.5
    max_pages: int = 6
    max_seconds: float = 30.0
    proxies: str = ""  # comma-separated proxy URLs, round-robin with health
    proxy_sticky: bool = False


class WebhookSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Outgoing webhooks (`CASCADE_WEBHOOK_*`)."""

    # Outgoing webhooks: delivered by the worker (by the API itself when there is no Temporal).
    timeout_seconds: float = 10.0
    first_retry_seconds: float = 30.0
    max_retry_seconds: float = 6 * 3600.0
    retry_window_seconds: float = 3 * 86400.0
    disable_after: int = 5  # dead-lettered deliveries in a row
    secret_grace_seconds: float = 86400.0
    lease_seconds: float = 60.0
    concurrency: int = 16
    poll_seconds: float = 1.0
    user_agent: str = "Cascade-Webhooks/0.1 (+https://github.com/cascade-enrichment/cascade)"


class ReplicationSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Replication of the outbox into the search index (`CASCADE_REPLICATION_*`): by the worker (by the API
    itself when there is no Temporal)."""

    batch: int = 500  # events a sink takes at a time
    poll_seconds: float = 0.5  # how often a sink that caught up looks again
    max_attempts: int = 8  # an event a sink keeps failing on is a dead letter after this many
    first_retry_seconds: float = 5.0
    max_retry_seconds: float = 900.0
    lag_degraded_seconds: float = 60.0  # health says degraded when a sink is this far behind


class WorkerMetricsSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """`cascade worker`'s Prometheus endpoint (`CASCADE_WORKER_METRICS_*`); port 0: none."""

    # `cascade worker`'s Prometheus endpoint (the API serves GET /api/v1/metrics); port 0: none.
    host: str = "127.0.0.1"
    port: int = 9464


class Settings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Every setting, grouped by what it is for: `settings.webhooks.timeout_seconds` is read from
    `CASCADE_WEBHOOK_TIMEOUT_SECONDS` (a section's prefix, then its field)."""

    profile: Literal["memory", "local", "production"] = "local"
    redis_url: str = ""
    # The search index: OpenSearch at this URL (`https://user:password@host:9200`), else PostgreSQL (the
    # `local` and `production` profiles) or memory. `opensearch_index` is the alias documents are read and
    # written through.
    opensearch_url: str = ""
    opensearch_index: str = "cascade-records"
    opensearch_timeout_seconds: float = 10.0  # per request; past it the engine counts as away
    jwt_secret: str = DEV_JWT_SECRET
    # `v2:<base64>,v1:<base64>`, first active; empty: a development key under data_dir (not in production).
    encryption_keys: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    # `cascade serve`'s processes on the one port; 0: one per core. One only on the memory profile, and without
    # Temporal (jobs and webhook deliveries then run inside the API process, which must be one).
    api_workers: int = 0
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    max_json_body_bytes: int = 1_048_576
    password_hash_memory_kib: int = 65536
    starter_credits: int = 100
    data_dir: str = str(PROJECT_ROOT / ".cascade")
    migrations_dir: str = str(PROJECT_ROOT / "migrations" / "postgres")
    network_allowlist: str = ""  # CIDRs the scraper (and webhooks) may reach although private
    credits_low_threshold: int = 50  # `credits.low` when available credits fall below it; 0: never
    # Without Redis: how long a process keeps a member's role or the current user in its own cache; another
    # process's change reaches it within this bound (its own at once). 0: no cache, every read asks the database.
    cache_local_seconds: float = 2.0
    database: DatabaseSettings = msgspec.field(default_factory=DatabaseSettings)
    http: HttpSettings = msgspec.field(default_factory=HttpSettings)
    login: LoginSettings = msgspec.field(default_factory=LoginSettings)
    rate_limits: RateLimitSettings = msgspec.field(default_factory=RateLimitSettings)
    embedded: EmbeddedSettings = msgspec.field(default_factory=EmbeddedSettings)
    providers: ProviderSettings = msgspec.field(default_factory=ProviderSettings)
    pending: PendingSettings = msgspec.field(default_factory=PendingSettings)
    temporal: TemporalSettings = msgspec.field(default_factory=TemporalSettings)
    jobs: JobSettings = msgspec.field(default_factory=JobSettings)
    scraper: ScraperSettings = msgspec.field(default_factory=ScraperSettings)
    webhooks: WebhookSettings = msgspec.field(default_factory=WebhookSettings)
    replication: ReplicationSettings = msgspec.field(default_factory=ReplicationSettings)
    worker_metrics: WorkerMetricsSettings = msgspec.field(default_factory=WorkerMetricsSettings)

    def __repr__(self) -> str:
        """Settings may be logged or shown in a traceback: secrets never are."""
        shown = flat(self)
        for field in SECRET_FIELDS:
            if shown.get(field):
                shown[field] = "[REDACTED]"
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    def __post_init__(self) -> None:
        _check_range("port", self.port, 1, 65535)
        _check_range("api_workers", self.api_workers, 0, 256)
        _check_range("embedded_postgres_port", self.embedded.postgres_port, 1, 65535)
        _check_range("embedded_temporal_port", self.embedded.temporal_port, 1, 65535)
        _check_range("database_pool_min", self.database.pool_min, 0, 1000)
        _check_range("database_pool_max", self.database.pool_max, 1, 1000)
        _check_range("max_json_body_bytes", self.max_json_body_bytes, 1024, 1 << 30)
        _check_range("http_header_timeout_seconds", self.http.header_timeout_seconds, 0.1, 300)
        _check_range("http_body_timeout_seconds", self.http.body_timeout_seconds, 0.1, 3600)
        _check_range("login_attempts_per_email", self.login.attempts_per_email, 1, 1_000_000)
        _check_range("login_attempts_per_ip", self.login.attempts_per_ip, 1, 1_000_000)
        _check_range("login_window_seconds", self.login.window_seconds, 1, 86_400)
        for field in self.rate_limits.__struct_fields__:
            _check_range(f"rate_limit_{field}", getattr(self.rate_limits, field), 1, 1_000_000_000)
        _check_range("password_hash_memory_kib", self.password_hash_memory_kib, 8, 4_194_304)
        _check_range("starter_credits", self.starter_credits, 0, 1_000_000_000)
        _check_range("provider_timeout_seconds", self.providers.timeout_seconds, 0.1, 120)
        _check_range("opensearch_timeout_seconds", self.opensearch_timeout_seconds, 0.1, 300)
        _check_range("pending_first_wait_seconds", self.pending.first_wait_seconds, 0.01, 60)
        _check_range("pending_max_wait_seconds", self.pending.max_wait_seconds, self.pending.first_wait_seconds, 300)
        _check_range("pending_enrich_deadline_seconds", self.pending.enrich_deadline_seconds, 0, 60)
        _check_range("pending_job_deadline_seconds", self.pending.job_deadline_seconds, 0, 600)
        _check_range("job_batch_size", self.jobs.batch_size, 1, 1000)
        _check_range("job_concurrency", self.jobs.concurrency, 1, 1024)
        _check_range("job_parallel_batches", self.jobs.parallel_batches, 1, 64)
        _check_range("job_heartbeat_timeout_seconds", self.jobs.heartbeat_timeout_seconds, 1, 3600)
        _check_range("job_batch_attempts", self.jobs.batch_attempts, 1, 100)
        _check_range("scraper_port", self.scraper.port, 1, 65535)
        _check_range("scraper_browsers", self.scraper.browsers, 0, 32)
        _check_range("scraper_pages_per_browser", self.scraper.pages_per_browser, 1, 64)
        _check_range("scraper_domain_concurrency", self.scraper.domain_concurrency, 1, 32)
        _check_range("scraper_domain_delay_seconds", self.scraper.domain_delay_seconds, 0, 60)
        _check_range("scraper_max_pages", self.scraper.max_pages, 1, 50)
        _check_range("scraper_max_seconds", self.scraper.max_seconds, 1, 300)
        _check_range("webhook_timeout_seconds", self.webhooks.timeout_seconds, 0.1, 120)
        _check_range("webhook_first_retry_seconds", self.webhooks.first_retry_seconds, 0.01, 86_400)
        _check_range("webhook_max_retry_seconds", self.webhooks.max_retry_seconds, 0.01, 7 * 86_400)
        _check_range("webhook_retry_window_seconds", self.webhooks.retry_window_seconds, 0, 30 * 86_400)
        _check_range("webhook_disable_after", self.webhooks.disable_after, 1, 1_000_000)
        _check_range("webhook_secret_grace_seconds", self.webhooks.secret_grace_seconds, 0, 30 * 86_400)
        _check_range("webhook_lease_seconds", self.webhooks.lease_seconds, self.webhooks.timeout_seconds + 1, 86_400)
        _check_range("webhook_concurrency", self.webhooks.concurrency, 1, 1024)
        _check_range("webhook_poll_seconds", self.webhooks.poll_seconds, 0.01, 60)
        _check_range("replication_batch", self.replication.batch, 1, 10_000)
        _check_range("replication_poll_seconds", self.replication.poll_seconds, 0.01, 60)
        _check_range("replication_max_attempts", self.replication.max_attempts, 1, 1000)
        _check_range("replication_first_retry_seconds", self.replication.first_retry_seconds, 0.01, 86_400)
        _check_range(
            "replication_max_retry_seconds",
            self.replication.max_retry_seconds,
            self.replication.first_retry_seconds,
            7 * 86_400,
        )
        _check_range("replication_lag_degraded_seconds", self.replication.lag_degraded_seconds, 1, 86_400)
        _check_range("credits_low_threshold", self.credits_low_threshold, 0, 1_000_000_000)
        _check_range("worker_metrics_port", self.worker_metrics.port, 0, 65535)
        if self.database.pool_min > self.database.pool_max:
            raise ValueError("must not exceed CASCADE_DATABASE_POOL_MAX - at `$.database_pool_min`")
        if self.encryption_keys:
            _check_keyring(self.encryption_keys)
        try:
            parse_allowlist(self.network_allowlist)
        except ValueError as exc:
            raise ValueError(f"{exc} - at `$.network_allowlist`") from None
        if self.profile == "production":
            self._check_production()

    def _check_production(self) -> None:
        if self.jwt_secret == DEV_JWT_SECRET or len(self.jwt_secret) < 32:
            raise ValueError(
                "the production profile needs a secret of at least 32 characters, not the default - at `$.jwt_secret`"
            )
        if not self.database.url:
            raise ValueError("is required by the production profile - at `$.database_url`")
        if not self.redis_url:
            raise ValueError("is required by the production profile - at `$.redis_url`")
        if not self.encryption_keys:
            raise ValueError("is required by the production profile - at `$.encryption_keys`")
        if not self.temporal.address:
            raise ValueError("is required by the production profile - at `$.temporal_address`")


def _check_keyring(value: str) -> None:
    try:
        parse_keyring(value)
    except KeyringError as exc:
        raise ValueError(f"{exc} - at `$.encryption_keys`") from None


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ValueError(f"must be between {low} and {high} - at `$.{name}`")


def service_keys(settings: Settings) -> list[str]:
    """The scraper service's keys: it accepts any; the API and workers send the first."""
    return [key.strip() for key in settings.scraper.service_keys.split(",") if key.strip()]


def env_name(field: str) -> str:
    return PREFIX + field.upper()


_FIELD_IN_MESSAGE = re.compile(r"\s*-\s*at\s*`\$\.(\w+)(?:\.(\w+))?`")


# Each section of `Settings` and the prefix its variables share: `CASCADE_<PREFIX><FIELD>`.
SECTIONS: dict[str, str] = {
    "database": "database_",
    "http": "http_",
    "login": "login_",
    "rate_limits": "rate_limit_",
    "embedded": "embedded_",
    "providers": "provider_",
    "pending": "pending_",
    "temporal": "temporal_",
    "jobs": "job_",
    "scraper": "scraper_",
    "webhooks": "webhook_",
    "replication": "replication_",
    "worker_metrics": "worker_metrics_",
}


def setting_names() -> list[str]:
    """Every setting by its flat name, the variable's without `CASCADE_` (`webhook_timeout_seconds`)."""
    names: list[str] = []
    for field in msgspec.structs.fields(Settings):
        if field.name in SECTIONS:
            names += [SECTIONS[field.name] + inner.name for inner in msgspec.structs.fields(field.type)]
        else:
            names.append(field.name)
    return names


def flat(settings: Settings) -> dict[str, object]:
    """The settings by flat name: what the environment would say to give these settings again."""
    values: dict[str, object] = {}
    for field in settings.__struct_fields__:
        value = getattr(settings, field)
        if field in SECTIONS:
            values |= {SECTIONS[field] + name: getattr(value, name) for name in value.__struct_fields__}
        else:
            values[field] = value
    return values


def replaced(settings: Settings, **changes: object) -> Settings:
    """These settings with some changed, by flat name (`replaced(settings, database_url=url)`), checked again."""
    return load_settings({}, **(flat(settings) | changes))


def _nested(raw: Mapping[str, object]) -> dict[str, object]:
    """Flat names into their sections: `{"webhook_timeout_seconds": 5}` is `{"webhooks": {"timeout_seconds": 5}}`."""
    nested: dict[str, object] = {}
    for name, value in raw.items():
        section = next((s for s, prefix in _BY_PREFIX if name.startswith(prefix)), None)
        if name in SECTIONS or (section is not None and name == SECTIONS[section]):
            raise ConfigError(f"{env_name(name)} is not a Cascade setting")  # a section's name, not one of its fields
        if section is None:
            nested[name] = value
        else:
            fields = nested.setdefault(section, {})
            assert isinstance(fields, dict)
            fields[name[len(SECTIONS[section]) :]] = value
    return nested


_BY_PREFIX = sorted(SECTIONS.items(), key=lambda item: -len(item[1]))


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Decode settings from the environment. Unknown `CASCADE_*` names are errors too."""
    env = os.environ if environ is None else environ
    raw: dict[str, object] = {key[len(PREFIX) :].lower(): value for key, value in env.items() if key.startswith(PREFIX)}
    raw.update(overrides)
    try:
        return msgspec.convert(_nested(raw), Settings, strict=False)
    except (msgspec.ValidationError, ValueError) as exc:
        raise ConfigError(_explain(str(exc))) from None


def _explain(message: str) -> str:
    unknown = re.search(r"unknown field `(\w+)`", message)
    if unknown:
        section = _FIELD_IN_MESSAGE.search(message)
        name = unknown[1] if section is None else SECTIONS.get(section[1], "") + unknown[1]
        return f"{env_name(name)} is not a Cascade setting"
    match = _FIELD_IN_MESSAGE.search(message)
    if match is None:
        return f"invalid configuration: {message}"
    reason = _FIELD_IN_MESSAGE.sub("", message)
    name = match[1] if match[2] is None else SECTIONS[match[1]] + match[2]
    return f"{env_name(name)}: {reason}"
