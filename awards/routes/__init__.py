"""HTTP routes of the awards pipeline: thin; parse, authorize (by ``opt``; finer checks such as "only your
own union's members", a reviewer's recusal or a contestant's own certificate are in the use cases), call
one use case. ``ROUTES`` is what ``app.py`` mounts.

- ``programmes``: ``/api/programmes`` (set-up, lifecycle, quotas, a programme's nominations, upload,
  direct nominations, bulk eligibility), ``/api/union/programmes``, ``/api/people/{id}/competition-results``,
  ``/api/public/programmes``;
- ``nominations``: ``/api/nominations/{id}`` (edit, withdraw, eligibility, attachments), ``/api/attachments``;
- ``review``: ``/api/programmes/{id}/reviewers | review-progress``, the expert's ``/api/review/...``;
- ``notice``: ``/api/programmes/{id}/shortlist | notice | objections``, ``/api/objections/{id}/resolve``,
  ``/api/calendar-years``, ``/api/public/programmes/{id}/notice | objections``;
- ``honours``: ``/api/programmes/{id}/award``, ``/api/public/programmes/{id}/honours | honours.xlsx``,
  ``/api/nominations/{id}/certificate.pdf``;
- ``pages``: the awards pages.
"""

from __future__ import annotations

from typing import Any

from awards.routes.honours import (
    AwardController,
    MyCertificatesController,
    PublicHonoursController,
    certificate,
)
from awards.routes.nominations import AttachmentController, NominationController
from awards.routes.notice import (
    CalendarController,
    NoticeSetupController,
    ObjectionController,
    PublicNoticeController,
)
from awards.routes.pages import PAGES
from awards.routes.programmes import (
    AwardsPeopleController,
    ProgrammeController,
    PublicProgrammeController,
    UnionAwardsController,
)
from awards.routes.review import ReviewController, ReviewPanelController

ROUTES: list[Any] = [
    ProgrammeController,
    NominationController,
    AttachmentController,
    AwardsPeopleController,
    UnionAwardsController,
    PublicProgrammeController,
    ReviewPanelController,
    NoticeSetupController,
    AwardController,
    ObjectionController,
    CalendarController,
    ReviewController,
    PublicNoticeController,
    PublicHonoursController,
    MyCertificatesController,
    certificate,
    *PAGES,
]
