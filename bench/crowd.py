"""A crowd of logged-in users made straight in the database, for load that needs a session each.

Rows are bulk-inserted with one shared password hash and sessions opened directly: what the benchmark
measures is the workload, not 2,000 Argon2 log-ins.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import secrets

from piccolo.table import Table
from stdnum.cn import ric

from accounts.rules import Role
from accounts.schemas import PersonIn
from accounts.security import hash_password
from accounts.service import new_person_row
from accounts.tables import LoginSession, Person, User
from core.db import utcnow, write_transaction

# asyncpg refuses a statement with more than 32,767 parameters (PostgreSQL's wire protocol counts them in an
# Int16), and SQLite allows 32,766: a bulk insert goes in chunks under that.
MAX_PARAMETERS = 32_000


async def insert_rows(table: type[Table], rows: list[Table]) -> list[int]:
    """Insert ``rows`` in chunks of at most ``MAX_PARAMETERS`` parameters, in one transaction; their ids."""
    per_chunk = max(1, MAX_PARAMETERS // len(table._meta.columns))
    ids: list[int] = []
    async with write_transaction():
        for start in range(0, len(rows), per_chunk):
            inserted = await table.insert(*rows[start : start + per_chunk]).returning(table._meta.primary_key)
            ids += [r["id"] for r in inserted]
    return ids


def id_number(rng: random.Random, index: int) -> str:
    """A valid resident ID number (Beijing Chaoyang); ``index`` varies the sequence digits."""
    birth = dt.date(rng.randint(1970, 2000), rng.randint(1, 12), rng.randint(1, 28))
    body = f"110105{birth:%Y%m%d}{index % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def han_serial(number: int, width: int) -> str:
    """A serial number a person's name may hold (no digits): 12 -> 〇〇〇一二."""
    return f"{number:0{width}d}".translate(str.maketrans("0123456789", "〇一二三四五六七八九"))


async def make_people(count: int, *, employer_id: int | None, union_id: int | None, seed: int) -> list[int]:
    rng = random.Random(seed)
    rows, seen = [], set()
    while len(rows) < count:
        number = id_number(rng, len(rows))
        if number in seen:
            continue
        seen.add(number)
        data = PersonIn(
            name="选手" + han_serial(len(rows), 5),
            id_number=number,
            mobile=f"139{rng.randrange(10**8):08d}",
            employer_id=employer_id,
            union_id=union_id,
            union_member=True,
            skill_level=3,
            front_line=True,
        )
        rows.append(new_person_row(data, union_id))
    return await insert_rows(Person, rows)


async def make_sessions(person_ids: list[int], *, role: Role, prefix: str) -> list[str]:
    """A user of ``role`` per person and an open session each; returns the session cookies' tokens."""
    password_hash = await hash_password(secrets.token_urlsafe(12))
    users = [
        User(
            username=f"{prefix}{i:05d}",
            password_hash=password_hash,
            role=role,
            display_name=f"{prefix}{i}",
            person=person_id,
        )
        for i, person_id in enumerate(person_ids)
    ]
    return await open_sessions(await insert_rows(User, users))


async def open_sessions(user_ids: list[int]) -> list[str]:
    """An open session for each user; returns the session cookies' tokens, in the same order."""
    tokens = [secrets.token_urlsafe(32) for _ in user_ids]
    expires = utcnow() + dt.timedelta(hours=2)
    sessions = [
        LoginSession(token_hash=hashlib.sha256(token.encode()).hexdigest(), user=user_id, expires_at=expires)
        for token, user_id in zip(tokens, user_ids, strict=True)
    ]
    await insert_rows(LoginSession, sessions)
    return tokens
