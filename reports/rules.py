"""Pure rules of the reports: periods, age bands, what counts as what, and how counts become figures.

No I/O: the use cases hand in rows counted by the database (``reports.sources``) and get figures back.

What is counted
---------------
- A competition is *held* on the day of its first stage (else the day registration closes), in Shanghai;
  it belongs to a period when that day does, and drafts never count.
- 报名人次 (registrations): registrations not withdrawn; 参赛人次 (participants): checked in as present;
  获奖人次 (winners): rows with a prize tier in the latest published version of the results.
- A registration's union, enterprise and industry are its employer's at registration; gender and age come
  from the person's ID number; age is in whole years (周岁) on the day the competition is held.
- An honour is a nomination marked awarded, in a programme awarded within the period, counted under the
  nominating union; quota use counts union nominations not withdrawn against the union's quota.
- A grassroots union *took part* when an employer under it had a registration, or it nominated anyone.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from accounts.rules import INDUSTRIES, SKILL_LEVEL_NAMES
from reports.schemas import Figure, FigureRow, Headline

# (lowest age, highest age or None, label): bands of 周岁 as union statistics report them (35: youth).
AGE_BANDS: tuple[tuple[int, int | None, str], ...] = (
    (0, 35, "35岁及以下"),
    (36, 45, "36–45岁"),
    (46, 55, "46–55岁"),
    (56, None, "56岁及以上"),
)
GENDER_NAMES = {"M": "男", "F": "女"}
TIERS = (1, 2, 3)
TIER_COLUMNS = ["一等奖", "二等奖", "三等奖"]
ENTRY_COLUMNS = ["报名人次", "参赛人次", "获奖人次", *TIER_COLUMNS]
MAX_PERIOD_DAYS = 366 * 10
PROMOTIONS_NOTE = "按竞赛晋升名单确认的职业技能等级晋升计，日期为确认晋升之日；按晋升后的等级分列。"


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise PeriodError("结束日期不能早于开始日期")
        if (self.end - self.start).days > MAX_PERIOD_DAYS:
            raise PeriodError("统计期最长十年")

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    @property
    def years(self) -> range:
        return range(self.start.year, self.end.year + 1)

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31))

    @classmethod
    def term(cls, first_year: int, years: int = 5) -> Period:
        return cls(dt.date(first_year, 1, 1), dt.date(first_year + years - 1, 12, 31))


def age_on(birth: dt.date, day: dt.date) -> int:
    """Whole years of age (周岁) on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def age_band(age: int) -> int:
    """The index in :data:`AGE_BANDS` of an age."""
    for index, (low, high, _) in enumerate(AGE_BANDS):
        if age >= low and (high is None or age <= high):
            return index
    return 0  # a negative age (bad data) counts with the youngest


def band_cutoffs(day: dt.date) -> tuple[str, ...]:
    """For each band but the oldest, the birth date (ISO text) a person must be born *after* to be in that
    band or a younger one on ``day``: age <= high exactly when (birth y, m, d) > (day.year - high - 1, m, d).
    Compared as text, which orders ISO dates like tuples, so 29 February needs no special case."""
    return tuple(
        f"{day.year - high - 1:04d}-{day.month:02d}-{day.day:02d}"
        for _, high, _ in AGE_BANDS
        if high is not None
    )


def band_by_cutoffs(birth: dt.date, cutoffs: Sequence[str]) -> int:
    """What the database computes from :func:`band_cutoffs`; equal to ``age_band(age_on(birth, day))``."""
    text = birth.isoformat()
    return next((i for i, cutoff in enumerate(cutoffs) if text > cutoff), len(cutoffs))


def level_label(least_senior_level: int | None) -> str:
    """A competition's level: the least senior skill level it accepts (its eligibility), or 不限."""
    if least_senior_level is None:
        return "不限等级"
    return f"{SKILL_LEVEL_NAMES.get(least_senior_level, str(least_senior_level))}及以上"


def industry_name(key: str | None) -> str:
    return INDUSTRIES.get(key or "", key or "未登记行业")


# ------------------------------------------------------------------------------------------ tallies


