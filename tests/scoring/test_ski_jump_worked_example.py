"""A published ski-jumping round reproduced to the published figure: signed compensation points, a trimmed
sum of style marks, raw points (no weighting) and shared ranks, entered through the API as the organizer and
the judges would, then recomputed from the open document by the independent script.

The round: FIS World Cup, Innsbruck (AUT), Bergisel HS130 / K120, 4 January 2012 (Four Hills Tournament,
FIS codex 3069), first round. Per jump: distance points (60 + 1.8 per metre from K), five style marks A-E
of which the highest and the lowest are dropped and the middle three added, gate points (+4.2 for the jumpers
who started from gate 9; 0 from gate 10) and wind compensation (-10.7 .. +3.0 here), all in tenths of a
point; the round's points are their raw sum, published to one decimal, and equal points share a rank
(Kofler and Bardal 128.5: both 4th; Koudelka and Hlava 125.5: both 8th).

Source of the figures: the official FIS results list of codex 3069 as parsed, jump by jump, in the public
data set "Ski Jumping Data Center" (github.com/wrotki8778/Ski_jumping_data_center, file comp_results.csv:
distance points, note_1..note_5, gate_points, wind_comp, points and loc = rank in the round; comp_infos.csv
names codex 3069 as Innsbruck, 4 January 2012, K 120, 1.8 points per metre). Checked by hand before use:
every published round total is distance + middle three marks + gate + wind exactly. The 30 jumpers are
those of the round who went on to the final round: the first round in Innsbruck is run as knock-out pairs,
and the FIS list places the 20 eliminated jumpers after the 30 whatever their points, so their places are
not a ranking by points and are left out (the 30's places are ranks by points among themselves).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from scoring import live, public_boards
from tests.helpers import login, new_client
from tests.scoring import recompute_reference, worked_world

# name, distance points, style marks A-E, gate points, wind points, published round points, published place
ROUND_ONE = (
    ("Kofler Andreas", "73.5", ("18.5", "18", "19", "18.5", "18.5"), "4.2", "-4.7", "128.5", 4),
    ("Schlierenzauer Gregor", "78.9", ("18", "19", "19", "19", "18.5"), "4.2", "-5.8", "133.8", 2),
    ("Takeuchi Taku", "80.7", ("18.5", "19", "19", "19", "18.5"), "0", "-6", "131.2", 3),
    ("Bardal Anders", "74.4", ("18.5", "18.5", "18.5", "18.5", "18.5"), "4.2", "-5.6", "128.5", 4),
    ("Koudelka Roman", "66.3", ("18", "18.5", "18", "18.5", "18"), "4.2", "0.5", "125.5", 8),
    ("Morgenstern Thomas", "60.9", ("18", "17.5", "18", "18", "18"), "4.2", "3", "122.1", 12),
    ("Mechler Maximilian", "58.2", ("17.5", "17.5", "18", "17.5", "18"), "4.2", "0.2", "115.6", 15),
    ("Neumayer Michael", "81.6", ("15.5", "16.5", "16.5", "15.5", "16"), "0", "-5.4", "124.2", 10),
    ("Stoch Kamil", "82.5", ("18", "18.5", "19", "18.5", "19"), "4.2", "-2.8", "139.9", 1),
    ("Hlava Lukas", "70.8", ("18.5", "18.5", "19", "19", "18"), "0", "-1.3", "125.5", 8),
    ("Prevc Peter", "77.1", ("18.5", "18.5", "19", "19", "18.5"), "0", "-9.8", "123.3", 11),
    ("Freitag Richard", "75.3", ("17.5", "18.5", "18", "18.5", "18"), "0", "-4", "125.8", 7),
    ("Velta Rune", "51.9", ("17", "17", "17", "17", "17"), "4.2", "1.6", "108.7", 26),
    ("Janda Jakub", "69.9", ("18", "18.5", "18.5", "18.5", "18.5"), "0", "-5.8", "119.6", 14),
    ("Vassiliev Dimitry", "83.4", ("16", "16.5", "16", "16", "16"), "0", "-10", "121.4", 13),
    ("Ammann Simon", "59.1", ("17", "17.5", "17.5", "18", "17.5"), "0", "0.1", "111.7", 21),
    ("Zauner David", "59.1", ("17", "17.5", "17", "17", "17"), "4.2", "-0.8", "113.5", 18),
    ("Hocke Stephan", "64.5", ("18", "18", "18", "18", "18"), "0", "-5.5", "113.0", 20),
    ("Hayboeck Michael", "53.7", ("17.5", "17", "17.5", "17", "17.5"), "0", "-1.6", "104.1", 29),
    ("Kornilov Denis", "74.4", ("16.5", "16.5", "16", "15.5", "16"), "0", "-9.6", "113.3", 19),
    ("Freund Severin", "57.3", ("15.5", "17", "16.5", "15.5", "15.5"), "4.2", "-1.2", "107.8", 27),
    ("Damjan Jernej", "64.5", ("18", "17.5", "18", "18.5", "18"), "0", "-3.9", "114.6", 17),
    ("Koch Martin", "48.3", ("17.5", "17", "17", "17.5", "17"), "0", "0.7", "100.5", 30),
    ("Loitzl Wolfgang", "51", ("17", "17", "17.5", "17.5", "17.5"), "0", "2", "105.0", 28),
    ("Watase Yuta", "67.2", ("17.5", "18", "18", "18", "18"), "0", "-6.5", "114.7", 16),
    ("Gangnes Kenneth", "68.1", ("18", "18", "18.5", "18", "18"), "0", "-10.7", "111.4", 22),
    ("Ito Daiki", "77.1", ("17.5", "18.5", "18", "18.5", "18"), "0", "-4.1", "127.5", 6),
    ("Kranjec Robert", "54.6", ("17.5", "17.5", "17.5", "17.5", "17.5"), "4.2", "-1.9", "109.4", 24),
    ("Koivuranta Anssi", "65.4", ("17", "16.5", "16.5", "16.5", "17.5"), "0", "-4.1", "111.3", 23),
    ("Kot Maciej", "57.3", ("17.5", "17.5", "18", "18", "17.5"), "0", "-1.4", "108.9", 25),
)


def jump_rules(stage_id: int) -> dict[str, Any]:
    """One stage of raw points: distance (a signed range, K is 60), five style marks summed after dropping
    the highest and lowest (all five needed), gate and wind compensation (signed, in tenths)."""
    return {
        "final": "raw_sum",
        "stages": [
            {
                "id": str(stage_id),
                "name": "第一轮",
                "kind": "rubric",
                # 150 distance + 3 x 20 style + 30 gate + 40 wind: the most a jump can add up to here
                "full_marks": "280",
                "modules": [
                    {
                        "id": "distance",
                        "name": "距离分",
                        "aspects": [
                            {
                                "id": "dist",
                                "name": "距离分",
                                "kind": "measurement",
                                "min_mark": "-60",
                                "max_mark": "150",
                                "step": "0.1",
                            }
                        ],
                    },
                    {
                        "id": "style",
                        "name": "姿势分",
                        "aspects": [
                            {
                                "id": "style",
                                "name": "姿势分（五名裁判，去掉最高、最低分后相加）",
                                "kind": "measurement",
                                "max_mark": "20",
                                "step": "0.5",
                                "combine": {"method": "trimmed_sum", "trim": 1},
                                "min_marks": 5,
                            }
                        ],
                    },
                    {
                        "id": "compensation",
                        "name": "补偿分",
                        "aspects": [
                            {
                                "id": "gate",
                                "name": "出发门补偿",
                                "kind": "measurement",
                                "min_mark": "-30",
                                "max_mark": "30",
                                "step": "0.1",
                            },
                            {
                                "id": "wind",
                                "name": "风力补偿",
                                "kind": "measurement",
                                "min_mark": "-40",
                                "max_mark": "40",
                                "step": "0.1",
                            },
                        ],
                    },
                ],
            }
        ],
        "rounding": {"final": {"decimals": 1, "mode": "half_up"}},
        "tiers": None,
    }


async def test_innsbruck_2012_first_round_through_the_api(app: Any, world: dict[str, Any]) -> None:
    live.results_cache.clear()
    public_boards.provisional_cache.clear()
    w = await worked_world.build(world, contestants=len(ROUND_ONE), judges=6, stage_name="第一轮")
    judges = w["judges"]
    async with new_client(app) as organizer:
        await login(organizer, "organizer")
        cid = w["competition_id"]
        put = await organizer.put(
            f"/api/competitions/{cid}/scoring", json={"rules": jump_rules(w["stage_id"])}
        )
        assert put.status_code == 200, put.text
        # The panel judge by judge: the technical judge (distance, gate, wind) first, then the style judges.
        tech = {"user_id": judges["judge"], "is_chief": True, "module_ids": ["distance", "compensation"]}
        first = await organizer.post(f"/api/competitions/{cid}/judges", json={"judges": [tech]})
        assert first.status_code == 200 and first.json()["ready"] is False
        for number in range(2, 7):
            style = {"user_id": judges[f"judge{number}"], "module_ids": ["style"]}
            panel = await organizer.post(f"/api/competitions/{cid}/judges", json={"judges": [style]})
            assert panel.status_code == 200, panel.text
        assert panel.json()["ready"] is True and panel.json()["problems"] == []
    await worked_world.judge_marks(
        app,
        w,
        "judge",
        {i: {"dist": row[1], "gate": row[3], "wind": row[4]} for i, row in enumerate(ROUND_ONE)},
    )
    for number in range(2, 7):  # style judges A..E
        marks = {i: {"style": row[2][number - 2]} for i, row in enumerate(ROUND_ONE)}
        await worked_world.judge_marks(app, w, f"judge{number}", marks)
    document = await worked_world.publish(app, w)

    published = {p["blind_code"]: p for p in document["published"]}
    for index, (name, *_, points, place) in enumerate(ROUND_ONE):
        figure = published[w["contestants"][index]["blind_code"]]
        assert (figure["final_score"], figure["rank"]) == (points, place), name
        assert figure["stage_scores"] == {str(w["stage_id"]): points}, name
    # Negative marks were taken as marks: the wind of Kofler's jump, as entered and as stored.
    kofler = w["contestants"][0]["blind_code"]
    assert {
        (m["aspect_id"], Decimal(m["value"])) for m in document["marks"] if m["blind_code"] == kofler
    } >= {
        ("wind", Decimal("-4.7")),
        ("gate", Decimal("4.2")),
    }
    # The independent script agrees with every published figure, and so do its own figures.
    assert recompute_reference.check(document) == []
    scores = recompute_reference.score(document)
    ranks = recompute_reference.rank(document, scores)
    step = document["published_rounding"]
    for index, (name, *_, points, place) in enumerate(ROUND_ONE):
        code = w["contestants"][index]["blind_code"]
        assert (recompute_reference.text(scores[code]["final"], step), ranks[code][0]) == (points, place), (
            name
        )
