"""A full five-year term of the zone, for the dashboard and the benchmark (``yicheng demo --term``).

The zone's congress report counts about 1,424 grassroots unions, 431 competitions in a term and thousands of
honours; this loader writes a term of that size from a fixed seed: 1,424 unions (some never take part),
their enterprises, 40,000 workers with valid ID numbers, 431 finished competitions with 100,000
registrations (checked in, lots drawn, results published, a few corrected), and award programmes with
5,000 honours named under union quotas.

It writes straight into the tables in bulk (a few thousand rows per statement, one transaction), the way
the domains' own services would leave them, because going through each use case for 100,000 rows would
take minutes: the benchmark loads it on every run. One audit row records the load.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import msgspec
from piccolo.table import Table
from stdnum.cn import ric

from accounts import audit
from accounts.demo import chinese_name, credit_code, mobile
from accounts.rules import mask_id_number, mask_mobile
from accounts.tables import Enterprise, GrassrootsUnion, Person, User
from awards.honours import KIND_CODES
from awards.tables import Nomination, Programme
from competitions.rules import EligibilityRules, draw_lots, format_registration_no
from competitions.tables import Competition, Registration, Series, Stage
from core import crypto
from core.db import SHANGHAI, engine, engine_name, write_transaction
from scoring import rules as scoring_rules
from scoring.results_schemas import CompetitionHead, PublicBoard, PublicRow, StageHead
from scoring.tables import Publication

TERM_FIRST_YEAR = 2021
TERM_YEARS = 5
UNIONS = 1_424
FEDERATIONS = 24
PEOPLE = 40_000
COMPETITIONS = 431
REGISTRATIONS = 100_000
HONOURS = 5_000
# Share of unions whose members never enter a competition nor get nominated: the dashboard names them.
SILENT_UNIONS = 0.12
# Beijing district codes valid for every birth year drawn (1966-2003).
REGIONS = ("110101", "110102", "110105", "110106", "110107", "110108")
SEED = 20261231
SERIES_MARK = "（届期演示）"

OCCUPATIONS: dict[str, tuple[str, ...]] = {
    "new_generation_it": ("集成电路工程技术人员", "网络与信息安全管理员", "人工智能训练师", "电子设备装接工"),
    "biomedicine": ("药物制剂工", "化学检验员", "生物药品制造工", "医疗器械装配工"),
    "intelligent_manufacturing": ("汽车装调工", "电工", "焊工", "汽车维修工"),
    "robotics_equipment": ("数控车工", "工业机器人系统运维员", "钳工", "多工序数控机床操作调整工"),
    "other": ("物流服务师", "保安员", "中式烹调师", "电梯安装维修工"),
}
INDUSTRY_WEIGHTS = {
    "new_generation_it": 3,
    "biomedicine": 2,
    "intelligent_manufacturing": 3,
    "robotics_equipment": 2,
    "other": 2,
}
# (kind, name, awards a year, quota per union or None): 900 + 58 + 20 + 8 + 14 = 1,000 a year.
PROGRAMMES: tuple[tuple[str, str, int, int | None], ...] = (
    ("good_employee", "爱企业的好职工", 900, 3),
    ("good_manager", "爱职工的好经理", 58, 1),
    ("craftsman", "亦城工匠", 20, None),
    ("model_worker", "劳动模范", 8, None),
    ("advanced_worker", "先进工作者", 14, None),
)


def term_years() -> range:
    return range(TERM_FIRST_YEAR, TERM_FIRST_YEAR + TERM_YEARS)


async def _bulk(table: type[Table], rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert rows (column -> value; the rest take the column's default) with ids numbered here; returns
    them in order. One statement per table: ``executemany`` on SQLite, ``COPY`` on PostgreSQL, where the
    table is locked against other writers until the transaction ends and its id sequence is moved on."""
    if not rows:
        return []
    name = table._meta.tablename
    transaction = engine().current_transaction.get()
    assert transaction is not None, "bulk inserts run inside the loader's transaction"
    connection = transaction.connection
    postgres = engine_name() == "postgres"
    if postgres:
        await connection.execute(f'LOCK TABLE "{name}" IN SHARE ROW EXCLUSIVE MODE')
    first = (await table.raw(f'SELECT COALESCE(MAX(id), 0) + 1 AS next FROM "{name}"'))[0]["next"]
    ids = list(range(first, first + len(rows)))
    columns = table._meta.non_default_columns
    defaults = {c._meta.db_column_name: c.get_default_value() for c in columns}
    names = ["id", *defaults]
    records = [(i, *(row.get(n, d) for n, d in defaults.items())) for i, row in zip(ids, rows, strict=True)]
    if postgres:
        await connection.copy_records_to_table(name, records=records, columns=names)
        await connection.execute(f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), {ids[-1]})")
    else:
        quoted = ", ".join(f'"{n}"' for n in names)
        marks = ", ".join("?" for _ in names)
        await connection.executemany(f'INSERT INTO "{name}" ({quoted}) VALUES ({marks})', records)
    return ids


