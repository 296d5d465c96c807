"""A person's data across the platform: what each domain holds, and the contract for reading and erasing it.

The accounts domain holds the person, their account, consents and requests; competitions, scoring and
awards hold registrations, appeals, nominations and evidence. Accounts cannot import them (imports run
one way), so each of those domains offers a :class:`PersonalDataSource` of small typed functions, and the
composition root (``app.py`` for the API, ``cli.py`` for ``purge-expired``) hands the list in as
:class:`PersonalData`. Nothing registers itself at import time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import msgspec

from accounts.audit import Actor


class Section(msgspec.Struct, kw_only=True):
    """One kind of record a domain holds about the person, as rows of labelled values."""

    key: str
    title: str
    items: list[dict[str, Any]]


class ErasedPart(msgspec.Struct, kw_only=True):
    """What a domain did when erasing a person, inside the caller's transaction.

    ``public_record``: the person appears in something published (results, a public notice, the honour
    roll), so their name and employer stay as published. ``audit_refs``: the (entity, id) pairs whose audit
    rows may name the person, to be redacted to the masked name. ``after_commit``: work outside the
    database (files) to run once the transaction has committed.
    """

    counts: dict[str, int] = msgspec.field(default_factory=dict)
    public_record: bool = False
    audit_refs: list[tuple[str, str]] = msgspec.field(default_factory=list)
    after_commit: list[Callable[[], Awaitable[None]]] = msgspec.field(default_factory=list)


class PersonalDataSource(msgspec.Struct, frozen=True, kw_only=True):
    """A domain's offer: read what it holds, say what blocks erasure, erase, and say who it still needs.

    - ``describe(person_id)``: the sections for the person's "my data" page and download;
    - ``blockers(person_id)``: why the person cannot be erased now (a registration or nomination in
      progress), in Chinese; empty when nothing blocks;
    - ``erase(actor, person_id)``: erase or anonymise what the domain holds, in the caller's transaction;
    - ``still_needed(person_ids, kept_since)``: of these people, those the domain still needs: a record
      not yet finished, or finished at or after ``kept_since`` (the retention period has not passed).
    """

    name: str
    describe: Callable[[int], Awaitable[list[Section]]]
    blockers: Callable[[int], Awaitable[list[str]]]
    erase: Callable[[Actor, int], Awaitable[ErasedPart]]
    still_needed: Callable[[Sequence[int], dt.datetime], Awaitable[set[int]]]


class PersonalData(msgspec.Struct, frozen=True):
    """Every domain's source, in layer order; what the composition root hands to the accounts routes."""

    sources: tuple[PersonalDataSource, ...] = ()


def mask_name(name: str) -> str:
    """王建国 -> 王*国, 王芳 -> 王*, John Smith -> J*** S****: what the audit log keeps of an erased name."""
    if " " in name:
        return " ".join(mask_name(part) for part in name.split(" "))
    if len(name) <= 2:
        return name[:1] + "*" * (len(name) - 1)
    return name[0] + "*" * (len(name) - 2) + name[-1]
