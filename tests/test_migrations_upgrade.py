"""This branch's migrations upgrade a database that already holds data (SQLite, or PostgreSQL when the run
uses it): the old rows survive, an old rubric and an old publication read as before, the new tables work.

Each upgrade runs in a subprocess of its own (Piccolo binds its engine once per process) and prints what the
new code reads back as a JSON line."""

from __future__ import annotations

import json
import sys

from tests.conftest import run_over
from tests.migration_upgrade import LATER, NEW
from tests.migration_upgrade_rounds import ROUNDS_MIGRATION


def _upgrade(url: str, script: str) -> dict[str, object]:
    return json.loads(run_over(url, sys.executable, "-m", script).strip().splitlines()[-1])


def test_the_new_migrations_upgrade_a_database_holding_data(scratch_database: str) -> None:
    result = _upgrade(scratch_database, "tests.migration_upgrade")
    new = {f"{app}:{migration}" for app, migration in [*NEW.items(), *LATER.items()]}
    assert new <= set(result["pending_before"])
    assert result["pending_after"] == []
    assert result["programme"] == ["旧评选", "北京经济技术开发区总工会", ""]
    assert result["skill_level"] == 3 and result["current_levels"] == {"1": 3}
    assert result["store_entry"] is False and result["blob"] == "%PDF-"
    assert result["rules_teams"] is True and result["tiers"] == [1, 1, 1]
    assert result["board_teams"] == []
    # A rubric stored before signed ranges reads as before; the absence table takes rows on old data.
    assert result["old_aspect"] == ["0", None, "weighted"] and result["absences"] == 1
    assert (result["teams"], result["members"], result["confirmations"], result["history"]) == (1, 0, 0, 1)
    # The waitlist index is built over the registrations already there, which count as before.
    assert result["waitlist_index"] == ["competition", "status", "arrival"]
    assert result["waitlist_position"] == 1


def test_the_rounds_migration_upgrades_a_database_holding_facts(scratch_database: str) -> None:
    """Contestants' facts keep what they held and read as not cut; closings can be stored and read."""
    result = _upgrade(scratch_database, "tests.migration_upgrade_rounds")
    assert f"scoring:{ROUNDS_MIGRATION}" in result["pending_before"]
    assert result["pending_after"] == []
    assert result["time_used"] == "1234.5" and result["disqualified"] is True
    assert result["eliminated_after"] is None
    assert result["closings"] == [["r1", [1]]]
