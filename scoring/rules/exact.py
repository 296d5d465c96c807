"""Exact arithmetic: every value is a fraction (a Decimal numerator over an integer denominator).

Means divide by 3, 5 or 7: a stage of 95/12 + 17/24 is exactly 8.625 and must round half up to 8.63, where
adding 28-digit quotients would give 8.62499...9 and so 8.62. Rounding therefore happens only where the
rules declare it, and exactly. A value that no declared step rounds is published as a Decimal correctly
rounded to 28 significant digits, so equal fractions publish identical Decimals and ranking, which compares
the published figures, ties exactly the subjects whose exact scores are equal (distinct scores, fractions
with small denominators, differ far above the 28th digit).
"""

from __future__ import annotations

import math
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    localcontext,
)

from scoring.rules.records import RoundingStep

# Internal arithmetic must be exact: 60 digits is far more than any score needs, and trapping Inexact turns
# a silent loss of digits (absurd inputs) into an error instead of a wrong medal.
EXACT = Context(prec=60, traps=[InvalidOperation, DivisionByZero, Overflow, Inexact])
# Publishing a fraction that no declared step rounds: 28 significant digits, correctly rounded.
PUBLISH = Context(prec=28, rounding=ROUND_HALF_EVEN)


# An exact value: numerator over a positive integer denominator. Marks are Decimals, and the only divisions
# are by a count of marks, by 3 (judgement), by 2 (median) and by full marks, so integers suffice below.
Ratio = tuple[Decimal, int]
ZERO: Ratio = (Decimal(0), 1)


def add(a: Ratio, b: Ratio) -> Ratio:
    (an, ad), (bn, bd) = a, b
    if ad == bd:
        return an + bn, ad
    common = math.lcm(ad, bd)  # lcm, not product: denominators stay small over 40 aspects
    return an * (common // ad) + bn * (common // bd), common


def round_ratio(num: Decimal, den: int, step: RoundingStep) -> Decimal:
    """Round num/den exactly to ``step.decimals`` places (integer division, so never double rounding)."""
    quotient, remainder = divmod(abs(num).scaleb(step.decimals), den)
    digits = int(quotient)
    if step.mode == "half_up":
        digits += 2 * remainder >= den
    elif step.mode == "half_even":
        digits += 2 * remainder > den or (2 * remainder == den and digits % 2 == 1)
    return Decimal(-digits if num < 0 else digits).scaleb(-step.decimals)


def publish(value: Ratio) -> Decimal:
    num, den = value
    return num if den == 1 else PUBLISH.divide(num, den)


def round_decimal(value: Decimal, step: RoundingStep) -> Decimal:
    """Round a Decimal as a declared rounding step would (half up rounds 2.345 to 2.35; down truncates)."""
    with localcontext(EXACT):
        return round_ratio(value, 1, step)
