"""Settings come from YICHENG_* variables; a bad one is named."""

from __future__ import annotations

import pytest

from settings import SettingsError, load_settings


def test_defaults() -> None:
    settings = load_settings({})
    assert settings.engine == "sqlite"
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)


def test_postgres_url_selects_postgres() -> None:
    assert load_settings({"YICHENG_DATABASE_URL": "postgresql://u@h/db"}).engine == "postgres"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("YICHENG_PORT", "eighty"),
        ("YICHENG_PORT", "70000"),
        ("YICHENG_DEBUG", "perhaps"),
        ("YICHENG_SECRET_KEY", "short"),
        ("YICHENG_DATABASE_URL", "mysql://x"),
    ],
)
def test_bad_value_names_the_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        load_settings({variable: value})
