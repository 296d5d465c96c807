"""The pure engine's inputs for one competition (:func:`load_scoring_inputs`), for the results half.

Ids as the engine sees them are strings: a stage is ``str(Stage.id)``, a subject ``str(Registration.id)``,
a judge ``str(User.id)``. A handful of queries whatever the size: scheme, contestants, panel, recusals, marks
(one join), imported marks, contestant facts, sign-offs, open flags.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

import msgspec

from core.db import engine_name
from scoring import rules
from scoring.absences import Absent, stored_absences
from scoring.competition_facts import Contestant, contestant_facts, drawn, stage_signoffs
from scoring.judges import Judge, is_recused, panel, stored_recusals
from scoring.rubric import Rubric, load_scheme
from scoring.tables import ImportedMark, ScoreSheet, ToleranceFlag


class ScoringInputs(msgspec.Struct, kw_only=True):
    """Everything the pure engine needs for one competition, as the results half consumes it.

    - ``rules``: the declared :class:`rules.CompetitionRules`.
    - ``subjects``: one per drawn contestant (``subject_id = str(registration id)``), in station order, with
      imported stage marks, time used and disqualification.
    - ``marks``: submitted and signed sheets only (drafts never count), without marks of judges recused
      from the contestant or on aspects outside their modules.
    - ``expected``: the judges due on each (subject, aspect): the panel for the aspect's module minus
      recusals and absences (缺席); every (subject, rubric aspect) pair has an entry.
    - ``blind``: subject id -> (station number, blind code); ``judge_numbers``: str(user id) -> judge number.
    - the rest describe the scheme: version, unblinded time, appeal window, stage sign-offs.
    """

    competition_id: int
    rules: rules.CompetitionRules
    subjects: list[rules.SubjectInput]
    marks: list[rules.Mark]
    expected: dict[tuple[str, str], tuple[str, ...]]
    blind: dict[str, tuple[int, str]]
    judge_numbers: dict[str, int]
    scheme_version: int = 0
    frozen_at: dt.datetime | None = None
    unblinded_at: dt.datetime | None = None
    appeal_window_hours: int = 2
    signed_off_stages: dict[str, dt.datetime] = msgspec.field(default_factory=dict)
    open_flags: int = 0
    # Absent judges (缺席): (judge id, subject id or None for all, stage id or None for all).
    absences: list[tuple[str, str | None, str | None]] = msgspec.field(default_factory=list)


_FIELD_SEP, _MARK_SEP = "\x1f", "\x1e"  # ASCII unit / record separators (ids are printable)


async def _counted_marks(competition_id: int) -> list[tuple[int, int, str]]:
    """(registration, judge, packed marks) per counted sheet: one row per sheet, not per mark.

    280,000 marks come back as 7,000 rows of ``aspect\\x1fvalue\\x1e...``: the database concatenates in C,
    which is four to five times faster than a row per mark through the driver. Values are the exact
    decimal text (SQLite prints its stored number, PostgreSQL's ``trim_scale`` drops padding zeros).
    """
    if engine_name() == "sqlite":
        packed = "group_concat(m.aspect_id || char(31) || m.value, char(30))"
    else:
        packed = "string_agg(m.aspect_id || chr(31) || trim_scale(m.value)::text, chr(30))"
    rows = await ScoreSheet.raw(
        "SELECT s.registration AS r, s.judge AS j, "
        + packed
        + " AS marks FROM score_sheet s JOIN sheet_mark m ON m.sheet = s.id"
        " WHERE s.competition = {} AND s.status IN ('submitted', 'signed')"
        " GROUP BY s.id, s.registration, s.judge",
        competition_id,
    )
    return [(row["r"], row["j"], row["marks"]) for row in rows]


class _Expected:
    """Who is due to mark what: per aspect, the judges whose modules cover it; per subject, recusals out."""

    def __init__(
        self,
        rubric: Rubric,
        judges: Sequence[Judge],
        contestants: Sequence[Contestant],
        stored: Mapping[tuple[int, int], object],
        absent: Absent | None = None,
    ) -> None:
        judge_ids = {j.user_id: str(j.user_id) for j in judges}
        # Per aspect: the judges whose modules cover it (the same tuple object shared by every subject).
        covering: dict[str, tuple[str, ...]] = {
            aspect_id: tuple(
                judge_ids[j.user_id] for j in judges if j.module_ids is None or module_id in j.module_ids
            )
            for aspect_id, module_id in rubric.module_of.items()
        }
        self.allowed = {aspect_id: frozenset(js) for aspect_id, js in covering.items()}
        self.stage_of = rubric.stage_of
        self.expected: dict[tuple[str, str], tuple[str, ...]] = {}
        self.excluded: dict[int, set[str]] = {}  # registration id -> judges recused from it
        # (registration id, judge, stage id) of every absence: the judge is not expected there.
        self.absent: set[tuple[int, str, str]] = set()
        stages = [int(stage_id) for stage_id in rubric.modules_of_stage if stage_id.isdigit()]
        for contestant in contestants:
            subject = str(contestant.registration_id)
            recused = {judge_ids[j.user_id] for j in judges if is_recused(j, contestant, stored)}
            if recused:
                self.excluded[contestant.registration_id] = recused
            if absent:
                self.absent.update(
                    (contestant.registration_id, judge_ids[j.user_id], str(stage))
                    for j in judges
                    for stage in stages
                    if absent(j.user_id, contestant.registration_id, stage)
                )
            for aspect_id, js in covering.items():
                self.expected[(subject, aspect_id)] = (
                    tuple(j for j in js if j not in recused) if recused else js
                )
        for registration_id, judge, stage_id in self.absent:
            for aspect_id in rubric.judge_aspects(stage_id, None):
                key = (str(registration_id), aspect_id)
                self.expected[key] = tuple(j for j in self.expected[key] if j != judge)


def _unpack_marks(
    counted: Iterable[tuple[int, int, str]], subjects_known: set[int], due: _Expected
) -> list[rules.Mark]:
    """The engine's marks: of drawn contestants, by judges not recused from them, on their own modules."""
    marks: list[rules.Mark] = []
    append = marks.append
    allowed, excluded = due.allowed, due.excluded  # locals: this loop runs once per mark
    absent, stage_of = due.absent, due.stage_of
    for registration_id, judge_user_id, packed in counted:
        if registration_id not in subjects_known:
            continue
        judge = str(judge_user_id)
        subject = str(registration_id)
        recused = excluded.get(registration_id)
        if recused and judge in recused:
            continue
        for item in packed.split(_MARK_SEP):
            aspect_id, _, value = item.partition(_FIELD_SEP)
            if absent and (registration_id, judge, stage_of.get(aspect_id, "")) in absent:
                continue  # recorded absent after marking is refused; this keeps the two consistent
            if judge in allowed.get(aspect_id, ()):
                append(
                    rules.Mark(subject_id=subject, aspect_id=aspect_id, judge_id=judge, value=Decimal(value))
                )
    return marks


async def _subjects(rubric: Rubric, contestants: Sequence[Contestant]) -> list[rules.SubjectInput]:
    """One subject per contestant, in station order: imported marks, time used, disqualification."""
    imported_stage_ids = [int(s.id) for s in rubric.rules.stages if s.kind == "imported"]
    imported: dict[int, dict[str, Decimal]] = defaultdict(dict)
    if imported_stage_ids:
        for r in await ImportedMark.select(
            ImportedMark.stage, ImportedMark.registration, ImportedMark.value
        ).where(ImportedMark.stage.is_in(imported_stage_ids)):
            imported[r["registration"]][str(r["stage"])] = r["value"]
    facts = await contestant_facts(c.registration_id for c in contestants)
    subjects = []
    for contestant in contestants:
        fact = facts.get(contestant.registration_id)
        subjects.append(
            rules.SubjectInput(
                subject_id=str(contestant.registration_id),
                imported=imported.get(contestant.registration_id, {}),
                time_used=fact["time_used_seconds"] if fact else None,
                disqualified=bool(fact and fact["disqualified"]),
                eliminated_after=fact["eliminated_after"] if fact else None,
            )
        )
    return subjects


def _not_due_after_cut(
    rules_: rules.CompetitionRules,
    subjects: Sequence[rules.SubjectInput],
    expected: dict[tuple[str, str], tuple[str, ...]],
) -> None:
    """No judge is due on a round a contestant was cut before (未晋级): those aspects leave ``expected``."""
    if rules_.rounds is None:
        return
    later: dict[int, list[str]] = {}  # round index -> aspects of the rounds after it
    for index in range(len(rules_.rounds.rounds)):
        stage_ids = {s for r in rules_.rounds.rounds[index + 1 :] for s in r.stages}
        later[index] = [
            a.id for st in rules_.stages if st.id in stage_ids for m in st.modules for a in m.aspects
        ]
    for subject in subjects:
        if subject.eliminated_after is not None:
            for aspect_id in later.get(subject.eliminated_after, ()):
                expected.pop((subject.subject_id, aspect_id), None)


async def _open_flag_count(stage_ids: Sequence[int]) -> int:
    if not stage_ids:
        return 0
    return await ToleranceFlag.count().where(
        ToleranceFlag.stage.is_in(list(stage_ids)) & (ToleranceFlag.status == "open")
    )


async def load_scoring_inputs(competition_id: int) -> ScoringInputs:
    """The engine's inputs for a competition (raises NotFound ``no_scheme`` before a rubric is set)."""
    scheme = await load_scheme(competition_id)
    rubric = scheme.rubric
    contestants = await drawn(competition_id)
    judges = await panel(competition_id)
    absences = await stored_absences(competition_id)
    due = _Expected(rubric, judges, contestants, await stored_recusals(competition_id), Absent(absences))
    subjects_known = {c.registration_id for c in contestants}
    marks = _unpack_marks(await _counted_marks(competition_id), subjects_known, due)
    subjects = await _subjects(rubric, contestants)
    _not_due_after_cut(rubric.rules, subjects, due.expected)
    stage_ids = [int(s.id) for s in rubric.rules.stages]
    signed = await stage_signoffs(stage_ids)
    return ScoringInputs(
        competition_id=competition_id,
        rules=rubric.rules,
        subjects=subjects,
        marks=marks,
        expected=due.expected,
        blind={str(c.registration_id): (c.station_no, c.blind_code) for c in contestants},
        judge_numbers={str(j.user_id): j.judge_no for j in judges},
        scheme_version=scheme.version,
        frozen_at=scheme.frozen_at,
        unblinded_at=scheme.unblinded_at,
        appeal_window_hours=scheme.appeal_window_hours,
        signed_off_stages={str(k): v["signed_at"] for k, v in signed.items()},
        open_flags=await _open_flag_count(stage_ids),
        absences=[
            (
                str(a.judge_user_id),
                None if a.registration_id is None else str(a.registration_id),
                None if a.stage_id is None else str(a.stage_id),
            )
            for a in absences
        ],
    )
