"""A believable demo zone, generated from a fixed seed so it is the same on every machine.

4 leading industries (plus "other"), 12 enterprises with valid credit codes, their unions under one park
federation, 60 workers with valid ID numbers and Chinese names, and a user of every role.
"""

from __future__ import annotations

import datetime as dt
import random

from stdnum.cn import ric, uscc

from accounts import audit
from accounts.rules import Role
from accounts.schemas import PersonIn
from accounts.security import hash_password
from accounts.service import new_person_row
from accounts.tables import Enterprise, GrassrootsUnion, Person, User
from core.db import write_transaction

DEMO_PASSWORD = "yicheng2026"
DEMO_ORGANIZER = "organizer"
SEED = 20261125

ENTERPRISES = [
    ("北京亦庄智芯微电子有限公司", "new_generation_it"),
    ("京东方亦城显示技术有限公司", "new_generation_it"),
    ("亦城云算数据科技有限公司", "new_generation_it"),
    ("北京博瑞康生物医药有限公司", "biomedicine"),
    ("亦城同仁堂健康药业有限公司", "biomedicine"),
    ("北京科兴亦庄疫苗有限公司", "biomedicine"),
    ("北京奔驰亦庄动力总成有限公司", "intelligent_manufacturing"),
    ("理想亦城新能源汽车有限公司", "intelligent_manufacturing"),
    ("亦城精密数控机床有限公司", "robotics_equipment"),
    ("北京优必选亦庄机器人有限公司", "robotics_equipment"),
    ("亦庄顺达城市物流有限公司", "other"),
    ("亦城恒安物业服务有限公司", "other"),
]
# The last three share the park federation instead of having an enterprise union of their own.
FEDERATED = {9, 10, 11}
FEDERATION = "亦城经开区科创园工会联合会"

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英建华文辉玉兰志强晓东海燕红梅建国春雷国庆"
REGIONS = ["110101", "110105", "110108", "130602", "370102", "410105", "420106", "510107", "230103", "320102"]


def credit_code(rng: random.Random) -> str:
    """A valid 统一社会信用代码 for a company registered in Beijing's development zone (110302)."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "91110302" + "".join(rng.choice(alphabet) for _ in range(9))
    return body + uscc.calc_check_digit(body)


def id_number(rng: random.Random, birth: dt.date, female: bool) -> str:
    """A valid 居民身份证号码: region codes change over the years, so draw until one was valid then."""
    while True:
        sequence = rng.randrange(0, 500) * 2 + (0 if female else 1)
        body = f"{rng.choice(REGIONS)}{birth:%Y%m%d}{sequence:03d}"
        number = body + ric.calc_check_digit(body + "0")
        if ric.is_valid(number):
            return number


def mobile(rng: random.Random) -> str:
    return rng.choice(["138", "139", "150", "186", "177", "135"]) + f"{rng.randrange(10**8):08d}"


def chinese_name(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))
    return rng.choice(SURNAMES) + given


async def load(rng: random.Random) -> dict[str, list[int]]:
    """Insert the demo zone; returns the ids created, for the other domains' demo data."""
    async with write_transaction():
        federation = GrassrootsUnion(name=FEDERATION, kind="federation")
        await federation.save()
        enterprise_ids, union_of = [], {}
        for index, (name, industry) in enumerate(ENTERPRISES):
            union_id = federation.id
            if index not in FEDERATED:
                union = GrassrootsUnion(name=f"{name}工会", kind="enterprise", parent=federation.id)
                await union.save()
                union_id = union.id
            enterprise = Enterprise(
                name=name, credit_code=credit_code(rng), industry=industry, union=union_id
            )
            await enterprise.save()
            enterprise_ids.append(enterprise.id)
            union_of[enterprise.id] = union_id
        person_ids = []
        for _ in range(60):
            person_ids.append(await _person(rng, enterprise_ids, union_of))
        user_ids = await _users(enterprise_ids, union_of, person_ids)
        await audit.record(audit.SYSTEM, "demo.load", "system", "demo", after={"people": len(person_ids)})
    return {"enterprises": enterprise_ids, "people": person_ids, "users": user_ids}


async def _person(rng: random.Random, enterprise_ids: list[int], union_of: dict[int, int]) -> int:
    female = rng.random() < 0.35
    birth = dt.date(rng.randint(1968, 2004), rng.randint(1, 12), rng.randint(1, 28))
    employer = rng.choice(enterprise_ids)
    data = PersonIn(
        name=chinese_name(rng),
        id_number=id_number(rng, birth, female),
        mobile=mobile(rng),
        employer_id=employer,
        union_id=union_of[employer],
        union_member=rng.random() < 0.9,
        skill_level=rng.choice([None, 5, 4, 4, 3, 3, 3, 2, 2, 1]),
        front_line=rng.random() < 0.7,
        enterprise_leader=rng.random() < 0.08,
        employed_since=dt.date(rng.randint(max(birth.year + 18, 2005), 2025), rng.randint(1, 12), 1),
    )
    row = new_person_row(data, data.union_id)
    await row.save()
    return row.id


async def _users(enterprise_ids: list[int], union_of: dict[int, int], person_ids: list[int]) -> list[int]:
    password_hash = await hash_password(DEMO_PASSWORD)
    first_union = union_of[enterprise_ids[0]]
    specs = [
        (DEMO_ORGANIZER, Role.ORGANIZER, "赛事组织者", None, None),
        ("organizer2", Role.ORGANIZER, "区总工会劳动竞赛部", None, None),
        ("officer1", Role.UNION_OFFICER, "智芯微电子工会干部", first_union, None),
        ("officer2", Role.UNION_OFFICER, "科创园联合会干部", union_of[enterprise_ids[10]], None),
        ("expert1", Role.EXPERT, "评审专家一", None, None),
        ("expert2", Role.EXPERT, "评审专家二", None, None),
        ("contestant1", Role.CONTESTANT, "选手一", None, person_ids[0]),
        ("contestant2", Role.CONTESTANT, "选手二", None, person_ids[1]),
    ]
    specs += [(f"judge{i}", Role.JUDGE, f"裁判{i}", None, person_ids[50 + i]) for i in range(1, 8)]
    ids = []
    for username, role, display, union_id, person_id in specs:
        user = User(
            username=username,
            password_hash=password_hash,
            role=role,
            display_name=display,
            union=union_id,
            person=person_id,
        )
        await user.save()
        ids.append(user.id)
    return ids


async def is_empty() -> bool:
    return not await Person.exists()
