"""Team results, the organisation award and skill-level promotion over HTTP, on the factories' competition.

The competition (``tests.scoring.factories``) ranks c9 85.64, c8 81.78, c7 = c10 79.64, c5 73.87,
c4 70.44, c6 70.44, ... with c11 disqualified. Contestants with an even index belong to 甲公司工会 (and work
for 甲公司), odd ones to 乙公司工会. With union teams counting their best three:

    乙公司工会: c9 85.64 + c7 79.64 + c5 73.87 = 239.15   (c11 disqualified never counts)
    甲公司工会: c8 81.78 + c10 79.64 + c4 70.44 = 231.86
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import httpx
import msgspec
import openpyxl

from accounts import skill_levels
from accounts.tables import AuditLog, Person
from competitions.rules import EligibilityRules, PersonFacts, check_eligibility
from competitions.tables import Registration
from core.db import utcnow
from scoring import promotion
from scoring import rules as r
from scoring.tables import ScoringScheme
from tests.helpers import login, new_client
from tests.scoring import factories, recompute_reference

D = Decimal
UNION_TEAMS = r.TeamRules(best=3, grouping="union", tiers=r.TierPolicy(method="count", counts=(1, 1)))
PROMOTION = r.PromotionRule(
    bands=(
        r.PromotionBand(first_rank=1, last_rank=1, to_level=2),  # first place: 技师
        r.PromotionBand(first_rank=2, last_rank=5, to_level=3),  # ranks 2 to 5: 高级工
    ),
    highest=2,
    basis="亦人社发〔2026〕8号",
)


async def declare(organizer: httpx.AsyncClient, built: factories.Built, **declared: Any) -> httpx.Response:
    """Declare team / organisation-award / promotion rules through the organizer's scheme route."""
    url = f"/api/competitions/{built.competition_id}/scoring"
    current = (await organizer.get(url)).json()
    new_rules = msgspec.structs.replace(built.rules, **declared)
    return await organizer.put(
        url, json={"rules": msgspec.to_builtins(new_rules), "version": current["version"]}
    )


async def publish(organizer: httpx.AsyncClient, built: factories.Built) -> None:
    await factories.sign_off(built)
    base = f"/api/competitions/{built.competition_id}/results"
    assert (await organizer.post(f"{base}/unblind")).status_code == 201
    response = await organizer.post(f"{base}/publish", json={"previous_version": 0})
    assert response.status_code == 201, response.text


async def person_of(built: factories.Built, index: int) -> int:
    row = (
        await Registration.select(Registration.person)
        .where(Registration.id == built.registrations[index])
        .first()
    )
    return row["person"]


async def set_level(built: factories.Built, index: int, level: int | None) -> None:
    await Person.update({Person.skill_level: level}).where(Person.id == await person_of(built, index))


# ------------------------------------------------------------------------------------------- declaring


async def test_rules_without_teams_keep_working_and_bad_team_rules_are_refused(
    organizer: httpx.AsyncClient, built: factories.Built
) -> None:
    response = await declare(organizer, built, teams=r.TeamRules(best=0, min_members=2))
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "rules.teams.best"
    assert {p["path"] for p in body["detail"]["problems"]} == {"rules.teams.best", "rules.teams.min_members"}
    response = await declare(organizer, built, organisation_award=r.OrganisationAward(count=2))
    assert response.status_code == 422 and response.json()["field"] == "rules.organisation_award.basis"
    bad_band = r.PromotionRule(bands=(r.PromotionBand(first_rank=1, to_level=2, levels_up=1),))
    response = await declare(organizer, built, promotion=bad_band)
    assert response.status_code == 422 and response.json()["field"] == "rules.promotion.bands[0].to_level"
    # The stored rubric (no team fields) is untouched and still reads as before.
    scheme = (await organizer.get(f"/api/competitions/{built.competition_id}/scoring")).json()
    assert scheme["rules"]["teams"] is None and scheme["rules"]["promotion"] is None


# ------------------------------------------------------------------------------------ union teams, board


