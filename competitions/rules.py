"""Pure rules of the competitions domain: eligibility, lifecycle, registration, stages, lot drawing.

Nothing here touches the database, the clock or the web framework: the service layer loads the facts,
calls these functions and stores what they decide, so every rule is testable with plain values.

Two conventions that are easy to get wrong and are therefore spelled out once, here:

* Skill levels (职业技能等级) are numbered 5 (五级/初级工, entry) to 1 (一级/高级技师, most senior), so a
  *smaller* number is *more* senior. The rule fields are named ``least_senior_level`` and
  ``most_senior_level`` rather than min/max, because "minimum level 3" reads both ways.
* Ages and years of employment are whole years (周岁) on a reference date; an anniversary falling on the
  reference date counts, and someone born on 29 February reaches a new year of age on 1 March in common
  years (never a day early, which is the safe side for a minimum-age rule).
"""

from __future__ import annotations

import datetime as dt
import random
import re
import secrets
from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

import msgspec

from accounts.rules import SKILL_LEVEL_NAMES

# ---------------------------------------------------------------------------------------------------------
# Shared result type
# ---------------------------------------------------------------------------------------------------------


class Problem(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One thing wrong with organizer input; ``field`` is a path in the request body (``stages[1].name``)."""

    field: str
    code: str
    message: str


# ---------------------------------------------------------------------------------------------------------
# 1. Eligibility
# ---------------------------------------------------------------------------------------------------------

MOST_SENIOR, LEAST_SENIOR = 1, 5
_GRADE_NAMES = {5: "五级", 4: "四级", 3: "三级", 2: "二级", 1: "一级"}
# Sanity bounds for organizer input only; the law (minimum working age 16) is the organizer's business.
MIN_AGE_BOUND, MAX_AGE_BOUND = 0, 120


def skill_level_label(level: int) -> str:
    """``高级工（三级）``: the name people use, with the grade number the certificate shows."""
    return f"{SKILL_LEVEL_NAMES[level]}（{_GRADE_NAMES[level]}）"


class IneligibilityCode(StrEnum):
    """Machine codes, in the order :func:`check_eligibility` reports them."""

    AGE_OUT_OF_RANGE = "age_out_of_range"
    SKILL_LEVEL_TOO_LOW = "skill_level_too_low"
    SKILL_LEVEL_TOO_HIGH = "skill_level_too_high"
    NOT_UNION_MEMBER = "not_union_member"
    EMPLOYER_NOT_IN_ZONE = "employer_not_in_zone"
    NOT_FRONT_LINE = "not_front_line"
    ENTERPRISE_LIMIT_REACHED = "enterprise_limit_reached"
    EMPLOYMENT_TOO_SHORT = "employment_too_short"


# Bounded so that no decoded number is unbounded; validate_rules gives the narrower ranges in Chinese.
Int = Annotated[int, msgspec.Meta(ge=-(2**31), le=2**31 - 1)]


class EligibilityRules(msgspec.Struct, frozen=True, kw_only=True):
    """Who may take part. Every rule is optional (None or False = no rule) and they combine with AND.

    ``least_senior_level``: the least senior level still accepted, as a number 5..1; a person passes when
    their level number is <= it (``3`` = 高级工 or above). A person without a level fails this rule.
    ``most_senior_level``: the most senior level accepted; a person passes when their number is >= it
    (``2`` = 技师 and below, keeping 高级技师 out of a juniors' contest). A person without a level passes.
    ``age_reference_date``: the day ages and years employed are measured on; when None the caller's
    default (normally the registration close date) is used.
    ``max_per_enterprise``: at most this many accepted or waitlisted contestants per employer.
    ``min_years_employed``: whole years since ``employed_since`` (used by the awards pipeline).
    """

    min_age: Int | None = None
    max_age: Int | None = None
    age_reference_date: dt.date | None = None
    least_senior_level: Int | None = None
    most_senior_level: Int | None = None
    union_member_required: bool = False
    zone_enterprise_required: bool = False
    front_line_only: bool = False
    max_per_enterprise: Int | None = None
    min_years_employed: Int | None = None


class PersonFacts(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """What the eligibility rules need to know about one person; the service derives ``birth_date`` from
    the resident ID number. ``gc=False``: scalars only, never in a cycle, and there may be thousands."""

    person_id: int
    birth_date: dt.date
    skill_level: Annotated[int, msgspec.Meta(ge=MOST_SENIOR, le=LEAST_SENIOR)] | None = None
    union_member: bool = False
    employer_id: int | None = None
    employer_in_zone: bool = False
    front_line: bool = False
    employed_since: dt.date | None = None


class Ineligibility(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    code: IneligibilityCode
    message: str


def whole_years(start: dt.date, on: dt.date) -> int:
    """Completed years from ``start`` to ``on``; negative when ``on`` is earlier.

    Month*100+day comparison instead of building dates: it is allocation-free and makes 29 February
    naturally fall after 28 February, so a leap-day anniversary arrives on 1 March in common years.
    """
    years = on.year - start.year
    if on.month * 100 + on.day < start.month * 100 + start.day:
        years -= 1
    return years


def _age_message(rules: EligibilityRules, age: int, on: dt.date) -> str:
    if rules.min_age is not None and rules.max_age is not None:
        rule = f"年龄须在 {rules.min_age}–{rules.max_age} 周岁之间"
    elif rules.min_age is not None:
        rule = f"年龄须满 {rules.min_age} 周岁"
    else:
        rule = f"年龄不得超过 {rules.max_age} 周岁"
    return f"{rule}（截至 {on.isoformat()} 为 {max(age, 0)} 周岁）"


def _level_too_low_message(required: int, level: int | None) -> str:
    held = "未取得职业技能等级" if level is None else f"现为{skill_level_label(level)}"
    return f"职业技能等级须为{skill_level_label(required)}及以上（{held}）"


def _level_too_high_message(allowed: int, level: int) -> str:
    return f"职业技能等级须为{skill_level_label(allowed)}及以下（现为{skill_level_label(level)}）"


def _employment_message(required: int, years: int | None, on: dt.date) -> str:
    held = "无入职日期" if years is None else f"截至 {on.isoformat()} 为 {max(years, 0)} 年"
    return f"须在本区连续工作满 {required} 年（{held}）"


def check_eligibility(
    rules: EligibilityRules, person: PersonFacts, *, reference_date: dt.date, enterprise_count: int
) -> list[Ineligibility]:
    """Every reason ``person`` may not take part, in :class:`IneligibilityCode` order; empty = eligible.

    ``reference_date`` is used when the rules carry no ``age_reference_date``. ``enterprise_count`` is how
    many accepted or waitlisted registrations the person's employer already has in this competition, not
    counting the person's own (pass it that way when re-checking existing registrations).
    Written as one flat function on purpose: it runs for every registration when rules change, and the
    eligible path allocates nothing but the empty result list.
    """
    on = rules.age_reference_date or reference_date
    reasons: list[Ineligibility] = []
    if rules.min_age is not None or rules.max_age is not None:
        age = whole_years(person.birth_date, on)
        if (rules.min_age is not None and age < rules.min_age) or (
            rules.max_age is not None and age > rules.max_age
        ):
            reasons.append(
                Ineligibility(code=IneligibilityCode.AGE_OUT_OF_RANGE, message=_age_message(rules, age, on))
            )
    level = person.skill_level
    if rules.least_senior_level is not None and (level is None or level > rules.least_senior_level):
        message = _level_too_low_message(rules.least_senior_level, level)
        reasons.append(Ineligibility(code=IneligibilityCode.SKILL_LEVEL_TOO_LOW, message=message))
    if rules.most_senior_level is not None and level is not None and level < rules.most_senior_level:
        message = _level_too_high_message(rules.most_senior_level, level)
        reasons.append(Ineligibility(code=IneligibilityCode.SKILL_LEVEL_TOO_HIGH, message=message))
    if rules.union_member_required and not person.union_member:
        reasons.append(Ineligibility(code=IneligibilityCode.NOT_UNION_MEMBER, message="须为工会会员"))
    if rules.zone_enterprise_required and (person.employer_id is None or not person.employer_in_zone):
        message = "所在单位须为本区登记注册企业"
        reasons.append(Ineligibility(code=IneligibilityCode.EMPLOYER_NOT_IN_ZONE, message=message))
    if rules.front_line_only and not person.front_line:
        reasons.append(Ineligibility(code=IneligibilityCode.NOT_FRONT_LINE, message="仅限一线职工参加"))
    # A person with no employer counts against no enterprise; the zone rule is what excludes them.
    if (
        rules.max_per_enterprise is not None
        and person.employer_id is not None
        and enterprise_count >= rules.max_per_enterprise
    ):
        message = f"每家企业限报 {rules.max_per_enterprise} 人，本单位名额已满"
        reasons.append(Ineligibility(code=IneligibilityCode.ENTERPRISE_LIMIT_REACHED, message=message))
    if rules.min_years_employed is not None:
        since = person.employed_since
        years = None if since is None else whole_years(since, on)
        if years is None or years < rules.min_years_employed:
            message = _employment_message(rules.min_years_employed, years, on)
            reasons.append(Ineligibility(code=IneligibilityCode.EMPLOYMENT_TOO_SHORT, message=message))
    return reasons


def validate_rules(rules: EligibilityRules) -> list[Problem]:
    """What is wrong with organizer-entered rules; field paths are relative to the rules object."""
    problems: list[Problem] = []
    for field in ("min_age", "max_age"):
        value = getattr(rules, field)
        if value is not None and not MIN_AGE_BOUND <= value <= MAX_AGE_BOUND:
            message = f"年龄须在 {MIN_AGE_BOUND}–{MAX_AGE_BOUND} 之间"
            problems.append(Problem(field=field, code="age_out_of_bounds", message=message))
    if rules.min_age is not None and rules.max_age is not None and rules.min_age > rules.max_age:
        problems.append(
            Problem(field="max_age", code="age_range_inverted", message="最高年龄不能小于最低年龄")
        )
    for field in ("least_senior_level", "most_senior_level"):
        value = getattr(rules, field)
        if value is not None and not MOST_SENIOR <= value <= LEAST_SENIOR:
            message = "职业技能等级须为 1（高级技师）至 5（初级工）"
            problems.append(Problem(field=field, code="level_out_of_bounds", message=message))
    least, most = rules.least_senior_level, rules.most_senior_level
    # Numbers run backwards: the most senior accepted level must not be a larger number than the least.
    if least is not None and most is not None and most > least:
        message = "可报名的最高等级不能低于最低等级"
        problems.append(Problem(field="most_senior_level", code="level_range_inverted", message=message))
    if rules.max_per_enterprise is not None and rules.max_per_enterprise < 1:
        message = "每家企业限报人数须至少为 1；不限请留空"
        problems.append(Problem(field="max_per_enterprise", code="not_positive", message=message))
    if rules.min_years_employed is not None and rules.min_years_employed < 1:
        message = "工作年限要求须至少为 1 年；不限请留空"
        problems.append(Problem(field="min_years_employed", code="not_positive", message=message))
    return problems


# ---------------------------------------------------------------------------------------------------------
# 2. Lifecycle
# ---------------------------------------------------------------------------------------------------------


class CompetitionState(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    CHECKED_IN = "checked_in"
    IN_PROGRESS = "in_progress"
    FINISHED = "finished"


STATE_NAMES: dict[str, str] = {
    CompetitionState.DRAFT: "草稿",
    CompetitionState.OPEN: "报名中",
    CompetitionState.CLOSED: "报名截止",
    CompetitionState.CHECKED_IN: "已检录",
    CompetitionState.IN_PROGRESS: "比赛中",
    CompetitionState.FINISHED: "已结束",
}

# The whole lifecycle in one table: the forward path plus closed -> open (reopen registration).
# Keyed by str so plain strings from the database look up the same (a StrEnum member hashes as its value).
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    CompetitionState.DRAFT: frozenset({CompetitionState.OPEN}),
    CompetitionState.OPEN: frozenset({CompetitionState.CLOSED}),
    CompetitionState.CLOSED: frozenset({CompetitionState.OPEN, CompetitionState.CHECKED_IN}),
    CompetitionState.CHECKED_IN: frozenset({CompetitionState.IN_PROGRESS}),
    CompetitionState.IN_PROGRESS: frozenset({CompetitionState.FINISHED}),
    CompetitionState.FINISHED: frozenset(),
}


class TransitionError(Exception):
    """A state change the lifecycle forbids; the service answers 409 and shows ``current``."""

    code = "invalid_transition"

    def __init__(self, current: str, target: str) -> None:
        self.current = current
        self.target = target
        self.message = f"当前状态为「{_state_name(current)}」，不能变更为「{_state_name(target)}」"
        super().__init__(self.message)


def _state_name(state: str) -> str:
    return STATE_NAMES.get(state, state)


def check_transition(current: str, target: str) -> None:
    """Raise :class:`TransitionError` unless ``current -> target`` is in :data:`ALLOWED_TRANSITIONS`.

    Plain strings work as well as members; unknown states are simply not in the table and so are refused.
    """
    if target not in ALLOWED_TRANSITIONS.get(current, frozenset()):
        raise TransitionError(current, target)


# Fields contestants relied on when they registered. Weights live on the stages but are named for clarity.
RELIED_FIELDS = frozenset({"stages", "weights", "eligibility"})
_REOPENABLE_STATES = frozenset({CompetitionState.OPEN, CompetitionState.CLOSED})


class FrozenFieldsError(Exception):
    """An edit of :data:`RELIED_FIELDS` the current state does not allow (409, like a bad transition)."""

    def __init__(self, current: str, code: str, message: str) -> None:
        self.current = current
        self.code = code
        self.message = message
        super().__init__(message)


def check_relied_fields_edit(state: str, *, reopen: bool, reason: str | None = None) -> None:
    """Whether stages, weights and eligibility may change now; raise :class:`FrozenFieldsError` if not.

    The rule: free edits in ``draft``; in ``open`` or ``closed`` only with an explicit ``reopen`` intent
    and a non-blank reason, which the service audits before re-checking every registration's
    eligibility; never from ``checked_in`` on, because contestants are already at their stations.
    """
    if state == CompetitionState.DRAFT:
        return
    if state not in _REOPENABLE_STATES:
        message = f"竞赛已{_state_name(state)}，报名时公布的环节、权重和参赛条件不能再修改"
        raise FrozenFieldsError(state, "relied_fields_frozen", message)
    if not reopen:
        message = "报名已开始，修改环节、权重或参赛条件须明确选择“重新开放”并说明理由"
        raise FrozenFieldsError(state, "reopen_required", message)
    if reason is None or not reason.strip():
        raise FrozenFieldsError(state, "reopen_reason_required", "重新开放须填写理由")


def can_edit_relied_fields(state: str, *, reopen: bool, reason: str | None = None) -> bool:
    """Boolean form of :func:`check_relied_fields_edit`, for showing or hiding the edit button."""
    try:
        check_relied_fields_edit(state, reopen=reopen, reason=reason)
    except FrozenFieldsError:
        return False
    return True


# ---------------------------------------------------------------------------------------------------------
# 3. Registration decisions
# ---------------------------------------------------------------------------------------------------------


class RegistrationOutcome(StrEnum):
    ACCEPTED = "accepted"
    WAITLISTED = "waitlisted"


def decide_registration(capacity: int | None, accepted_count: int) -> RegistrationOutcome:
    """Accept while there is room, otherwise waitlist; ``capacity`` None means no limit."""
    if capacity is not None and capacity < 1:
        raise ValueError("capacity must be at least 1 or None")
    if capacity is None or accepted_count < capacity:
        return RegistrationOutcome.ACCEPTED
    return RegistrationOutcome.WAITLISTED


def waitlist_promotion(
    waitlist: Sequence[int], *, state: str, capacity: int | None, accepted_count: int
) -> int | None:
    """The registration to promote after a withdrawal, or None.

    ``waitlist`` holds registration ids in arrival order; ``accepted_count`` is counted after the
    withdrawal. Only while registration is ``open``: once it closes the line-up is settled. The function
    promotes one at a time; when several seats are free the service calls it again with the new counts.
    """
    if state != CompetitionState.OPEN or not waitlist:
        return None
    if capacity is not None and accepted_count >= capacity:
        return None
    return waitlist[0]


def waitlist_position(waitlist: Sequence[int], registration_id: int) -> int | None:
    """1-based place of ``registration_id`` in the arrival-ordered ``waitlist``; None if not on it."""
    try:
        return waitlist.index(registration_id) + 1
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------------------
# 4. Stages and weights
# ---------------------------------------------------------------------------------------------------------


class StageKind(StrEnum):
    THEORY = "theory"
    PRACTICAL = "practical"
    DEFENSE = "defense"


STAGE_KIND_NAMES = {
    StageKind.THEORY: "理论知识",
    StageKind.PRACTICAL: "技能操作",
    StageKind.DEFENSE: "答辩评审",
}
WEIGHT_TOTAL = Decimal(100)
# Two decimal places keep thirds expressible (33.33 + 33.33 + 33.34) and the score sheet readable.
WEIGHT_EXPONENT = -2


class StageSpec(msgspec.Struct, frozen=True, kw_only=True):
    """One stage as the organizer declares it; the schedule is optional until it is known."""

    name: str
    kind: str
    weight_percent: Decimal
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None


def _normal_name(name: str) -> str:
    return " ".join(name.split()).casefold()


def _stage_problems(index: int, stage: StageSpec, seen: set[str]) -> list[Problem]:
    path = f"stages[{index}]"
    problems: list[Problem] = []
    name = _normal_name(stage.name)
    if not name:
        problems.append(Problem(field=f"{path}.name", code="name_blank", message="环节名称不能为空"))
    elif name in seen:
        problems.append(Problem(field=f"{path}.name", code="name_duplicate", message="环节名称重复"))
    seen.add(name)
    if stage.kind not in STAGE_KIND_NAMES:
        message = "环节类型须为：" + "、".join(STAGE_KIND_NAMES.values())
        problems.append(Problem(field=f"{path}.kind", code="kind_unknown", message=message))
    problems.extend(_weight_problems(f"{path}.weight_percent", stage.weight_percent))
    problems.extend(_schedule_problems(path, stage.starts_at, stage.ends_at))
    return problems


def _weight_problems(field: str, weight: object) -> list[Problem]:
    # Floats are refused outright: 0.1 + 0.2 != 0.3 is exactly the bug an exact-100 check would hit.
    if not isinstance(weight, Decimal) or not weight.is_finite():
        return [Problem(field=field, code="weight_not_decimal", message="权重须为数字")]
    if not 0 < weight <= WEIGHT_TOTAL:
        return [Problem(field=field, code="weight_out_of_range", message="权重须大于 0% 且不超过 100%")]
    exponent = weight.as_tuple().exponent  # an int for every finite Decimal
    if isinstance(exponent, int) and exponent < WEIGHT_EXPONENT:
        return [Problem(field=field, code="weight_too_precise", message="权重最多保留两位小数")]
    return []


def _schedule_problems(
    path: str, starts_at: dt.datetime | None, ends_at: dt.datetime | None
) -> list[Problem]:
    if starts_at is None or ends_at is None:
        return []
    if (starts_at.tzinfo is None) != (ends_at.tzinfo is None):
        message = "开始和结束时间须同时带或同时不带时区"
        return [Problem(field=f"{path}.ends_at", code="schedule_timezone_mismatch", message=message)]
    if starts_at >= ends_at:
        return [Problem(field=f"{path}.ends_at", code="schedule_inverted", message="结束时间须晚于开始时间")]
    return []


def validate_stages(stages: Sequence[StageSpec]) -> list[Problem]:
    """Every problem with the stage list: at least one stage, unique names (ignoring case and spacing),
    known kinds, weights as Decimal percents in (0, 100] with at most two places summing to exactly 100,
    and each stage's start before its end. Paths are ``stages[i].field`` with i counted from 0."""
    if not stages:
        return [Problem(field="stages", code="stages_empty", message="至少需要设置一个竞赛环节")]
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, stage in enumerate(stages):
        problems.extend(_stage_problems(index, stage, seen))
    weights = [s.weight_percent for s in stages if isinstance(s.weight_percent, Decimal)]
    # The total is only meaningful when every weight is a usable number.
    if len(weights) == len(stages) and all(w.is_finite() for w in weights):
        total = sum(weights, Decimal(0))
        if total != WEIGHT_TOTAL:
            message = f"各环节权重合计须为 100%，当前为 {total.normalize():f}%"
            problems.append(Problem(field="stages", code="weights_sum_not_100", message=message))
    return problems


# ---------------------------------------------------------------------------------------------------------
# 5. Lot drawing (抽签)
# ---------------------------------------------------------------------------------------------------------

# Blind codes are read aloud across a noisy workshop and hand-written on score sheets, so the alphabet
# keeps only symbols that differ both on paper and in speech (Mandarin digits; English letter names):
#   digits 2-9; 0/1 look like O/I/L.
#   H K M R W X Y; dropped: O I L Q U V (shapes), B D E G P T Z C (the rhyming "-ee" letters, and
#   B/8, G/6, Z/2 on paper), S F N (rhyme with X/M, and S/5), A J (rhyme with K).
# 15 symbols ** 6 = 11,390,625 codes: a random guess hits one of 500 live codes with p < 5e-5.
BLIND_CODE_ALPHABET = "23456789HKMRWXY"
BLIND_CODE_LENGTH = 6
_BLIND_CODE_RE = re.compile(f"[{BLIND_CODE_ALPHABET}]{{3}}-[{BLIND_CODE_ALPHABET}]{{3}}")


class Draw(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    contestant_id: int
    station_no: int
    blind_code: str


def _blind_code(rng: random.Random) -> str:
    chars = "".join(rng.choice(BLIND_CODE_ALPHABET) for _ in range(BLIND_CODE_LENGTH))
    return f"{chars[:3]}-{chars[3:]}"


def draw_lots(contestant_ids: Sequence[int], *, rng: random.Random | None = None) -> list[Draw]:
    """Stations 1..n by a secure shuffle and an independent random blind code each, in station order.

    Codes come from the same CSPRNG but are drawn separately from the shuffle, so they say nothing about
    station or registration order. ``rng`` is for tests only; production leaves it None.
    """
    if len(set(contestant_ids)) != len(contestant_ids):
        raise ValueError("contestant_ids must be unique")
    rng = rng or secrets.SystemRandom()
    order = list(contestant_ids)
    rng.shuffle(order)
    codes: set[str] = set()
    draws: list[Draw] = []
    for station_no, contestant_id in enumerate(order, start=1):
        code = _blind_code(rng)
        while code in codes:  # collisions are rare (n**2 / 2.3e7) but must never reach a sheet
            code = _blind_code(rng)
        codes.add(code)
        draws.append(Draw(contestant_id=contestant_id, station_no=station_no, blind_code=code))
    return draws


def normalize_blind_code(text: str) -> str | None:
    """A code as typed by a judge (any case, spaces, with or without the dash) in canonical form, or None."""
    chars = re.sub(r"[\s\-]", "", text).upper()
    candidate = f"{chars[:3]}-{chars[3:]}"
    return candidate if _BLIND_CODE_RE.fullmatch(candidate) else None


# ---------------------------------------------------------------------------------------------------------
# 6. Registration numbers
# ---------------------------------------------------------------------------------------------------------

_REGISTRATION_NO_RE = re.compile(r"C(\d{4,})-(\d{5,})")


def format_registration_no(competition_id: int, seq: int) -> str:
    """``C0012-00037``; padded for sorting and reading, but wider numbers grow rather than truncate."""
    if competition_id < 1 or seq < 1:
        raise ValueError("competition_id and seq must be positive")
    return f"C{competition_id:04d}-{seq:05d}"


def parse_registration_no(text: str) -> tuple[int, int]:
    """``(competition_id, seq)`` from a registration number; ValueError unless it is in canonical form,
    so that every number has exactly one spelling (``C00012-00037`` is refused, not read as 12)."""
    match = _REGISTRATION_NO_RE.fullmatch(text.strip().upper())
    if match is None:
        raise ValueError(f"报名号格式不正确：{text!r}")
    competition_id, seq = int(match[1]), int(match[2])
    if competition_id < 1 or seq < 1 or format_registration_no(competition_id, seq) != match[0]:
        raise ValueError(f"报名号格式不正确：{text!r}")
    return competition_id, seq