@dataclass
class Tally:
    """Registrations, participants and winners by tier of one row of a figure."""

    registrations: int = 0
    participants: int = 0
    tiers: list[int] = field(default_factory=lambda: [0] * len(TIERS))  # winners of each of TIERS

    @property
    def winners(self) -> int:
        return sum(self.tiers)

    def values(self) -> list[int]:
        return [self.registrations, self.participants, self.winners, *self.tiers]

    def add(self, counts: Tally | EntryGroup) -> None:
        self.registrations += counts.registrations
        self.participants += counts.participants
        self.tiers = [mine + theirs for mine, theirs in zip(self.tiers, counts.tiers, strict=True)]


@dataclass(frozen=True)
class EntryGroup:
    """A count from the database: entries of one employer, gender and age band, and their prizes."""

    employer: int | None
    gender: str
    band: int
    registrations: int
    participants: int
    tiers: tuple[int, ...]  # winners of each of :data:`TIERS`


@dataclass(frozen=True)
class EnterpriseFacts:
    id: int
    name: str
    industry: str
    union: int | None


def entry_tallies(
    entries: Iterable[EntryGroup], enterprises: Mapping[int, EnterpriseFacts]
) -> dict[str, dict[str, Tally]]:
    """The grouped counts into every dimension: union, enterprise, industry, gender, age. One pass tallies
    employers, genders and age bands (a term brings some 10,000 groups); each employer's tally is then
    rolled up into its union, enterprise and industry (a few thousand employers)."""
    employers: defaultdict[int | None, Tally] = defaultdict(Tally)
    genders: defaultdict[str, Tally] = defaultdict(Tally)
    bands: defaultdict[str, Tally] = defaultdict(Tally)
    for group in entries:
        for tally in (employers[group.employer], genders[group.gender], bands[str(group.band)]):
            tally.add(group)
    tallies: dict[str, dict[str, Tally]] = {"gender": dict(genders), "age_band": dict(bands)}
    for dimension in ("union", "enterprise", "industry"):
        tallies[dimension] = defaultdict(Tally)
    for employer, tally in employers.items():
        facts = enterprises.get(employer) if employer is not None else None
        tallies["union"][str(facts.union) if facts and facts.union is not None else ""].add(tally)
        tallies["enterprise"][str(employer) if employer is not None else ""].add(tally)
        tallies["industry"][facts.industry if facts else ""].add(tally)
    return tallies


def _ordered_rows(tallies: Mapping[str, Tally], label: Mapping[str, str]) -> list[FigureRow]:
    """Rows by participants, most first, then by key, so the order is stable."""
    ordered = sorted(tallies.items(), key=lambda kv: (-kv[1].participants, -kv[1].registrations, kv[0]))
    return [FigureRow(key=k, label=label.get(k, k or "未登记"), values=t.values()) for k, t in ordered]


def entry_figures(
    tallies: Mapping[str, Mapping[str, Tally]],
    union_names: Mapping[int, str],
    enterprises: Mapping[int, EnterpriseFacts],
) -> list[Figure]:
    labels = {
        "union": {str(k): v for k, v in union_names.items()} | {"": "未登记工会"},
        "enterprise": {str(k): e.name for k, e in enterprises.items()} | {"": "未登记单位"},
        "industry": {k: industry_name(k) for k in tallies.get("industry", {})},
        "gender": dict(GENDER_NAMES),
        "age_band": {str(i): band[2] for i, band in enumerate(AGE_BANDS)},
    }
    specs = (
        ("entries_by_union", "各基层工会参赛情况", "table", "union"),
        ("entries_by_enterprise", "各企业参赛情况", "table", "enterprise"),
        ("entries_by_industry", "各行业参赛情况", "bar", "industry"),
        ("entries_by_gender", "参赛职工性别构成", "share", "gender"),
        ("entries_by_age_band", "参赛职工年龄构成", "bar", "age_band"),
    )
    figures = []
    for name, title, chart, dimension in specs:
        rows = _ordered_rows(tallies.get(dimension, {}), labels[dimension])
        if dimension == "age_band":
            rows.sort(key=lambda r: int(r.key))
        figures.append(
            Figure(
                name=name,
                title=title,
                chart=chart,  # type: ignore[arg-type]
                columns=list(ENTRY_COLUMNS),
                rows=rows,
                list_of="entries",
                dimension=dimension,
            )
        )
    return figures


