"""The one way a programme's state changes: the programme row locked, the version and the lifecycle checked,
the step of entering the target state run (the caller names it), the state written and audited, all in one
transaction. A step may refuse (raise a DomainError) or write, but never bumps ``programme.version``.

Which step a target needs is the caller's choice: :mod:`awards.lifecycle` (the generic transition) and the
use cases that enter one state with their own options (the shortlist, the notice, the award)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from accounts import audit
from accounts.audit import Actor
from accounts.service import stale
from awards.programmes import active_count, programme_out
from awards.rows import programme_row
from awards.rules import transition_error
from awards.schemas import ProgrammeOut, TransitionIn
from awards.tables import Programme
from core.db import write_transaction
from core.errors import Conflict

# ``await step(actor, programme_row)``, inside the transition's transaction, before the state is written.
EntryStep = Callable[[Actor, dict[str, Any]], Awaitable[None]]


async def transition(
    actor: Actor, programme_id: int, data: TransitionIn, enter: EntryStep | None = None
) -> ProgrammeOut:
    """Move the programme to ``data.target`` running ``enter`` first; 409 with the current state if the
    lifecycle forbids it, 409 ``stale_version`` if ``data.version`` is not the current one."""
    async with write_transaction():
        row = await programme_row(programme_id, lock="UPDATE")
        _check_move(row, data)
        if enter is not None:
            await enter(actor, row)
        updated = await (
            Programme.update({Programme.state: data.target, Programme.version: row["version"] + 1})
            .where((Programme.id == programme_id) & (Programme.version == row["version"]))
            .returning(Programme.id)
        )
        if not updated:
            raise stale(row["version"])
        await audit.record(
            actor,
            "programme.transition",
            "programme",
            programme_id,
            before={"state": row["state"]},
            after={"state": data.target},
            reason=data.reason,
        )
        after = await programme_row(programme_id)
        return programme_out(after, await active_count(programme_id))


def _check_move(row: dict[str, Any], data: TransitionIn) -> None:
    if data.version is not None and data.version != row["version"]:
        raise stale(row["version"])
    error = transition_error(row["state"], data.target)
    if error is not None:
        raise Conflict(
            error.message,
            code=error.code,
            field="target",
            detail={"current": row["state"], "target": data.target, "allowed": list(error.allowed)},
        )