async def test_union_teams_and_organisation_award_on_boards_exports_and_document(
    app: object, organizer: httpx.AsyncClient, built: factories.Built
) -> None:
    award = r.OrganisationAward(count=1, basis="team")
    assert (await declare(organizer, built, teams=UNION_TEAMS, organisation_award=award)).status_code == 200
    base = f"/api/competitions/{built.competition_id}/results"
    live_board = (await organizer.get(f"{base}/live")).json()
    assert live_board["teams"] is None  # membership would unblind: only after unblinding
    await publish(organizer, built)
    live_board = (await organizer.get(f"{base}/live")).json()
    assert [(t["name"], t["score"]) for t in live_board["teams"]] == [
        ("乙公司工会", "239.15"),
        ("甲公司工会", "231.86"),
    ]
    async with new_client(app) as public:
        board = (await public.get(f"/api/public/competitions/{built.competition_id}/leaderboard")).json()
        document = (
            await public.get(f"/api/public/competitions/{built.competition_id}/open-document.json")
        ).json()
    teams = {t["name"]: t for t in board["teams"]}
    assert (teams["乙公司工会"]["rank"], teams["乙公司工会"]["prize"]) == (1, "一等奖")
    assert (teams["甲公司工会"]["rank"], teams["甲公司工会"]["prize"]) == (2, "二等奖")
    counted = {m["blind_code"] for m in teams["乙公司工会"]["members"] if m["counted"]}
    assert counted == {built.blind_codes[i] for i in (9, 7, 5)}
    disqualified = next(m for m in teams["乙公司工会"]["members"] if m["blind_code"] == built.blind_codes[11])
    assert disqualified["disqualified"] and not disqualified["counted"]
    # Each team's score is the sum of its counted members' published scores.
    by_code = {row["blind_code"]: D(row["final_score"]) for row in board["rows"]}
    for team in board["teams"]:
        assert D(team["score"]) == sum(by_code[m["blind_code"]] for m in team["members"] if m["counted"])
    assert [(a["union"], a["position"], a["awarded"]) for a in board["organisation_awards"]] == [
        ("乙公司工会", 1, True),
        ("甲公司工会", 2, False),
    ]
    # The open document names teams and unions by number only, and the independent script agrees.
    assert {t["team_no"] for t in document["teams"]} == {t["team_no"] for t in board["teams"]}
    assert "工会" not in str(document["teams"]) and "工会" not in str(document["published_teams"])
    assert recompute_reference.check(document) == []
    # The workbook has the team and organisation-award sheets; the team CSV the same rows.
    xlsx = await organizer.get(f"{base}/export.xlsx", params={"version": 1})
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["成绩", "团体成绩", "优秀组织奖"]
    sheet_rows = list(book["团体成绩"].iter_rows(min_row=4, values_only=True))
    assert [(row[0], row[2], row[4]) for row in sheet_rows] == [
        (1, "乙公司工会", 239.15),
        (2, "甲公司工会", 231.86),
    ]
    csv = await organizer.get(f"{base}/teams/export.csv")
    assert csv.status_code == 200 and csv.content.startswith(b"\xef\xbb\xbf")
    assert "乙公司工会" in csv.content.decode("utf-8-sig").splitlines()[1]


