"""Settings: one msgspec Struct read from ``YICHENG_*`` environment variables.

Every value has a development default so that ``make run`` works on a fresh clone; production sets
``YICHENG_SECRET_KEY`` and ``YICHENG_DATABASE_URL`` (and usually ``YICHENG_PUBLIC_ORIGIN``,
``YICHENG_TRUSTED_PROXIES``, ``YICHENG_WORKERS``). A bad value stops the process with a message that
names the variable, never a traceback from deep inside the framework; :func:`check_can_serve` refuses a
server start that would be unsafe (the committed development key outside debug, several processes on
one SQLite file).
"""

from __future__ import annotations

import functools
import ipaddress
import os
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

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
    # How long a starting server process waits for a database it cannot reach yet (both restarted after a
    # power cut, the server first) before it gives up; 0 gives up at once.
    db_start_wait_s: Annotated[int, msgspec.Meta(ge=0, le=3600)] = 60
    # SQLite: kept reader connections per process (one writer connection besides); PostgreSQL ignores it.
    sqlite_readers: Annotated[int, msgspec.Meta(ge=1, le=64)] = 4
    # Set by tests and the benchmark: a tighter limit makes the log-in rate limit testable.
    login_attempts_per_minute: Annotated[int, msgspec.Meta(ge=1)] = 10
    # Every other rate-limited request, counted per client address (a venue or a factory behind one NAT
    # shares an address, so this is looser than the per-account log-in limit).
    address_attempts_per_minute: Annotated[int, msgspec.Meta(ge=1)] = 60
    # Where uploaded files (nomination attachments) live, outside the database; relative to the cwd.
    data_dir: Annotated[str, msgspec.Meta(min_length=1)] = "var/data"
    # Where attachment bytes are kept: "folder" (under data_dir, the embedded default) or "database" (every
    # server machine sees them; use it with several machines behind a load balancer).
    attachments: Literal["folder", "database"] = "folder"
    # Sealing keys as "version:secret" pairs, the first one current (core/crypto.py; README: rotating).
    seal_keys: str = ""
    # How long sealed ID and mobile numbers are kept after the last competition or programme that needs
    # them has finished (`yicheng purge-expired`); also stated in the privacy notices.
    retention_days: Annotated[int, msgspec.Meta(ge=1, le=36500)] = 1095
    # Server processes `yicheng serve` starts; more than one needs PostgreSQL.
    workers: Annotated[int, msgspec.Meta(ge=1, le=64)] = 1
    # The address people type, e.g. https://jingsai.example.cn: cookies are Secure when it is https.
    public_origin: str = ""
    # Comma-separated addresses or networks of reverse proxies whose X-Forwarded-For is believed.
    trusted_proxies: str = ""

    @property
    def engine(self) -> str:
        """``sqlite`` or ``postgres``, from the scheme of the database URL."""
        return "postgres" if self.database_url.startswith(("postgres://", "postgresql://")) else "sqlite"

    @property
    def sqlite_path(self) -> str:
        return self.database_url.removeprefix("sqlite:///")

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry ``Secure`` when the public origin is https (never on plain-http development)."""
        return self.public_origin.startswith("https://")

    @property
    def proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(
            ipaddress.ip_network(item.strip(), strict=False)
            for item in self.trusted_proxies.split(",")
            if item.strip()
        )


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


@functools.cache
def _field_types() -> dict[str, Any]:
    """Each setting's type, read once: msgspec resolves the class's annotations anew on every call."""
    return {f.name: f.type for f in msgspec.structs.fields(Settings)}


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read the settings from the environment, naming the variable at fault on any bad value."""
    environ = dict(os.environ if environ is None else environ)
    values: dict[str, object] = {}
    for field, hint in _field_types().items():
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
    _check_values(settings)
    return settings


def retention_days() -> int:
    """The retention period, which every consent and upload names in its notice: read from its one variable
    (``load_settings`` reads and checks them all, which cost as much as a small upload's own work)."""
    return _retention_days(os.environ.get(f"{ENV_PREFIX}RETENTION_DAYS"))


@functools.lru_cache(maxsize=8)
def _retention_days(raw: str | None) -> int:
    return load_settings().retention_days  # the environment holds ``raw`` now; checked like every setting


def _check_values(settings: Settings) -> None:
    url = settings.database_url
    if not url.startswith(("sqlite:///", "postgres://", "postgresql://")):
        raise SettingsError(
            f"{ENV_PREFIX}DATABASE_URL: expected sqlite:///path or postgresql://..., got {url!r}"
        )
    origin = urlsplit(settings.public_origin)
    if settings.public_origin and (origin.scheme not in {"http", "https"} or not origin.netloc):
        raise SettingsError(
            f"{ENV_PREFIX}PUBLIC_ORIGIN: expected https://host[:port], got {settings.public_origin!r}"
        )
    try:
        settings.proxy_networks  # noqa: B018 - parsed here so that a bad entry is named at start-up
    except ValueError as exc:
        raise SettingsError(f"{ENV_PREFIX}TRUSTED_PROXIES: {exc}") from None


def check_can_serve(settings: Settings) -> None:
    """Refuse a server start that would be unsafe; the message says what to set instead."""
    if settings.secret_key == DEV_SECRET_KEY and not settings.debug:
        raise SettingsError(
            f"{ENV_PREFIX}SECRET_KEY is not set: the committed development key signs nothing safely. "
            f"Set {ENV_PREFIX}SECRET_KEY to a random value of at least 32 characters "
            "(python3 -c 'import secrets; print(secrets.token_urlsafe(48))') and keep it: it also derives "
            f"the keys that seal ID and mobile numbers. For a local demo only, set {ENV_PREFIX}DEBUG=1."
        )
    if settings.workers > 1 and settings.engine == "sqlite":
        raise SettingsError(
            f"{ENV_PREFIX}WORKERS={settings.workers} with SQLite: one SQLite file serves one process "
            "(caches and live updates stay in each process). Use PostgreSQL "
            f"({ENV_PREFIX}DATABASE_URL=postgresql://...) for several processes, or {ENV_PREFIX}WORKERS=1."
        )
