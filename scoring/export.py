"""Results as files: XLSX and CSV for organizers, and the open results document anyone can recompute.

No database here: the service passes in what it loaded. The open document names contestants by blind code
and judges by judge number only; it carries the declared rules as data, so a short script with nothing
but the standard library can recompute every published score, rank and prize
(``tests/scoring/recompute_reference.py`` is such a script).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import msgspec
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from core import spreadsheets
from scoring import rules as engine

OPEN_DOCUMENT_FORMAT = "yicheng-open-results/1"
XLSX_MEDIA_TYPE = spreadsheets.XLSX_MEDIA_TYPE
CSV_MEDIA_TYPE = spreadsheets.CSV_MEDIA_TYPE

Cell = str | int | Decimal | None


def csv_bytes(header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel on Chinese Windows opens it without mangling the names."""
    return spreadsheets.csv_bytes(header, rows)


Sheet = tuple[str, Sequence[str], Sequence[Sequence[Cell]]]  # (sheet name, header, rows)


def _fill(
    sheet: Any, title: str, header: Sequence[str], rows: Sequence[Sequence[Cell]], note: str, decimals: int
) -> None:
    """A title line, an optional note, the header, the rows; scores stay numbers."""
    # Titles, notes, stage names and people's names are typed text: never a formula (core.spreadsheets).
    spreadsheets.append(sheet, [title])
    sheet["A1"].font = Font(bold=True, size=14)
    first = 2
    if note:
        spreadsheets.append(sheet, [note])
        first = 3
    spreadsheets.append(sheet, list(header))
    for cell in sheet[first]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    number_format = "0." + "0" * decimals if decimals > 0 else "0"
    for row in rows:
        spreadsheets.append(sheet, row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, Decimal):
                cell.number_format = number_format
    for index, name in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, min(36, len(name) * 2 + 4))
    sheet.freeze_panes = sheet.cell(row=first + 1, column=1)


def xlsx_bytes(
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    *,
    note: str = "",
    decimals: int = 2,
    more: Sequence[Sheet] = (),
    sheet_name: str = "成绩",
) -> bytes:
    """One sheet (a title line, an optional note, the header, the rows), then any ``more`` sheets (e.g.
    team results) under the same title and note; scores stay numbers."""
    book = spreadsheets.new_book()
    sheet = book.active
    sheet.title = sheet_name
    _fill(sheet, title, header, rows, note, decimals)
    for name, more_header, more_rows in more:
        _fill(book.create_sheet(name), title, more_header, more_rows, note, decimals)
    return spreadsheets.xlsx_bytes(book)