async def test_team_results_follow_a_correction_and_the_old_version_keeps_its_own(
    app: object, organizer: httpx.AsyncClient, built: factories.Built
) -> None:
    teams = r.TeamRules(best=2, grouping="enterprise", method="mean", tiers=None)
    assert (await declare(organizer, built, teams=teams)).status_code == 200
    await publish(organizer, built)
    base = f"/api/competitions/{built.competition_id}/results"
    first = (await organizer.get(f"{base}/publications/1")).json()
    # 乙公司: c9 85.64, c7 79.64 -> mean 82.64; 甲公司: c8 81.78, c10 79.64 -> 80.71.
    assert [(t["name"], t["score"], t["rank"]) for t in first["teams"]] == [
        ("乙公司", "82.64", 1),
        ("甲公司", "80.71", 2),
    ]
    # The chief judge disqualifies c9: 乙公司 now counts c7 79.64 and c5 73.87 -> 76.755, published 76.76.
    async with new_client(app) as chief:
        await login(chief, "judge")
        response = await chief.post(
            f"/api/chief/competitions/{built.competition_id}/disqualifications",
            json={"registration_id": built.registrations[9], "reason": "违规"},
        )
        assert response.status_code == 200, response.text
    republished = await organizer.post(f"{base}/publish", json={"previous_version": 1, "reason": "取消资格"})
    assert republished.status_code == 201, republished.text
    second = (await organizer.get(f"{base}/publications/2")).json()
    assert [(t["name"], t["score"], t["rank"]) for t in second["teams"]] == [
        ("甲公司", "80.71", 1),
        ("乙公司", "76.76", 2),
    ]
    assert (await organizer.get(f"{base}/publications/1")).json()["teams"] == first["teams"]
    history = (await organizer.get(f"{base}/publications")).json()
    team_changes = {
        (c["name"], c["field"]): (c["old"], c["new"]) for c in history[0]["changes"] if not c["blind_code"]
    }
    assert team_changes == {
        ("乙公司", "team_score"): ("82.64", "76.76"),
        ("乙公司", "team_rank"): ("1", "2"),
        ("甲公司", "team_rank"): ("2", "1"),
    }


# ----------------------------------------------------------------------------------------------- named teams


async def test_named_teams_are_checked_audited_and_fixed_once_scoring_starts(
    organizer: httpx.AsyncClient, built: factories.Built, world: dict[str, Any]
) -> None:
    url = f"/api/competitions/{built.competition_id}/teams"
    reg = built.registrations
    one = {"name": "电工一队", "union_id": world["unions"][0], "registration_ids": [reg[0], reg[2], reg[4]]}
    created = await organizer.post(url, json=one)
    assert created.status_code == 201, created.text
    team = created.json()
    assert [m["registration_id"] for m in team["members"]] == [reg[0], reg[2], reg[4]]
    assert team["union_name"] == "甲公司工会" and team["version"] == 1
    refusals = [
        ({**one, "name": "x", "registration_ids": [reg[1], reg[1]]}, 422, "registration_ids[1]"),
        ({**one, "name": "x", "registration_ids": [reg[1], 999_999]}, 422, "registration_ids[1]"),
        ({**one, "registration_ids": [reg[1]]}, 409, "name"),
        ({**one, "name": "电工三队", "registration_ids": [reg[1], reg[4]]}, 409, "registration_ids"),
        ({**one, "name": "x", "union_id": 999_999, "registration_ids": [reg[1]]}, 422, "union_id"),
    ]
    for body, status, field in refusals:
        response = await organizer.post(url, json=body)
        assert (response.status_code, response.json().get("field")) == (status, field), body
    two = await organizer.post(url, json={"name": "电工二队", "registration_ids": [reg[1], reg[3], reg[5]]})
    assert two.status_code == 201
    stale = await organizer.put(f"{url}/{team['id']}", json={**one, "version": 0})
    assert stale.status_code == 409 and stale.json()["detail"] == {"current_version": 1}
    changed = await organizer.put(
        f"{url}/{team['id']}",
        json={**one, "registration_ids": [reg[0], reg[2], reg[6], reg[8]], "version": 1},
    )
    assert changed.status_code == 200 and changed.json()["version"] == 2
    listed = (await organizer.get(url)).json()
    assert [(t["name"], len(t["members"])) for t in listed] == [("电工一队", 4), ("电工二队", 3)]
    assert (await organizer.delete(f"{url}/{two.json()['id']}", params={"version": 1})).status_code == 204
    actions = [
        row["action"]
        for row in await AuditLog.select(AuditLog.action).where(AuditLog.entity == "competition_team")
    ]
    assert sorted(actions) == ["team.create", "team.create", "team.delete", "team.update"]
    # The first mark freezes the scheme, and the teams with it.
    await ScoringScheme.update({ScoringScheme.frozen_at: utcnow()}).where(
        ScoringScheme.competition == built.competition_id
    )
    frozen = await organizer.post(url, json={"name": "电工四队", "registration_ids": [reg[1]]})
    assert frozen.status_code == 409 and frozen.json()["code"] == "teams_frozen"
    frozen = await organizer.delete(f"{url}/{team['id']}", params={"version": 2})
    assert frozen.status_code == 409 and frozen.json()["code"] == "teams_frozen"


