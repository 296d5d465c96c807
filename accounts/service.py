"""Use cases of the accounts domain: each loads, applies the rules, writes and audits in one transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from accounts import audit, consent, skill_levels
from accounts.audit import Actor
from accounts.disclosure import OpenNumbers, disclose
from accounts.documents import (
    DOCUMENT_NAMES,
    IdentityDocument,
    field_at_fault,
    read_document,
    read_id_number,
)
from accounts.rules import (
    INDUSTRIES,
    InvalidNumber,
    Role,
    mask_id_number,
    mask_mobile,
    password_problem,
    validate_credit_code,
    validate_mobile,
    validate_name,
)
from accounts.schemas import (
    AuditOut,
    AuditPage,
    CurrentUser,
    EnterpriseIn,
    EnterpriseOut,
    PersonIn,
    PersonOut,
    PersonPatch,
    UnionIn,
    UnionOut,
    UnsealIn,
    UserIn,
    UserOut,
    UserPatch,
)
from accounts.security import hash_password, verify_password
from accounts.staff import COLUMNS as USER_COLUMNS
from accounts.staff import user_out
from accounts.tables import AuditLog, Enterprise, GrassrootsUnion, Person, User
from core import crypto
from core.db import is_unique_violation, write_transaction
from core.errors import Conflict, Forbidden, Invalid, NotFound

# --- log-in -----------------------------------------------------------------------------------------


async def authenticate(username: str, password: str) -> CurrentUser | None:
    row = await User.objects().where((User.username == username) & (User.active == True)).first()  # noqa: E712
    if row is None or not await verify_password(row.password_hash, password):
        return None
    return CurrentUser(
        id=row.id,
        username=row.username,
        role=row.role,
        display_name=row.display_name,
        union_id=row.union,
        person_id=row.person,
    )


# --- unions and enterprises -------------------------------------------------------------------------


def _union_out(row: dict[str, Any]) -> UnionOut:
    return UnionOut(id=row["id"], name=row["name"], kind=row["kind"], parent_id=row["parent"])


async def list_unions() -> list[UnionOut]:
    rows = await GrassrootsUnion.select().order_by(GrassrootsUnion.id)
    return [_union_out(r) for r in rows]


async def _require(table: type, row_id: int | None, field: str, what: str) -> None:
    if row_id is not None and not await table.exists().where(table.id == row_id):
        raise Invalid(f"{what}不存在：{row_id}", field=field, code="unknown_reference")


async def create_union(actor: Actor, data: UnionIn) -> UnionOut:
    await _require(GrassrootsUnion, data.parent_id, "parent_id", "上级工会")
    async with write_transaction():
        if await GrassrootsUnion.exists().where(GrassrootsUnion.name == data.name):
            raise Conflict(f"工会名称已存在：{data.name}", field="name", code="duplicate")
        row = GrassrootsUnion(name=data.name, kind=data.kind, parent=data.parent_id)
        await row.save()
        out = UnionOut(id=row.id, name=row.name, kind=row.kind, parent_id=data.parent_id)
        await audit.record(actor, "union.create", "union", row.id, after=out)
    return out


def _enterprise_out(row: dict[str, Any]) -> EnterpriseOut:
    return EnterpriseOut(
        id=row["id"],
        name=row["name"],
        credit_code=row["credit_code"],
        industry=row["industry"],
        industry_name=INDUSTRIES.get(row["industry"], row["industry"]),
        union_id=row["union"],
        in_zone=row["in_zone"],
        version=row["version"],
    )


async def list_enterprises() -> list[EnterpriseOut]:
    rows = await Enterprise.select().order_by(Enterprise.id)
    return [_enterprise_out(r) for r in rows]


async def create_enterprise(actor: Actor, data: EnterpriseIn) -> EnterpriseOut:
    try:
        credit_code = validate_credit_code(data.credit_code)
    except InvalidNumber as exc:
        raise Invalid(exc.message, field="credit_code", code=exc.code) from None
    await _require(GrassrootsUnion, data.union_id, "union_id", "工会")
    async with write_transaction():
        if await Enterprise.exists().where(Enterprise.credit_code == credit_code):
            raise Conflict("该统一社会信用代码已登记", field="credit_code", code="duplicate")
        if await Enterprise.exists().where(Enterprise.name == data.name):
            raise Conflict(f"企业名称已存在：{data.name}", field="name", code="duplicate")
        row = Enterprise(
            name=data.name,
            credit_code=credit_code,
            industry=data.industry,
            union=data.union_id,
            in_zone=data.in_zone,
        )
        await row.save()
        out = _enterprise_out(row.to_dict() | {"union": data.union_id})
        await audit.record(actor, "enterprise.create", "enterprise", row.id, after=out)
    return out


# --- people -----------------------------------------------------------------------------------------

_PERSON_COLUMNS = (
    Person.id,
    Person.name,
    Person.id_kind,
    Person.nationality,
    Person.erased_at,
    Person.id_sealed,
    Person.id_masked,
    Person.birth_date,
    Person.gender,
    Person.mobile_sealed,
    Person.mobile_masked,
    Person.employer,
    Person.employer.name.as_alias("employer_name"),
    Person.union,
    Person.union_member,
    Person.skill_level,
    Person.front_line,
    Person.enterprise_leader,
    Person.employed_since,
    Person.version,
)


def person_out(row: dict[str, Any], numbers: OpenNumbers | None = None) -> PersonOut:
    """A person as shown: ID and mobile masked, unless ``numbers`` (opened by :func:`disclose`) are given."""
    return PersonOut(
        id=row["id"],
        name=row["name"],
        id_type=row["id_kind"],
        id_type_name=DOCUMENT_NAMES.get(row["id_kind"], row["id_kind"]),
        nationality=row["nationality"],
        id_number=numbers.id_number if numbers else row["id_masked"],
        mobile=numbers.mobile if numbers else row["mobile_masked"],
        birth_date=row["birth_date"],
        gender=row["gender"],
        employer_id=row["employer"],
        employer_name=row["employer_name"],
        union_id=row["union"],
        union_member=row["union_member"],
        skill_level=row["skill_level"],
        front_line=row["front_line"],
        enterprise_leader=row["enterprise_leader"],
        employed_since=row["employed_since"],
        erased=row["erased_at"] is not None,
        version=row["version"],
    )


def _invalid(exc: InvalidNumber, field: str) -> Invalid:
    return Invalid(exc.message, field=field, code=exc.code)


def parse_identity(raw: str, field: str = "id_number") -> IdentityDocument:
    """One of the 18-character cards (resident ID, HK/Macao/Taiwan permit, permanent residence card)."""
    try:
        return read_id_number(raw)
    except InvalidNumber as exc:
        raise _invalid(exc, field) from None


def parse_document(data: Any, prefix: str = "") -> IdentityDocument:
    """The document of a form (``id_type``, ``id_number`` and, for a passport, ``nationality``,
    ``birth_date``, ``gender``); a refusal names the field at fault, under ``prefix`` (``person.``)."""
    try:
        return read_document(
            data.id_type,
            data.id_number,
            nationality=data.nationality,
            birth_date=data.birth_date,
            gender=data.gender,
        )
    except InvalidNumber as exc:
        raise _invalid(exc, prefix + field_at_fault(exc.code, data.id_type)) from None


def parse_mobile(raw: str, field: str = "mobile") -> str:
    try:
        return validate_mobile(raw)
    except InvalidNumber as exc:
        raise _invalid(exc, field) from None


def parse_name(raw: str, field: str = "name") -> str:
    try:
        return validate_name(raw)
    except InvalidNumber as exc:
        raise _invalid(exc, field) from None


def _scope_union(viewer: CurrentUser, union_id: int | None) -> int | None:
    """A union officer acts only for their own union, whatever the request says."""
    if viewer.role != Role.UNION_OFFICER:
        return union_id
    if union_id not in (None, viewer.union_id):
        raise Forbidden("只能登记本单位工会的会员", field="union_id")
    return viewer.union_id


def new_person_row(
    data: PersonIn, union_id: int | None, document: IdentityDocument | None = None, prefix: str = ""
) -> Person:
    """A person row from validated input: the ID number is sealed, fingerprinted and masked here only.
    ``document`` is the input's document when the caller has read it already."""
    return Person(**person_values(data, union_id, document, prefix))


