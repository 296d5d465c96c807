"""The open results document: no personal data, and an independent script recomputes it exactly."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import login, new_client
from tests.scoring import factories, recompute_reference

SCRIPT = Path(recompute_reference.__file__)


@pytest.fixture
async def published(app: object, world: dict[str, Any]) -> tuple[factories.Built, dict[str, Any]]:
    built = await factories.build(world)
    await factories.sign_off(built)
    async with new_client(app) as organizer:
        await login(organizer, "organizer")
        cid = built.competition_id
        assert (await organizer.post(f"/api/competitions/{cid}/results/unblind")).status_code == 201
        assert (
            await organizer.post(f"/api/competitions/{cid}/results/publish", json={"previous_version": 0})
        ).status_code == 201
    async with new_client(app) as public:
        document = (await public.get(f"/api/public/competitions/{cid}/open-document.json")).json()
    return built, document


async def test_open_document_only_after_publication(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    built = await factories.build(world)
    response = await client.get(f"/api/public/competitions/{built.competition_id}/open-document.json")
    assert response.status_code == 404 and response.json()["code"] == "not_published"


async def test_open_document_names_blind_codes_and_judge_numbers_only(
    published: tuple[factories.Built, dict[str, Any]],
) -> None:
    built, document = published
    assert document["format"] == "yicheng-open-results/1" and document["version"] == 1
    assert document["judges"] == [1, 2, 3, 4, 5]
    assert {m["judge_no"] for m in document["marks"]} == {1, 2, 3, 4, 5}
    assert {s["blind_code"] for s in document["subjects"]} == set(built.blind_codes)
    text = json.dumps(document, ensure_ascii=False)
    assert not any(name in text for name in built.names)
    assert "甲公司" not in text and "乙公司" not in text
    for key in (
        "registration",
        "person",
        "user",
        "judge_id",
        "subject_id",
        "employer",
        "mobile",
        "id_number",
    ):
        assert f'"{key}' not in text, key
    # Contestant 3's recused judge no. 5 neither marked nor was expected.
    code3 = built.blind_codes[3]
    assert {m["judge_no"] for m in document["marks"] if m["blind_code"] == code3} == {1, 2, 3, 4}
    assert all(5 not in e["judge_nos"] for e in document["expected"] if e["blind_code"] == code3)


async def test_independent_script_recomputes_every_published_figure_exactly(
    published: tuple[factories.Built, dict[str, Any]],
) -> None:
    built, document = published
    assert recompute_reference.check(document) == []
    by_code = {p["blind_code"]: p for p in document["published"]}
    # The case that needs rounding before ranking: c6's exact final is higher, but both publish 70.44 and
    # c4 wins the tie on the practical stage; c7 and c10 share 3rd place and drop whole to 三等奖.
    c4, c6 = by_code[built.blind_codes[4]], by_code[built.blind_codes[6]]
    assert c4["final_score"] == c6["final_score"] == "70.44" and (c4["rank"], c6["rank"]) == (6, 7)
    assert [by_code[built.blind_codes[i]]["tier"] for i in (9, 8, 7, 10, 5, 4)] == [1, 2, 3, 3, 3, None]
    assert by_code[built.blind_codes[11]]["rank"] is None
    # A tampered figure is caught.
    document["published"][0]["final_score"] = "99.99"
    assert len(recompute_reference.check(document)) == 1


def test_script_runs_alone_with_the_standard_library(
    published: tuple[factories.Built, dict[str, Any]], tmp_path: Path
) -> None:
    """``python -I`` in an empty directory: nothing of the platform is importable, and it still agrees."""
    _, document = published
    path = tmp_path / "open-document.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    source = SCRIPT.read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported <= {"__future__", "json", "sys", "fractions", "math"}, imported
    # Short enough to read: the individual rules under 220 lines, the optional parts for teams, the
    # organisation award and promotion (a section of their own) under 160, rounds' cuts under 80, absences
    # under 50.
    core, optional = source.split("# " + "-" * 54 + " teams, the organisation award")
    optional, rounds = optional.split("# " + "-" * 54 + " rounds (optional)")
    rounds, absences = rounds.split("# " + "-" * 64 + " absent judges")
    assert len(core.splitlines()) < 220  # signed ranges, raw sums, least marks and rounds in the core
    assert len(optional.splitlines()) < 160
    assert len(rounds.splitlines()) < 80
    assert len(absences.splitlines()) < 50  # the check of absent judges (缺席), a section of its own
    script = tmp_path / "recompute.py"
    script.write_text(source, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-I", str(script), str(path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("OK")