def _on(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI).astimezone(dt.UTC)


async def is_loaded() -> bool:
    return await Series.exists().where(Series.name.like(f"%{SERIES_MARK}"))


# --------------------------------------------------------------------------------------------- the zone


async def _zone(rng: random.Random) -> dict[str, Any]:
    """Unions up to :data:`UNIONS` in all, an enterprise per enterprise union, several per federation."""
    existing = await GrassrootsUnion.count()
    now = _on(dt.date(TERM_FIRST_YEAR, 1, 4), 9)
    federations = [
        dict(name=f"亦城经开区第{i + 1}园区工会联合会", kind="federation", created_at=now)
        for i in range(FEDERATIONS)
    ]
    federation_ids = await _bulk(GrassrootsUnion, federations)
    count = UNIONS - existing - FEDERATIONS
    industries = list(INDUSTRY_WEIGHTS)
    weights = list(INDUSTRY_WEIGHTS.values())
    names = [
        f"亦城{i + 1:04d}号{rng.choice(('科技', '制造', '医药', '智能', '物流'))}有限公司"
        for i in range(count)
    ]
    unions = [
        dict(name=f"{name}工会", kind="enterprise", parent=rng.choice(federation_ids), created_at=now)
        for name in names
    ]
    union_ids = await _bulk(GrassrootsUnion, unions)
    enterprises: list[tuple[str, int]] = [(name, u) for name, u in zip(names, union_ids, strict=True)]
    for index, federation in enumerate(federation_ids):  # small firms share their park's federation
        enterprises += [(f"亦城园区{index + 1:02d}-{k + 1:02d}号服务有限公司", federation) for k in range(8)]
    rows = [
        dict(
            name=name,
            credit_code=credit_code(rng),
            industry=rng.choices(industries, weights)[0],
            union=union,
            created_at=now,
        )
        for name, union in enterprises
    ]
    enterprise_ids = await _bulk(Enterprise, rows)
    union_of = {e: u for e, (_, u) in zip(enterprise_ids, enterprises, strict=True)}
    industry_of = {e: r["industry"] for e, r in zip(enterprise_ids, rows, strict=True)}
    silent = set(rng.sample([*union_ids, *federation_ids], int(SILENT_UNIONS * (count + FEDERATIONS))))
    active = [e for e in enterprise_ids if union_of[e] not in silent]
    return {
        "union_of": union_of,
        "industry_of": industry_of,
        "enterprise_name": {e: name for e, (name, _) in zip(enterprise_ids, enterprises, strict=True)},
        "active_enterprises": active,
        "employer_of": {},
        "name_of": {},
    }


def _person(rng: random.Random, zone: dict[str, Any], taken: set[str]) -> dict[str, Any]:
    """A worker row as accounts stores one: the ID and mobile numbers sealed, fingerprinted and masked."""
    female = rng.random() < 0.36
    birth = dt.date(rng.randint(1966, 2003), rng.randint(1, 12), rng.randint(1, 28))
    number = ""
    while not number or number in taken:
        sequence = rng.randrange(0, 500) * 2 + (0 if female else 1)
        body = f"{rng.choice(REGIONS)}{birth:%Y%m%d}{sequence:03d}"
        number = body + ric.calc_check_digit(body + "0")
    taken.add(number)
    phone = mobile(rng)
    employer = rng.choice(zone["active_enterprises"])
    return {
        "name": chinese_name(rng),
        "id_fingerprint": crypto.fingerprint(number),
        "id_sealed": crypto.seal(number),
        "id_masked": mask_id_number(number),
        "birth_date": birth,
        "gender": "F" if female else "M",
        "mobile_fingerprint": crypto.fingerprint(phone),
        "mobile_sealed": crypto.seal(phone),
        "mobile_masked": mask_mobile(phone),
        "employer": employer,
        "union": zone["union_of"][employer],
        "union_member": rng.random() < 0.92,
        "skill_level": rng.choice([None, 5, 4, 4, 3, 3, 3, 2, 2, 1]),
        "front_line": rng.random() < 0.7,
        "enterprise_leader": rng.random() < 0.04,
        "created_at": _on(dt.date(TERM_FIRST_YEAR, 1, 5), 9),
    }


