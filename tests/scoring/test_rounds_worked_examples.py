"""Published results with rounds and module scores, entered through the HTTP API as the organizer and the
judge would, reproduced to the published figure by the engine and by the independent recomputation script.

(a) A two-round competition with a cut: the men's snowboard halfpipe of the Sochi 2014 Olympic Winter
Games (Rosa Khutor, 11 February 2014), semifinal to final. The semifinal's best six go through; the final
starts again from zero (each rider's best run counts; the final ranking is the final's score alone).

Semifinal, best score, * qualified for the final ("Men's Halfpipe Semi-Final Scores ... via
Sochi2014.com", Bleacher Report, 11 February 2014,
http://bleacherreport.com/articles/1955821-olympic-snowboarding-2014-mens-halfpipe-qualifying-results-and-scores):
Podladtchikov* 87.50, Bretz* 83.00, Callister* 79.50, Zhang Yiwei* 79.25, Shi Wancheng* 78.50,
Ravnjak* 75.50, Johnstone 73.50, Gold 60.75, O'Connor 54.00, Baisamy 37.00, Longo 31.75, Scherrer DNS.

Final ("Men's Olympic Halfpipe Results", POPMAG, 12 February 2014,
http://www.popmag.com.au/56831/i-pod-defeats-white-in-terrible-conditions-at-sochi/; the winning 94.75
also in the New York Times report): 1 Podladtchikov 94.75, 2 Hirano 93.5, 3 Hiraoka 92.25, 4 White 90.25,
5 Habluetzel 88.5, 6 Zhang Yiwei 87.25, 7 Shi Wancheng 81.00, 8 Ravnjak 72.25, 9 Callister 68.5,
10 Davis 53.00, 11 Haller 51.5, 12 Bretz 26.5.

What is modelled: the eleven riders who started the semifinal (Scherrer did not start and is left out),
each round one imported stage out of 100 holding the rider's published best score, total = the last
round (each round weighted 50 % and scaled back to 100, as the last round alone counts). Hirano,
Hiraoka, White, Habluetzel, Davis and Haller went to the final straight from the heats, a round before
the one modelled here, so they are not in it: among the semifinal's riders the published
order is Podladtchikov, Zhang, Shi, Ravnjak, Callister, Bretz (overall 1, 6, 7, 8, 9, 12), then the five
who missed the cut in semifinal order (overall 13-17), which is what the engine must give as ranks 1-11.

(b) A tie separated by a module score: the men's pommel horse final of the London 2012 Olympic Games (5
August 2012). "Both Smith and Berki scored 16.066 but the Hungarian was awarded the Olympic gold for a
higher execution score ... Berki had a difficulty score of 6.9 and an execution score of 9.166, to Smith's
higher difficulty of 7.0 but lower execution of 9.066" (BBC Sport, https://www.bbc.co.uk/sport/olympics/18907323;
also Reuters, 5 August 2012: "the Hungarian scored 0.1 better on execution, the score that is taken into
account for a tiebreak"). Modelled as one stage with a difficulty module (D) and an execution module (E),
each one aspect entered by the judge as the panel's published figure, and the tie-break "higher E". The
D score is open-ended in the Code of Points; its declared maximum (90) only makes the stage out of 100, so
that the weighted-to-100 final equals the published total D + E. Whitlock's bronze (15.600) is left out:
the sources give his total, not his D and E.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers import login, new_client
from tests.scoring import recompute_reference
from tests.scoring import rounds_world as rw

SEMIFINAL = [
    ("Podladtchikov", "87.50", "94.75"),
    ("Bretz", "83.00", "26.5"),
    ("Callister", "79.50", "68.5"),
    ("Zhang Yiwei", "79.25", "87.25"),
    ("Shi Wancheng", "78.50", "81.00"),
    ("Ravnjak", "75.50", "72.25"),
    ("Johnstone", "73.50", None),
    ("Gold", "60.75", None),
    ("O'Connor", "54.00", None),
    ("Baisamy", "37.00", None),
    ("Longo", "31.75", None),
]


def halfpipe_rules(semifinal: int, final: int) -> dict[str, Any]:
    return {
        "stages": [
            {
                "id": str(semifinal),
                "name": "半决赛",
                "kind": "imported",
                "full_marks": "100",
                "weight_percent": "50",
            },
            {
                "id": str(final),
                "name": "决赛",
                "kind": "imported",
                "full_marks": "100",
                "weight_percent": "50",
            },
        ],
        "rounding": {"final": {"decimals": 2, "mode": "half_up"}},
        "tiers": {"method": "count", "counts": [1, 1, 1]},
        "rounds": {
            "rounds": [
                {"id": "semi", "name": "半决赛", "stages": [str(semifinal)], "cut": "top", "count": 6},
                {"id": "final", "name": "决赛", "stages": [str(final)]},
            ],
            "total": "last",
        },
    }


async def test_a_two_round_halfpipe_with_a_cut_reproduces_the_published_order(
    app: object, world: dict[str, Any]
) -> None:
    w = await rw.build(
        world, contestants=len(SEMIFINAL), stages=[("半决赛", "theory", "50"), ("决赛", "theory", "50")]
    )
    semifinal, final = w["stage_ids"]
    cid = w["competition_id"]
    async with new_client(app) as organizer, new_client(app) as judge, new_client(app) as public:
        await login(organizer, "organizer")
        await login(judge, "judge")
        await rw.set_rules(organizer, w, halfpipe_rules(semifinal, final))
        response = await rw.import_marks(organizer, w, 0, {i: row[1] for i, row in enumerate(SEMIFINAL)})
        assert response.status_code == 200, response.text
        # the final cannot be entered before the semifinal's cut is known
        early = await rw.import_marks(organizer, w, 1, {0: "94.75"})
        assert early.status_code == 409 and early.json()["code"] == "round_not_open"
        closed = await organizer.post(
            f"/api/competitions/{cid}/rounds/semi/close", json={"reason": "半决赛结束"}
        )
        assert closed.status_code == 200, closed.text
        semi = closed.json()["rounds"][0]
        by_code = {s["blind_code"]: s for s in semi["standings"]}
        for i, (who, score, went_on) in enumerate(SEMIFINAL):
            assert by_code[w["codes"][i]]["score"] == score, who
            assert by_code[w["codes"][i]]["rank"] == i + 1, who
            assert by_code[w["codes"][i]]["qualified"] == (went_on is not None), who
        # reverse order: the semifinal's sixth starts the final first, its winner last
        assert [s["blind_code"] for s in semi["start_order"]] == [w["codes"][i] for i in (5, 4, 3, 2, 1, 0)]
        # a rider who missed the cut gets no final mark
        refused = await rw.import_marks(organizer, w, 1, {6: "50.00"})
        assert refused.status_code == 409 and refused.json()["code"] == "not_qualified"
        assert "未晋级" in refused.json()["message"]
        response = await rw.import_marks(
            organizer, w, 1, {i: row[2] for i, row in enumerate(SEMIFINAL) if row[2] is not None}
        )
        assert response.status_code == 200, response.text
        await rw.sign_everything(judge, w, [])
        out = await rw.publish(organizer, public, w)
    rows = {row["blind_code"]: row for row in out["board"]["rows"]}
    expected_order = [0, 3, 4, 5, 2, 1, 6, 7, 8, 9, 10]  # Podladtchikov, Zhang, Shi, Ravnjak, ...
    for rank, i in enumerate(expected_order, start=1):
        who, semi_score, final_score = SEMIFINAL[i]
        row = rows[w["codes"][i]]
        assert row["rank"] == rank, who
        assert row["round_scores"]["semi"] == semi_score, who
        if final_score is None:
            assert "final" not in row["round_scores"] and row["eliminated_after"] == 0, who
            assert row["final_score"] == semi_score, who  # the total of the last round reached
        else:
            assert row["round_scores"]["final"] == f"{float(final_score):.2f}", who
            assert row["final_score"] == f"{float(final_score):.2f}", who
            assert "eliminated_after" not in row, who
    assert [rows[w["codes"][i]]["prize"] for i in (0, 3, 4)] == ["一等奖", "二等奖", "三等奖"]
    assert [r["id"] for r in out["board"]["rounds"]] == ["semi", "final"]
    assert recompute_reference.check(out["document"]) == []
    assert out["document"]["rounds"][0]["start_order"] == [w["codes"][i] for i in (5, 4, 3, 2, 1, 0)]


POMMEL = [("Berki", "6.9", "9.166"), ("Smith", "7.0", "9.066")]


def pommel_rules(stage: int) -> dict[str, Any]:
    return {
        "stages": [
            {
                "id": str(stage),
                "name": "鞍马决赛",
                "kind": "rubric",
                "full_marks": "100",
                "weight_percent": "100",
                "modules": [
                    {
                        "id": "D",
                        "name": "难度分",
                        "aspects": [{"id": "d", "kind": "measurement", "max_mark": "90", "step": "0.1"}],
                    },
                    {
                        "id": "E",
                        "name": "完成分",
                        "aspects": [{"id": "e", "kind": "measurement", "max_mark": "10", "step": "0.001"}],
                    },
                ],
            }
        ],
        "rounding": {"final": {"decimals": 3, "mode": "half_up"}},
        "tie_breaks": [{"kind": "module", "ref": "E"}],
        "tiers": {"method": "count", "counts": [1, 1, 1]},
        "public_modules": ["D", "E"],
    }


async def test_a_tie_on_the_total_is_broken_by_the_execution_module(
    app: object, world: dict[str, Any]
) -> None:
    w = await rw.build(world, contestants=len(POMMEL), stages=[("鞍马决赛", "practical", "100")])
    async with new_client(app) as organizer, new_client(app) as judge, new_client(app) as public:
        await login(organizer, "organizer")
        await login(judge, "judge")
        await rw.set_rules(organizer, w, pommel_rules(w["stage_ids"][0]))
        for i, (_, d, e) in enumerate(POMMEL):
            response = await rw.submit_sheet(judge, w, 0, i, {"d": d, "e": e})
            assert response.status_code == 200, response.text
        await rw.sign_everything(judge, w, [0])
        live_board = (await organizer.get(f"/api/competitions/{w['competition_id']}/results/live")).json()
        assert {m["id"] for m in live_board["modules"]} == {"D", "E"}
        out = await rw.publish(organizer, public, w)
    rows = {row["blind_code"]: row for row in out["board"]["rows"]}
    berki, smith = rows[w["codes"][0]], rows[w["codes"][1]]
    assert berki["final_score"] == smith["final_score"] == "16.066"
    assert (berki["rank"], smith["rank"]) == (1, 2)
    assert (berki["prize"], smith["prize"]) == ("一等奖", "二等奖")
    assert berki["module_scores"] == {"D": "6.900", "E": "9.166"}
    assert smith["module_scores"] == {"D": "7.000", "E": "9.066"}
    assert [m["id"] for m in out["board"]["modules"]] == ["D", "E"]
    published = {p["blind_code"]: p for p in out["document"]["published"]}
    assert published[w["codes"][0]]["module_scores"]["E"] == "9.166"
    assert recompute_reference.check(out["document"]) == []
    # The script is no rubber stamp: Smith's execution published as Berki's would flip the tie.
    forged = {**out["document"], "published": [dict(p) for p in out["document"]["published"]]}
    for p in forged["published"]:
        if p["blind_code"] == w["codes"][1]:
            p["rank"] = 1
    assert recompute_reference.check(forged) != []


async def test_module_scores_stay_off_the_public_board_unless_chosen(
    client: httpx.AsyncClient, app: object, world: dict[str, Any]
) -> None:
    w = await rw.build(world, contestants=len(POMMEL), stages=[("鞍马决赛", "practical", "100")])
    rules = {**pommel_rules(w["stage_ids"][0]), "public_modules": []}
    async with new_client(app) as organizer, new_client(app) as judge, new_client(app) as public:
        await login(organizer, "organizer")
        await login(judge, "judge")
        await rw.set_rules(organizer, w, rules)
        for i, (_, d, e) in enumerate(POMMEL):
            assert (await rw.submit_sheet(judge, w, 0, i, {"d": d, "e": e})).status_code == 200
        await rw.sign_everything(judge, w, [0])
        out = await rw.publish(organizer, public, w)
    assert out["board"]["modules"] == []
    assert all("module_scores" not in row for row in out["board"]["rows"])
    assert all("module_scores" not in p for p in out["document"]["published"])
    assert recompute_reference.check(out["document"]) == []
