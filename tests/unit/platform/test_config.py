from __future__ import annotations

import pytest

from entrypoints.wiring.settings import DEV_JWT_SECRET, ConfigError, flat, load_settings, replaced, setting_names
from tests.support.config import production


def test_defaults_are_the_local_profile_on_loopback() -> None:
    settings = load_settings({})
    assert settings.profile == "local"
    assert settings.host == "127.0.0.1"
    assert settings.port == 8000
    assert settings.max_json_body_bytes == 1_048_576


def test_values_are_decoded_from_strings() -> None:
    settings = load_settings(
        {"CASCADE_PORT": "9000", "CASCADE_DATABASE_POOL_TIMEOUT": "2.5", "CASCADE_PROFILE": "memory"}
    )
    assert (settings.port, settings.database.pool_timeout, settings.profile) == (9000, 2.5, "memory")


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"CASCADE_PORT": "eighty"}, "CASCADE_PORT"),
        ({"CASCADE_PORT": "70000"}, "CASCADE_PORT"),
        ({"CASCADE_PROFILE": "staging"}, "CASCADE_PROFILE"),
        ({"CASCADE_LOG_LEVEL": "LOUD"}, "CASCADE_LOG_LEVEL"),
        ({"CASCADE_MAX_JSON_BODY_BYTES": "-1"}, "CASCADE_MAX_JSON_BODY_BYTES"),
        ({"CASCADE_DATABASE_POOL_MIN": "20", "CASCADE_DATABASE_POOL_MAX": "5"}, "CASCADE_DATABASE_POOL_MIN"),
        ({"CASCADE_PORTT": "1"}, "CASCADE_PORTT"),
        ({"CASCADE_RATE_LIMIT_READS_PER_MINUTE": "0"}, "CASCADE_RATE_LIMIT_READS_PER_MINUTE"),
        ({"CASCADE_RATE_LIMIT_WORKSPACE_JOBS_PER_MINUTE": "many"}, "CASCADE_RATE_LIMIT_WORKSPACE_JOBS_PER_MINUTE"),
    ],
)
def test_a_bad_value_names_its_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        load_settings(env)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"CASCADE_WEBHOOK_TIMEOUT_SECONDS": "soon"}, "CASCADE_WEBHOOK_TIMEOUT_SECONDS"),
        ({"CASCADE_JOB_BATCH_SIZE": "0"}, "CASCADE_JOB_BATCH_SIZE"),
        ({"CASCADE_SCRAPER_PROXY_STICKY": "perhaps"}, "CASCADE_SCRAPER_PROXY_STICKY"),
    ],
)
def test_a_bad_value_in_a_section_names_its_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError, match=f"^{variable}: "):
        load_settings(env)


@pytest.mark.parametrize(
    "variable", ["CASCADE_WEBHOOK_TIMEOUT", "CASCADE_JOB_", "CASCADE_WEBHOOKS", "CASCADE_DATABASE", "CASCADE_NOPE"]
)
def test_a_variable_that_is_no_setting_is_refused_by_its_name(variable: str) -> None:
    with pytest.raises(ConfigError, match=f"^{variable} is not a Cascade setting$"):
        load_settings({variable: "1"})


def test_sections_read_the_variables_of_their_prefix() -> None:
    settings = load_settings(
        {
            "CASCADE_WEBHOOK_TIMEOUT_SECONDS": "4",
            "CASCADE_JOB_BATCH_SIZE": "7",
            "CASCADE_DATABASE_URL": "postgresql://x",
        }
    )
    assert (settings.webhooks.timeout_seconds, settings.jobs.batch_size, settings.database.url) == (
        4.0,
        7,
        "postgresql://x",
    )
    assert flat(settings)["webhook_timeout_seconds"] == 4.0
    assert set(flat(settings)) == set(setting_names())
    changed = replaced(settings, database_url="postgresql://y")
    assert (changed.database.url, changed.jobs.batch_size, settings.database.url) == (
        "postgresql://y",
        7,
        "postgresql://x",
    )
    with pytest.raises(ConfigError, match="CASCADE_JOB_BATCH_SIZE"):
        replaced(settings, job_batch_size=0)


@pytest.mark.parametrize("value", ["10.0.0.0/33", "not-a-network", "127.0.0.1/32, 300.1.1.1"])
def test_a_bad_network_allowlist_names_its_variable(value: str) -> None:
    with pytest.raises(ConfigError, match="CASCADE_NETWORK_ALLOWLIST"):
        load_settings({"CASCADE_NETWORK_ALLOWLIST": value})
    assert load_settings({"CASCADE_NETWORK_ALLOWLIST": "127.0.0.1/32, 10.0.0.0/8"}).network_allowlist


def test_production_accepts_complete_configuration() -> None:
    assert load_settings(production()).profile == "production"


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"CASCADE_JWT_SECRET": DEV_JWT_SECRET}, "CASCADE_JWT_SECRET"),
        ({"CASCADE_JWT_SECRET": "short"}, "CASCADE_JWT_SECRET"),
        ({"CASCADE_DATABASE_URL": ""}, "CASCADE_DATABASE_URL"),
        ({"CASCADE_REDIS_URL": ""}, "CASCADE_REDIS_URL"),
        ({"CASCADE_TEMPORAL_ADDRESS": ""}, "CASCADE_TEMPORAL_ADDRESS"),
    ],
)
def test_production_refuses_defaults_and_missing_services(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        load_settings(production(**env))


def test_webhook_urls_must_be_https_in_production_only() -> None:
    from domain.kernel.errors import ValidationFailed
    from domain.webhooks.webhook import check_url
    from entrypoints.wiring.webhooks import webhook_policy

    strict = webhook_policy(load_settings(production()))
    with pytest.raises(ValidationFailed, match="https"):
        check_url("http://hooks.example.com/in", strict)
    assert check_url("https://hooks.example.com/in", strict) == "https://hooks.example.com/in"
    local = webhook_policy(load_settings({}))
    assert check_url("http://hooks.example.com/in", local) == "http://hooks.example.com/in"
