"""What every awards route module shares: the request type, page sizes, who may call, file names."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from litestar import Request
from litestar.params import QueryParameter

from accounts.rules import Role
from accounts.schemas import CurrentUser
from accounts.security import allow

CurrentRequest = Request[CurrentUser, Any, Any]
Limit = Annotated[int, QueryParameter(ge=1, le=500)]
Offset = Annotated[int, QueryParameter(ge=0)]

ORGANIZER = allow(Role.ORGANIZER)
OFFICER = allow(Role.UNION_OFFICER)
EXPERT = allow(Role.EXPERT)
ORGANIZER_OR_OFFICER = allow(Role.ORGANIZER, Role.UNION_OFFICER)
# Experts read the nominations of programmes they are assigned to review (checked in the use case).
READERS = allow(Role.ORGANIZER, Role.UNION_OFFICER, Role.EXPERT)


def disposition(filename: str, kind: str = "attachment") -> str:
    """A Content-Disposition naming the file in UTF-8, with an ASCII fallback for old clients."""
    fallback = "".join(c if (c.isascii() and c.isalnum()) or c in ".-_" else "_" for c in filename)
    return f"{kind}; filename=\"{fallback}\"; filename*=utf-8''{quote(filename)}"
