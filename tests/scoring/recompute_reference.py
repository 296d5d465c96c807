"""Recompute every score, rank and prize of an open results document (format yicheng-open-results/1).

Written from the rules as the document states them, with nothing but Python's standard library and nothing
from the platform, so that anyone can check the published figures:

    python recompute_reference.py open-document.json      # prints OK, or every figure that differs

Per contestant and aspect: combine the judges' marks (mean, trimmed mean dropping ``trim`` from each end,
median, or trimmed sum); a judgement mark (0-3) becomes panel / 3 x max mark; round the panel if the rules
say so; multiply by the factor (round if declared); a deduction subtracts. A rubric stage sums its aspects
(never below 0; round if declared); an imported stage takes its mark. Final = sum of stage / full marks x
weight % (round if declared). Rank by final score, then the declared tie-breaks; still equal: shared rank
(1, 2, 2, 4). Prizes fill tiers in rank order; a tied group that does not fit drops whole to the next tier.
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


def score(doc: dict) -> dict[str, dict]:
    """blind code -> final, per-stage and per-module scores (exact fractions), time used, disqualified."""
    rules, rounding = doc["rules"], doc["rules"].get("rounding") or {}
    marks: dict[tuple[str, str], list[Fraction]] = {}
    for m in doc["marks"]:
        marks.setdefault((m["blind_code"], m["aspect_id"]), []).append(F(m["value"]))
    out = {}
    for s in doc["subjects"]:
        stages, modules, final = {}, {}, F(0)
        for stage in rules["stages"]:
            if stage.get("kind", "rubric") == "imported":
                value = s["imported"].get(stage["id"])
                total = F(value) if value is not None else F(0)
            else:
                total = F(0)
                for module in stage["modules"]:
                    module_total = F(0)
                    for a in module["aspects"]:
                        panel = combine(marks.get((s["blind_code"], a["id"]), []), a.get("combine") or {})
                        if panel is None:
                            continue
                        if a["kind"] == "judgement":
                            panel = panel / 3 * F(a["max_mark"])
                        panel = rounded(panel, rounding.get("panel_mark"))
                        points = rounded(panel * F(a.get("factor", "1")), rounding.get("factored_aspect"))
                        module_total += -points if a["kind"] == "deduction" else points
                    modules[module["id"]] = module_total
                    total += module_total
            total = rounded(max(total, F(0)), rounding.get("stage_total"))
            stages[stage["id"]] = total
            final += total / F(stage["full_marks"]) * F(stage["weight_percent"])
        out[s["blind_code"]] = {
            "final": rounded(final, rounding.get("final")),
            "stages": stages,
            "modules": modules,
            "time": None if s.get("time_used") is None else F(s["time_used"]),
            "disqualified": bool(s.get("disqualified")),
        }
    return out


def rank(doc: dict, scores: dict[str, dict]) -> dict[str, tuple[int | None, int | None]]:
    """blind code -> (rank, tier)."""
    rules = doc["rules"]

    def key(code: str) -> tuple:
        r, parts = scores[code], [-scores[code]["final"]]
        for tb in rules.get("tie_breaks") or []:
            if tb["kind"] == "stage":
                parts.append(-r["stages"][tb["ref"]])
            elif tb["kind"] == "module":
                parts.append(-r["modules"][tb["ref"]])
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
    problems = []
    for p in doc["published"]:
        code, s = p["blind_code"], scores[p["blind_code"]]
        mine = {
            "final_score": text(s["final"], step),
            "rank": ranks[code][0],
            "tier": ranks[code][1],
            "stage_scores": {k: text(v, step) for k, v in s["stages"].items()},
        }
        problems += [
            f"{code} {k}: published {p[k]!r}, recomputed {v!r}" for k, v in mine.items() if p[k] != v
        ]
    return problems


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        found = check(json.load(f))
    print("\n".join(found) or "OK: every published score, rank and prize recomputed exactly")
    sys.exit(1 if found else 0)
