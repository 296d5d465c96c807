"""Recompute every score, rank and prize of an open results document (format yicheng-open-results/1).

Written from the rules as the document states them, with nothing but Python's standard library and nothing
from the platform, so that anyone can check the published figures:

    python recompute_reference.py open-document.json      # prints OK, or every figure that differs

Per contestant and aspect: an aspect with fewer marks than it needs (``min_marks``, else 2 x trim + 1 for a
trimmed rule, else 1) is not computed; otherwise combine the judges' marks (mean, trimmed mean dropping
``trim`` from each end, median, or trimmed sum); a judgement mark (0-3) becomes panel / 3 x max mark; round
the panel if the rules say so; multiply by the factor (round if declared); a deduction subtracts. Marks may
be negative down to an aspect's ``min_mark`` (a signed range). A rubric stage sums its aspects (never below
0; round if declared); an imported stage takes its mark. Final = sum of stage / full marks x weight %, or,
when the rules declare ``final: raw_sum``, the plain sum of the stage scores; always rounded, with the
declared final rounding, else the published rounding (``published_rounding``: the figure shown is the one
that ranks and meets the prize floor); with rounds, see ``totals``. Judges recorded absent (``absences``)
must have no counted mark and must not be expected. Rank by final score, then the declared tie-breaks;
still equal: shared rank (1, 2, 2, 4). Prizes fill tiers in rank order; a tied group that does not fit drops
whole to the next tier. Rounds' cuts, teams, the organisation award and promotion, when the rules declare
them: see the sections at the end.
"""

from __future__ import annotations

import json
import sys
from fractions import Fraction
from math import floor

F = Fraction


def rounded(x: Fraction, step: dict | None) -> Fraction:
    """Round exactly to ``decimals`` places: half_up (away from zero), half_even, or down (truncate)."""
    if step is None:
        return x
    scale = 10 ** step["decimals"]
    n = abs(x) * scale
    q, r = divmod(n.numerator, n.denominator)
    twice = 2 * r
    if step["mode"] == "half_up":
        q += twice >= n.denominator
    elif step["mode"] == "half_even":
        q += twice > n.denominator or (twice == n.denominator and q % 2 == 1)
    return F(q if x >= 0 else -q, scale)


def text(x: Fraction, step: dict) -> str:
    """A figure as published: rounded, then written with exactly ``decimals`` places."""
    q = rounded(x, step) * 10 ** step["decimals"]
    digits = str(abs(q.numerator)).rjust(step["decimals"] + 1, "0")
    whole, frac = digits[: len(digits) - step["decimals"]], digits[len(digits) - step["decimals"] :]
    return ("-" if q < 0 else "") + whole + ("." + frac if frac else "")


def least_marks(aspect: dict) -> int:
    rule = aspect.get("combine") or {}
    if aspect.get("min_marks") is not None:
        return aspect["min_marks"]
    trimmed = rule.get("method", "mean") in ("trimmed_mean", "trimmed_sum")
    return 2 * rule.get("trim", 0) + 1 if trimmed else 1


def combine(values: list[Fraction], rule: dict) -> Fraction | None:
    v = sorted(values)
    method = rule.get("method", "mean")
    if method == "median":
        return None if not v else v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2
    trim = rule.get("trim", 0) if method in ("trimmed_mean", "trimmed_sum") else 0
    kept = v[trim : len(v) - trim]
    if not kept:
        return None
    return sum(kept, F(0)) if method == "trimmed_sum" else sum(kept, F(0)) / len(kept)


def _stage_total(stage: dict, s: dict, marks: dict, rounding: dict, modules: dict) -> Fraction:
    if stage.get("kind", "rubric") == "imported":
        value = s["imported"].get(stage["id"])
        return rounded(max(F(value) if value is not None else F(0), F(0)), rounding.get("stage_total"))
    total = F(0)
    for module in stage["modules"]:
        module_total = F(0)
        for a in module["aspects"]:
            given = marks.get((s["blind_code"], a["id"]), [])
            panel = combine(given, a.get("combine") or {}) if len(given) >= least_marks(a) else None
            if panel is None:
                continue
            if a["kind"] == "judgement":
                panel = panel / 3 * F(a["max_mark"])
            panel = rounded(panel, rounding.get("panel_mark"))
            points = rounded(panel * F(a.get("factor", "1")), rounding.get("factored_aspect"))
            module_total += -points if a["kind"] == "deduction" else points
        modules[module["id"]] = module_total
        total += module_total
    return rounded(max(total, F(0)), rounding.get("stage_total"))