async def _people(rng: random.Random, zone: dict[str, Any]) -> list[int]:
    taken: set[str] = set()
    rows = [_person(rng, zone, taken) for _ in range(PEOPLE)]
    ids = await _bulk(Person, rows)
    for person_id, row in zip(ids, rows, strict=True):
        zone["employer_of"][person_id] = row["employer"]
        zone["name_of"][person_id] = row["name"]
    return ids


# ---------------------------------------------------------------------------------------- competitions


def _competition_plan(rng: random.Random) -> list[dict[str, Any]]:
    """431 competitions over the term: industry, occupation, the day they are held, the level they ask."""
    plan = []
    industries, weights = list(INDUSTRY_WEIGHTS), list(INDUSTRY_WEIGHTS.values())
    for index in range(COMPETITIONS):
        year = TERM_FIRST_YEAR + index * TERM_YEARS // COMPETITIONS
        industry = rng.choices(industries, weights)[0]
        held_on = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(40, 340))
        plan.append(
            {
                "year": year,
                "industry": industry,
                "occupation": rng.choice(OCCUPATIONS[industry]),
                "held_on": held_on,
                "level": rng.choice([None, None, 5, 4, 3, 3, 2]),
            }
        )
    return plan


async def _competitions(rng: random.Random) -> list[dict[str, Any]]:
    series = [
        dict(
            name=f"{year} 年亦城经开区职工职业技能竞赛{SERIES_MARK}",
            year=year,
            created_at=_on(dt.date(year, 1, 6), 9),
        )
        for year in term_years()
    ]
    series_ids = dict(zip(term_years(), await _bulk(Series, series), strict=True))
    plan = _competition_plan(rng)
    rows = []
    for index, item in enumerate(plan):
        held_on = item["held_on"]
        item["title"] = f"{item['year']} 年亦城职工职业技能竞赛（{item['occupation']}·第{index + 1}场）"
        rows.append(
            dict(
                series=series_ids[item["year"]],
                title=item["title"],
                occupation=item["occupation"],
                industry=item["industry"],
                venue="亦城职工技能实训基地",
                registration_opens_at=_on(held_on - dt.timedelta(days=40), 9),
                registration_closes_at=_on(held_on - dt.timedelta(days=10), 17),
                state="finished",
                eligibility=msgspec.json.encode(EligibilityRules(least_senior_level=item["level"])).decode(),
                created_at=_on(held_on - dt.timedelta(days=50), 9),
            )
        )
    for item, competition_id in zip(plan, await _bulk(Competition, rows), strict=True):
        item["id"] = competition_id
    stages = []
    for item in plan:
        for position, (name, kind, weight, hour) in enumerate(
            (("理论知识", "theory", 30, 9), ("技能操作", "practical", 70, 13))
        ):
            stages.append(
                dict(
                    competition=item["id"],
                    position=position,
                    name=name,
                    kind=kind,
                    weight_percent=Decimal(weight),
                    starts_at=_on(item["held_on"], hour),
                    ends_at=_on(item["held_on"], hour + 3),
                )
            )
    stage_ids = await _bulk(Stage, stages)
    for index, item in enumerate(plan):
        item["stages"] = stage_ids[2 * index : 2 * index + 2]
    return plan


def _sizes(rng: random.Random, parts: int, total: int) -> list[int]:
    """``parts`` sizes between about 60 and 420 that add up to ``total`` exactly."""
    weights = [rng.uniform(0.25, 1.75) for _ in range(parts)]
    scale = total / sum(weights)
    sizes = [max(1, int(w * scale)) for w in weights]
    for index in range(total - sum(sizes)):
        sizes[index % parts] += 1
    return sizes


