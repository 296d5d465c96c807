"""The ``yicheng`` command: migrate, serve, load the demo, create an organizer, purge, rotate keys.

``make run`` is the local demo (``yicheng run --demo`` with ``YICHENG_DEBUG=1``); production runs
``yicheng migrate`` then ``yicheng serve`` and creates its first organizer with ``yicheng create-organizer``.
Demo data (users sharing one published password) is loaded only when asked for, never by ``serve``/``run``.

The domains are imported inside the commands, after the settings are checked: importing a table binds
Piccolo's engine from the settings, and a bad setting should end in one line naming it, not a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import random
import sqlite3
import sys

import msgspec

from settings import Settings, SettingsError, check_can_serve, load_settings

PASSWORD_VARIABLE = "YICHENG_ORGANIZER_PASSWORD"


def _settings_or_exit(workers: int | None = None) -> Settings:
    try:
        settings = load_settings()
    except SettingsError as exc:
        sys.exit(f"configuration error: {exc}")
    return settings if workers is None else msgspec.structs.replace(settings, workers=workers)


def _enable_wal(path: str) -> None:
    # WAL lets readers go on while one writer commits; it is a property of the file, set once.
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")


async def _migrate() -> None:
    from core.migrations import migrate

    await migrate()


async def _load_demo(term: bool = False) -> bool:
    from accounts import demo as accounts_demo
    from awards import demo as awards_demo
    from competitions import demo as competitions_demo
    from scoring import demo as scoring_demo

    if not await accounts_demo.is_empty():
        return await _load_term() if term else False
    rng = random.Random(accounts_demo.SEED)
    ids = await accounts_demo.load(rng)
    # In dependency order: each domain's demo builds on the ids of the ones before it.
    for domain_demo in (competitions_demo, scoring_demo, awards_demo):
        ids |= await domain_demo.load(rng, ids)
    if term:
        await _load_term()
    return True


async def _load_term() -> bool:
    """A full five-year term (reports.demo): 431 competitions, 100,000 registrations, 5,000 honours."""
    from reports import demo as term_demo

    if await term_demo.is_loaded():
        return False
    await term_demo.load_term(random.Random(term_demo.SEED))
    return True


def migrate() -> None:
    settings = _settings_or_exit()
    if settings.engine == "sqlite":
        _enable_wal(settings.sqlite_path)
    asyncio.run(_migrate())


def demo(term: bool = False) -> None:
    _settings_or_exit()
    from accounts.demo import DEMO_ORGANIZER, DEMO_PASSWORD

    loaded = asyncio.run(_load_demo(term))
    print("demo data loaded" if loaded else "database not empty: demo data left alone")
    print(f"demo organizer: username {DEMO_ORGANIZER!r}, password {DEMO_PASSWORD!r}")


def check_serving(settings: Settings) -> None:
    """Stop before anything starts when the settings are unsafe to serve with."""
    try:
        check_can_serve(settings)
    except SettingsError as exc:
        sys.exit(f"refusing to start: {exc}")


def serve(settings: Settings) -> None:
    from granian import Granian
    from granian.constants import Interfaces

    check_serving(settings)
    print(f"serving on http://{settings.host}:{settings.port} ({settings.engine})", flush=True)
    Granian(
        "app:create_server_app",
        factory=True,
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGI,
        workers=settings.workers,
        log_access=False,
        # A worker that dies (killed, out of memory, its start-up failed on a database restarting) is
        # started again; without this granian stops the whole server when one worker exits. A worker that
        # dies again within seconds still stops it (granian's crash-loop guard): that is a fault to see.
        respawn_failed_workers=True,
    ).serve()


def purge_expired(dry_run: bool = False) -> None:
    """Erase the sealed ID and mobile numbers whose retention period has passed; print the counts."""
    settings = _settings_or_exit()
    from accounts.retention import purge_expired as purge
    from app import personal_data

    report = asyncio.run(purge(personal_data(), retention_days=settings.retention_days, dry_run=dry_run))
    verb = "would erase" if dry_run else "erased"
    print(f"retention: {report.retention_days} days (finished before {report.kept_since:%Y-%m-%d})")
    print(f"examined: {report.examined}, still needed: {report.still_needed}, {verb}: {report.purged}")


async def _reseal_all(batch_size: int) -> list:  # type: ignore[type-arg]
    from accounts.audit import SYSTEM, record
    from accounts.tables import DataRequest, Person
    from awards.tables import Objection
    from core.crypto import key_ring
    from core.db import write_transaction
    from core.resealing import reseal_table

    counts = [
        await reseal_table(Person, [Person.id_sealed, Person.mobile_sealed], batch_size=batch_size),
        await reseal_table(DataRequest, [DataRequest.proposed_mobile_sealed], batch_size=batch_size),
        await reseal_table(Objection, [Objection.contact_sealed], batch_size=batch_size),
    ]
    async with write_transaction():
        after = {"key_version": key_ring().current, "tables": [c.table for c in counts]}
        after["resealed"] = sum(c.resealed for c in counts)
        await record(SYSTEM, "keys.reseal", "keys", key_ring().current, after=after)
    return counts


def rotate_keys(batch_size: int = 500) -> None:
    """Re-seal every sealed value under the current key (the first of YICHENG_SEAL_KEYS); safe while the
    servers run, and to run again. Prints, per table, the values found per key version before it ran."""
    from core.crypto import key_ring

    _settings_or_exit()
    counts = asyncio.run(_reseal_all(batch_size))
    print(f"current key version: {key_ring().current}")
    for count in counts:
        found = ", ".join(f"v{v}: {n}" for v, n in sorted(count.by_version.items())) or "none"
        print(
            f"{count.table}: {count.rows} rows, re-sealed {count.resealed}, skipped {count.skipped} ({found})"
        )


# --- create-organizer ----------------------------------------------------------------------------------


def read_password(environ: dict[str, str] | None = None) -> str:
    """The new password: from YICHENG_ORGANIZER_PASSWORD, else typed twice at a terminal, else stdin's
    first line (``printf '%s\\n' "$PW" | yicheng create-organizer ...``)."""
    environ = os.environ if environ is None else environ
    if environ.get(PASSWORD_VARIABLE):
        return environ[PASSWORD_VARIABLE]
    if sys.stdin.isatty():
        first = getpass.getpass("新密码 / new password: ")
        if getpass.getpass("再次输入 / again: ") != first:
            sys.exit("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


async def _create_or_reset_organizer(username: str, name: str, password: str) -> str:
    from accounts import service
    from accounts.audit import Actor
    from accounts.rules import Role
    from accounts.schemas import UserIn, UserPatch
    from accounts.sessions import end_sessions_of
    from accounts.tables import User

    actor = Actor(None, "命令行 create-organizer", "system")
    existing = await User.select(User.id, User.role, User.version).where(User.username == username).first()
    if existing is None:
        data = UserIn(username=username, password=password, role=Role.ORGANIZER, display_name=name)
        user = await service.create_user(actor, data)
        return f"organizer {user.username!r} created (id {user.id})"
    if existing["role"] != Role.ORGANIZER:
        role = existing["role"]
        raise SystemExit(f"user {username!r} exists with role {role!r}: not an organizer, left alone")
    patch = UserPatch(version=existing["version"], display_name=name, password=password, active=True)
    await service.update_user(actor, existing["id"], patch)
    await end_sessions_of(existing["id"])
    return f"organizer {username!r} reset: new password, active, every session ended"


def create_organizer(username: str, name: str) -> None:
    from accounts.schemas import UserIn
    from core.errors import DomainError

    _settings_or_exit()
    password = read_password()
    try:
        # The same checks as the API's (username pattern, name length) before anything is written.
        msgspec.convert(
            {"username": username, "password": password or "-", "role": "organizer", "display_name": name},
            UserIn,
        )
        print(asyncio.run(_create_or_reset_organizer(username, name, password)))
    except (DomainError, msgspec.ValidationError) as exc:
        sys.exit(f"create-organizer refused: {getattr(exc, 'message', exc)}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yicheng", description="亦城职工技能竞赛与工匠评选平台")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply database migrations")
    demo_parser = commands.add_parser(
        "demo", help="migrate, then load the demo data set if the database is empty"
    )
    demo_parser.add_argument(
        "--term", action="store_true", help="also load a full five-year term (100,000 registrations)"
    )
    serve_parser = commands.add_parser("serve", help="serve the API and pages (YICHENG_WORKERS processes)")
    serve_parser.add_argument("--workers", type=int, default=None)
    run_parser = commands.add_parser("run", help="migrate and serve; --demo also loads the demo data")
    run_parser.add_argument("--workers", type=int, default=None)
    run_parser.add_argument("--demo", action="store_true", help="load the demo zone into an empty database")
    organizer = commands.add_parser(
        "create-organizer",
        help=f"create an organizer, or reset one's password (from {PASSWORD_VARIABLE}, a prompt or stdin)",
    )
    organizer.add_argument("username")
    organizer.add_argument("--name", required=True, help="display name, e.g. 区总工会劳动竞赛部")
    purge_parser = commands.add_parser(
        "purge-expired", help="erase sealed ID and mobile numbers past the retention period (run daily)"
    )
    purge_parser.add_argument("--dry-run", action="store_true", help="count only, erase nothing")
    rotate_parser = commands.add_parser("rotate-keys", help="re-seal personal data under the current key")
    rotate_parser.add_argument("--batch-size", type=int, default=500)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.command == "create-organizer":
        create_organizer(args.username, args.name)
        return
    if args.command == "purge-expired":
        purge_expired(args.dry_run)
        return
    if args.command == "rotate-keys":
        rotate_keys(args.batch_size)
        return
    settings = _settings_or_exit(getattr(args, "workers", None))
    if args.command in {"serve", "run"}:
        check_serving(settings)  # before migrating: an unsafe start changes nothing
    if args.command in {"migrate", "run", "demo"}:
        migrate()
    if args.command == "demo" or (args.command == "run" and args.demo):
        demo(getattr(args, "term", False))
    if args.command in {"serve", "run"}:
        serve(settings)


if __name__ == "__main__":
    main()