def score(doc: dict) -> dict[str, dict]:
    """blind code -> final, stage, module, round scores (exact), time used, disqualified, rounds reached;
    no score at all in the rounds after the cut a contestant missed (``eliminated_after``)."""
    rules, rounding = doc["rules"], doc["rules"].get("rounding") or {}
    declared = (rules.get("rounds") or {}).get("rounds") or [
        {"id": None, "stages": [x["id"] for x in rules["stages"]]}
    ]
    round_of = {stage_id: i for i, r in enumerate(declared) for stage_id in r["stages"]}
    marks: dict[tuple[str, str], list[Fraction]] = {}
    for m in doc["marks"]:
        marks.setdefault((m["blind_code"], m["aspect_id"]), []).append(F(m["value"]))
    out = {}
    for s in doc["subjects"]:
        stages, modules = {}, {}
        reached = s.get("eliminated_after")
        reached = len(declared) - 1 if reached is None else reached
        per_round = [F(0)] * (reached + 1)
        for stage in rules["stages"]:
            if round_of[stage["id"]] > reached:
                continue
            total = _stage_total(stage, s, marks, rounding, modules)
            stages[stage["id"]] = total
            if rules.get("final", "weighted") != "raw_sum":
                total = total / F(stage["full_marks"]) * F(stage["weight_percent"])
            per_round[round_of[stage["id"]]] += total
        final, per_round = totals(
            rules, per_round, reached, rounding.get("final") or doc["published_rounding"]
        )
        out[s["blind_code"]] = {
            "final": final,
            "stages": stages,
            "modules": modules,
            "rounds": {declared[i]["id"]: x for i, x in enumerate(per_round)} if rules.get("rounds") else {},
            "reached": reached + 1 if s.get("eliminated_after") is not None else len(declared) + 1,
            "time": None if s.get("time_used") is None else F(s["time_used"]),
            "disqualified": bool(s.get("disqualified")),
        }
    return out


def rank(doc: dict, scores: dict[str, dict]) -> dict[str, tuple[int | None, int | None]]:
    """blind code -> (rank, tier)."""
    rules = doc["rules"]

    def key(code: str) -> tuple:
        r, parts = scores[code], [-scores[code]["final"]]
        if rules.get("rounds"):  # whoever went further ranks above whoever was cut earlier
            parts.insert(0, -r["reached"])
        for tb in rules.get("tie_breaks") or []:
            if tb["kind"] == "stage":
                parts.append(-r["stages"].get(tb["ref"], F(0)))
            elif tb["kind"] == "module":
                parts.append(-r["modules"].get(tb["ref"], F(0)))
            else:  # time_used: shorter first, unknown last
                parts.append((0, r["time"]) if r["time"] is not None else (1, 0))
        return tuple(parts)

    ranked = sorted((c for c in scores if not scores[c]["disqualified"]), key=key)
    groups: list[list[str]] = []
    for code in ranked:
        if groups and key(groups[-1][0]) == key(code):
            groups[-1].append(code)
        else:
            groups.append([code])
    result: dict[str, tuple[int | None, int | None]] = {c: (None, None) for c in scores}
    tiers = rules.get("tiers")
    if tiers is None:
        counts = []
    elif tiers.get("method", "percent") == "count":
        counts = list(tiers["counts"])
    else:
        counts = [floor(len(ranked) * F(p) / 100) for p in tiers["percents"]]
    floor_score = None if tiers is None or tiers.get("min_score") is None else F(tiers["min_score"])
    position, tier, room, prizes_over = 1, 0, counts[0] if counts else 0, False
    for group in groups:
        if floor_score is not None and scores[group[0]]["final"] < floor_score:
            prizes_over = True
        while not prizes_over and tier < len(counts) and len(group) > room:
            tier += 1
            room = counts[tier] if tier < len(counts) else 0
        prizes_over = prizes_over or tier == len(counts)
        for code in group:
            result[code] = (position, None if prizes_over else tier + 1)
        room -= 0 if prizes_over else len(group)
        position += len(group)
    return result


