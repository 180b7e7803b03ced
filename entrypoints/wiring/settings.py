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
    "provider_apollo_api_key",
    "provider_hunter_api_key",
    "provider_clearbit_api_key",
    "scraper_service_keys",
    "scraper_proxies",
)


class ConfigError(Exception):
    """A missing or bad setting; the message names the variable."""


class Settings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    profile: Literal["memory", "local", "production"] = "local"
    database_url: str = ""
    database_pool_min: int = msgspec.field(default=1)
    database_pool_max: int = 10
    database_pool_timeout: float = 5.0
    redis_url: str = ""
    jwt_secret: str = DEV_JWT_SECRET
    # `v2:<base64>,v1:<base64>`, first active; empty: a development key under data_dir (not in production).
    encryption_keys: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    max_json_body_bytes: int = 1_048_576
    # A client has this long to send a request's headers, and to send each next part of its body; then 408.
    http_header_timeout_seconds: float = 10.0
    http_body_timeout_seconds: float = 15.0
    login_attempts_per_email: int = 10
    login_attempts_per_ip: int = 50
    login_window_seconds: int = 900
    # API requests allowed per minute by route group: per user (per IP on /auth) and per workspace.
    rate_limit_auth_per_minute: int = 300
    rate_limit_reads_per_minute: int = 2400
    rate_limit_workspace_reads_per_minute: int = 4800
    rate_limit_writes_per_minute: int = 600
    rate_limit_workspace_writes_per_minute: int = 1200
    rate_limit_jobs_per_minute: int = 60
    rate_limit_workspace_jobs_per_minute: int = 120
    password_hash_memory_kib: int = 65536
    starter_credits: int = 100
    data_dir: str = str(PROJECT_ROOT / ".cascade")
    embedded_postgres_port: int = 54329
    embedded_temporal_port: int = 57233  # `cascade dev` only, when CASCADE_TEMPORAL_ADDRESS is empty
    migrations_dir: str = str(PROJECT_ROOT / "migrations" / "postgres")
    # Provider endpoints (point them at the fakes of tests/fakes for a sandbox) and optional platform keys.
    provider_apollo_base_url: str = "https://api.apollo.io/api/v1"
    provider_hunter_base_url: str = "https://api.hunter.io/v2"
    provider_clearbit_person_base_url: str = "https://person.clearbit.com"
    provider_clearbit_company_base_url: str = "https://company.clearbit.com"
    provider_timeout_seconds: float = 10.0
    provider_apollo_api_key: str = ""
    provider_hunter_api_key: str = ""
    provider_clearbit_api_key: str = ""
    # A "pending" answer (Clearbit or Hunter 202) is asked again after the first wait, doubling up to the most,
    # while the run is younger than its deadline: the synchronous route's, or a job record's.
    pending_first_wait_seconds: float = 1.0
    pending_max_wait_seconds: float = 8.0
    pending_enrich_deadline_seconds: float = 10.0
    pending_job_deadline_seconds: float = 30.0
    # Jobs: on Temporal when an address is set (required in production), else inline in the API process.
    temporal_address: str = ""
    temporal_namespace: str = "default"
    temporal_task_queue: str = "enrichment"
    job_batch_size: int = 100
    job_concurrency: int = 32
    job_parallel_batches: int = 4
    job_heartbeat_timeout_seconds: float = 30.0
    job_batch_attempts: int = 5
    # The scraper service (`cascade scraper`) and how the API reaches it.
    scraper_host: str = "127.0.0.1"
    scraper_port: int = 8100
    scraper_url: str = ""  # where the API and workers reach it; empty: the scraper provider is off
    scraper_service_keys: str = ""  # comma-separated; the service accepts any, the API sends the first
    scraper_user_agent: str = "CascadeBot/0.1 (+https://github.com/cascade-enrichment/cascade)"
    scraper_browsers: int = 1  # Chromium processes; 0: plain HTTP only
    scraper_pages_per_browser: int = 4
    scraper_chromium_path: str = "/usr/bin/chromium"
    scraper_domain_concurrency: int = 2
    scraper_domain_delay_seconds: float = 0.5
    scraper_max_pages: int = 6
    scraper_max_seconds: float = 30.0
    scraper_proxies: str = ""  # comma-separated proxy URLs, round-robin with health
    scraper_proxy_sticky: bool = False
    network_allowlist: str = ""  # CIDRs the scraper (and webhooks) may reach although private
    # Outgoing webhooks: delivered by the worker (by the API itself when there is no Temporal).
    webhook_timeout_seconds: float = 10.0
    webhook_first_retry_seconds: float = 30.0
    webhook_max_retry_seconds: float = 6 * 3600.0
    webhook_retry_window_seconds: float = 3 * 86400.0
    webhook_disable_after: int = 5  # dead-lettered deliveries in a row
    webhook_secret_grace_seconds: float = 86400.0
    webhook_lease_seconds: float = 60.0
    webhook_concurrency: int = 16
    webhook_poll_seconds: float = 1.0
    webhook_user_agent: str = "Cascade-Webhooks/0.1 (+https://github.com/cascade-enrichment/cascade)"
    credits_low_threshold: int = 50  # `credits.low` when available credits fall below it; 0: never
    # `cascade worker`'s Prometheus endpoint (the API serves GET /api/v1/metrics); port 0: none.
    worker_metrics_host: str = "127.0.0.1"
    worker_metrics_port: int = 9464

    def __repr__(self) -> str:
        """Settings may be logged or shown in a traceback: secrets never are."""
        shown = {f: getattr(self, f) for f in self.__struct_fields__}
        for field in SECRET_FIELDS:
            if shown.get(field):
                shown[field] = "[REDACTED]"
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    def __post_init__(self) -> None:
        _check_range("port", self.port, 1, 65535)
        _check_range("embedded_postgres_port", self.embedded_postgres_port, 1, 65535)
        _check_range("embedded_temporal_port", self.embedded_temporal_port, 1, 65535)
        _check_range("database_pool_min", self.database_pool_min, 0, 1000)
        _check_range("database_pool_max", self.database_pool_max, 1, 1000)
        _check_range("max_json_body_bytes", self.max_json_body_bytes, 1024, 1 << 30)
        _check_range("http_header_timeout_seconds", self.http_header_timeout_seconds, 0.1, 300)
        _check_range("http_body_timeout_seconds", self.http_body_timeout_seconds, 0.1, 3600)
        _check_range("login_attempts_per_email", self.login_attempts_per_email, 1, 1_000_000)
        _check_range("login_attempts_per_ip", self.login_attempts_per_ip, 1, 1_000_000)
        _check_range("login_window_seconds", self.login_window_seconds, 1, 86_400)
        for field in self.__struct_fields__:
            if field.startswith("rate_limit_"):
                _check_range(field, getattr(self, field), 1, 1_000_000_000)
        _check_range("password_hash_memory_kib", self.password_hash_memory_kib, 8, 4_194_304)
        _check_range("starter_credits", self.starter_credits, 0, 1_000_000_000)
        _check_range("provider_timeout_seconds", self.provider_timeout_seconds, 0.1, 120)
        _check_range("pending_first_wait_seconds", self.pending_first_wait_seconds, 0.01, 60)
        _check_range("pending_max_wait_seconds", self.pending_max_wait_seconds, self.pending_first_wait_seconds, 300)
        _check_range("pending_enrich_deadline_seconds", self.pending_enrich_deadline_seconds, 0, 60)
        _check_range("pending_job_deadline_seconds", self.pending_job_deadline_seconds, 0, 600)
        _check_range("job_batch_size", self.job_batch_size, 1, 1000)
        _check_range("job_concurrency", self.job_concurrency, 1, 1024)
        _check_range("job_parallel_batches", self.job_parallel_batches, 1, 64)
        _check_range("job_heartbeat_timeout_seconds", self.job_heartbeat_timeout_seconds, 1, 3600)
        _check_range("job_batch_attempts", self.job_batch_attempts, 1, 100)
        _check_range("scraper_port", self.scraper_port, 1, 65535)
        _check_range("scraper_browsers", self.scraper_browsers, 0, 32)
        _check_range("scraper_pages_per_browser", self.scraper_pages_per_browser, 1, 64)
        _check_range("scraper_domain_concurrency", self.scraper_domain_concurrency, 1, 32)
        _check_range("scraper_domain_delay_seconds", self.scraper_domain_delay_seconds, 0, 60)
        _check_range("scraper_max_pages", self.scraper_max_pages, 1, 50)
        _check_range("scraper_max_seconds", self.scraper_max_seconds, 1, 300)
        _check_range("webhook_timeout_seconds", self.webhook_timeout_seconds, 0.1, 120)
        _check_range("webhook_first_retry_seconds", self.webhook_first_retry_seconds, 0.01, 86_400)
        _check_range("webhook_max_retry_seconds", self.webhook_max_retry_seconds, 0.01, 7 * 86_400)
        _check_range("webhook_retry_window_seconds", self.webhook_retry_window_seconds, 0, 30 * 86_400)
        _check_range("webhook_disable_after", self.webhook_disable_after, 1, 1_000_000)
        _check_range("webhook_secret_grace_seconds", self.webhook_secret_grace_seconds, 0, 30 * 86_400)
        _check_range("webhook_lease_seconds", self.webhook_lease_seconds, self.webhook_timeout_seconds + 1, 86_400)
        _check_range("webhook_concurrency", self.webhook_concurrency, 1, 1024)
        _check_range("webhook_poll_seconds", self.webhook_poll_seconds, 0.01, 60)
        _check_range("credits_low_threshold", self.credits_low_threshold, 0, 1_000_000_000)
        _check_range("worker_metrics_port", self.worker_metrics_port, 0, 65535)
        if self.database_pool_min > self.database_pool_max:
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
        if not self.database_url:
            raise ValueError("is required by the production profile - at `$.database_url`")
        if not self.redis_url:
            raise ValueError("is required by the production profile - at `$.redis_url`")
        if not self.encryption_keys:
            raise ValueError("is required by the production profile - at `$.encryption_keys`")
        if not self.temporal_address:
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
    return [key.strip() for key in settings.scraper_service_keys.split(",") if key.strip()]


def env_name(field: str) -> str:
    return PREFIX + field.upper()


_FIELD_IN_MESSAGE = re.compile(r"\s*-\s*at\s*`\$\.(\w+)`")


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Decode settings from the environment. Unknown `CASCADE_*` names are errors too."""
    env = os.environ if environ is None else environ
    raw: dict[str, object] = {key[len(PREFIX) :].lower(): value for key, value in env.items() if key.startswith(PREFIX)}
    raw.update(overrides)
    try:
        return msgspec.convert(raw, Settings, strict=False)
    except (msgspec.ValidationError, ValueError) as exc:
        raise ConfigError(_explain(str(exc))) from None


def _explain(message: str) -> str:
    match = _FIELD_IN_MESSAGE.search(message)
    if match is None:
        unknown = re.search(r"unknown field `(\w+)`", message)
        if unknown:
            return f"{env_name(unknown[1])} is not a Cascade setting"
        return f"invalid configuration: {message}"
    reason = _FIELD_IN_MESSAGE.sub("", message)
    return f"{env_name(match[1])}: {reason}"
