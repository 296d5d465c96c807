"""Set-up for the second half of the awards pipeline: a programme in expert review with nominations whose
facts are chosen per test (front line, enterprise head, woman, union), experts with an employer, sheets.

People go through the accounts service (valid, sealed ID numbers); nominations are written straight into
the table as an eligibility review would leave them (eligible and confirmed), and the programme reaches
专家评审 through the real transitions.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import httpx

from tests.helpers import han_digits, make_id_number, make_mobile, members_consent


def _root() -> Any:
    from accounts.rules import Role
    from accounts.schemas import CurrentUser

    return CurrentUser(id=0, username="system", role=Role.ORGANIZER, display_name="系统")


Person = dict[str, Any]


def person(
    name: str,
    union: int = 0,
    *,
    female: bool = False,
    front_line: bool = True,
    leader: bool = False,
    direct: bool = False,
    employer: int | None = None,
) -> Person:
    """A nominee to be: ``union`` 0 or 1 (the world's unions; employer the same-numbered enterprise unless
    ``employer`` says otherwise), the facts the constraints count, ``direct`` for a direct nomination."""
    return dict(
        name=name,
        union=union,
        female=female,
        front_line=front_line,
        leader=leader,
        direct=direct,
        employer=union if employer is None else employer,
    )


def office(name: str, union: int = 0, **facts: Any) -> Person:
    """A nominee who does not work on the front line."""
    return person(name, union, front_line=False, **facts)


async def add_person(world: dict[str, Any], spec: Person) -> int:
    """The person through the service; a name today's rules refuse (``=HYPERLINK(1)``) is written to the row
    afterwards, as one stored before them: the exports must still defuse it."""
    from accounts import service
    from accounts.audit import SYSTEM
    from accounts.rules import InvalidNumber, validate_name
    from accounts.schemas import AttestationIn, PersonIn
    from accounts.tables import Person as PersonRow

    try:
        name = validate_name(spec["name"])
    except InvalidNumber:
        name = "旧名"
    out = await service.create_person(
        SYSTEM,
        _root(),
        PersonIn(
            name=name,
            id_number=make_id_number(dt.date(1985, 6, 1), female=spec["female"]),
            mobile=make_mobile(),
            employer_id=world["enterprises"][spec["employer"]],
            union_id=world["unions"][spec["union"]],
            union_member=True,
            skill_level=3,
            front_line=spec["front_line"],
            enterprise_leader=spec["leader"],
            employed_since=dt.date(2012, 1, 1),
            members_consent=AttestationIn(**members_consent()),
        ),
    )
    if name != spec["name"]:
        await PersonRow.update({PersonRow.name: spec["name"]}).where(PersonRow.id == out.id)
    return out.id


async def add_expert(world: dict[str, Any], username: str, employer: int | None = None) -> int:
    """An expert user (password tests.helpers.PASSWORD); with ``employer`` (0/1) a person record there."""
    from accounts import service
    from accounts.audit import SYSTEM
    from accounts.rules import Role
    from accounts.schemas import UserIn
    from tests.helpers import PASSWORD

    person_id = None
    if employer is not None:
        person_id = await add_person(
            world, person(f"专家{han_digits(username)}", employer, employer=employer)
        )
    user = await service.create_user(
        SYSTEM,
        UserIn(
            username=username,
            password=PASSWORD,
            role=Role.EXPERT,
            display_name=f"专家{username}",
            person_id=person_id,
        ),
    )
    return user.id


async def programme_in_review(
    world: dict[str, Any],
    people: list[Person],
    *,
    total_awards: int,
    constraints: list[dict[str, Any]] | None = None,
    default_quota: int | None = None,
    quotas: dict[str, int] | None = None,
    notice_length: int = 5,
    notice_unit: str = "working_days",
    state: str = "expert_review",
    name: str = "2026 年亦城工匠",
    kind: str = "craftsman",
    **settings: Any,
) -> dict[str, Any]:
    """A programme moved to ``state`` (at most expert_review) with one eligible nomination per person;
    ``settings``: any other programme field (the issuing body, where objections go ...).

    Returns ``{"programme_id", "nominations": {name: id}, "people": {name: person id}}``.
    """
    from accounts.audit import SYSTEM
    from awards import lifecycle, programmes
    from awards.schemas import ProgrammeIn, TransitionIn
    from awards.tables import Nomination
    from core.db import utcnow
    from tests.awards.nomination_helpers import programme_payload

    payload = programme_payload(
        name=name,
        kind=kind,
        total_awards=total_awards,
        default_quota=default_quota,
        quotas=quotas or {},
        constraints=constraints or [],
        notice_length=notice_length,
        notice_unit=notice_unit,
        **settings,
    )
    import msgspec

    programme = await programmes.create_programme(SYSTEM, msgspec.convert(payload, ProgrammeIn))
    programme_id = programme.id
    await lifecycle.transition_programme(SYSTEM, programme_id, TransitionIn(target="open"))
    now = utcnow()
    nominations: dict[str, int] = {}
    people_ids: dict[str, int] = {}
    for spec in people:
        person_id = await add_person(world, spec)
        people_ids[spec["name"]] = person_id
        union_id = world["unions"][spec["union"]]
        inserted = await Nomination.insert(
            Nomination(
                programme=programme_id,
                person=person_id,
                union=union_id,
                quota_group=str(union_id),
                nomination_key=f"{programme_id}:{person_id}",
                source="direct" if spec["direct"] else "union",
                achievements='{"patent_count": 2, "apprentices_trained": 3}',
                deed=f"{spec['name']}扎根一线，技术过硬，带徒有方。",
                eligibility_status="eligible",
                eligibility_reasons="[]",
                eligibility_reviewed_at=now,
                status="nominated",
                created_at=now,
            )
        ).returning(Nomination.id)
        nominations[spec["name"]] = inserted[0]["id"]
    for target in ("eligibility_review", "expert_review"):
        if state in ("draft", "open") or (state == "eligibility_review" and target == "expert_review"):
            break
        await lifecycle.transition_programme(SYSTEM, programme_id, TransitionIn(target=target))
    return {"programme_id": programme_id, "nominations": nominations, "people": people_ids}


def marks(achievement: Any, innovation: Any = 0, influence: Any = 0) -> list[dict[str, str]]:
    """Marks on the standard rubric of tests.awards.nomination_helpers (40 / 30 / 30)."""
    return [
        {"aspect_id": "achievement", "value": str(achievement)},
        {"aspect_id": "innovation", "value": str(innovation)},
        {"aspect_id": "influence", "value": str(influence)},
    ]


async def submit(
    expert: httpx.AsyncClient,
    programme_id: int,
    nomination_id: int,
    score_marks: list[dict[str, str]],
    *,
    base_version: int = 0,
    submit: bool = True,
) -> httpx.Response:
    return await expert.put(
        "/api/review/sheets",
        json={
            "programme_id": programme_id,
            "nomination_id": nomination_id,
            "client_id": str(uuid.uuid4()),
            "base_version": base_version,
            "marks": score_marks,
            "submit": submit,
        },
    )


async def score_directly(programme_id: int, expert_id: int, scores: dict[int, Decimal]) -> None:
    """Submitted sheets written straight into the tables (for tests about the list, not about entry):
    the whole score goes on the first aspect, 0 on the others."""
    from awards.tables import ReviewMark, ReviewSheet
    from core.db import utcnow

    now = utcnow()
    for nomination_id, score in scores.items():
        sheet = await ReviewSheet.insert(
            ReviewSheet(
                programme=programme_id,
                nomination=nomination_id,
                expert=expert_id,
                sheet_key=f"{nomination_id}:{expert_id}",
                status="submitted",
                version=1,
                submitted_at=now,
                updated_at=now,
            )
        ).returning(ReviewSheet.id)
        sheet_id = sheet[0]["id"]
        split = {"achievement": min(score, Decimal(40))}
        split["innovation"] = min(score - split["achievement"], Decimal(30))
        split["influence"] = score - split["achievement"] - split["innovation"]
        await ReviewMark.insert(
            *(
                ReviewMark(sheet=sheet_id, aspect_id=a, mark_key=f"{sheet_id}:{a}", value=v, updated_at=now)
                for a, v in split.items()
            )
        )


async def add_reviewers(organizer: httpx.AsyncClient, programme_id: int, expert_ids: list[int]) -> dict:
    response = await organizer.post(
        f"/api/programmes/{programme_id}/reviewers", json={"expert_ids": expert_ids}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def set_notice_dates(programme_id: int, start: dt.date, end: dt.date) -> None:
    """Move a notice's dates (the clock of a test): stored data, as entering 公示 would have written it."""
    from awards.tables import Programme

    await Programme.update({Programme.notice_starts_on: start, Programme.notice_ends_on: end}).where(
        Programme.id == programme_id
    )