async def test_named_teams_are_ranked_on_their_best_members(
    organizer: httpx.AsyncClient, built: factories.Built, world: dict[str, Any]
) -> None:
    url = f"/api/competitions/{built.competition_id}/teams"
    reg = built.registrations
    for name, members in (("一队", (9, 8, 0)), ("二队", (7, 10, 2, 3)), ("三队", (11, 1))):
        body = {"name": name, "registration_ids": [reg[i] for i in members], "union_id": world["unions"][1]}
        assert (await organizer.post(url, json=body)).status_code == 201
    teams = r.TeamRules(best=2, grouping="named", tiers=r.TierPolicy(method="count", counts=(1,)))
    award = r.OrganisationAward(count=1, basis="prize_winners")
    assert (await declare(organizer, built, teams=teams, organisation_award=award)).status_code == 200
    await publish(organizer, built)
    board = (await organizer.get(f"/api/public/competitions/{built.competition_id}/leaderboard")).json()
    got = [(t["name"], t["score"], t["rank"], t["prize"], t["ranked"]) for t in board["teams"]]
    # 一队: c9 85.64 + c8 81.78 = 167.42; 二队: c7 79.64 + c10 79.64 = 159.28; 三队: c11 is disqualified,
    # so one ranked member of the two counted: listed, not ranked.
    assert got == [
        ("一队", "167.42", 1, "一等奖", True),
        ("二队", "159.28", 2, None, True),
        ("三队", board["teams"][2]["score"], None, None, False),
    ]
    # Prize winners by union (c9, c8, c7, c10, c5): 乙公司工会 has c9, c7, c5; 甲公司工会 c8, c10.
    assert [(a["union"], a["figure"], a["awarded"]) for a in board["organisation_awards"]] == [
        ("乙公司工会", 3, True),
        ("甲公司工会", 2, False),
    ]
    document = (
        await organizer.get(f"/api/public/competitions/{built.competition_id}/open-document.json")
    ).json()
    assert recompute_reference.check(document) == []


# ------------------------------------------------------------------------------------------------ promotion


