"""Team results and the organisation award as tables: extra sheets of the results workbook and the team
CSV (:mod:`scoring.export` writes the files).

A published version's teams exactly as published; else the current ones, once unblinded (team membership
ties blind codes to unions and employers, so before unblinding there is no team table).
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from scoring import export, standings
from scoring.publication import publication
from scoring.results import compute, scheme_row, unblinded_contestants
from scoring.results_schemas import PublicBoard
from scoring.standings_schemas import OrganisationAwardRow, TeamRow

TEAM_HEADER = ["名次", "奖项", "团体", "所属工会", "团体成绩", "计分成员及成绩", "未计分成员", "备注"]
AWARD_HEADER = ["名次", "基层工会", "评选依据数值", "优秀组织奖"]


def _member_list(row: TeamRow, counted: bool) -> str:
    return "、".join(f"{m.name or m.blind_code} {m.final_score}" for m in row.members if m.counted == counted)


def team_table(rows: Sequence[TeamRow]) -> list[list[export.Cell]]:
    return [
        [
            row.rank,
            row.prize or "",
            row.name,
            row.union or "",
            row.score,
            _member_list(row, True),
            _member_list(row, False),
            "" if row.ranked else "计分人数不足，不排名",
        ]
        for row in rows
    ]


def award_table(rows: Sequence[OrganisationAwardRow]) -> list[list[export.Cell]]:
    return [[r.position, r.union, r.figure, "是" if r.awarded else ""] for r in rows]


async def team_parts(
    competition_id: int, version: int | None
) -> tuple[list[TeamRow], list[OrganisationAwardRow]]:
    """The teams and the organisation award of a published version, or the current ones once unblinded."""
    if version is not None:
        board = msgspec.json.decode(await publication(competition_id, version), type=PublicBoard)
        return board.teams, board.organisation_awards
    scheme = await scheme_row(competition_id)
    if scheme["unblinded_at"] is None:
        return [], []
    computed = await compute(competition_id)
    names = await unblinded_contestants(competition_id)
    shown = await standings.shown(computed.inputs, computed.board, computed.step, names)
    return ([], []) if shown is None else (shown.teams, shown.organisation_awards)


async def extra_sheets(competition_id: int, version: int | None) -> list[export.Sheet]:
    """The workbook's "团体成绩" and "优秀组织奖" sheets, when there are any."""
    teams, awards = await team_parts(competition_id, version)
    sheets: list[export.Sheet] = []
    if teams:
        sheets.append(("团体成绩", TEAM_HEADER, team_table(teams)))
    if awards:
        sheets.append(("优秀组织奖", AWARD_HEADER, award_table(awards)))
    return sheets
