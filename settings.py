"""Settings: one msgspec Struct read from ``YICHENG_*`` environment variables.

Every value has a development default so that ``make run`` works on a fresh clone; production sets
``YICHENG_SECRET_KEY`` and ``YICHENG_DATABASE_URL``. A bad value stops the process with a message that
names the variable, never a traceback from deep inside the framework.
"""

from __future__ import annotations

import os
from typing import Annotated

import msgspec

ENV_PREFIX = "YICHENG_"
DEFAULT_DATABASE_URL = "sqlite:///yicheng.sqlite3"
DEV_SECRET_KEY = "dev-only-secret-key-change-me-in-production-0123456789"


class SettingsError(ValueError):
    """An environment variable holds a value the platform cannot use."""


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 8000
    secret_key: Annotated[str, msgspec.Meta(min_length=32)] = DEV_SECRET_KEY
    debug: bool = False
    # The PostgreSQL pool size per server process (worker); SQLite ignores it. Workers x this must stay
    # below the server's max_connections (100 by default, a few reserved): see docs/ARCHITECTURE.md.
    db_pool_size: Annotated[int, msgspec.Meta(ge=1, le=200)] = 10
    # SQLite: kept reader connections per process (one writer connection besides); PostgreSQL ignores it.
    sqlite_readers: Annotated[int, msgspec.Meta(ge=1, le=64)] = 4
    # Set by tests and the benchmark: a tighter limit makes the log-in rate limit testable.
    login_attempts_per_minute: Annotated[int, msgspec.Meta(ge=1)] = 10
    # Where uploaded files (nomination attachments) live, outside the database; relative to the cwd.
    data_dir: Annotated[str, msgspec.Meta(min_length=1)] = "var/data"
    # Sealing keys as "version:secret" pairs, the first one current (core/crypto.py; README: rotating).
    seal_keys: str = ""
    # How long sealed ID and mobile numbers are kept after the last competition or programme that needs
    # them has finished (`yicheng purge-expired`); also stated in the privacy notices.
    retention_days: Annotated[int, msgspec.Meta(ge=1, le=36500)] = 1095

    @property
    def engine(self) -> str:
        """``sqlite`` or ``postgres``, from the scheme of the database URL."""
        return "postgres" if self.database_url.startswith(("postgres://", "postgresql://")) else "sqlite"

    @property
    def sqlite_path(self) -> str:
        return self.database_url.removeprefix("sqlite:///")


def _env_value(field: str, raw: str, kind: type) -> object:
    if kind is bool:
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off", ""}:
            return False
        raise SettingsError(f"{ENV_PREFIX}{field.upper()}: expected true/false, got {raw!r}")
    if kind is int:
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(f"{ENV_PREFIX}{field.upper()}: expected an integer, got {raw!r}") from None
    return raw


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read the settings from the environment, naming the variable at fault on any bad value."""
    environ = dict(os.environ if environ is None else environ)
    values: dict[str, object] = {}
    hints = {f.name: f.type for f in msgspec.structs.fields(Settings)}
    for field, hint in hints.items():
        raw = environ.get(f"{ENV_PREFIX}{field.upper()}")
        if raw is None:
            continue
        base = getattr(hint, "__origin__", hint)
        base = hint.__args__[0] if base is Annotated else base
        values[field] = _env_value(field, raw, base)
    try:
        settings = msgspec.convert(values, Settings)
    except msgspec.ValidationError as exc:
        field = str(exc).rsplit("$.", 1)[-1].rstrip("`")
        raise SettingsError(f"{ENV_PREFIX}{field.upper()}: {exc}") from None
    url = settings.database_url
    if not url.startswith(("sqlite:///", "postgres://", "postgresql://")):
        raise SettingsError(
            f"{ENV_PREFIX}DATABASE_URL: expected sqlite:///path or postgresql://..., got {url!r}"
        )
    return settings