async def test_promotion_is_listed_confirmed_once_recorded_and_sent_to_the_bureau(
    app: object, organizer: httpx.AsyncClient, built: factories.Built
) -> None:
    assert (await declare(organizer, built, promotion=PROMOTION)).status_code == 200
    # Held before: c9 高级工 (3), c8 中级工 (4), c7 none, c10 高级工 (3), c5 技师 (2).
    await set_level(built, 8, 4)
    await set_level(built, 7, None)
    await set_level(built, 5, 2)
    base = f"/api/competitions/{built.competition_id}/results"
    early = await organizer.get(f"{base}/promotions")
    assert early.status_code == 409 and early.json()["code"] == "not_published"
    await publish(organizer, built)
    listed = (await organizer.get(f"{base}/promotions")).json()
    code = built.blind_codes
    assert [
        (row["blind_code"], row["rank"], row["level_before"], row["level_after"], row["outcome"])
        for row in listed["rows"]
    ] == [
        (code[9], 1, 3, 2, "promoted"),
        (code[8], 2, 4, 3, "promoted"),
        *sorted([(code[7], 3, None, 3, "promoted"), (code[10], 3, 3, None, "already_held")]),
        (code[5], 5, 2, None, "already_held"),
    ]
    assert listed["basis"] == "亦人社发〔2026〕8号" and listed["confirmation"] is None
    document = (
        await organizer.get(f"/api/public/competitions/{built.competition_id}/open-document.json")
    ).json()
    assert len(document["promotions"]) == 5 and recompute_reference.check(document) == []
    assert (await organizer.get(f"{base}/promotions/export.xlsx")).json()["code"] == "not_confirmed"
    stale = await organizer.post(f"{base}/promotions/confirm", json={"publication_version": 2})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    confirmed = await organizer.post(
        f"{base}/promotions/confirm", json={"publication_version": 1, "reason": "公示无异议"}
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["confirmation"]["promoted"] == 3
    again = await organizer.post(f"{base}/promotions/confirm", json={"publication_version": 1})
    assert again.status_code == 409 and again.json()["code"] == "already_confirmed"
    people = [await person_of(built, i) for i in (9, 8, 7, 10, 5)]
    levels = await skill_levels.current_levels(people)
    assert [levels[p] for p in people] == [2, 3, 3, 3, 2]
    history = (await organizer.get(f"/api/people/{await person_of(built, 9)}/skill-levels")).json()
    assert history["skill_level_name"] == "技师"
    [change] = history["history"]
    assert (change["level_before"], change["level_after"], change["source"]) == (3, 2, "promotion")
    assert "第1名" in change["basis"] and "亦人社发〔2026〕8号" in change["basis"]
    actions = [a["action"] for a in await AuditLog.select(AuditLog.action).where(AuditLog.action.like("p%"))]
    assert actions.count("person.promote") == 3 and actions.count("promotion.confirm") == 1
    # The bureau's workbook: the three promoted, with full ID numbers (organizers only; audited).
    workbook = await organizer.get(f"{base}/promotions/export.xlsx")
    assert workbook.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content))["晋升名单"]
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    unseal = f"/api/people/{await person_of(built, 9)}/unseal"
    full_id = (await organizer.post(unseal, json={"purpose": "核对晋升名单"})).json()["id_number"]
    first = rows[0]
    assert (first[1], first[3], first[9], first[10]) == (built.names[9], full_id, "高级工", "技师")
    assert [row[9] for row in rows] == ["高级工", "中级工", "无"] and len(rows) == 3
    assert await AuditLog.count().where(AuditLog.action == "promotion.export_full") == 1
    opened_for_bureau = AuditLog.reason == promotion.HR_PURPOSE
    assert await AuditLog.count().where((AuditLog.action == "person.unseal") & opened_for_bureau) == 3
    async with new_client(app) as officer:
        await login(officer, "officer")
        assert (await officer.get(f"{base}/promotions/export.xlsx")).status_code == 403


async def test_eligibility_sees_the_promoted_level_and_manual_edits_are_history_too(
    organizer: httpx.AsyncClient, built: factories.Built
) -> None:
    """Eligibility ("技师 or above") reads the person's level now: the one a promotion confirmed."""
    assert (await declare(organizer, built, promotion=PROMOTION)).status_code == 200
    await publish(organizer, built)
    person = await person_of(built, 9)
    technician_or_above = EligibilityRules(least_senior_level=2)

    async def eligible() -> bool:
        row = await Person.select(Person.id, Person.birth_date).where(Person.id == person).first()
        level = (await skill_levels.current_levels([person]))[person]
        facts = PersonFacts(person_id=person, birth_date=row["birth_date"], skill_level=level)
        return not check_eligibility(
            technician_or_above, facts, reference_date=row["birth_date"], enterprise_count=0
        )

    assert not await eligible()
    base = f"/api/competitions/{built.competition_id}/results"
    assert (
        await organizer.post(f"{base}/promotions/confirm", json={"publication_version": 1})
    ).status_code == 200
    assert await eligible()
    current = (await organizer.get(f"/api/people/{person}")).json()
    patched = await organizer.patch(
        f"/api/people/{person}", json={"version": current["version"], "skill_level": 1}
    )
    assert patched.status_code == 200, patched.text
    history = (await organizer.get(f"/api/people/{person}/skill-levels")).json()
    assert [(h["source"], h["level_before"], h["level_after"]) for h in history["history"]] == [
        ("manual", 2, 1),
        ("promotion", 3, 2),
    ]
