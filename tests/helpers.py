"""Helpers every domain's tests use: clients that speak CSRF, log-ins, a small standard world, PDF text."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from pypdf import PdfReader
from stdnum.cn import ric, uscc

PASSWORD = "secret123"
_serial = itertools.count(1)


@asynccontextmanager
async def new_client(
    app: Any = None, base_url: str = "http://testserver"
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the in-process app (``app``) or of a live server (``base_url``), CSRF token set."""
    transport = httpx.ASGITransport(app=app) if app is not None else None
    async with httpx.AsyncClient(transport=transport, base_url=base_url, timeout=60) as client:
        await client.get("/login")  # a page: it sets the CSRF cookie
        client.headers["x-csrftoken"] = client.cookies.get("csrftoken", "")
        yield client


async def login(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> dict[str, Any]:
    response = await client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


def make_id_number(
    birth: dt.date = dt.date(1990, 5, 17), *, female: bool = False, serial: int | None = None
) -> str:
    """A valid 18-digit resident ID number (Beijing Chaoyang), unique per call unless ``serial`` is given."""
    n = next(_serial) if serial is None else serial
    sequence = (n % 499) * 2 + (0 if female else 1)
    body = f"110105{birth:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def han_digits(number: int | str, width: int = 1) -> str:
    """``12`` -> ``一二``, ``expert1`` -> ``expert一``: serial numbers inside a person's name, which may
    hold no digits."""
    text = number if isinstance(number, str) else f"{number:0{width}d}"
    return text.translate(str.maketrans("0123456789", "零一二三四五六七八九"))


def make_credit_code(serial: int) -> str:
    body = f"91110302{serial:09d}"
    return body + uscc.calc_check_digit(body)


def make_mobile(serial: int | None = None) -> str:
    n = next(_serial) if serial is None else serial
    return f"139{n:08d}"


def members_consent() -> dict[str, Any]:
    """A union officer's (or organizer's) confirmation that they hold the members' consent, to the current
    member-entry notice: what every form entering other people's data sends."""
    from accounts.consent import current_notice
    from accounts.notices import NoticeKind

    return {"notice_version": current_notice(NoticeKind.MEMBER_ENTRY).version, "confirmed": True}


def upload_consent() -> dict[str, str]:
    """The attestation as the form fields of a multipart upload."""
    return {"members_consent": "true", "notice_version": members_consent()["notice_version"]}


def own_consent() -> dict[str, Any]:
    """A person's own consent to the registration notice (both boxes), as the sign-up form sends it."""
    from accounts.consent import current_notice
    from accounts.notices import NoticeKind

    version = current_notice(NoticeKind.REGISTRATION).version
    return {"notice_version": version, "personal_information": True, "sensitive_id": True}


async def world() -> dict[str, Any]:
    """A small standard world written straight through the services: two unions, two enterprises,
    a few people and a user of every role (password :data:`PASSWORD`). Returns their ids."""
    from accounts import service
    from accounts.audit import SYSTEM
    from accounts.rules import Role
    from accounts.schemas import AttestationIn, CurrentUser, EnterpriseIn, PersonIn, UnionIn, UserIn

    root = CurrentUser(id=0, username="system", role=Role.ORGANIZER, display_name="系统")
    union_a = await service.create_union(SYSTEM, UnionIn(name="甲公司工会", kind="enterprise"))
    union_b = await service.create_union(SYSTEM, UnionIn(name="乙公司工会", kind="enterprise"))
    enterprise_a = await service.create_enterprise(
        SYSTEM,
        EnterpriseIn(
            name="甲公司", credit_code=make_credit_code(1), industry="biomedicine", union_id=union_a.id
        ),
    )
    enterprise_b = await service.create_enterprise(
        SYSTEM,
        EnterpriseIn(name="乙公司", credit_code=make_credit_code(2), industry="other", union_id=union_b.id),
    )
    people = []
    for index in range(4):
        enterprise, union = (enterprise_a, union_a) if index % 2 == 0 else (enterprise_b, union_b)
        person = await service.create_person(
            SYSTEM,
            root,
            PersonIn(
                name=f"测试{han_digits(index)}",
                id_number=make_id_number(dt.date(1985 + index, 3, 9)),
                mobile=make_mobile(),
                employer_id=enterprise.id,
                union_id=union.id,
                union_member=True,
                skill_level=3,
                front_line=True,
                members_consent=AttestationIn(**members_consent()),
            ),
        )
        people.append(person.id)
    users = {}
    for username, role, union_id, person_id in [
        ("organizer", Role.ORGANIZER, None, None),
        ("judge", Role.JUDGE, None, None),
        ("officer", Role.UNION_OFFICER, union_a.id, None),
        ("expert", Role.EXPERT, None, None),
        ("contestant", Role.CONTESTANT, None, people[0]),
    ]:
        user = await service.create_user(
            SYSTEM,
            UserIn(
                username=username,
                password=PASSWORD,
                role=role,
                display_name=username,
                union_id=union_id,
                person_id=person_id,
            ),
        )
        users[username] = user.id
    return {
        "unions": [union_a.id, union_b.id],
        "enterprises": [enterprise_a.id, enterprise_b.id],
        "people": people,
        "users": users,
    }


async def use_judge_link(client: httpx.AsyncClient, token: str) -> httpx.Response:
    """What a judge's tablet does with a one-time link: open its page (which spends nothing) and press the
    button, whose form posts the token and the page's CSRF field; the answer to that POST."""
    page = await client.get("/judge/login", params={"token": token})
    assert page.status_code == 200, page.text
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page.text))
    assert set(fields) == {"token", "_csrf_token"}, page.text
    # The form's own CSRF field, not the header this client sends with every write.
    return await client.post("/judge/login", data=fields, headers={"x-csrftoken": ""})


def pdf_text(pdf: bytes) -> str:
    """The first page's text, without the spaces and NULs pypdf puts between two-byte CJK glyph codes (the
    ToUnicode map itself is right: poppler's pdftotext reads the same text without them)."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    return "".join(page.extract_text().replace("\x00", "").split())
