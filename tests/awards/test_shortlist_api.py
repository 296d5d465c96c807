"""The shortlist is computed: greatest total score under the quotas and every structural constraint at once,
with the displacements, the constraints that cannot be met and the cut-off ties shown, never settled."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from accounts.tables import AuditLog
from awards.tables import Nomination, Programme
from tests.awards.pipeline_factories import office, person, programme_in_review, reviewed
from tests.helpers import login, new_client

FRONT_LINE_HALF = [{"attribute": "front_line", "bound": "at_least", "percent": "50"}]


async def test_a_constraint_displaces_the_plain_top_n_and_the_report_says_whom(
    organizer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    built = await reviewed(
        organizer,
        world,
        [office("甲一"), office("甲二"), office("甲三"), person("乙一"), person("乙二"), person("乙三")],
        {"甲一": 95, "甲二": 90, "甲三": 85, "乙一": 80, "乙二": 75, "乙三": 70},
        total_awards=4,
        constraints=FRONT_LINE_HALF,
    )
    pid, ids = built["programme_id"], built["nominations"]
    response = await organizer.post(f"/api/programmes/{pid}/shortlist", json={})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["feasible"] is True and report["state"] == "shortlist"
    assert [e["name"] for e in report["selected"]] == ["甲一", "甲二", "乙一", "乙二"]
    assert [e["score"] for e in report["selected"]] == ["95", "90", "80", "75"]
    assert report["total_score"] == "340"
    assert report["plain"] == [ids["甲一"], ids["甲二"], ids["甲三"], ids["乙一"]]
    assert report["displacements"] == [
        {
            "constraint": "一线职工不少于50%",
            "brought_in": ["乙二"],
            "pushed_out": ["甲三"],
            "brought_in_ids": [ids["乙二"]],
            "pushed_out_ids": [ids["甲三"]],
            "message": "一线职工不少于50%：乙二（入选）替换了 甲三（出列）",
        }
    ]
    assert report["checks"] == [
        {"constraint": "一线职工不少于50%", "bound": "at_least", "count": 2, "plain": 1, "selected": 2}
    ]
    assert report["shortfalls"] == [] and report["cutoff_ties"] == []
    statuses = {
        r["id"]: (r["status"], r["review_score"])
        for r in await Nomination.select(Nomination.id, Nomination.status, Nomination.review_score)
    }
    assert statuses[ids["乙二"]] == ("shortlisted", Decimal(75))
    assert statuses[ids["甲三"]] == ("nominated", Decimal(85))
    audit = await AuditLog.select().where(AuditLog.action == "shortlist.compute").first()
    assert audit is not None and audit["entity_id"] == str(pid)
    again = await organizer.get(f"/api/programmes/{pid}/shortlist")
    assert again.json() == report


async def test_quotas_cap_each_union_and_are_reported(
    organizer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    built = await reviewed(
        organizer,
        world,
        [person("甲一"), person("甲二"), person("甲三"), person("乙一", 1), person("乙二", 1)],
        {"甲一": 95, "甲二": 90, "甲三": 85, "乙一": 60, "乙二": 55},
        total_awards=3,
        default_quota=2,
    )
    report = (await organizer.post(f"/api/programmes/{built['programme_id']}/shortlist", json={})).json()
    assert [e["name"] for e in report["selected"]] == ["甲一", "甲二", "乙一"]
    assert report["displacements"][0]["message"] == "各单位名额上限：乙一（入选）替换了 甲三（出列）"
    assert {e["group_name"] for e in report["selected"]} == {"甲公司工会", "乙公司工会"}


async def _one_woman_for_half_the_awards(
    organizer: httpx.AsyncClient, world: dict[str, Any]
) -> dict[str, Any]:
    """Three awards, at least half to women, and one woman nominated (the lowest marked): no list fits."""
    return await reviewed(
        organizer,
        world,
        [person("甲一", female=True), person("甲二"), person("甲三"), person("乙一", 1)],
        {"甲一": 70, "甲二": 90, "甲三": 85, "乙一": 80},
        total_awards=3,
        constraints=[{"attribute": "female", "bound": "at_least", "percent": "50"}],
    )


async def test_when_no_list_can_meet_a_constraint_it_says_which_and_by_how_many(
    organizer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    built = await _one_woman_for_half_the_awards(organizer, world)
    pid = built["programme_id"]
    response = await organizer.post(f"/api/programmes/{pid}/shortlist", json={})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["feasible"] is False and report["selected"] == []
    assert report["state"] == "expert_review"
    assert report["shortfalls"] == [
        {
            "constraint": "女性不少于50%",
            "needed": 2,
            "available": 1,
            "short_by": 1,
            "jointly": False,
            "message": "女性不少于50%：需要 2 人，符合条件可入选的只有 1 人，还差 1 人",
        }
    ]
    programme = await Programme.select(Programme.state).where(Programme.id == pid).first()
    assert programme is not None and programme["state"] == "expert_review"
    assert await Nomination.count().where(Nomination.status == "shortlisted") == 0
    assert (await organizer.get(f"/api/programmes/{pid}/shortlist")).json()["shortfalls"] == report[
        "shortfalls"
    ]
    assert await AuditLog.exists().where(AuditLog.action == "shortlist.infeasible")
    # The generic lifecycle route refuses the same way, naming the constraint.
    refused = await organizer.post(f"/api/programmes/{pid}/transition", json={"target": "shortlist"})
    assert refused.status_code == 409 and refused.json()["code"] == "shortlist_infeasible"
    assert "女性不少于50%" in refused.json()["message"]


async def test_ties_at_the_cut_off_are_shown_not_broken_silently(
    organizer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    built = await reviewed(
        organizer,
        world,
        [person("甲一"), person("甲二"), person("乙一", 1)],
        {"甲一": 90, "甲二": "80.5", "乙一": "80.5"},
        total_awards=2,
    )
    report = (await organizer.post(f"/api/programmes/{built['programme_id']}/shortlist", json={})).json()
    assert [e["name"] for e in report["selected"]] == ["甲一", "甲二"]
    final = [t for t in report["cutoff_ties"] if t["ranking"] == "final"]
    assert len(final) == 1
    assert (final[0]["selected"], final[0]["left_out"], final[0]["score"]) == (["甲二"], ["乙一"], "80.5 分")
    assert "同为80.5 分" in final[0]["message"] and "未作其他区分" in final[0]["message"]


async def test_direct_nominations_are_pre_selected_and_the_rest_filled_by_score(
    organizer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    built = await reviewed(
        organizer,
        world,
        [person("直推", direct=True), person("甲一"), person("甲二"), office("乙一", 1)],
        {"甲一": 70, "甲二": 60, "乙一": 99},
        total_awards=2,
        constraints=FRONT_LINE_HALF,
    )
    report = (await organizer.post(f"/api/programmes/{built['programme_id']}/shortlist", json={})).json()
    assert [(e["name"], e["source"], e["score"]) for e in report["selected"]] == [
        ("直推", "direct", None),
        ("乙一", "union", "99"),
    ]
    assert report["total_score"] == "99"
    assert any("直接推荐 1 人优先入选" in n for n in report["notes"])
    # With every seat but one taken by direct nominees, the constraint still counts them.
    assert report["checks"][0]["selected"] == 1


async def test_an_incomplete_review_is_refused_unless_confirmed_with_a_reason(
    organizer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    built = await reviewed(
        organizer,
        world,
        [person("甲一"), person("甲二"), person("乙一", 1)],
        {"甲一": 90, "甲二": 80},
        total_awards=2,
    )
    pid = built["programme_id"]
    refused = await organizer.post(f"/api/programmes/{pid}/shortlist", json={})
    assert refused.status_code == 409 and refused.json()["code"] == "review_incomplete"
    assert refused.json()["detail"]["nomination_ids"] == [built["nominations"]["乙一"]]
    no_reason = await organizer.post(f"/api/programmes/{pid}/shortlist", json={"allow_incomplete": True})
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    done = await organizer.post(
        f"/api/programmes/{pid}/shortlist",
        json={"allow_incomplete": True, "reason": "乙一推荐材料不全，未评"},
    )
    assert done.status_code == 200, done.text
    report = done.json()
    assert report["unscored"] == ["乙一"] and report["unscored_count"] == 1
    assert any("没有已提交的专家评审分数" in n for n in report["notes"])
    audit = await AuditLog.select().where(AuditLog.action == "shortlist.compute").first()
    assert audit is not None and audit["reason"] == "乙一推荐材料不全，未评"


async def test_the_generic_transition_computes_the_same_list(
    organizer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    built = await reviewed(
        organizer,
        world,
        [person("甲一"), person("甲二"), person("乙一", 1)],
        {"甲一": 90, "甲二": 80, "乙一": 85},
        total_awards=2,
    )
    pid = built["programme_id"]
    moved = await organizer.post(f"/api/programmes/{pid}/transition", json={"target": "shortlist"})
    assert moved.status_code == 200, moved.text
    report = (await organizer.get(f"/api/programmes/{pid}/shortlist")).json()
    assert [e["name"] for e in report["selected"]] == ["甲一", "乙一"]
    twice = await organizer.post(f"/api/programmes/{pid}/shortlist", json={})
    assert twice.status_code == 409 and twice.json()["code"] == "invalid_transition"


async def test_no_shortlist_yet_is_null_and_the_wrong_state_409(
    organizer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    built = await programme_in_review(world, [person("甲一")], total_awards=1, state="eligibility_review")
    pid = built["programme_id"]
    missing = await organizer.get(f"/api/programmes/{pid}/shortlist")
    assert missing.status_code == 200 and missing.json() is None  # "none yet": no 404 in the console
    early = await organizer.post(f"/api/programmes/{pid}/shortlist", json={})
    assert early.status_code == 409 and early.json()["code"] == "invalid_transition"
    assert (await organizer.get("/api/programmes/999999/shortlist")).status_code == 404


async def test_an_impossible_shortlist_offers_ways_out_and_a_relaxed_rule_is_audited(
    app: Any, organizer: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    built = await _one_woman_for_half_the_awards(organizer, world)
    pid = built["programme_id"]
    report = (await organizer.post(f"/api/programmes/{pid}/shortlist", json={})).json()
    assert report["feasible"] is False
    ways = {w["kind"]: w for w in report["ways_out"]}
    # Each offered way is one the solver accepts: 2 places need 1 woman; 33% of 3 is 1 woman.
    assert ways["awards"]["awards"] == 2 and "减少为 2 人" in ways["awards"]["message"]
    assert (ways["relax"]["constraint_index"], ways["relax"]["percent"]) == (0, "33")
    assert "女性不少于33%" in ways["relax"]["message"]
    assert ways["unions"]["short_by"] == 1 and set(ways["unions"]["group_names"]) == {
        "甲公司工会",
        "乙公司工会",
    }

    # Ask the unions concerned: kept with the report, shown to their officers, audited.
    asked = await organizer.post(
        f"/api/programmes/{pid}/shortlist/requests",
        json={"groups": ways["unions"]["groups"], "message": ways["unions"]["message"]},
    )
    assert asked.status_code == 200, asked.text
    assert asked.json()["requests"][0]["group_names"] == ways["unions"]["group_names"]
    async with new_client(app) as officer:
        await login(officer, "officer")
        mine = (await officer.get("/api/union/programmes")).json()
        assert next(p for p in mine if p["programme"]["id"] == pid)["requests"] == [ways["unions"]["message"]]
    assert await AuditLog.exists().where(AuditLog.action == "shortlist.request")

    # Relax the rule: a reason is required and the change must be looser; audited with old and new.
    relax = f"/api/programmes/{pid}/shortlist/relax"
    no_reason = await organizer.post(relax, json={"constraint_index": 0, "percent": "33", "reason": " "})
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    stricter = await organizer.post(relax, json={"constraint_index": 0, "percent": "60", "reason": "调整"})
    assert stricter.status_code == 422 and stricter.json()["code"] == "not_relaxed"
    relaxed = await organizer.post(
        relax,
        json={"constraint_index": 0, "percent": "33", "reason": "本届女性推荐人选不足，经评审委员会同意放宽"},
    )
    assert relaxed.status_code == 200, relaxed.text
    row = await AuditLog.select(AuditLog.before, AuditLog.after, AuditLog.reason).where(
        AuditLog.action == "shortlist.relax"
    )
    assert len(row) == 1 and "经评审委员会同意放宽" in row[0]["reason"]
    assert '"50"' in row[0]["before"] and '"33"' in row[0]["after"]
    again = (await organizer.post(f"/api/programmes/{pid}/shortlist", json={})).json()
    assert again["feasible"] is True and again["ways_out"] == []
    # Once the list is formed, no more relaxing.
    late = await organizer.post(relax, json={"constraint_index": 0, "percent": "10", "reason": "再放宽"})
    assert late.status_code == 409 and late.json()["code"] == "programme_locked"