# ---------------------------------------------------------------------------------------- competitions


@dataclass(frozen=True)
class CompetitionFacts:
    id: int
    title: str
    industry: str
    occupation: str
    level: int | None
    held_on: dt.date


def competition_figures(competitions: Sequence[CompetitionFacts]) -> list[Figure]:
    """Competitions held, by the competition's industry, its occupation and its level."""

    def figure(
        name: str, title: str, chart: str, dimension: str, key_label: Iterable[tuple[str, str]]
    ) -> Figure:
        counts: Counter[str] = Counter()
        labels: dict[str, str] = {}
        for key, label in key_label:
            counts[key] += 1
            labels[key] = label
        rows = [
            FigureRow(key=k, label=labels[k], values=[n])
            for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
        return Figure(
            name=name, title=title, chart=chart, columns=["竞赛场次"], rows=rows,  # type: ignore[arg-type]
            list_of="competitions", dimension=dimension,
        )  # fmt: skip

    return [
        figure("competitions_by_industry", "竞赛场次（按行业）", "bar", "industry",
               ((c.industry, industry_name(c.industry)) for c in competitions)),
        figure("competitions_by_occupation", "竞赛场次（按工种）", "table", "occupation",
               ((c.occupation, c.occupation) for c in competitions)),
        figure("competitions_by_level", "竞赛场次（按参赛等级要求）", "share", "level",
               ((str(c.level or ""), level_label(c.level)) for c in competitions)),
    ]  # fmt: skip


# ----------------------------------------------------------------------------------------------- honours


@dataclass(frozen=True)
class ProgrammeFacts:
    id: int
    name: str
    year: int
    kind: str
    quota_scope: str
    default_quota: int | None
    quotas: Mapping[str, int]
    awarded_on: dt.date | None
    closes_on: dt.date

    @property
    def day(self) -> dt.date:
        """The day a programme belongs to a period by: the award, else the close of nominations."""
        return self.awarded_on or self.closes_on


@dataclass(frozen=True)
class NominationGroup:
    programme: int
    union: int | None
    quota_group: str
    source: str
    status: str
    count: int


def honour_figures(
    programmes: Sequence[ProgrammeFacts],
    nominations: Iterable[NominationGroup],
    union_names: Mapping[int, str],
    kind_names: Mapping[str, str],
) -> list[Figure]:
    """Honours named by programme kind and by nominating union, and quota use per union."""
    by_id = {p.id: p for p in programmes}
    by_kind: Counter[str] = Counter()
    by_union: Counter[str] = Counter()
    quota_used: Counter[str] = Counter()
    for group in nominations:
        programme = by_id.get(group.programme)
        if programme is None:
            continue
        if group.status == "awarded" and programme.awarded_on is not None:
            by_kind[programme.kind] += group.count
            by_union[str(group.union or "")] += group.count
        counted = group.source == "union" and group.status != "withdrawn"
        if programme.quota_scope == "union" and counted and _quota(programme, group.quota_group) is not None:
            quota_used[group.quota_group] += group.count
    union_label = {str(k): v for k, v in union_names.items()} | {"": "未登记工会"}
    kind_rows = [
        FigureRow(key=k, label=kind_names.get(k, k), values=[n])
        for k, n in sorted(by_kind.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    union_rows = [
        FigureRow(key=k, label=union_label.get(k, k), values=[n])
        for k, n in sorted(by_union.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return [
        Figure(name="honours_by_programme", title="表彰人数（按评选项目）", chart="bar", columns=["表彰人数"],
               rows=kind_rows, list_of="honours", dimension="kind"),
        Figure(name="honours_by_union", title="表彰人数（按推荐工会）", chart="table", columns=["表彰人数"],
               rows=union_rows, list_of="honours", dimension="union"),
        quota_figure(programmes, quota_used, union_label),
    ]  # fmt: skip


def _quota(programme: ProgrammeFacts, group: str) -> int | None:
    return programme.quotas.get(group, programme.default_quota) if group else None


def quota_figure(
    programmes: Sequence[ProgrammeFacts], used: Mapping[str, int], union_label: Mapping[str, str]
) -> Figure:
    """Per union: places allotted over the period's union-quota programmes, places used under a quota, and
    the rate (‰). ``used`` counts only nominations in programmes that give the union a quota."""
    allotted: Counter[str] = Counter()
    for programme in programmes:
        if programme.quota_scope != "union":
            continue
        groups = set(programme.quotas) | ({*used} if programme.default_quota is not None else set())
        for group in groups:
            quota = _quota(programme, group)
            if quota is not None:
                allotted[group] += quota
    keys = sorted(set(allotted) | {g for g in used if g}, key=lambda g: (-used.get(g, 0), g))
    rows = [
        FigureRow(
            key=g,
            label=union_label.get(g, f"工会 #{g}"),
            values=[
                allotted.get(g, 0),
                used.get(g, 0),
                used.get(g, 0) * 1000 // allotted[g] if allotted.get(g) else 0,
            ],
        )
        for g in keys
    ]
    return Figure(
        name="quota_by_union", title="推荐名额使用（按基层工会）", chart="table",
        columns=["名额", "已推荐", "使用率‰"], rows=rows, list_of="nominations", dimension="union",
        note="名额按各评选对工会的名额（未单列的按统一名额）合计，只计有名额或有推荐的工会。",
    )  # fmt: skip


# -------------------------------------------------------------------------------- participation, trends


def participation_figure(
    union_names: Mapping[int, str], took_part: set[int]
) -> tuple[Figure, list[tuple[int, str]]]:
    """How many grassroots unions took part at all, and the list of those that did not."""
    silent = sorted((u, n) for u, n in union_names.items() if u not in took_part)
    part = len(union_names) - len(silent)
    figure = Figure(
        name="union_participation", title="基层工会参与情况", chart="share", columns=["工会数"],
        rows=[FigureRow(key="took_part", label="参与竞赛或推荐", values=[part]),
              FigureRow(key="silent", label="未参与", values=[len(silent)])],
        list_of="unions", dimension="participation",
    )  # fmt: skip
    return figure, silent


def promotion_figure(counts: Mapping[int, int]) -> Figure:
    """Skill-level promotions of the period by the level reached, from 初级工 (5) up to 高级技师 (1)."""
    rows = [
        FigureRow(key=str(level), label=SKILL_LEVEL_NAMES[level], values=[counts.get(level, 0)])
        for level in range(5, 0, -1)
    ]
    return Figure(
        name="skill_promotions", title="职业技能等级晋升（按晋升后等级）", chart="bar", columns=["晋升人次"],
        rows=rows, list_of="promotions", dimension="level", note=PROMOTIONS_NOTE,
    )  # fmt: skip


@dataclass(frozen=True)
class YearCounts:
    competitions: Counter[int]
    registrations: Counter[int]
    participants: Counter[int]
    winners: Counter[int]
    honours: Counter[int]


def trend_figure(period: Period, counts: YearCounts) -> Figure:
    columns = ["竞赛场次", "报名人次", "参赛人次", "获奖人次", "表彰人数"]
    series = (counts.competitions, counts.registrations, counts.participants, counts.winners, counts.honours)
    rows = [FigureRow(key=str(y), label=f"{y}年", values=[s[y] for s in series]) for y in period.years]
    return Figure(
        name="trend_by_year", title="逐年趋势", chart="line", columns=columns, rows=rows,
        list_of="competitions", dimension="year",
    )  # fmt: skip


def headline(
    competitions: int,
    entries: Mapping[str, Mapping[str, Tally]],
    people: int,
    honours: int,
    unions: int,
    took_part: int,
) -> Headline:
    totals = Tally()
    for tally in entries.get("gender", {}).values():
        totals.add(tally)
    enterprises = sum(1 for k, t in entries.get("enterprise", {}).items() if k and t.registrations)
    return Headline(
        competitions=competitions,
        registrations=totals.registrations,
        participants=totals.participants,
        people=people,
        winners=totals.winners,
        honours=honours,
        unions=unions,
        unions_took_part=took_part,
        enterprises_took_part=enterprises,
    )