def check(doc: dict) -> list[str]:
    """Every published figure that the recomputation does not reproduce exactly (empty: all agree)."""
    assert doc["format"] == "yicheng-open-results/1", doc["format"]
    step, scores = doc["published_rounding"], score(doc)
    ranks = rank(doc, scores)
    problems = check_standings(doc, scores, ranks) + check_absences(doc)
    for p in doc["published"]:
        code, s = p["blind_code"], scores[p["blind_code"]]
        mine = {
            "final_score": text(s["final"], step),
            "rank": ranks[code][0],
            "tier": ranks[code][1],
            "stage_scores": {k: text(v, step) for k, v in s["stages"].items()},
            "round_scores": {k: text(v, step) for k, v in s["rounds"].items()},
            "module_scores": {
                k: text(v, step)
                for k, v in s["modules"].items()
                if k in doc["rules"].get("public_modules", [])
            },
        }
        problems += [
            f"{code} {k}: published {p.get(k, {})!r}, recomputed {v!r}"
            for k, v in mine.items()
            if p.get(k, {}) != v
        ]
    return problems + check_rounds(doc, scores)


# ------------------------------------------------------ teams, the organisation award, promotion (optional)
# Read only when the rules declare them. A team adds (or averages) its k best ranked members' *published*
# final scores, best first by individual rank; fewer than min_members ranked members: not ranked. Teams rank
# like contestants (each tie-break figure summed or averaged like the score), tiers from the team rules, the
# team floor applied afterwards. Unions for the organisation award rank by best team rank, prize winners or
# ranked entrants; at most `count` get it, a tie that does not fit ends it. Promotion: the first band whose
# rank, prize and published-score conditions hold; its level, or levels up from the level held, capped.


def team_scores(doc: dict, scores: dict[str, dict], ranks: dict) -> dict[int, dict]:
    """team number -> score, tie-break figures, counted blind codes (exact), shaped like ``score``'s."""
    team_rules, step = doc["rules"]["teams"], doc["published_rounding"]
    mean = team_rules.get("method", "sum") == "mean"
    order = sorted((c for c in scores if ranks[c][0] is not None), key=lambda c: (ranks[c][0], c))

    def combine(values: list[Fraction]) -> Fraction:
        total = sum((rounded(v, step) for v in values), F(0))
        return total / len(values) if mean and values else total

    out = {}
    for team in doc["teams"]:
        counted = [c for c in order if c in set(team["members"])][: team_rules["best"]]
        figures = [scores[c] for c in counted]
        first = figures[0] if figures else {"stages": {}, "modules": {}}
        times = [f["time"] for f in figures]
        total = combine([f["final"] for f in figures])
        out[team["team_no"]] = {
            "final": rounded(total, team_rules.get("rounding")) if mean else total,
            "stages": {k: combine([f["stages"][k] for f in figures]) for k in first["stages"]},
            "modules": {k: combine([f["modules"][k] for f in figures]) for k in first["modules"]},
            "time": None if not times or None in times else sum(times, F(0)) / (len(times) if mean else 1),
            "disqualified": len(counted) < (team_rules.get("min_members") or team_rules["best"]),
            "counted": sorted(counted),
        }
    return out


def team_ranks(doc: dict, teams: dict[int, dict]) -> dict[int, tuple[int | None, int | None]]:
    """team number -> (rank, tier): ranked as contestants are, then the team floor takes prizes away."""
    tiers = doc["rules"]["teams"].get("tiers")
    without_floor = tiers and {**tiers, "min_score": None}
    places = rank({"rules": {"tie_breaks": doc["rules"].get("tie_breaks"), "tiers": without_floor}}, teams)
    floor = None if not tiers or tiers.get("min_score") is None else F(tiers["min_score"])
    return {
        t: (place, None if floor is not None and teams[t]["final"] < floor else tier)
        for t, (place, tier) in places.items()
    }


def organisation(doc: dict, ranks: dict, team_places: dict[int, tuple]) -> dict[int, tuple]:
    """union number -> (position, awarded): best first; a tie that does not fit ends the award."""
    award = doc["rules"]["organisation_award"]
    basis = award.get("basis", "team")
    keys: dict[int, int] = {}  # smaller is better
    if basis == "team":
        for team in doc["teams"]:
            place = team_places[team["team_no"]][0]
            if team["union_no"] is not None and place is not None:
                keys[team["union_no"]] = min(keys.get(team["union_no"], place), place)
    else:
        at = 1 if basis == "prize_winners" else 0  # ranks[code] = (rank, tier)
        for union in doc["unions"]:
            count = sum(1 for c in union["members"] if ranks[c][at] is not None)
            if count:
                keys[union["union_no"]] = -count
    every = [u["union_no"] for u in doc.get("unions", [])] + [t["union_no"] for t in doc["teams"]]
    out: dict[int, tuple] = {u: (None, False) for u in every if u is not None}
    room, awarding, position = award["count"], True, 1
    for key in sorted(set(keys.values())):
        group = [u for u in keys if keys[u] == key]
        awarding = awarding and len(group) <= room
        room -= len(group) if awarding else 0
        out |= {u: (position, awarding) for u in group}
        position += len(group)
    return out