def person_values(
    data: PersonIn, union_id: int | None, document: IdentityDocument | None = None, prefix: str = ""
) -> dict[str, Any]:
    """:func:`new_person_row`'s columns as a mapping (all but the version, creation time and erasure): an
    upload inserts its people as mappings, since a Piccolo object per person costs more than its insert."""
    name = parse_name(data.name, prefix + "name")
    identity = document or parse_document(data, prefix)
    mobile = parse_mobile(data.mobile, prefix + "mobile")
    return {
        "name": name,
        "id_kind": str(identity.kind),
        "nationality": identity.nationality,
        "id_fingerprint": crypto.fingerprint(identity.key),
        "id_sealed": crypto.seal(identity.number),
        "id_masked": mask_id_number(identity.number),
        "birth_date": identity.birth_date,
        "gender": identity.gender,
        "mobile_fingerprint": crypto.fingerprint(mobile),
        "mobile_sealed": crypto.seal(mobile),
        "mobile_masked": mask_mobile(mobile),
        "employer": data.employer_id,
        "union": union_id,
        "union_member": data.union_member,
        "skill_level": data.skill_level,
        "front_line": data.front_line,
        "enterprise_leader": data.enterprise_leader,
        "employed_since": data.employed_since,
    }


async def person_id_of(document: IdentityDocument) -> int | None:
    """The person holding this document, by fingerprint."""
    row = (
        await Person.select(Person.id)
        .where(Person.id_fingerprint == crypto.fingerprint(document.key))
        .first()
    )
    return None if row is None else row["id"]


