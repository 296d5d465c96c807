"""Field types every awards schema uses: constrained text, years, counts, reasons."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

AwareDatetime = Annotated[dt.datetime, msgspec.Meta(tz=True)]
Reason = Annotated[str, msgspec.Meta(max_length=500)]
# A name or title: something besides spaces (a programme named " " printed 在“”评选活动中 on certificates).
ShortText = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"\S")]
Year = Annotated[int, msgspec.Meta(ge=1950, le=2100)]
Count = Annotated[int, msgspec.Meta(ge=0, le=100_000)]
