"""Mark values: how a stored mark reads back, and whether the marks of a sheet write may be stored.

Shared by the judges' score sheets (:mod:`scoring.entry`, :mod:`scoring.corrections`) and the experts'
review sheets of awards, through :mod:`scoring.sheet_writer`, so a mark means the same thing everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Protocol

from core.errors import Invalid
from scoring import rules
from scoring.rules.validation import MARK_DECIMALS as MARK_DECIMALS  # stored precision, named here too
from scoring.rules.validation import decimal_places

COUNTED = ("submitted", "signed")  # sheets whose marks count: drafts never do (aggregation, tolerance)


def plain(value: Decimal) -> Decimal:
    """A stored Decimal without trailing zeros or exponent: 2.500 -> 2.5, 10.000 -> 10 (both engines)."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


decimals = decimal_places  # how many decimal places a Decimal is written with (2.50 -> 2, 10 -> 0)


def mark_problem(aspect: rules.Aspect, value: Decimal) -> rules.Problem | None:
    """What is wrong with one mark on an aspect: the one check every mark write makes
    (:func:`scoring.rules.validate_mark`: finite, in range, on the step, in the stored decimals)."""
    return rules.validate_mark(aspect, value)


class MarkLike(Protocol):
    aspect_id: str
    value: Decimal


def check_marks(
    marks: Sequence[MarkLike],
    aspects: Mapping[str, rules.Aspect],
    not_markable: Callable[[int, str], Invalid],
) -> None:
    """Refuse a sheet write (422 naming ``marks[i]``) with a mark for an aspect this marker may not mark,
    the same aspect twice, or a value its aspect does not allow. Shared by judges' sheets and experts'
    review sheets; ``not_markable`` words the first refusal for each."""
    seen: set[str] = set()
    for i, mark in enumerate(marks):
        aspect = aspects.get(mark.aspect_id)
        if aspect is None:
            raise not_markable(i, mark.aspect_id)
        if mark.aspect_id in seen:
            raise Invalid(
                f"评分项“{mark.aspect_id}”重复",
                code="duplicate_aspect",
                field=f"marks[{i}].aspect_id",
                detail={"aspect_id": mark.aspect_id},
            )
        seen.add(mark.aspect_id)
        problem = mark_problem(aspect, mark.value)
        if problem is not None:
            label = f"（{aspect.name}）" if aspect.name else ""
            raise Invalid(
                problem.message + label,
                code=problem.code,
                field=f"marks[{i}].value",
                detail={"aspect_id": aspect.id, "index": i},
            )