async def create_person(actor: Actor, viewer: CurrentUser, data: PersonIn) -> PersonOut:
    union_id = _scope_union(viewer, data.union_id)
    row = new_person_row(data, union_id)
    notice = consent.check_attestation(data.members_consent)
    await _require(Enterprise, data.employer_id, "employer_id", "工作单位")
    await _require(GrassrootsUnion, union_id, "union_id", "工会")
    try:
        async with write_transaction():
            if await Person.exists().where(Person.id_fingerprint == row.id_fingerprint):
                raise Conflict("该证件号码已登记", field="id_number", code="duplicate")
            await row.save()
            await audit.record(actor, "person.create", "person", row.id, after={"name": row.name})
            await consent.record_attestation(actor, [row.id], notice)
    except Exception as exc:
        if is_unique_violation(exc):
            raise Conflict("该证件号码已登记", field="id_number", code="duplicate") from None
        raise
    return await get_person(viewer, row.id)


async def person_row(person_id: int) -> dict[str, Any]:
    row = await Person.select(*_PERSON_COLUMNS).where(Person.id == person_id).first()
    if row is None:
        raise NotFound(f"人员不存在：{person_id}", field="person_id")
    return row


def _may_read_person(viewer: CurrentUser, row: dict[str, Any]) -> bool:
    if viewer.role == Role.ORGANIZER:
        return True
    if viewer.role == Role.UNION_OFFICER:
        return row["union"] == viewer.union_id
    return viewer.person_id == row["id"]