class PublishedFigure(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A contestant's published figures; with rounds their round scores and 未晋级 (``eliminated_after``),
    and the module scores the organizer chose to publish."""

    blind_code: str
    final_score: Decimal
    rank: int | None
    tier: int | None
    stage_scores: dict[str, Decimal]
    disqualified: bool
    round_scores: dict[str, Decimal] = {}
    module_scores: dict[str, Decimal] = {}
    eliminated_after: int | None = None


def _subjects_part(
    subjects: Sequence[engine.SubjectInput], blind: Mapping[str, tuple[int | None, str]]
) -> list[dict[str, Any]]:
    return sorted(
        (
            {
                "blind_code": blind[s.subject_id][1],
                "station_no": blind[s.subject_id][0],
                "imported": s.imported,
                "time_used": s.time_used,
                "disqualified": s.disqualified,
                **({} if s.eliminated_after is None else {"eliminated_after": s.eliminated_after}),
            }
            for s in subjects
        ),
        key=lambda item: item["blind_code"],
    )


def _marks_part(
    marks: Sequence[engine.Mark], code: Callable[[str], str], judge_no: Callable[[str], int]
) -> list[dict[str, Any]]:
    return sorted(
        (
            {
                "blind_code": code(m.subject_id),
                "aspect_id": m.aspect_id,
                "judge_no": judge_no(m.judge_id),
                "value": m.value,
            }
            for m in marks
        ),
        key=lambda item: (item["blind_code"], item["aspect_id"], item["judge_no"]),
    )


def _expected_part(
    expected: Mapping[tuple[str, str], Any] | None,
    blind: Mapping[str, tuple[int | None, str]],
    judge_no: Callable[[str], int],
) -> list[dict[str, Any]]:
    return sorted(
        (
            {
                "blind_code": blind[subject_id][1],
                "aspect_id": aspect_id,
                "judge_nos": sorted(judge_no(j) for j in judges),
            }
            for (subject_id, aspect_id), judges in (expected or {}).items()
            if subject_id in blind
        ),
        key=lambda item: (item["blind_code"], item["aspect_id"]),
    )


def _absences_part(
    absences: Sequence[tuple[str, str | None, str | None]],
    blind: Mapping[str, tuple[int | None, str]],
    judge_numbers: Mapping[str, int],
) -> list[dict[str, Any]]:
    return sorted(
        (
            {
                "judge_no": judge_numbers[judge],
                "blind_code": None if subject is None else blind[subject][1],
                "stage_id": stage,
            }
            for judge, subject, stage in absences
            if judge in judge_numbers and (subject is None or subject in blind)
        ),
        key=lambda item: (item["judge_no"], item["blind_code"] or "", item["stage_id"] or ""),
    )


def open_document(
    *,
    competition: Mapping[str, Any],
    version: int,
    published_at: dt.datetime,
    rules: engine.CompetitionRules,
    published_rounding: engine.RoundingStep,
    judge_numbers: Mapping[str, int],
    subjects: Sequence[engine.SubjectInput],
    marks: Sequence[engine.Mark],
    expected: Mapping[tuple[str, str], Any] | None,
    blind: Mapping[str, tuple[int | None, str]],
    published: Sequence[PublishedFigure],
    standings: Mapping[str, Any] | None = None,
    absences: Sequence[tuple[str, str | None, str | None]] = (),
) -> bytes:
    """The open results document (JSON bytes): rules, judge numbers, every mark, the published figures.

    Subject and judge ids of the platform never appear: subjects become blind codes, judges judge numbers.
    ``standings``: the parts for teams, the organisation award and promotion (:func:`standings_part`).
    ``absences``: judges recorded absent (缺席), as (judge id, subject id or None, stage id or None); the
    document lists them by judge number and blind code (None: every contestant, every stage), and the
    ``expected`` part already leaves them out.
    """

    def code(subject_id: str) -> str:
        return blind[subject_id][1]

    def judge_no(judge_id: str) -> int:
        try:
            return judge_numbers[judge_id]
        except KeyError:
            raise engine.ScoringError(f"a mark by judge {judge_id!r}, who has no judge number") from None

    document = {
        "format": OPEN_DOCUMENT_FORMAT,
        "competition": {
            "id": competition["id"],
            "title": competition["title"],
            "occupation": competition["occupation"],
        },
        "version": version,
        "published_at": published_at,
        "rules": rules,
        "published_rounding": published_rounding,
        "judges": sorted(set(judge_numbers.values())),
        "subjects": _subjects_part(subjects, blind),
        "marks": _marks_part(marks, code, judge_no),
        "expected": _expected_part(expected, blind, judge_no),
        "published": sorted(published, key=lambda p: p.blind_code),
        "absences": _absences_part(absences, blind, judge_numbers),
        **(standings or {}),
    }
    return msgspec.json.encode(document)


def rounds_part(
    closings: Sequence[Mapping[str, Any]], blind: Mapping[str, tuple[int | None, str]]
) -> dict[str, Any]:
    """The closed rounds as recorded: each entrant's standing and whether they went through, the next
    starting order, by blind code. Unions and enterprises of a per-group cut become group numbers."""
    groups = sorted({e["group"] for c in closings for e in c["standings"] if e.get("group") is not None})
    number = {g: i for i, g in enumerate(groups, start=1)}
    part = []
    for closing in sorted(closings, key=lambda c: c["position"]):
        part.append(
            {
                "round_id": closing["round_id"],
                "position": closing["position"],
                "standings": [
                    {
                        "blind_code": blind[str(e["registration"])][1],
                        "score": e["score"],
                        "rank": e["rank"],
                        "qualified": e["qualified"],
                        **({} if e.get("group") is None else {"group_no": number[e["group"]]}),
                    }
                    for e in closing["standings"]
                ],
                "start_order": [blind[str(r)][1] for r in closing["start_order"]],
            }
        )
    return {"rounds": part}


# ------------------------------------------------------------ teams, the organisation award, promotion
# The document's optional parts for the declared team results, organisation award and promotion rule.
# Teams and unions are numbered (team_no, union_no) as contestants are blind-coded: the public board names
# them, the document does not.


class PublishedTeam(msgspec.Struct, kw_only=True):
    """A team's published figures, by team number; ``counted``: the blind codes whose scores it adds."""

    team_no: int
    score: Decimal
    rank: int | None
    tier: int | None
    counted: list[str]


class PublishedUnion(msgspec.Struct, kw_only=True):
    """A union's place for the organisation award, by union number."""

    union_no: int
    position: int | None
    awarded: bool


def _declared_teams_part(
    teams: Sequence[engine.TeamInput],
    team_numbers: Mapping[str, int],
    union_numbers: Mapping[str, int],
    code: Callable[[str], str],
) -> list[dict[str, Any]]:
    return sorted(
        (
            {
                "team_no": team_numbers[team.team_id],
                "union_no": None if team.union_id is None else union_numbers[team.union_id],
                "members": sorted(code(member) for member in team.members),
            }
            for team in teams
        ),
        key=lambda item: item["team_no"],
    )


def _unions_part(
    unions: Mapping[str, str | None], union_numbers: Mapping[str, int], code: Callable[[str], str]
) -> list[dict[str, Any]]:
    members: dict[int, list[str]] = {number: [] for number in union_numbers.values()}
    for subject_id, union_id in unions.items():
        if union_id is not None:
            members[union_numbers[union_id]].append(code(subject_id))
    return [{"union_no": n, "members": sorted(codes)} for n, codes in sorted(members.items())]


def _promotions_part(
    promotions: Sequence[engine.PromotionCandidate], code: Callable[[str], str]
) -> list[dict[str, Any]]:
    return sorted(
        (
            {
                "blind_code": code(p.subject_id),
                "band": p.band,
                "level_before": p.level_before,
                "level_after": p.level_after,
                "outcome": p.outcome,
            }
            for p in promotions
        ),
        key=lambda item: item["blind_code"],
    )


def standings_part(
    *,
    blind: Mapping[str, tuple[int | None, str]],
    teams: Sequence[engine.TeamInput] = (),
    team_numbers: Mapping[str, int] | None = None,
    union_numbers: Mapping[str, int] | None = None,
    unions: Mapping[str, str | None] | None = None,
    published_teams: Sequence[PublishedTeam] = (),
    published_unions: Sequence[PublishedUnion] = (),
    promotions: Sequence[engine.PromotionCandidate] | None = None,
) -> dict[str, Any]:
    """The document's parts for the rules' teams (``teams``, ``published_teams``), organisation award
    (``unions``: each union's members by blind code; ``published_organisation_awards``) and promotion rule
    (``promotions``: the contestants a band applies to, the level each held and the level it gives)."""

    def code(subject_id: str) -> str:
        return blind[subject_id][1]

    part: dict[str, Any] = {}
    if team_numbers is not None:
        part["teams"] = _declared_teams_part(teams, team_numbers, union_numbers or {}, code)
        part["published_teams"] = sorted(published_teams, key=lambda t: t.team_no)
    if unions is not None:
        part["unions"] = _unions_part(unions, union_numbers or {}, code)
        part["published_organisation_awards"] = sorted(published_unions, key=lambda u: u.union_no)
    if promotions is not None:
        part["promotions"] = _promotions_part(promotions, code)
    return part