def promotions(doc: dict, ranks: dict) -> dict[str, tuple]:
    """blind code -> (band, level before, level after, outcome) for every contestant a band applies to."""
    rule = doc["rules"]["promotion"]
    held = {p["blind_code"]: p["level_before"] for p in doc["promotions"]}
    finals = {p["blind_code"]: F(p["final_score"]) for p in doc["published"]}

    def applies(band: dict, place: int | None, tier: int | None, final: Fraction) -> bool:
        return (
            place is not None
            and place >= (band.get("first_rank") or 1)
            and (band.get("last_rank") is None or place <= band["last_rank"])
            and (not band.get("tiers") or tier in band["tiers"])
            and (band.get("min_score") is None or final >= F(band["min_score"]))
        )

    out = {}
    for code, (place, tier) in ranks.items():
        index = next((i for i, b in enumerate(rule["bands"]) if applies(b, place, tier, finals[code])), None)
        if index is None:
            continue
        band, before = rule["bands"][index], held.get(code)
        if band.get("to_level") is not None:
            target = band["to_level"]
        else:
            target = band.get("unlevelled_to") if before is None else before - band["levels_up"]
        target = None if target is None else max(target, rule.get("highest", 1))
        if target is None:
            out[code] = (index, before, None, "no_level")
        elif before is not None and target >= before:
            out[code] = (index, before, None, "already_held")
        else:
            out[code] = (index, before, target, "promoted")
    return out


def check_standings(doc: dict, scores: dict[str, dict], ranks: dict) -> list[str]:
    """Every published team figure, organisation award and promotion the recomputation does not reproduce."""
    rules, step, problems = doc["rules"], doc["published_rounding"], []
    places: dict[int, tuple] = {}
    if rules.get("teams") is not None:
        teams = team_scores(doc, scores, ranks)
        places = team_ranks(doc, teams)
        for p in doc["published_teams"]:
            t, (place, tier) = teams[p["team_no"]], places[p["team_no"]]
            mine = {"score": text(t["final"], step), "rank": place, "tier": tier, "counted": t["counted"]}
            problems += [
                f"team {p['team_no']} {k}: published {p[k]!r}, recomputed {v!r}"
                for k, v in mine.items()
                if p[k] != v
            ]
    if rules.get("organisation_award") is not None:
        awards = organisation(doc, ranks, places)
        for p in doc["published_organisation_awards"]:
            mine = awards[p["union_no"]]
            if (p["position"], p["awarded"]) != mine:
                problems.append(f"union {p['union_no']}: published {p!r}, recomputed {mine!r}")
    if rules.get("promotion") is not None:
        listed = {
            p["blind_code"]: (p["band"], p["level_before"], p["level_after"], p["outcome"])
            for p in doc["promotions"]
        }
        mine = promotions(doc, ranks)
        problems += [
            f"{c} promotion: published {listed.get(c)!r}, recomputed {mine.get(c)!r}"
            for c in sorted(listed.keys() | mine.keys())
            if listed.get(c) != mine.get(c)
        ]
    return problems


# ------------------------------------------------------ rounds (optional)
# Read only when the rules declare rounds. A round is its stages' weighted sum rounded as the final (with
# total "last" first scaled x 100 / its stages' weights); the final is their sum, or the last reached alone.


def totals(
    rules: dict, per_round: list[Fraction], reached: int, step: dict
) -> tuple[Fraction, list[Fraction]]:
    """(final, round scores) from the rounds' unrounded weighted sums, each round rounded with ``step``."""
    if not rules.get("rounds"):
        return rounded(per_round[0], step), per_round
    last = rules["rounds"].get("total") == "last"
    raw = rules.get("final", "weighted") == "raw_sum"  # points as they are: no round is scaled
    weights = {x["id"]: F(x["weight_percent"]) for x in rules["stages"]}
    scale = [
        100 / sum(weights[s] for s in r["stages"]) if last and not raw else 1
        for r in rules["rounds"]["rounds"]
    ]
    per_round = [rounded(x * scale[i], step) for i, x in enumerate(per_round)]
    return (per_round[reached] if last else sum(per_round, F(0))), per_round


