"""The competition's stored scoring scheme: its rubric decoded once per process, and freezing it.

:class:`Rubric` is the decoded :class:`scoring.rules.CompetitionRules` plus the look-ups entry needs (which
stage and module an aspect is in, which aspects a judge with some modules marks). :class:`Scheme` is the
stored row. The first mark freezes the scheme (:func:`freeze_scheme`), so the rubric judges mark against
never changes under them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec

from accounts import audit
from accounts.audit import SYSTEM
from core.errors import Conflict, Invalid, NotFound
from scoring import rules
from scoring.competition_facts import mark_scoring_started
from scoring.tables import ScoringScheme


class Rubric:
    """The decoded rules of one scheme version plus the look-ups entry needs (cached: frozen once used)."""

    def __init__(self, competition_rules: rules.CompetitionRules) -> None:
        self.rules = competition_rules
        self.stages: dict[str, rules.Stage] = {s.id: s for s in competition_rules.stages}
        self.aspects: dict[str, rules.Aspect] = {}
        self.module_of: dict[str, str] = {}
        self.stage_of: dict[str, str] = {}
        self.modules_of_stage: dict[str, tuple[str, ...]] = {}
        for stage in competition_rules.stages:
            self.modules_of_stage[stage.id] = tuple(m.id for m in stage.modules)
            for module in stage.modules:
                for aspect in module.aspects:
                    self.aspects[aspect.id] = aspect
                    self.module_of[aspect.id] = module.id
                    self.stage_of[aspect.id] = stage.id
        self._judge_aspects: dict[tuple[str, frozenset[str] | None], dict[str, rules.Aspect]] = {}

    def judge_aspects(self, stage_id: str, module_ids: frozenset[str] | None) -> dict[str, rules.Aspect]:
        """The aspects of a stage that a judge with these modules (None: all) marks, in rubric order."""
        key = (stage_id, module_ids)
        hit = self._judge_aspects.get(key)
        if hit is None:
            stage = self.stages.get(stage_id)
            hit = {}
            if stage is not None:
                for module in stage.modules:
                    if module_ids is None or module.id in module_ids:
                        hit.update((a.id, a) for a in module.aspects)
            self._judge_aspects[key] = hit
        return hit

    def covers_stage(self, stage_id: str, module_ids: frozenset[str] | None) -> bool:
        return bool(self.judge_aspects(stage_id, module_ids))


# Decoded rubrics by their stored JSON text: a scheme is read on every mark, decoded once per process.
_RUBRICS: dict[str, Rubric] = {}


def rubric_of(raw: Any) -> Rubric:
    """The stored ``rules`` column (JSON text, or decoded by the driver) as a cached :class:`Rubric`."""
    text = raw if isinstance(raw, str) else msgspec.json.encode(raw).decode()
    hit = _RUBRICS.get(text)
    if hit is None:
        if len(_RUBRICS) > 256:
            _RUBRICS.clear()
        hit = _RUBRICS[text] = Rubric(msgspec.json.decode(text, type=rules.CompetitionRules))
    return hit


@dataclass(frozen=True)
class Scheme:
    """A competition's scoring scheme as stored (the rubric decoded)."""

    id: int
    competition_id: int
    rubric: Rubric
    tolerance: Decimal
    appeal_window_hours: int
    frozen_at: dt.datetime | None
    scoring_started_at: dt.datetime | None
    unblinded_at: dt.datetime | None
    version: int

    @property
    def rules(self) -> rules.CompetitionRules:
        return self.rubric.rules


_SCHEME_COLUMNS = (
    ScoringScheme.id,
    ScoringScheme.competition,
    ScoringScheme.rules,
    ScoringScheme.tolerance,
    ScoringScheme.appeal_window_hours,
    ScoringScheme.frozen_at,
    ScoringScheme.scoring_started_at,
    ScoringScheme.unblinded_at,
    ScoringScheme.version,
)


def scheme_of(row: Mapping[str, Any], *, version_column: str = "version") -> Scheme:
    """A :class:`Scheme` from a row with the scheme's columns (``version_column`` names its version)."""
    return Scheme(
        id=row["id"],
        competition_id=row["competition"],
        rubric=rubric_of(row["rules"]),
        tolerance=row["tolerance"],
        appeal_window_hours=row["appeal_window_hours"],
        frozen_at=row["frozen_at"],
        scoring_started_at=row["scoring_started_at"],
        unblinded_at=row["unblinded_at"],
        version=row[version_column],
    )


async def find_scheme(competition_id: int) -> Scheme | None:
    """The competition's scheme, or None before the organizer sets one."""
    row = (
        await ScoringScheme.select(*_SCHEME_COLUMNS)
        .where(ScoringScheme.competition == competition_id)
        .first()
    )
    return None if row is None else scheme_of(row)


async def load_scheme(competition_id: int) -> Scheme:
    """The competition's scheme; 404 ``no_scheme`` before the organizer sets one."""
    scheme = await find_scheme(competition_id)
    if scheme is None:
        raise NotFound("本竞赛尚未设置评分标准", code="no_scheme", field="competition_id")
    return scheme


async def freeze_scheme(scheme: Scheme, now: dt.datetime) -> None:
    """Freeze the scheme the marks were checked against (the first mark); its version moves on, so an
    organizer's edit racing with the first mark fails its version check instead of changing a frozen
    rubric, and a first mark checked against a rubric that changed meanwhile is refused."""
    frozen = await (
        ScoringScheme.update(
            {
                ScoringScheme.frozen_at: now,
                ScoringScheme.scoring_started_at: now,
                ScoringScheme.version: ScoringScheme.version + 1,
            }
        )
        .where(
            (ScoringScheme.id == scheme.id)
            & ScoringScheme.frozen_at.is_null()
            & (ScoringScheme.version == scheme.version)
        )
        .returning(ScoringScheme.id)
    )
    if not frozen:
        current = await load_scheme(scheme.competition_id)
        if (
            current.frozen_at is None
            or current.rubric is not scheme.rubric
            or current.tolerance != scheme.tolerance
        ):
            raise Conflict(
                "评分标准刚被修改，请刷新页面后重新录入", code="rubric_changed", field="competition_id"
            )
        return
    await audit.record(
        SYSTEM,
        "scheme.freeze",
        "scoring_scheme",
        scheme.id,
        after={"frozen_at": now.isoformat()},
        reason="首个评分录入，评分标准锁定",
    )
    await mark_scoring_started(scheme.competition_id)


# ------------------------------------------------------------------------------- problems as a refusal


def problem_dicts(problems: Iterable[rules.Problem], prefix: str = "") -> list[dict[str, Any]]:
    out = []
    for p in problems:
        item = msgspec.to_builtins(p)
        if prefix:
            item["path"] = f"{prefix}{p.path}"
        out.append(item)
    return out


def refuse_problems(problems: Sequence[rules.Problem], prefix: str, code: str) -> None:
    """A 422 naming the first problem's field (``prefix`` + its path) and listing them all."""
    if problems:
        first = problems[0]
        raise Invalid(
            first.message,
            code=code,
            field=f"{prefix}{first.path}",
            detail={"problems": problem_dicts(problems, prefix)},
        )