async def get_person(viewer: CurrentUser, person_id: int) -> PersonOut:
    """A person, ID and mobile masked for every reader (full numbers: :func:`reveal_person`)."""
    row = await person_row(person_id)
    if not _may_read_person(viewer, row):
        # Whether the person exists is itself personal data: the same answer as a missing one.
        raise NotFound(f"人员不存在：{person_id}", field="person_id")
    return person_out(row)


async def reveal_person(actor: Actor, viewer: CurrentUser, person_id: int, data: UnsealIn) -> PersonOut:
    """An organizer reads a person's full ID and mobile numbers: audited with the stated purpose."""
    if viewer.role != Role.ORGANIZER:
        raise Forbidden("只有组织者可以查看完整证件号码", field="person_id")
    row = await person_row(person_id)
    numbers = await disclose(actor, [row], purpose=data.purpose, context="person.detail")
    return person_out(row, numbers[person_id])


async def list_people(
    viewer: CurrentUser, *, union_id: int | None, query: str | None, limit: int, offset: int
) -> tuple[int, list[PersonOut]]:
    condition = Person.id > 0
    if viewer.role == Role.UNION_OFFICER:
        condition &= Person.union == viewer.union_id
    elif union_id is not None:
        condition &= Person.union == union_id
    if query:
        condition &= Person.name.like(f"%{query}%")
    total = await Person.count().where(condition)
    rows = (
        await Person.select(*_PERSON_COLUMNS).where(condition).order_by(Person.id).limit(limit).offset(offset)
    )
    return total, [person_out(r) for r in rows]


def _changes(patch: msgspec.Struct, exclude: set[str]) -> dict[str, Any]:
    return {
        name: value
        for name in patch.__struct_fields__
        if name not in exclude and (value := getattr(patch, name)) is not msgspec.UNSET
    }


async def update_person(actor: Actor, viewer: CurrentUser, person_id: int, patch: PersonPatch) -> PersonOut:
    changes = _changes(patch, {"version"})
    values: dict[Any, Any] = {}
    for name, value in changes.items():
        if name == "mobile":
            mobile = parse_mobile(value)
            values |= {
                Person.mobile_fingerprint: crypto.fingerprint(mobile),
                Person.mobile_sealed: crypto.seal(mobile),
                Person.mobile_masked: mask_mobile(mobile),
            }
        elif name == "name":
            values[Person.name] = parse_name(value)
        elif name == "employer_id":
            await _require(Enterprise, value, "employer_id", "工作单位")
            values[Person.employer] = value
        elif name == "union_id":
            values[Person.union] = _scope_union(viewer, value)
        else:
            values[getattr(Person, name)] = value
    async with write_transaction():
        before = await get_person(viewer, person_id)
        updated = await (
            Person.update({**values, Person.version: patch.version + 1})
            .where((Person.id == person_id) & (Person.version == patch.version))
            .returning(Person.id)
        )
        if not updated:
            raise stale(before.version)
        after = await get_person(viewer, person_id)
        if "skill_level" in changes:
            await skill_levels.record_change(
                actor, person_id, before.skill_level, after.skill_level, source="manual"
            )
        await audit.record(
            actor,
            "person.update",
            "person",
            person_id,
            before=_public_fields(before, changes),
            after=_public_fields(after, changes),
        )
    return after


def _public_fields(person: PersonOut, changed: dict[str, Any]) -> dict[str, Any]:
    """Only the changed fields, and the mobile masked: the audit log must not leak personal data."""
    data = msgspec.to_builtins(person)
    if "mobile" in changed:
        data["mobile"] = person.mobile[:3] + "****" + person.mobile[-4:]
    return {k: data[k] for k in changed if k in data}


def stale(current_version: int) -> Conflict:
    return Conflict(
        "数据已被他人修改，请刷新后重试",
        code="stale_version",
        field="version",
        detail={"current_version": current_version},
    )


# --- users ------------------------------------------------------------------------------------------


async def list_users(role: str | None) -> list[UserOut]:
    query = User.select(*USER_COLUMNS).order_by(User.id)
    if role:
        query = query.where(User.role == role)
    return [user_out(r) for r in await query]