async def _registrations(
    rng: random.Random, plan: list[dict[str, Any]], people: list[int], employer_of: dict[int, int]
) -> None:
    """100,000 entries: mostly accepted and checked in with lots drawn, a few withdrawn or rejected."""
    rows = []
    for item, size in zip(plan, _sizes(rng, len(plan), REGISTRATIONS), strict=True):
        opens = _on(item["held_on"] - dt.timedelta(days=40), 9)
        entrants = rng.sample(people, size)
        present: list[int] = []
        for seq, person in enumerate(entrants, start=1):
            draw = rng.random()
            status = "withdrawn" if draw < 0.03 else "rejected" if draw < 0.05 else "accepted"
            attendance = None if status != "accepted" else "present" if rng.random() < 0.93 else "absent"
            if attendance == "present":
                present.append(len(rows))
            rows.append(
                dict(
                    competition=item["id"],
                    person=person,
                    entry_key=f"{item['id']}:{person}",
                    registration_no=format_registration_no(item["id"], seq),
                    employer=employer_of[person],
                    status=status,
                    arrival=seq,
                    review="rejected" if status == "rejected" else "approved",
                    attendance=attendance,
                    created_at=opens + dt.timedelta(minutes=seq * 7),
                )
            )
        for lot in draw_lots(present, rng=rng):
            rows[lot.contestant_id] |= {"station_no": lot.station_no, "blind_code": lot.blind_code}
        item["present"] = [rows[i] for i in present]
    await _bulk(Registration, rows)
    await Competition.raw(
        "UPDATE competition SET "
        "accepted_count = (SELECT COUNT(*) FROM registration r "
        "WHERE r.competition = competition.id AND r.status = 'accepted'), "
        "next_seq = 1 + (SELECT COUNT(*) FROM registration r WHERE r.competition = competition.id) "
        "WHERE competition.id >= {}",
        plan[0]["id"],
    )


# ------------------------------------------------------------------------------------------ publications


def _board(
    rng: random.Random, item: dict[str, Any], zone: dict[str, Any], version: int, published_at: dt.datetime
) -> PublicBoard:
    """The leaderboard as scoring publishes it: scores, ranks, 10 / 20 / 30 % prizes; names as published."""
    theory_id, practical_id = (str(s) for s in item["stages"])
    scored = []
    for registration in item["present"]:
        theory = Decimal(rng.randrange(4_000, 10_000)) / 100
        practical = Decimal(rng.randrange(3_000, 10_000)) / 100
        final = (theory * 3 + practical * 7) / 10
        scored.append((final.quantize(Decimal("0.01")), theory, practical, registration))
    scored.sort(key=lambda s: (-s[0], s[3]["blind_code"]))
    bounds = list(scoring_rules.tier_counts(scoring_rules.TierPolicy(), len(scored)))
    edges = [sum(bounds[: k + 1]) for k in range(len(bounds))]
    rows = []
    for position, (final, theory, practical, registration) in enumerate(scored):
        tier = next((k + 1 for k, edge in enumerate(edges) if position < edge), None)
        rows.append(
            PublicRow(
                rank=position + 1,
                tier=tier,
                prize=None if tier is None else scoring_rules.TIER_NAMES[tier],
                name=zone["name_of"][registration["person"]],
                employer=zone["enterprise_name"][registration["employer"]],
                blind_code=registration["blind_code"],
                station_no=registration["station_no"],
                final_score=final,
                stage_scores={theory_id: theory, practical_id: practical},
                disqualified=False,
            )
        )
    stages = [
        StageHead(id=theory_id, name="理论知识", weight_percent=Decimal(30), full_marks=Decimal(100)),
        StageHead(id=practical_id, name="技能操作", weight_percent=Decimal(70), full_marks=Decimal(100)),
    ]
    head = CompetitionHead(
        id=item["id"], title=item["title"], occupation=item["occupation"], venue="亦城职工技能实训基地"
    )
    return PublicBoard(
        competition=head,
        version=version,
        published_at=published_at,
        stages=stages,
        rows=rows,
        tier_counts=bounds,
    )


def _corrected(board: PublicBoard, published_at: dt.datetime) -> PublicBoard:
    """Version 2 after an upheld appeal: the last second prize and the first third prize change places."""
    rows = list(board.rows)
    second = [i for i, r in enumerate(rows) if r.tier == 2]
    third = [i for i, r in enumerate(rows) if r.tier == 3]
    if second and third:
        a, b = second[-1], third[0]
        rows[a], rows[b] = (
            msgspec.structs.replace(rows[b], rank=rows[a].rank, tier=2, prize=rows[a].prize),
            msgspec.structs.replace(rows[a], rank=rows[b].rank, tier=3, prize=rows[b].prize),
        )
    return msgspec.structs.replace(board, version=2, published_at=published_at, rows=rows)


