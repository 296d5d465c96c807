"""A published team result reproduced to the published figure: the team competition of the 2021 FEI
Dressage European Championships (Hagen, Germany, 7-8 September 2021).

The rule: teams of four ride the Grand Prix, "the best three scores from each team of four counted, and
the lowest from each team dropped" (Horse & Hound, 7 September 2021,
https://www.horseandhound.co.uk/news/european-dressage-championships-start-times-grand-prix-761499; and
Equestrian Team GBR's dressage guide: "The three best scores are counted and the team with the highest
overall percentage claims the team title").

The figures, as published:

- Germany, gold, 238.944: Jessica von Bredow-Werndl 84.099, Isabell Werth 79.860, Dorothee Schneider
  74.985; "Helen Langehanenberg on Annabelle also recorded 73.960, but only the top three scores
  contribute to the overall tally"; Britain silver on 232.345, Charlotte Dujardin 79.829, Carl Hester
  74.845 (insidethegames, https://www.insidethegames.biz/articles/1112769/germany-fei-dressage-euopean-team-event).
- Lottie Fry 77.671 and Gareth Hughes 74.394 for Britain on the first day (British Equestrian, "Brits off
  to a flyer in Hagen", 7 September 2021, https://www.britishequestrian.org.uk/news/brits-off-to-a-flyer-in-hagen).

By hand: 84.099 + 79.860 + 74.985 = 238.944 (73.960 dropped); 79.829 + 77.671 + 74.845 = 232.345
(74.394 dropped). Each rider's Grand Prix percentage is the final score of a competition with one stage
(an imported mark out of 100, weight 100 %, published to three decimals), so the engine's final score is
the percentage itself; the team rule is "best 3, sum".
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgspec

from scoring import export
from scoring import rules as engine
from tests.scoring import recompute_reference

D = Decimal
THREE = engine.RoundingStep(decimals=3, mode="half_up")
RIDERS = {
    "GER": {
        "von Bredow-Werndl": "84.099",
        "Werth": "79.860",
        "Schneider": "74.985",
        "Langehanenberg": "73.960",
    },
    "GBR": {"Dujardin": "79.829", "Fry": "77.671", "Hester": "74.845", "Hughes": "74.394"},
}


def championship_rules() -> engine.CompetitionRules:
    grand_prix = engine.Stage(
        id="gp", name="Grand Prix", kind="imported", full_marks=D(100), weight_percent=D(100)
    )
    return engine.CompetitionRules(
        stages=(grand_prix,),
        rounding=engine.RoundingPolicy(final=THREE),
        tiers=None,  # the Grand Prix awards team medals only
        teams=engine.TeamRules(
            best=3,
            method="sum",
            grouping="named",
            tiers=engine.TierPolicy(method="count", counts=(1, 1, 1)),  # gold, silver, bronze
        ),
    )


def championship() -> tuple[engine.CompetitionRules, engine.Leaderboard, list[engine.TeamInput]]:
    rules = championship_rules()
    subjects = [
        engine.SubjectInput(subject_id=rider, imported={"gp": D(score)})
        for riders in RIDERS.values()
        for rider, score in riders.items()
    ]
    board = engine.leaderboard(rules, subjects, [])
    teams = [
        engine.TeamInput(team_id=nation, name=nation, members=tuple(RIDERS[nation])) for nation in RIDERS
    ]
    return rules, board, teams


def test_best_three_of_four_reproduce_the_published_team_totals() -> None:
    rules, board, teams = championship()
    assert engine.validate_rules(rules) == []
    team_board = engine.team_board(rules, teams, board, THREE)
    by_team = {team.team_id: team for team in team_board.results}
    assert str(engine.round_decimal(by_team["GER"].score, THREE)) == "238.944"
    assert str(engine.round_decimal(by_team["GBR"].score, THREE)) == "232.345"
    assert by_team["GER"].counted == ("von Bredow-Werndl", "Werth", "Schneider")
    assert by_team["GBR"].counted == ("Dujardin", "Fry", "Hester")
    assert [(t.team_id, t.rank, t.tier) for t in team_board.results] == [("GER", 1, 1), ("GBR", 2, 2)]
    # The individual ranking the team rule reads: the dropped riders are each team's lowest.
    assert [r.subject_id for r in board.results][-2:] == ["Hughes", "Langehanenberg"]


def test_the_independent_script_reproduces_them_from_the_open_document() -> None:
    rules, board, teams = championship()
    team_board = engine.team_board(rules, teams, board, THREE)
    blind = {
        r.subject_id: (i + 1, f"R{i + 1:02d}")
        for i, r in enumerate(sorted(board.results, key=lambda r: r.subject_id))
    }
    numbers = {"GBR": 1, "GER": 2}
    document = export.open_document(
        competition={"id": 1, "title": "2021 FEI Dressage European Championships", "occupation": "dressage"},
        version=1,
        published_at=dt.datetime(2021, 9, 8, 18, 0, tzinfo=dt.UTC),
        rules=rules,
        published_rounding=THREE,
        judge_numbers={},
        subjects=[
            engine.SubjectInput(subject_id=r.subject_id, imported={"gp": r.final_score})
            for r in board.results
        ],
        marks=[],
        expected={},
        blind=blind,
        published=[
            export.PublishedFigure(
                blind_code=blind[r.subject_id][1],
                final_score=engine.round_decimal(r.final_score, THREE),
                rank=r.rank,
                tier=r.tier,
                stage_scores={k: engine.round_decimal(v, THREE) for k, v in r.stage_scores.items()},
                disqualified=r.disqualified,
            )
            for r in board.results
        ],
        standings=export.standings_part(
            blind=blind,
            teams=teams,
            team_numbers=numbers,
            published_teams=[
                export.PublishedTeam(
                    team_no=numbers[t.team_id],
                    score=engine.round_decimal(t.score, THREE),
                    rank=t.rank,
                    tier=t.tier,
                    counted=sorted(blind[m][1] for m in t.counted),
                )
                for t in team_board.results
            ],
        ),
    )
    decoded = msgspec.json.decode(document)
    assert recompute_reference.check(decoded) == []
    published = {t["team_no"]: t["score"] for t in decoded["published_teams"]}
    assert published == {2: "238.944", 1: "232.345"}
    # Tampering with a published team figure is caught.
    decoded["published_teams"][0]["score"] = "232.346"
    assert recompute_reference.check(decoded) == ["team 1 score: published '232.346', recomputed '232.345'"]
