"""Attachments: PDF and images checked by content, size-limited, stored on disk by hash, read by the
organizers, the nominating union and assigned experts only."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar

from awards import storage
from tests.awards.nomination_helpers import create_programme, nomination_body, second_union_officer
from tests.helpers import login, new_client

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40 + b"\xff\xd9"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("YICHENG_DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
async def nomination(organizer: httpx.AsyncClient, officer: httpx.AsyncClient, world: dict[str, Any]) -> dict:
    programme = await create_programme(organizer)
    response = await officer.post(
        f"/api/programmes/{programme['id']}/nominations", json=nomination_body(world["people"][0])
    )
    return response.json()["nomination"]


async def attach(client: httpx.AsyncClient, nomination_id: int, name: str, content: bytes) -> httpx.Response:
    return await client.post(
        f"/api/nominations/{nomination_id}/attachments",
        files={"file": (name, content, "application/pdf")},
    )


async def test_pdf_and_images_are_stored_on_disk_by_hash_and_read_back(
    officer: httpx.AsyncClient, organizer: httpx.AsyncClient, nomination: dict, data_dir: Path
) -> None:
    nid = nomination["id"]
    response = await attach(officer, nid, "事迹材料.pdf", PDF)
    assert response.status_code == 201, response.text
    attachment = response.json()
    digest = hashlib.sha256(PDF).hexdigest()
    assert attachment["content_type"] == "application/pdf" and attachment["sha256"] == digest
    assert attachment["filename"] == "事迹材料.pdf" and attachment["size"] == len(PDF)
    assert (data_dir / "attachments" / digest[:2] / digest).read_bytes() == PDF
    assert (await attach(officer, nid, "获奖证书.PNG", PNG)).json()["content_type"] == "image/png"
    assert (await attach(officer, nid, "照片.jpg", JPEG)).json()["content_type"] == "image/jpeg"
    assert (await attach(officer, nid, "无扩展名", PDF)).status_code == 200  # same bytes: the first one
    listed = (await organizer.get(f"/api/nominations/{nid}/attachments")).json()
    assert [a["filename"] for a in listed] == ["事迹材料.pdf", "获奖证书.PNG", "照片.jpg"]
    download = await organizer.get(f"/api/attachments/{attachment['id']}")
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert "filename*=utf-8''" in download.headers["content-disposition"]
    assert (await officer.get(f"/api/attachments/{attachment['id']}")).content == PDF
    assert (await organizer.get(f"/api/nominations/{nid}")).json()["attachments"] == 3
    audit = (await organizer.get("/api/audit/", params={"action": "attachment.create"})).json()
    assert audit["total"] == 3 and audit["items"][-1]["after"]["sha256"] == digest


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("证书.pdf", b"<html>not a pdf</html>", "unsupported_attachment_type"),
        ("证书.pdf", PNG, "attachment_type_mismatch"),
        ("照片.png", PDF, "attachment_type_mismatch"),
        ("cut.pdf", PDF[:30], "unsupported_attachment_type"),  # a PDF cut short: no %%EOF
        ("宏.docx", b"PK\x03\x04 a word file", "unsupported_attachment_type"),
        ("空.pdf", b"", "empty_attachment"),
    ],
)
async def test_content_that_is_not_what_it_claims_is_refused_naming_the_file(
    officer: httpx.AsyncClient,
    organizer: httpx.AsyncClient,
    nomination: dict,
    name: str,
    content: bytes,
    code: str,
) -> None:
    response = await attach(officer, nomination["id"], name, content)
    assert response.status_code == 415, response.text
    body = response.json()
    assert body["code"] == code and body["field"] == "file"
    assert name in body["message"]
    assert (await organizer.get(f"/api/nominations/{nomination['id']}/attachments")).json() == []


async def test_an_attachment_over_10_mb_is_413(officer: httpx.AsyncClient, nomination: dict) -> None:
    too_big = b"%PDF-1.4\n" + b"0" * (storage.MAX_ATTACHMENT_BYTES + 1) + b"\n%%EOF\n"
    response = await attach(officer, nomination["id"], "大文件.pdf", too_big)
    assert response.status_code == 413
    assert response.json()["code"] in {"too_large", "attachment_too_large"}
    way_too_big = b"0" * (storage.MAX_ATTACHMENT_REQUEST_BYTES + 10)
    assert (await attach(officer, nomination["id"], "x.pdf", way_too_big)).status_code == 413


async def test_only_the_nominating_union_organizers_and_assigned_experts_read_attachments(
    app: Litestar,
    officer: httpx.AsyncClient,
    organizer: httpx.AsyncClient,
    nomination: dict,
    world: dict[str, Any],
) -> None:
    from awards.tables import Reviewer

    attachment = (await attach(officer, nomination["id"], "a.pdf", PDF)).json()
    async with (
        second_union_officer(app, organizer, world["unions"][1]) as officer_b,
        new_client(app) as expert,
    ):
        await login(expert, "expert")
        assert (await officer_b.get(f"/api/attachments/{attachment['id']}")).status_code == 404
        assert (await officer_b.get(f"/api/nominations/{nomination['id']}/attachments")).status_code == 404
        assert (await attach(officer_b, nomination["id"], "b.pdf", PDF)).status_code == 404
        assert (await expert.get(f"/api/attachments/{attachment['id']}")).status_code == 404
        await Reviewer(
            programme=nomination["programme_id"],
            expert=world["users"]["expert"],
            reviewer_key=f"{nomination['programme_id']}:{world['users']['expert']}",
            reviewer_no=1,
        ).save()
        assert (await expert.get(f"/api/attachments/{attachment['id']}")).content == PDF
        assert (await expert.get(f"/api/nominations/{nomination['id']}")).json()["id_number"].count("*") > 0
        assert (await expert.delete(f"/api/attachments/{attachment['id']}")).status_code == 403


async def test_removing_an_attachment_deletes_unshared_bytes(
    officer: httpx.AsyncClient, organizer: httpx.AsyncClient, nomination: dict, data_dir: Path
) -> None:
    attachment = (await attach(officer, nomination["id"], "a.pdf", PDF)).json()
    path = data_dir / "attachments" / attachment["sha256"][:2] / attachment["sha256"]
    assert path.exists()
    response = await officer.delete(f"/api/attachments/{attachment['id']}")
    assert response.status_code == 204
    assert not path.exists()
    assert (await organizer.get(f"/api/attachments/{attachment['id']}")).status_code == 404
    audit = (await organizer.get("/api/audit/", params={"action": "attachment.delete"})).json()
    assert audit["items"][0]["before"]["filename"] == "a.pdf"


async def test_officers_attach_only_within_the_window(
    officer: httpx.AsyncClient, organizer: httpx.AsyncClient, nomination: dict
) -> None:
    pid = nomination["programme_id"]
    await organizer.post(f"/api/programmes/{pid}/transition", json={"target": "eligibility_review"})
    response = await attach(officer, nomination["id"], "late.pdf", PDF)
    assert response.status_code == 409 and response.json()["code"] == "nomination_closed"
    # An organizer may still add evidence during the eligibility review.
    assert (await attach(organizer, nomination["id"], "补充.pdf", PDF)).status_code == 201


def test_sniffing_is_by_content() -> None:
    assert storage.sniff(PDF) == "application/pdf"
    assert storage.sniff(PNG) == "image/png"
    assert storage.sniff(JPEG) == "image/jpeg"
    assert storage.sniff(b"GIF89a") is None
    assert storage.clean_filename("../../etc/passwd") == "passwd"
    assert storage.clean_filename("C:\\证书\\扫描件.pdf") == "扫描件.pdf"
    assert storage.clean_filename("a\x00b\n.pdf") == "ab.pdf"
    assert storage.clean_filename("") == "附件"
    assert len(storage.clean_filename("长" * 300 + ".pdf")) == 200
    assert storage.clean_filename("长" * 300 + ".pdf").endswith(".pdf")


async def test_attachments_in_the_database_are_served_by_every_machine(
    officer: httpx.AsyncClient,
    organizer: httpx.AsyncClient,
    nomination: dict,
    data_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """YICHENG_ATTACHMENTS=database: the bytes live in attachment_blob, none in the folder, so a second
    machine (another data folder) serves them; a file attached before the switch is still read from the
    folder; removing the last reference removes the row."""
    from awards.tables import AttachmentBlob

    before_switch = (await attach(officer, nomination["id"], "旧材料.pdf", PDF)).json()
    monkeypatch.setenv("YICHENG_ATTACHMENTS", "database")
    attachment = (await attach(officer, nomination["id"], "照片.png", PNG)).json()
    assert not (data_dir / "attachments" / attachment["sha256"][:2]).exists()
    stored = await AttachmentBlob.select().where(AttachmentBlob.sha256 == attachment["sha256"]).first()
    assert bytes(stored["content"]) == PNG and stored["size"] == len(PNG)
    assert (await organizer.get(f"/api/attachments/{before_switch['id']}")).content == PDF
    monkeypatch.setenv("YICHENG_DATA_DIR", str(tmp_path_factory.mktemp("another_machine")))
    download = await organizer.get(f"/api/attachments/{attachment['id']}")
    assert download.status_code == 200 and download.content == PNG
    assert download.headers["content-type"] == "image/png"
    assert (await officer.delete(f"/api/attachments/{attachment['id']}")).status_code == 204
    assert await AttachmentBlob.count() == 0