def recut(doc: dict, scores: dict[str, dict], k: int, group: dict) -> dict[str, tuple[int, bool]]:
    """Round ``k``'s standing redone: blind code -> (place, goes through)."""
    declared = doc["rules"]["rounds"]["rounds"]
    rule, ids = declared[k], [r["id"] for r in declared[: k + 1]]
    last_only = doc["rules"]["rounds"].get("total", "sum") == "last"
    cut_after = {s["blind_code"]: s.get("eliminated_after") for s in doc["subjects"]}
    entrants = [
        c for c, s in scores.items() if not s["disqualified"] and (cut_after[c] is None or cut_after[c] >= k)
    ]
    tie_breaks = doc["rules"].get("tie_breaks") or [] if rule.get("ties") == "tie_break" else []

    def standing(code: str) -> Fraction:
        rounds = scores[code]["rounds"]
        return rounds[ids[-1]] if last_only else sum((rounds[i] for i in ids), F(0))

    def key(code: str) -> tuple:
        r, parts = scores[code], [-standing(code)]
        for tb in tie_breaks:
            if tb["kind"] == "stage":
                parts.append(-r["stages"].get(tb["ref"], F(0)))
            elif tb["kind"] == "module":
                parts.append(-r["modules"].get(tb["ref"], F(0)))
            else:
                parts.append((0, r["time"]) if r["time"] is not None else (1, 0))
        return tuple(parts)

    mine = {}
    for code in entrants:
        peers = [c for c in entrants if not rule["cut"].startswith("top_per") or group[c] == group[code]]
        place = 1 + sum(1 for c in peers if key(c) < key(code))
        through = (
            standing(code) >= F(rule["min_score"]) if rule["cut"] == "min_score" else place <= rule["count"]
        )
        mine[code] = (place, through)
    return mine


def check_rounds(doc: dict, scores: dict[str, dict]) -> list[str]:
    """Each closed round's cut, redone from the round scores: the standing (cumulative, or the round alone
    with ``total = "last"``), shared ranks (the declared tie-breaks first with ``ties = "tie_break"``), and
    who goes through (top N with every tie at the cut, at or above the line, or top N per group); everyone
    else must be the ones recorded as cut after that round."""
    problems = []
    cut_after = {s["blind_code"]: s.get("eliminated_after") for s in doc["subjects"]}
    for closing in doc.get("rounds") or []:
        k, round_id = closing["position"], closing["round_id"]
        mine = recut(doc, scores, k, {e["blind_code"]: e.get("group_no") for e in closing["standings"]})
        recorded = {e["blind_code"]: (e["rank"], e["qualified"]) for e in closing["standings"]}
        if recorded != mine:
            problems.append(f"round {round_id}: recorded {recorded!r}, recomputed {mine!r}")
        for code, (_, through) in mine.items():
            if (cut_after[code] == k) == through:
                problems.append(f"{code}: round {round_id} cut recorded as {cut_after[code]!r}")
    return problems


# ---------------------------------------------------------------- absent judges (optional)
# A judge recorded absent (缺席) for a contestant (blind code, or null: all) in a stage (or null: all) has
# no counted mark there and is not among the expected judges.


def check_absences(doc: dict) -> list[str]:
    """A judge recorded absent for a contestant (and stage) has no counted mark there and is not expected."""
    stage_of = {
        a["id"]: stage["id"]
        for stage in doc["rules"]["stages"]
        for module in stage.get("modules") or []
        for a in module["aspects"]
    }

    def absent(judge_no: int, code: str, aspect_id: str) -> bool:
        return any(
            x["judge_no"] == judge_no
            and x["blind_code"] in (None, code)
            and x["stage_id"] in (None, stage_of[aspect_id])
            for x in doc.get("absences") or []
        )

    problems = [
        f"{m['blind_code']} {m['aspect_id']}: a mark by judge {m['judge_no']}, recorded absent"
        for m in doc["marks"]
        if absent(m["judge_no"], m["blind_code"], m["aspect_id"])
    ]
    problems += [
        f"{e['blind_code']} {e['aspect_id']}: judge {j} expected, recorded absent"
        for e in doc.get("expected") or []
        for j in e["judge_nos"]
        if absent(j, e["blind_code"], e["aspect_id"])
    ]
    return problems


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        found = check(json.load(f))
    print("\n".join(found) or "OK: every published score, rank and prize recomputed exactly")
    sys.exit(1 if found else 0)
