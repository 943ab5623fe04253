"""Settings are parsed once from the environment and name the variable that is wrong."""

from __future__ import annotations

import pytest

from shared.settings import Settings, SettingsError

VALID = {"DATABASE_URL": "postgresql://x@127.0.0.1:5/db", "KAFKA_BOOTSTRAP": "127.0.0.1:9092"}


def test_a_complete_environment_gives_typed_settings_with_the_origin_of_the_log() -> None:
    settings = Settings.from_env("intake", {**VALID, "ACTNOW_NODE": "AL", "DB_POOL_MAX": "4"})
    assert settings.origin == "al.intake"
    assert settings.schema == "intake"
    assert settings.db_pool_max == 4


@pytest.mark.parametrize("missing", ["DATABASE_URL", "KAFKA_BOOTSTRAP"])
def test_a_missing_variable_is_named_in_the_error(missing: str) -> None:
    env = {k: v for k, v in VALID.items() if k != missing}
    with pytest.raises(SettingsError, match=f"environment variable {missing} is required"):
        Settings.from_env("identity", env)


def test_an_unknown_node_is_refused_with_the_choices() -> None:
    with pytest.raises(SettingsError, match="ACTNOW_NODE='de' is not a node"):
        Settings.from_env("identity", {**VALID, "ACTNOW_NODE": "de"})


def test_a_pool_size_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(SettingsError, match="DB_POOL_MAX='many' is not a whole number"):
        Settings.from_env("identity", {**VALID, "DB_POOL_MAX": "many"})


def test_an_unknown_service_is_refused() -> None:
    with pytest.raises(SettingsError, match="unknown service 'billing'"):
        Settings.from_env("billing", VALID)


def test_the_database_password_is_read_from_a_secret_file(tmp_path) -> None:
    secret = tmp_path / "postgres_password"
    secret.write_text("s3cret\n")
    settings = Settings.from_env("intake", {**VALID, "DATABASE_PASSWORD_FILE": str(secret)})
    assert "password=s3cret" in settings.database_url


def test_an_unreadable_password_file_is_named(tmp_path) -> None:
    env = {**VALID, "DATABASE_PASSWORD_FILE": str(tmp_path / "missing")}
    with pytest.raises(SettingsError, match=r"DATABASE_PASSWORD_FILE=.* cannot be read"):
        Settings.from_env("intake", env)
