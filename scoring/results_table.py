"""Results as a table: the rows organizers download as XLSX or CSV (:mod:`scoring.export` writes the files).

A published version exactly as published, or else the current results: by blind code until unblinding,
with names once unblinded (organizers only reach this).
"""

from __future__ import annotations

import msgspec

from scoring import export
from scoring.publication import publication
from scoring.results import compute, public_rows, scheme_row, unblinded_contestants
from scoring.results_schemas import ModuleHead, PublicBoard, PublicRow, RoundHead, StageHead

EXPORT_HEADER_FIXED = ["名次", "奖项", "加密号", "工位号", "姓名", "工作单位"]


def stage_title(stage: StageHead) -> str:
    """A stage's column: its weight, or its full marks when the final adds raw stage scores."""
    return (
        f"{stage.name}（{stage.weight_percent}%）"
        if stage.weighted
        else f"{stage.name}（满分{stage.full_marks}）"
    )


async def export_rows(
    competition_id: int, version: int | None
) -> tuple[str, list[str], list[list[export.Cell]], str, int]:
    """(title, header, rows, note, decimals): a published version, or else the current results (names only
    once unblinded)."""
    if version is not None:
        board = msgspec.json.decode(await publication(competition_id, version), type=PublicBoard)
        stages, rows, rounds, modules = board.stages, board.rows, board.rounds, board.modules
        total = "累计" if board.rounds and board.round_total == "sum" else "总成绩"
        note = f"第 {board.version} 版发布成绩"
        title = board.competition.title
    else:
        scheme = await scheme_row(competition_id)
        computed = await compute(competition_id)
        names = await unblinded_contestants(competition_id) if scheme["unblinded_at"] else {}
        stages, rows = computed.stages, public_rows(computed, names)
        rounds, modules = computed.rounds, computed.modules(public=True)
        total = "累计" if computed.rounds and computed.round_total == "sum" else "总成绩"
        note = "当前成绩（未发布）" if scheme["unblinded_at"] else "当前成绩（未解密，按加密号）"
        title = computed.competition.title
    header = [
        *EXPORT_HEADER_FIXED,
        *(stage_title(s) for s in stages),
        *(r.name for r in rounds),
        *(m.name for m in modules),
        total,
        "备注",
    ]
    body = [_export_row(row, stages, rounds, modules) for row in rows]
    exponent = rows[0].final_score.as_tuple().exponent if rows else -2
    return title, header, body, note, -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _export_row(
    row: PublicRow, stages: list[StageHead], rounds: list[RoundHead], modules: list[ModuleHead]
) -> list[export.Cell]:
    """One contestant's line: stage, round (未晋级 for a round not reached, never 0) and module figures."""
    return [
        row.rank,
        row.prize or "",
        row.blind_code,
        row.station_no,
        row.name,
        row.employer,
        *(row.stage_scores.get(s.id) for s in stages),
        *(_round_cell(row, r) for r in rounds),
        *(row.module_scores.get(m.id) for m in modules),
        row.final_score,
        "取消资格" if row.disqualified else "",
    ]


def _round_cell(row: PublicRow, round_head: RoundHead) -> export.Cell:
    if row.eliminated_after is not None and round_head.position > row.eliminated_after:
        return "未晋级"
    return row.round_scores.get(round_head.id)
