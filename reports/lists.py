"""The rows behind a number: each figure row links to the list it counts, a page at a time, stably ordered.

``of`` names the list (entries, competitions, honours, nominations, unions), ``dimension`` and ``key`` the
figure row. Entries are read with the same ``held`` table and age bands as the counts, so a list's total
equals the number that linked to it.
"""

from __future__ import annotations

from typing import Any

from accounts.rules import SKILL_LEVEL_NAMES
from accounts.tables import SkillLevelChange
from awards.schemas import KIND_NAMES
from competitions.tables import Registration
from core.errors import Invalid
from reports import rules, sources
from reports.dashboard import Computed
from reports.schemas import ListPage

PAGE_SIZE = 50
ENTRY_FILTERS = {
    "union": 'e."union" = {}',
    "enterprise": "r.employer = {}",
    "industry": "e.industry = {}",
    "gender": "p.gender = {}",
}
ENTRY_COLUMNS = ["报名号", "姓名", "工作单位", "竞赛", "状态", "检录", "奖项"]
STATUS_NAMES = {"accepted": "已报名", "waitlisted": "候补", "rejected": "未通过审核", "withdrawn": "已撤回"}


def _page(of: str, title: str, columns: list[str], rows: list[list[Any]], total: int, page: int) -> ListPage:
    return ListPage(
        of=of, title=title, columns=columns, rows=rows, total=total, page=page, page_size=PAGE_SIZE
    )


def _bad(field: str, message: str) -> Invalid:
    return Invalid(message, code="bad_list", field=field)


async def entries(computed: Computed, dimension: str, key: str, page: int) -> ListPage:
    """Registrations (not withdrawn) of the period's competitions in one figure row, by registration id."""
    held = {c.id: c.held_on for c in computed.competitions}
    where, args = [sources.REGISTERED], []
    if dimension == "age_band":
        if key not in {str(i) for i in range(len(rules.AGE_BANDS))}:
            raise _bad("key", "年龄段无效")
        where.append(f"{sources.band_sql()} = {int(key)}")
    elif dimension in ENTRY_FILTERS:
        if not key:
            where.append(ENTRY_FILTERS[dimension].replace(" = {}", " IS NULL"))
        else:
            where.append(ENTRY_FILTERS[dimension])
            args.append(int(key) if dimension in ("union", "enterprise") and key.isdigit() else key)
    else:
        raise _bad("dimension", f"不能按 {dimension} 列出参赛记录")
    if not held:
        return _page("entries", "参赛记录", ENTRY_COLUMNS, [], 0, page)
    base = (
        f"WITH {sources.held_cte(held)} SELECT {{columns}} FROM held h CROSS JOIN registration r "
        "JOIN person p ON p.id = r.person LEFT JOIN enterprise e ON e.id = r.employer "
        "JOIN competition c ON c.id = r.competition "
        f"WHERE r.competition = h.competition AND {' AND '.join(where)}"
    )
    count = await Registration.raw(base.replace("{columns}", "COUNT(*) AS n"), *args)
    columns = (
        "r.registration_no, p.name, e.name AS employer, c.title, r.status, r.attendance, r.competition, "
        "r.blind_code"
    )
    rows = await Registration.raw(
        base.replace("{columns}", columns)
        + f" ORDER BY r.id LIMIT {PAGE_SIZE} OFFSET {(page - 1) * PAGE_SIZE}",
        *args,
    )
    prizes = {
        (p.competition_id, r.blind_code): r.prize for p in computed.published for r in p.rows if r.prize
    }
    out = [
        [
            r["registration_no"],
            r["name"],
            r["employer"] or "",
            r["title"],
            STATUS_NAMES.get(r["status"], r["status"]),
            {"present": "到场", "absent": "缺考"}.get(r["attendance"] or "", "—"),
            prizes.get((r["competition"], r["blind_code"] or ""), ""),
        ]
        for r in rows
    ]
    return _page("entries", "参赛记录", ENTRY_COLUMNS, out, int(count[0]["n"]), page)


