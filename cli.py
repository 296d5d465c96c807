"""The ``yicheng`` command: migrate, load the demo, serve (``make run`` does all three).

The domains are imported inside the commands, after the settings are checked: importing a table binds
Piccolo's engine from the settings, and a bad setting should end in one line naming it, not a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import sys

from settings import Settings, SettingsError, load_settings


def _settings_or_exit() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        sys.exit(f"configuration error: {exc}")


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


def serve(workers: int = 1) -> None:
    from granian import Granian
    from granian.constants import Interfaces

    settings = _settings_or_exit()
    print(f"serving on http://{settings.host}:{settings.port} ({settings.engine})", flush=True)
    Granian(
        "app:create_server_app",
        factory=True,
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGI,
        workers=workers,
        log_access=False,
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="yicheng", description="亦城职工技能竞赛与工匠评选平台")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply database migrations")
    demo_parser = commands.add_parser("demo", help="load the demo data set if the database is empty")
    demo_parser.add_argument(
        "--term", action="store_true", help="also load a full five-year term (100,000 registrations)"
    )
    serve_parser = commands.add_parser("serve", help="serve the API and pages")
    serve_parser.add_argument("--workers", type=int, default=int(os.environ.get("YICHENG_WORKERS", "1")))
    run_parser = commands.add_parser("run", help="migrate, load the demo, serve")
    run_parser.add_argument("--workers", type=int, default=int(os.environ.get("YICHENG_WORKERS", "1")))
    purge_parser = commands.add_parser(
        "purge-expired", help="erase sealed ID and mobile numbers past the retention period (run daily)"
    )
    purge_parser.add_argument("--dry-run", action="store_true", help="count only, erase nothing")
    rotate_parser = commands.add_parser("rotate-keys", help="re-seal personal data under the current key")
    rotate_parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args(argv)
    if args.command == "purge-expired":
        purge_expired(args.dry_run)
    if args.command == "rotate-keys":
        rotate_keys(args.batch_size)
    if args.command in {"migrate", "run"}:
        migrate()
    if args.command in {"demo", "run"}:
        demo(getattr(args, "term", False))
    if args.command in {"serve", "run"}:
        serve(args.workers)


if __name__ == "__main__":
    main()
