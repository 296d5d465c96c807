"""The browser pages: plain HTML files in ``static/`` served at friendly paths.

Pages are public; the data they show comes from the guarded API, so a page reached without the right
role shows the log-in form, not data.
"""

from __future__ import annotations

from pathlib import Path

from litestar import get
from litestar.handlers import HTTPRouteHandler
from litestar.response import File

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def page(
    path: str | list[str], filename: str, summary: str, *, media_type: str = "text/html"
) -> HTTPRouteHandler:
    """A GET route that serves one file of ``static/`` (a page, or a script that must sit above /static)."""
    file_path = STATIC_DIR / filename

    @get(path, opt={"public": True}, include_in_schema=False, summary=summary, name=f"page:{filename}")
    async def serve_page() -> File:
        # Litestar appends "; charset=utf-8" to every text/* type itself.
        return File(file_path, content_disposition_type="inline", media_type=media_type)

    return serve_page