async def _publications(rng: random.Random, plan: list[dict[str, Any]], zone: dict[str, Any]) -> None:
    organizer = await User.select(User.id).where(User.role == "organizer").order_by(User.id).first()
    rows = []
    for item in plan:
        published_at = _on(item["held_on"] + dt.timedelta(days=3), 16)
        boards = [_board(rng, item, zone, 1, published_at)]
        if rng.random() < 0.03:
            boards.append(_corrected(boards[0], published_at + dt.timedelta(days=2)))
        for board in boards:
            rows.append(
                dict(
                    competition=item["id"],
                    publication_key=f"{item['id']}:{board.version}",
                    version=board.version,
                    published_by=organizer["id"],
                    published_at=board.published_at,
                    reason="" if board.version == 1 else "申诉成立，更正名次",
                    results=msgspec.json.encode(board).decode(),
                    # Marks were not loaded: the demo's open document says so rather than pretend.
                    document=msgspec.json.encode({"format": "yicheng-demo-term/1", "marks": None}).decode(),
                )
            )
    await _bulk(Publication, rows)


# ---------------------------------------------------------------------------------------------- honours


def _programme(year: int, kind: str, name: str, awards: int, quota: int | None) -> dict[str, Any]:
    awarded_on = dt.date(year, 12, 10)
    return dict(
        name=f"{year} 年度{name}{SERIES_MARK}",
        year=year,
        kind=kind,
        state="archived" if year < TERM_FIRST_YEAR + TERM_YEARS - 1 else "awarded",
        nomination_opens_at=_on(dt.date(year, 9, 1), 9),
        nomination_closes_at=_on(dt.date(year, 9, 30), 17),
        total_awards=awards,
        quota_scope="union",
        default_quota=quota,
        notice_starts_on=awarded_on - dt.timedelta(days=14),
        notice_ends_on=awarded_on - dt.timedelta(days=7),
        awarded_on=awarded_on,
        created_at=_on(dt.date(year, 8, 20), 9),
    )


def _nominees(
    rng: random.Random, people: list[int], zone: dict[str, Any], wanted: int, quota: int | None
) -> list[int]:
    """People to nominate, at most ``quota`` from any one union."""
    used: dict[int, int] = {}
    chosen: list[int] = []
    for person in rng.sample(people, min(len(people), wanted * 3)):
        union = zone["union_of"][zone["employer_of"][person]]
        if quota is not None and used.get(union, 0) >= quota:
            continue
        used[union] = used.get(union, 0) + 1
        chosen.append(person)
        if len(chosen) == wanted:
            break
    return chosen


async def _honours(rng: random.Random, people: list[int], zone: dict[str, Any]) -> None:
    """Each year's programmes, awarded under union quotas: 1,000 honours a year, 5,000 in the term."""
    specs = [(year, *spec) for year in term_years() for spec in PROGRAMMES]
    programme_ids = await _bulk(Programme, [_programme(*spec) for spec in specs])
    rows = []
    for programme_id, (year, kind, _, awards, quota) in zip(programme_ids, specs, strict=True):
        nominees = _nominees(rng, people, zone, awards + awards // 4 + 1, quota)
        for serial, person in enumerate(nominees, start=1):
            union = zone["union_of"][zone["employer_of"][person]]
            status = "awarded" if serial <= awards else rng.choice(("nominated", "removed", "withdrawn"))
            rows.append(
                dict(
                    programme=programme_id,
                    person=person,
                    union=union,
                    quota_group=str(union),
                    nomination_key=f"{programme_id}:{person}",
                    source="union",
                    eligibility_status="eligible",
                    status=status,
                    certificate_no=f"YC{year}-{KIND_CODES[kind]}-{serial:04d}"
                    if status == "awarded"
                    else None,
                    created_at=_on(dt.date(year, 9, 1) + dt.timedelta(days=serial % 29), 10),
                )
            )
    await _bulk(Nomination, rows)


async def load_term(rng: random.Random) -> dict[str, int]:
    """Write the whole term in one transaction; returns what was written."""
    async with write_transaction():
        zone = await _zone(rng)
        people = await _people(rng, zone)
        plan = await _competitions(rng)
        await _registrations(rng, plan, people, zone["employer_of"])
        await _publications(rng, plan, zone)
        await _honours(rng, people, zone)
        counts = {
            "competitions": len(plan),
            "registrations": REGISTRATIONS,
            "honours": HONOURS,
            "people": len(people),
        }
        await audit.record(audit.SYSTEM, "demo.load_term", "system", "demo-term", after=counts)
    return counts