def _check_password(password: str) -> None:
    problem = password_problem(password)
    if problem:
        raise Invalid(problem, field="password", code="weak_password")


async def create_user(actor: Actor, data: UserIn) -> UserOut:
    _check_password(data.password)
    if data.role == Role.UNION_OFFICER and data.union_id is None:
        raise Invalid("基层工会干部须指定所属工会", field="union_id", code="required")
    if data.role == Role.CONTESTANT and data.person_id is None:
        raise Invalid("选手账号须关联人员信息", field="person_id", code="required")
    await _require(GrassrootsUnion, data.union_id, "union_id", "工会")
    await _require(Person, data.person_id, "person_id", "人员")
    password_hash = await hash_password(data.password)
    async with write_transaction():
        if await User.exists().where(User.username == data.username):
            raise Conflict(f"用户名已存在：{data.username}", field="username", code="duplicate")
        row = User(
            username=data.username,
            password_hash=password_hash,
            role=data.role,
            display_name=data.display_name,
            union=data.union_id,
            person=data.person_id,
        )
        await row.save()
        out = user_out({**row.to_dict(), "union": data.union_id, "person": data.person_id})
        await audit.record(actor, "user.create", "user", row.id, after=out)
    return out


async def update_user(actor: Actor, user_id: int, patch: UserPatch) -> UserOut:
    values: dict[Any, Any] = {}
    if patch.display_name is not msgspec.UNSET:
        values[User.display_name] = patch.display_name
    if patch.active is not msgspec.UNSET:
        values[User.active] = patch.active
    if patch.password is not msgspec.UNSET:
        _check_password(patch.password)
        values[User.password_hash] = await hash_password(patch.password)
    async with write_transaction():
        before = await User.select(*USER_COLUMNS).where(User.id == user_id).first()
        if before is None:
            raise NotFound(f"用户不存在：{user_id}", field="user_id")
        updated = await (
            User.update({**values, User.version: patch.version + 1})
            .where((User.id == user_id) & (User.version == patch.version))
            .returning(User.id)
        )
        if not updated:
            raise stale(before["version"])
        after = await User.select(*USER_COLUMNS).where(User.id == user_id).first()
        reason = "重置密码" if patch.password is not msgspec.UNSET else ""
        await audit.record(
            actor,
            "user.update",
            "user",
            user_id,
            before=user_out(before),
            after=user_out(after),
            reason=reason,
        )
    return user_out(after)


# --- audit log --------------------------------------------------------------------------------------


async def list_audit(
    *,
    entity: str | None,
    entity_id: str | None,
    action: str | None,
    actor_id: int | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    limit: int,
    offset: int,
) -> AuditPage:
    condition = AuditLog.id > 0
    if entity:
        condition &= AuditLog.entity == entity
    if entity_id:
        condition &= AuditLog.entity_id == entity_id
    if action:
        condition &= AuditLog.action.like(f"{action}%")
    if actor_id is not None:
        condition &= AuditLog.actor_id == actor_id
    if since:
        condition &= AuditLog.at >= since
    if until:
        condition &= AuditLog.at < until
    total = await AuditLog.count().where(condition)
    rows = (
        await AuditLog.select()
        .where(condition)
        .order_by(AuditLog.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    items = [
        AuditOut(
            id=r["id"],
            at=r["at"],
            actor_id=r["actor_id"],
            actor_name=r["actor_name"],
            action=r["action"],
            entity=r["entity"],
            entity_id=r["entity_id"],
            before=_load_json(r["before"]),
            after=_load_json(r["after"]),
            reason=r["reason"],
        )
        for r in rows
    ]
    return AuditPage(total=total, limit=limit, offset=offset, items=items)


def _load_json(value: Any) -> Any:
    if value is None or not isinstance(value, str | bytes):
        return value
    return msgspec.json.decode(value)
