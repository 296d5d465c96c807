"""Settings come from YICHENG_* variables; a bad one is named."""

from __future__ import annotations

import pytest

from settings import SettingsError, check_can_serve, load_settings


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


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("YICHENG_PUBLIC_ORIGIN", "jingsai.example.cn"),
        ("YICHENG_PUBLIC_ORIGIN", "ftp://jingsai.example.cn"),
        ("YICHENG_TRUSTED_PROXIES", "10.0.0.0/8, proxy.local"),
        ("YICHENG_WORKERS", "0"),
        ("YICHENG_ADDRESS_ATTEMPTS_PER_MINUTE", "0"),
    ],
)
def test_bad_production_value_names_the_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        load_settings({variable: value})


def test_cookies_are_secure_only_for_an_https_origin() -> None:
    assert load_settings({"YICHENG_PUBLIC_ORIGIN": "https://jingsai.example.cn"}).secure_cookies
    assert not load_settings({"YICHENG_PUBLIC_ORIGIN": "http://10.1.2.3:8000"}).secure_cookies
    assert not load_settings({}).secure_cookies


def test_trusted_proxies_are_networks() -> None:
    networks = load_settings({"YICHENG_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1 ,::1"}).proxy_networks
    assert [str(n) for n in networks] == ["10.0.0.0/8", "127.0.0.1/32", "::1/128"]
    assert load_settings({}).proxy_networks == ()


REAL_KEY = {"YICHENG_SECRET_KEY": "k" * 48}
POSTGRES = {"YICHENG_DATABASE_URL": "postgresql://u@h/db"}


@pytest.mark.parametrize(
    ("environ", "refusal"),
    [
        ({}, "YICHENG_SECRET_KEY"),
        ({"YICHENG_DEBUG": "0"}, "YICHENG_SECRET_KEY"),
        ({**REAL_KEY, "YICHENG_WORKERS": "2"}, "PostgreSQL"),
        ({"YICHENG_DEBUG": "1", "YICHENG_WORKERS": "4"}, "PostgreSQL"),
        ({"YICHENG_DEBUG": "1"}, None),  # the local demo
        (REAL_KEY, None),
        ({**REAL_KEY, **POSTGRES, "YICHENG_WORKERS": "4"}, None),
    ],
)
def test_check_can_serve(environ: dict[str, str], refusal: str | None) -> None:
    settings = load_settings(environ)
    if refusal is None:
        check_can_serve(settings)
    else:
        with pytest.raises(SettingsError, match=refusal):
            check_can_serve(settings)
