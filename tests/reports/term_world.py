"""A small term written by the loader of ``yicheng demo --term``, and its figures counted the slow way."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from typing import Any

import msgspec
import pytest

from reports import demo, rules

SMALL = {
    "UNIONS": 24,
    "FEDERATIONS": 2,
    "PEOPLE": 400,
    "COMPETITIONS": 15,
    "REGISTRATIONS": 1_200,
    "PROGRAMMES": (("good_employee", "爱企业的好职工", 12, 1), ("craftsman", "亦城工匠", 3, None)),
}


async def load_small_term(monkeypatch: pytest.MonkeyPatch, seed: int = 7) -> None:
    for name, value in SMALL.items():
        monkeypatch.setattr(demo, name, value)
    await demo.load_term(random.Random(seed))


async def counted_by_hand(period: rules.Period) -> dict[str, Any]:
    """Every figure recounted row by row with the pure age rule and Python's own date arithmetic."""
    from accounts.tables import Enterprise, GrassrootsUnion, Person
    from awards.tables import Nomination, Programme
    from competitions.tables import Competition, Registration, Stage
    from core.db import SHANGHAI
    from scoring.tables import Publication

    firsts: dict[int, Any] = {}
    for s in await Stage.select(Stage.competition, Stage.starts_at):
        if s["starts_at"] is not None:
            firsts[s["competition"]] = min(firsts.get(s["competition"], s["starts_at"]), s["starts_at"])
    held = {}
    for c in await Competition.select().where(Competition.state != "draft"):
        held_on = (firsts.get(c["id"]) or c["registration_closes_at"]).astimezone(SHANGHAI).date()
        if held_on in period:
            held[c["id"]] = held_on
    people = {p["id"]: p for p in await Person.select(Person.id, Person.gender, Person.birth_date)}
    firms = {e["id"]: e for e in await Enterprise.select()}
    latest: dict[int, dict[str, Any]] = {}
    for p in await Publication.select().order_by(Publication.version):
        latest[p["competition"]] = p
    prize: dict[tuple[int, str], int] = {}
    for cid, p in latest.items():
        for row in msgspec.json.decode(p["results"])["rows"]:
            if row["tier"] is not None and not row["disqualified"]:
                prize[(cid, row["blind_code"])] = row["tier"]
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    present_people = set()
    for r in await Registration.select().where(Registration.competition.is_in(list(held) or [0])):
        person, firm = people[r["person"]], firms.get(r["employer"])
        band = rules.age_band(rules.age_on(person["birth_date"], held[r["competition"]]))
        keys = {
            "union": str(firm["union"]) if firm else "",
            "enterprise": str(r["employer"] or ""),
            "industry": firm["industry"] if firm else "",
            "gender": person["gender"],
            "age_band": str(band),
        }
        tier = prize.get((r["competition"], r["blind_code"] or ""))
        for dimension, key in keys.items():
            if r["status"] != "withdrawn":
                counts[f"{dimension}:registrations"][key] += 1
            if r["attendance"] == "present":
                counts[f"{dimension}:participants"][key] += 1
            if tier is not None:
                counts[f"{dimension}:tier{tier}"][key] += 1
        if r["attendance"] == "present":
            present_people.add(r["person"])
    awarded = {
        p["id"]: p
        for p in await Programme.select()
        if p["state"] in ("awarded", "archived") and p["awarded_on"] in period
    }
    honours = [n for n in await Nomination.select() if n["programme"] in awarded and n["status"] == "awarded"]
    return {
        "competitions": len(held),
        "counts": counts,
        "people": len(present_people),
        "honours": len(honours),
        "honours_by_union": Counter(str(n["union"] or "") for n in honours),
        "unions": await GrassrootsUnion.count(),
    }