async def reviewed(
    organizer: httpx.AsyncClient,
    world: dict[str, Any],
    people: list[Person],
    scores: dict[str, Any],
    **programme: Any,
) -> dict[str, Any]:
    """A programme in expert review whose one expert has submitted ``scores`` (name -> total)."""
    built = await programme_in_review(world, people, **programme)
    expert = await add_expert(world, f"exp{built['programme_id']}")
    await add_reviewers(organizer, built["programme_id"], [expert])
    await score_directly(
        built["programme_id"],
        expert,
        {built["nominations"][name]: Decimal(str(score)) for name, score in scores.items()},
    )
    return built


async def shortlisted(
    organizer: httpx.AsyncClient,
    world: dict[str, Any],
    people: list[Person],
    scores: dict[str, Any],
    **programme: Any,
) -> dict[str, Any]:
    """As :func:`reviewed`, then the shortlist computed (state 建议名单); ``report`` added."""
    built = await reviewed(organizer, world, people, scores, **programme)
    response = await organizer.post(f"/api/programmes/{built['programme_id']}/shortlist", json={})
    assert response.status_code == 200 and response.json()["feasible"], response.text
    built["report"] = response.json()
    return built


# The public notice of a shortlist opened on a Wednesday; the award falls after its working days.
NOTICE_OPENED, AWARD_DAY = dt.date(2026, 9, 30), dt.date(2026, 10, 13)


async def open_notice_on(organizer: httpx.AsyncClient, monkeypatch: Any, programme_id: int) -> None:
    """The shortlist's public notice opened on ``NOTICE_OPENED`` (the notice's clock set to that day)."""
    from awards import notice

    monkeypatch.setattr(notice, "today", lambda: NOTICE_OPENED)
    opened = await organizer.post(f"/api/programmes/{programme_id}/notice", json={})
    assert opened.status_code == 200, opened.text


async def award_on(organizer: httpx.AsyncClient, monkeypatch: Any, programme_id: int) -> None:
    """The final list awarded on ``AWARD_DAY``, once the notice has run its course."""
    from awards import notice

    monkeypatch.setattr(notice, "today", lambda: AWARD_DAY)
    awarded = await organizer.post(f"/api/programmes/{programme_id}/award", json={})
    assert awarded.status_code == 200, awarded.text
