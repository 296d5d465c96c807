"""What crosses the wire for the award (表彰): the request and the public honour roll (names, employers,
awards; nothing private)."""

from __future__ import annotations

import datetime as dt

import msgspec

from accounts.schemas import Version
from awards.schemas.fields import Reason

# --- award and honour roll ---------------------------------------------------------------------------------


class AwardIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version | None = None
    reason: Reason = ""


class HonourItem(msgspec.Struct, kw_only=True):
    certificate_no: str
    name: str
    employer_name: str | None
    award: str


class HonourRoll(msgspec.Struct, kw_only=True):
    """The public honour roll: name, employer and award of each awardee; nothing private."""

    programme_id: int
    name: str
    year: int
    kind_name: str
    awarded_on: dt.date | None
    items: list[HonourItem]
    issuing_body: str = ""  # 发布单位, signed under the roll


# --- a contestant's own certificates -----------------------------------------------------------------------


class MyHonour(msgspec.Struct, kw_only=True):
    """An honour of the logged-in person (awarded), with its certificate's download path."""

    programme_id: int
    programme_name: str
    award: str
    certificate_no: str
    awarded_on: dt.date | None
    download_url: str


class MyPrize(msgspec.Struct, kw_only=True):
    """A prize of the logged-in person in a published competition result, with its certificate's path."""

    competition_id: int
    competition_title: str
    prize: str
    rank: int | None
    final_score: str
    published_at: dt.datetime
    download_url: str


class MyCertificates(msgspec.Struct, kw_only=True):
    honours: list[MyHonour]
    prizes: list[MyPrize]
