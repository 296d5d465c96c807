"""Team results, the organisation award and skill-level promotion in the pure engine: worked cases, then
properties over generated competitions (hypothesis), the last of which has the independent script
(``recompute_reference.py``) agree with the engine on every generated open document."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from decimal import Decimal
from fractions import Fraction

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import export, standings
from scoring import rules as r
from tests.scoring import recompute_reference

D = Decimal
TWO = r.RoundingStep(decimals=2)
FAST = settings(max_examples=80, deadline=None, database=None)
STAGES = (
    r.Stage(id="a", name="理论", kind="imported", full_marks=D(3), weight_percent=D(40)),
    r.Stage(id="b", name="实操", kind="imported", full_marks=D(7), weight_percent=D(60)),
)


def board_of(
    rules: r.CompetitionRules, marks: dict[str, tuple[str, str]], out: set[str] = frozenset()
) -> r.Leaderboard:
    subjects = [
        r.SubjectInput(subject_id=s, imported={"a": D(a), "b": D(b)}, disqualified=s in out)
        for s, (a, b) in marks.items()
    ]
    return r.leaderboard(rules, subjects, [])


# -------------------------------------------------------------------------------------------- worked cases


def test_a_team_adds_the_published_figures_of_its_best_ranked_members() -> None:
    # Finals are a/3 x 40 + b/7 x 60, unrounded: s1 = 1/3 x 40 + 1/7 x 60 = 21.9047..., published 21.90;
    # three such members publish 21.90 each, so the team is 65.70 although 3 x 21.9047... = 65.714...
    rules = r.CompetitionRules(stages=STAGES, teams=r.TeamRules(best=3, tiers=None))
    board = board_of(rules, {f"s{i}": ("1", "1") for i in range(1, 5)} | {"s5": ("3", "7")}, out={"s5"})
    team = r.TeamInput(team_id="t", name="一队", members=("s5", "s4", "s3", "s2", "s1"))
    [result] = r.team_board(rules, [team], board, TWO).results
    assert result.counted == ("s1", "s2", "s3")  # s5 (disqualified, the best score) never counts
    assert result.score == D("65.70") and result.rank == 1
    assert result.members[-1] == "s5"


def test_too_few_ranked_members_leave_a_team_unranked_and_a_mean_is_rounded_as_declared() -> None:
    teams = r.TeamRules(
        best=2, method="mean", rounding=r.RoundingStep(decimals=1, mode="down"), min_members=2
    )
    rules = r.CompetitionRules(stages=STAGES, teams=teams)
    board = board_of(
        rules, {"a1": ("3", "7"), "a2": ("2", "5"), "b1": ("3", "6"), "b2": ("1", "1")}, out={"b2"}
    )
    result = r.team_board(
        rules,
        [
            r.TeamInput(team_id="A", name="甲", members=("a1", "a2")),
            r.TeamInput(team_id="B", name="乙", members=("b1", "b2")),
        ],
        board,
        TWO,
    )
    by_id = {t.team_id: t for t in result.results}
    # a1 = 100.00, a2 = 2/3 x 40 + 5/7 x 60 = 69.523... -> published 69.52; mean 84.76, down to 84.7.
    assert by_id["A"].score == D("84.7") and by_id["A"].rank == 1
    assert not by_id["B"].ranked and by_id["B"].rank is None and by_id["B"].counted == ("b1",)


def test_team_ties_are_broken_by_the_competitions_tie_breaks_over_the_counted_members() -> None:
    rules = r.CompetitionRules(
        stages=STAGES,
        tie_breaks=(r.TieBreak(kind="stage", ref="b"),),
        teams=r.TeamRules(best=2, tiers=r.TierPolicy(method="count", counts=(1, 1))),
    )

    def subject(subject_id: str, final: str, practical: str) -> r.SubjectResult:
        return r.SubjectResult(
            subject_id=subject_id,
            aspect_scores={},
            module_scores={},
            stage_scores={"a": D(0), "b": D(practical)},
            final_score=D(final),
            complete=True,
        )

    contestants = [
        subject("x1", "80", "5"),
        subject("x2", "70", "3"),
        subject("y1", "75", "4"),
        subject("y2", "75", "3.5"),
    ]
    board = r.rank(rules, contestants)
    teams = [
        r.TeamInput(team_id="X", name="X", members=("x1", "x2")),
        r.TeamInput(team_id="Y", name="Y", members=("y1", "y2")),
    ]
    # Both teams 150.00; X's practical 5 + 3 = 8 beats Y's 4 + 3.5 = 7.5.
    ranked = r.team_board(rules, teams, board, TWO)
    assert [(t.team_id, t.score, t.stage_scores["b"], t.rank, t.tier) for t in ranked.results] == [
        ("X", D(150), D(8), 1, 1),
        ("Y", D(150), D("7.5"), 2, 2),
    ]
    # Without the tie-break they share first place, and a tie of two fits neither single-place tier.
    shared = r.team_board(msgspec.structs.replace(rules, tie_breaks=()), teams, board, TWO)
    assert [(t.rank, t.tier) for t in shared.results] == [(1, None), (1, None)]


def test_a_team_score_floor_takes_prizes_away_and_teams_never_share_members() -> None:
    teams = r.TeamRules(best=1, tiers=r.TierPolicy(method="count", counts=(1, 1, 1), min_score=D(60)))
    rules = r.CompetitionRules(stages=STAGES, teams=teams)
    board = board_of(rules, {"p": ("3", "7"), "q": ("2", "4"), "s": ("1", "2")})
    inputs = [r.TeamInput(team_id=s.upper(), name=s, members=(s,)) for s in ("p", "q", "s")]
    tiers = [(t.team_id, t.tier) for t in r.team_board(rules, inputs, board, TWO).results]
    assert tiers == [("P", 1), ("Q", 2), ("S", None)]  # q = 26.67 + 34.29 = 60.95 >= 60; s = 30.48
    with pytest.raises(r.ScoringError):
        r.team_board(rules, [*inputs, r.TeamInput(team_id="Z", name="z", members=("p",))], board, TWO)
    with pytest.raises(r.ScoringError):
        r.team_board(rules, [r.TeamInput(team_id="Z", name="z", members=("nobody",))], board, TWO)
    with pytest.raises(r.ScoringError):
        r.team_board(r.CompetitionRules(stages=STAGES), inputs, board, TWO)


def test_organisation_award_by_prize_winners_stops_at_a_tie_that_does_not_fit() -> None:
    rules = r.CompetitionRules(
        stages=STAGES,
        tiers=r.TierPolicy(method="count", counts=(2, 2)),
        organisation_award=r.OrganisationAward(count=2, basis="prize_winners"),
    )
    board = board_of(
        rules, {"a": ("3", "7"), "b": ("3", "6"), "c": ("3", "5"), "d": ("3", "4"), "e": ("0", "0")}
    )
    unions = {"a": "1", "b": "1", "c": "2", "d": "3", "e": "4"}
    standings_ = r.organisation_awards(rules, board, None, unions)
    # Union 1 has 2 prize winners; 2 and 3 one each (tied for second, too many for the one place left).
    assert [(u.union_id, u.figure, u.position, u.awarded) for u in standings_] == [
        ("1", 2, 1, True),
        ("2", 1, 2, False),
        ("3", 1, 2, False),
        ("4", None, None, False),
    ]


def test_promotion_bands_apply_in_order_and_never_above_the_highest_level() -> None:
    rule = r.PromotionRule(
        bands=(
            r.PromotionBand(first_rank=1, last_rank=1, to_level=2),
            r.PromotionBand(tiers=(1, 2, 3), min_score=D(50), levels_up=1, unlevelled_to=4),
        ),
        highest=2,
    )
    rules = r.CompetitionRules(
        stages=STAGES, promotion=rule, tiers=r.TierPolicy(method="count", counts=(1, 2, 2))
    )
    assert r.validate_rules(rules) == []
    board = board_of(
        rules,
        {
            "a": ("3", "7"),
            "b": ("3", "6"),
            "c": ("2", "6"),
            "d": ("1", "5"),
            "e": ("0", "1"),
            "f": ("3", "7"),
        },
        out={"f"},
    )
    levels = {"a": 3, "b": 2, "c": None, "d": 4, "e": 5, "f": 5}
    got = [
        (p.subject_id, p.band, p.level_before, p.level_after, p.outcome)
        for p in r.promotions(rules, board, levels, TWO)
    ]
    assert got == [
        ("a", 0, 3, 2, "promoted"),
        ("b", 1, 2, None, "already_held"),  # one level up from 技师 would be 高级技师, above the highest
        ("c", 1, None, 4, "promoted"),
        ("d", 1, 4, 3, "promoted"),  # d: 13.33 + 42.86 = 56.19 >= 50, third prize
    ]  # e has no prize, f is disqualified
    assert r.promotions(r.CompetitionRules(stages=STAGES), board, levels, TWO) == ()


def test_declared_rules_are_validated() -> None:
    bad = r.CompetitionRules(
        stages=STAGES,
        teams=r.TeamRules(best=2, method="sum", tiers=r.TierPolicy(min_score=D(250))),
        organisation_award=r.OrganisationAward(count=0, basis="team"),
        promotion=r.PromotionRule(
            bands=(
                r.PromotionBand(levels_up=0, unlevelled_to=6),
                r.PromotionBand(first_rank=3, last_rank=2, to_level=1),
            ),
            highest=2,
        ),
    )
    assert [(p.code, p.path) for p in r.validate_rules(bad)] == [
        ("min_score_out_of_range", "teams.tiers.min_score"),
        ("organisation_count_invalid", "organisation_award.count"),
        ("organisation_needs_union_teams", "organisation_award.basis"),
        ("promotion_level_invalid", "promotion.bands[0].to_level"),
        ("promotion_levels_up_invalid", "promotion.bands[0].levels_up"),
        ("promotion_band_unbounded", "promotion.bands[0].first_rank"),
        ("promotion_above_highest", "promotion.bands[1].to_level"),
        ("promotion_ranks_invalid", "promotion.bands[1].last_rank"),
    ]
    old = msgspec.json.decode(
        b'{"stages": [{"id": "a", "full_marks": "100", "weight_percent": "100", "kind": "imported"}]}',
        type=r.CompetitionRules,
    )
    assert old.teams is None and old.organisation_award is None and old.promotion is None
    assert r.validate_rules(old) == []


# -------------------------------------------------------------------------------------------- properties


@st.composite
def competitions(
    draw: st.DrawFn,
) -> tuple[r.CompetitionRules, r.Leaderboard, list[r.TeamInput], dict, dict, r.RoundingStep]:
    count = draw(st.integers(2, 12))
    ids = [str(i) for i in range(1, count + 1)]
    marks = {s: (str(draw(st.integers(0, 300))), str(D(draw(st.integers(0, 700))) / 100)) for s in ids}
    marks = {s: (str(D(a) / 100), b) for s, (a, b) in marks.items()}
    out = set(draw(st.lists(st.sampled_from(ids), max_size=3)))
    method = draw(st.sampled_from(["sum", "mean"]))
    best = draw(st.integers(1, 4))
    basis = draw(st.sampled_from(["team", "prize_winners", "entrants"]))
    teams_rules = r.TeamRules(
        best=best,
        method=method,
        grouping="union" if basis == "team" else "named",
        min_members=draw(st.none() | st.integers(1, best)),
        rounding=draw(st.none() | st.builds(r.RoundingStep, decimals=st.integers(0, 3))),
        tiers=draw(
            st.none()
            | st.builds(
                r.TierPolicy, method=st.just("count"), counts=st.tuples(st.integers(0, 2), st.integers(0, 2))
            )
            | st.builds(r.TierPolicy, min_score=st.none() | st.integers(0, 100).map(D))
        ),
    )
    rules = r.CompetitionRules(
        stages=STAGES,
        # The published rounding is the final rounding (declared, else two decimals half up): both vary.
        rounding=r.RoundingPolicy(
            final=draw(
                st.none()
                | st.just(TWO)
                | st.builds(
                    r.RoundingStep,
                    decimals=st.integers(0, 2),
                    mode=st.sampled_from(["half_up", "half_even", "down"]),
                )
            )
        ),
        tie_breaks=draw(
            st.sampled_from([(), (r.TieBreak(kind="stage", ref="b"),), (r.TieBreak(kind="time_used"),)])
        ),
        tiers=r.TierPolicy(method="count", counts=(1, 2, 3)),
        teams=teams_rules,
        organisation_award=r.OrganisationAward(count=draw(st.integers(1, 3)), basis=basis),
        promotion=r.PromotionRule(
            bands=(
                r.PromotionBand(
                    first_rank=1, last_rank=draw(st.integers(1, 3)), to_level=draw(st.integers(2, 4))
                ),
                r.PromotionBand(
                    tiers=(1, 2, 3), min_score=D(draw(st.integers(0, 90))), levels_up=1, unlevelled_to=5
                ),
            ),
            highest=draw(st.integers(1, 2)),
        ),
    )
    subjects = [
        r.SubjectInput(
            subject_id=s,
            imported={"a": D(a), "b": D(b)},
            disqualified=s in out,
            time_used=draw(st.none() | st.integers(100, 110).map(D)),
        )
        for s, (a, b) in marks.items()
    ]
    board = r.leaderboard(rules, subjects, [])
    seed = draw(st.integers(0, 10**6))
    rng = random.Random(seed)
    team_of = {s: rng.choice(["t1", "t2", "t3", None]) for s in ids}
    team_union = {t: rng.choice(["1", "2", None]) for t in ("t1", "t2", "t3")}
    teams = [
        r.TeamInput(
            team_id=t, name=t, members=tuple(s for s in ids if team_of[s] == t), union_id=team_union[t]
        )
        for t in ("t1", "t2", "t3")
    ]
    unions = {s: rng.choice(["1", "2", "3", None]) for s in ids}
    levels = {s: rng.choice([None, 1, 2, 3, 4, 5]) for s in ids}
    return rules, board, teams, unions, levels, rules.rounding.final_step


@FAST
@given(competitions())
def test_team_scores_are_the_best_k_published_figures(case: tuple) -> None:
    rules, board, teams, _, _, step = case
    assert r.validate_rules(rules) == []
    declared = rules.teams
    order = [s.subject_id for s in board.results if s.rank is not None]
    finals = {s.subject_id: s.final_score for s in board.results}
    for team in r.team_board(rules, teams, board, step).results:
        expected = [s for s in order if s in team.members][: declared.best]
        assert list(team.counted) == expected
        figures = [Fraction(r.round_decimal(finals[s], step)) for s in expected]
        total = sum(figures, Fraction(0))
        if declared.method == "mean" and figures:
            total /= len(figures)
            if declared.rounding is not None:
                step_as_data = msgspec.to_builtins(declared.rounding)
                assert Fraction(team.score) == recompute_reference.rounded(total, step_as_data)
            else:  # unrounded: to 28 significant digits
                assert abs(Fraction(team.score) - total) < Fraction(1, 10**20)
        else:
            assert Fraction(team.score) == total
        assert team.ranked == (len(expected) >= (declared.min_members or declared.best))
        assert (team.rank is None) == (not team.ranked)


@FAST
@given(competitions(), st.randoms(use_true_random=False))
def test_team_board_ignores_the_order_teams_and_members_are_given_in(case: tuple, rng: random.Random) -> None:
    rules, board, teams, _, _, step = case
    shuffled = [
        msgspec.structs.replace(t, members=tuple(rng.sample(t.members, len(t.members)))) for t in teams
    ]
    rng.shuffle(shuffled)
    assert r.team_board(rules, shuffled, board, step) == r.team_board(rules, teams, board, step)


@FAST
@given(competitions())
def test_team_ranks_follow_scores_and_prizes_respect_their_ceilings(case: tuple) -> None:
    rules, board, teams, _, _, step = case
    result = r.team_board(rules, teams, board, step)
    ranked = [t for t in result.results if t.rank is not None]
    for better, worse in itertools.pairwise(ranked):
        assert better.score >= worse.score and better.rank <= worse.rank
    policy = rules.teams.tiers
    for tier, ceiling in enumerate(result.tier_counts, start=1):
        assert sum(1 for t in ranked if t.tier == tier) <= ceiling
    if policy is not None and policy.min_score is not None:
        assert all(t.score >= policy.min_score for t in ranked if t.tier is not None)
    assert all(t.tier is None for t in result.results if t.rank is None)


@FAST
@given(competitions())
def test_promotion_only_raises_levels_and_never_above_the_highest(case: tuple) -> None:
    rules, board, _, _, levels, step = case
    ranks = {s.subject_id: s.rank for s in board.results}
    for p in r.promotions(rules, board, levels, step):
        assert ranks[p.subject_id] is not None and p.level_before == levels[p.subject_id]
        if p.outcome == "promoted":
            assert p.level_after is not None and p.level_after >= rules.promotion.highest
            assert p.level_before is None or p.level_after < p.level_before
        else:
            assert p.level_after is None


@FAST
@given(competitions())
def test_organisation_award_never_exceeds_its_count_and_is_a_prefix(case: tuple) -> None:
    rules, board, teams, unions, _, step = case
    team_board = r.team_board(rules, teams, board, step)
    awarded = r.organisation_awards(rules, board, team_board, unions)
    assert sum(1 for u in awarded if u.awarded) <= rules.organisation_award.count
    positions = [u.position for u in awarded if u.position is not None]
    assert positions == sorted(positions)
    seen_unawarded = False
    for union in (u for u in awarded if u.position is not None):
        seen_unawarded = seen_unawarded or not union.awarded
        assert not (seen_unawarded and union.awarded)


@FAST
@given(competitions())
def test_the_independent_script_agrees_with_the_engine_on_every_part(case: tuple) -> None:
    rules, board, teams, unions, levels, step = case
    setup = standings.TeamSetup(
        teams=teams, unions=unions, union_names={u: f"工会{u}" for u in "123"}, levels=levels
    )
    shown = standings.standings_of(rules, board, step, setup)
    blind = {s.subject_id: (i, f"B{i:03d}") for i, s in enumerate(board.results, start=1)}
    rows = standings.team_rows(shown, board, blind, {}, step)
    awards = standings.award_rows(shown)
    subjects = [
        r.SubjectInput(
            subject_id=s.subject_id,
            imported=s.stage_scores,
            time_used=s.time_used,
            disqualified=s.disqualified,
        )
        for s in board.results
    ]
    document = export.open_document(
        competition={"id": 1, "title": "t", "occupation": "o"},
        version=1,
        published_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
        rules=rules,
        published_rounding=step,
        judge_numbers={},
        subjects=subjects,
        marks=[],
        expected={},
        blind=blind,
        published=[
            export.PublishedFigure(
                blind_code=blind[s.subject_id][1],
                final_score=r.round_decimal(s.final_score, step),
                rank=s.rank,
                tier=s.tier,
                stage_scores={k: r.round_decimal(v, step) for k, v in s.stage_scores.items()},
                disqualified=s.disqualified,
            )
            for s in board.results
        ],
        standings=standings.document_part(rules, shown, blind, rows, awards),
    )
    assert recompute_reference.check(msgspec.json.decode(document)) == []