def competitions(computed: Computed, dimension: str, key: str, page: int) -> ListPage:
    """The period's competitions in one figure row (industry, occupation, level or year), by held day."""
    match = {
        "industry": lambda c: c.industry == key,
        "occupation": lambda c: c.occupation == key,
        "level": lambda c: str(c.level or "") == key,
        "year": lambda c: str(c.held_on.year) == key,
    }.get(dimension)
    if match is None:
        raise _bad("dimension", f"不能按 {dimension} 列出竞赛")
    chosen = sorted((c for c in computed.competitions if match(c)), key=lambda c: (c.held_on, c.id))
    rows = [
        [
            c.id,
            c.title,
            rules.industry_name(c.industry),
            c.occupation,
            rules.level_label(c.level),
            c.held_on.isoformat(),
        ]
        for c in chosen[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    ]
    columns = ["编号", "竞赛", "行业", "工种", "参赛等级要求", "举办日期"]
    return _page("competitions", "竞赛", columns, rows, len(chosen), page)


async def honours(
    computed: Computed, dimension: str, key: str, page: int, *, awarded: bool = True
) -> ListPage:
    """Honours (or, for quota use, union nominations under a quota) of the period in one figure row."""
    programmes = {p.id: p for p in computed.programmes if (p.awarded_on is not None or not awarded)}
    if dimension == "kind":
        programmes = {i: p for i, p in programmes.items() if p.kind == key}
    elif dimension != "union":
        raise _bad("dimension", f"不能按 {dimension} 列出表彰")
    if not programmes:
        return _page("honours", "表彰名单", [], [], 0, page)
    where = [f"n.programme IN ({', '.join(str(i) for i in sorted(programmes))})"]
    where.append("n.status = 'awarded'" if awarded else "n.source = 'union' AND n.status <> 'withdrawn'")
    args: list[Any] = []
    if dimension == "union":
        where.append('n."union" = {}' if key else 'n."union" IS NULL')
        args += [int(key)] if key.isdigit() else []
    base = (
        "SELECT {columns} FROM nomination n JOIN person p ON p.id = n.person "
        f"LEFT JOIN enterprise e ON e.id = p.employer WHERE {' AND '.join(where)}"
    )
    count = await Registration.raw(base.replace("{columns}", "COUNT(*) AS n"), *args)
    rows = await Registration.raw(
        base.replace("{columns}", "n.programme, n.certificate_no, n.status, p.name, e.name AS employer")
        + f" ORDER BY n.programme, n.id LIMIT {PAGE_SIZE} OFFSET {(page - 1) * PAGE_SIZE}",
        *args,
    )
    out = [
        [
            _programme.name,
            KIND_NAMES.get(_programme.kind, ""),
            r["certificate_no"] or "",
            r["name"],
            r["employer"] or "",
        ]
        for r in rows
        for _programme in (programmes[r["programme"]],)
    ]
    columns = ["评选", "荣誉称号", "证书编号", "姓名", "工作单位"]
    return _page(
        "honours" if awarded else "nominations",
        "表彰名单" if awarded else "推荐名单",
        columns,
        out,
        int(count[0]["n"]),
        page,
    )


def unions(computed: Computed, dimension: str, key: str, page: int) -> ListPage:
    if dimension != "participation" or key != "silent":
        raise _bad("key", "只能列出未参与的工会")
    chosen = computed.silent_unions
    rows = [[u, name] for u, name in chosen[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]]
    return _page("unions", "未参与的基层工会", ["编号", "工会"], rows, len(chosen), page)


async def promotions(computed: Computed, dimension: str, key: str, page: int) -> ListPage:
    """Confirmed promotions to one level in the period: the rows that sources.promotion_counts counts."""
    if dimension != "level" or key not in {"1", "2", "3", "4", "5"}:
        raise _bad("key", "晋升等级应为 1–5")
    lower, upper = sources.day_bounds(computed.period.start, computed.period.end)
    where = (
        (SkillLevelChange.source == "promotion")
        & (SkillLevelChange.level_after == int(key))
        & (SkillLevelChange.changed_at >= lower)
        & (SkillLevelChange.changed_at < upper)
    )
    total = await SkillLevelChange.count().where(where)
    rows = (
        await SkillLevelChange.select(
            SkillLevelChange.person.name.as_alias("name"),
            SkillLevelChange.level_before,
            SkillLevelChange.competition_id,
            SkillLevelChange.basis,
            SkillLevelChange.changed_at,
        )
        .where(where)
        .order_by(SkillLevelChange.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    out = [
        [
            r["name"],
            SKILL_LEVEL_NAMES.get(r["level_before"], "无") if r["level_before"] else "无",
            SKILL_LEVEL_NAMES[int(key)],
            r["basis"],
            sources.day_of(r["changed_at"]).isoformat() if sources.day_of(r["changed_at"]) else "",
        ]
        for r in rows
    ]
    columns = ["姓名", "原等级", "晋升为", "依据", "确认日期"]
    return _page("promotions", f"晋升为{SKILL_LEVEL_NAMES[int(key)]}", columns, out, total, page)


async def list_rows(computed: Computed, of: str, dimension: str, key: str, page: int) -> ListPage:
    if page < 1:
        raise _bad("page", "页码从 1 开始")
    if of == "entries":
        return await entries(computed, dimension, key, page)
    if of == "competitions":
        return competitions(computed, dimension, key, page)
    if of in ("honours", "nominations"):
        return await honours(computed, dimension, key, page, awarded=of == "honours")
    if of == "unions":
        return unions(computed, dimension, key, page)
    if of == "promotions":
        return await promotions(computed, dimension, key, page)
    raise _bad("of", f"没有该列表：{of}")
