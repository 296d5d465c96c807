"""Staff accounts (union officers, experts, judges): created or imported by organizers with a temporary
password shown once, deactivated and reactivated, reset; and everyone's own password change.

A temporary password is only ever returned in the answer that made it: the table keeps its Argon2 hash and
``must_change_password``, which the pages read from ``/api/auth/me`` to send the user to 修改密码 first.
Deactivating or resetting an account ends every session it has, in the transaction of the change.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any, NamedTuple

from accounts import audit
from accounts.audit import Actor
from accounts.rules import ROLE_NAMES, Role, password_problem
from accounts.schemas import MeOut, StaffCreated, StaffIn, UserOut, UserStateIn
from accounts.security import hash_password, verify_password
from accounts.sessions import token_hash
from accounts.tables import GrassrootsUnion, LoginSession, User
from core.db import write_transaction
from core.errors import Conflict, Forbidden, Invalid, NotFound

# No 0/O, 1/l/I: a temporary password is read off a screen and typed on a tablet.
_LETTERS = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
_DIGITS = "23456789"
TEMPORARY_LENGTH = 10
MAX_IMPORT_ROWS = 500  # each row costs an Argon2 hash


def temporary_password() -> str:
    """Ten characters, letters and digits (so that it passes :func:`accounts.rules.password_problem`)."""
    while True:
        value = "".join(secrets.choice(_LETTERS + _DIGITS) for _ in range(TEMPORARY_LENGTH))
        if password_problem(value) is None:
            return value


def user_out(row: dict[str, Any]) -> UserOut:
    return UserOut(
        id=row["id"],
        username=row["username"],
        role=row["role"],
        role_name=ROLE_NAMES[Role(row["role"])],
        display_name=row["display_name"],
        union_id=row["union"],
        person_id=row["person"],
        active=row["active"],
        version=row["version"],
        change_required=row["must_change_password"],
    )


COLUMNS = (
    User.id,
    User.username,
    User.role,
    User.display_name,
    User.union,
    User.person,
    User.active,
    User.version,
    User.must_change_password,
)


async def _row(user_id: int) -> dict[str, Any]:
    row = await User.select(*COLUMNS).where(User.id == user_id).first()
    if row is None:
        raise NotFound(f"账号不存在：{user_id}", field="user_id")
    return row


def _stale(current: int) -> Conflict:
    return Conflict(
        "该账号已被他人修改，请刷新后重试", code="stale_version", detail={"current_version": current}
    )


class Problem(NamedTuple):
    index: int  # in the batch
    field: str
    message: str
    taken: bool = False  # the username exists already: a conflict (409), not a bad value (422)


async def check_staff(items: Sequence[StaffIn]) -> list[Problem]:
    """Every problem of a batch before anything is written."""
    problems: list[Problem] = []
    union_ids = {i.union_id for i in items if i.union_id is not None}
    known = (
        {
            r["id"]
            for r in await GrassrootsUnion.select(GrassrootsUnion.id).where(
                GrassrootsUnion.id.is_in(list(union_ids))
            )
        }
        if union_ids
        else set()
    )
    names = [i.username for i in items]
    taken = (
        {r["username"].casefold() for r in await User.select(User.username).where(User.username.is_in(names))}
        if names
        else set()
    )
    seen: set[str] = set()
    for index, item in enumerate(items):
        key = item.username.casefold()
        if key in taken:
            problems.append(
                Problem(index, "username", f"用户名已存在：{item.username}，请换一个", taken=True)
            )
        elif key in seen:
            problems.append(Problem(index, "username", f"用户名在表中重复：{item.username}"))
        seen.add(key)
        if item.role == Role.UNION_OFFICER and item.union_id is None:
            problems.append(Problem(index, "union_id", "基层工会干部须指定所属工会"))
        elif item.union_id is not None and item.union_id not in known:
            problems.append(Problem(index, "union_id", f"所属工会不存在：{item.union_id}"))
    return problems


async def create_staff(actor: Actor, items: Sequence[StaffIn], *, reason: str = "") -> list[StaffCreated]:
    """Create the accounts, all or none, each with its own temporary password (audited one by one)."""
    problems = await check_staff(items)
    if problems:
        first = problems[0]
        refusal = Conflict if first.taken else Invalid
        raise refusal(first.message, field=first.field, code="invalid_account")
    passwords = [temporary_password() for _ in items]
    hashes = [await hash_password(p) for p in passwords]
    created: list[StaffCreated] = []
    async with write_transaction():
        for item, password, password_hash in zip(items, passwords, hashes, strict=True):
            if await User.exists().where(User.username == item.username):
                raise Conflict(f"用户名已存在：{item.username}，请换一个", field="username", code="duplicate")
            row = User(
                username=item.username,
                password_hash=password_hash,
                role=item.role,
                display_name=item.display_name,
                union=item.union_id if item.role == Role.UNION_OFFICER else None,
                must_change_password=True,
            )
            await row.save()
            out = user_out(await _row(row.id))
            await audit.record(actor, "user.create", "user", row.id, after=out, reason=reason)
            created.append(StaffCreated(user=out, temporary_password=password))
    return created


async def set_active(actor: Actor, user_id: int, active: bool, data: UserStateIn) -> UserOut:
    """Deactivate (every session ends, log-in refused) or reactivate an account."""
    if actor.id == user_id and not active:
        raise Forbidden("不能停用自己的账号", field="user_id", code="own_account")
    async with write_transaction():
        before = await _row(user_id)
        updated = await (
            User.update({User.active: active, User.version: data.version + 1})
            .where((User.id == user_id) & (User.version == data.version))
            .returning(User.id)
        )
        if not updated:
            raise _stale(before["version"])
        if not active:
            await LoginSession.delete().where(LoginSession.user == user_id)
        after = await _row(user_id)
        action = "user.reactivate" if active else "user.deactivate"
        await audit.record(
            actor, action, "user", user_id, before=user_out(before), after=user_out(after), reason=data.reason
        )
    return user_out(after)


async def reset_password(actor: Actor, user_id: int, data: UserStateIn) -> StaffCreated:
    """A new temporary password, shown once; the old one and every session stop working."""
    password = temporary_password()
    password_hash = await hash_password(password)
    async with write_transaction():
        before = await _row(user_id)
        updated = await (
            User.update(
                {
                    User.password_hash: password_hash,
                    User.must_change_password: True,
                    User.version: data.version + 1,
                }
            )
            .where((User.id == user_id) & (User.version == data.version))
            .returning(User.id)
        )
        if not updated:
            raise _stale(before["version"])
        await LoginSession.delete().where(LoginSession.user == user_id)
        after = await _row(user_id)
        await audit.record(
            actor,
            "user.reset_password",
            "user",
            user_id,
            before=user_out(before),
            after=user_out(after),
            reason=data.reason or "组织者重置密码",
        )
    return StaffCreated(user=user_out(after), temporary_password=password)


async def change_own_password(actor: Actor, user_id: int, old: str, new: str, keep_token: str) -> None:
    """Old password required; the other sessions of the user end, this one stays."""
    row = await User.select(User.password_hash, User.version).where(User.id == user_id).first()
    if row is None or not await verify_password(row["password_hash"], old):
        raise Invalid("原密码不正确，请重新输入", field="old_password", code="bad_credentials")
    problem = password_problem(new)
    if problem:
        raise Invalid(f"新密码不符合要求：{problem}", field="new_password", code="weak_password")
    if new == old:
        raise Invalid("新密码不能与原密码相同", field="new_password", code="same_password")
    password_hash = await hash_password(new)
    async with write_transaction():
        updated = await (
            User.update(
                {
                    User.password_hash: password_hash,
                    User.must_change_password: False,
                    User.version: User.version + 1,
                }
            )
            .where((User.id == user_id) & (User.version == row["version"]))
            .returning(User.id)
        )
        if not updated:
            raise Conflict("密码刚被修改过，请重新登录后再试", code="stale_version")
        await LoginSession.delete().where(
            (LoginSession.user == user_id) & (LoginSession.token_hash != token_hash(keep_token))
        )
        await audit.record(actor, "user.change_password", "user", user_id, reason="本人修改密码")


async def list_users(role: str | None, active: bool | None) -> list[UserOut]:
    query = User.select(*COLUMNS).order_by(User.id)
    if role:
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.active == active)
    return [user_out(r) for r in await query]


async def must_change(user_id: int) -> bool:
    row = await User.select(User.must_change_password).where(User.id == user_id).first()
    return bool(row and row["must_change_password"])


def me_out(user: Any, must_change_password: bool) -> MeOut:
    return MeOut(
        id=user.id,
        username=user.username,
        role=user.role,
        display_name=user.display_name,
        union_id=user.union_id,
        person_id=user.person_id,
        change_required=must_change_password,
    )
