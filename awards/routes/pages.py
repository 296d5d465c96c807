"""The awards pages (static HTML at friendly paths)."""

from __future__ import annotations

from core.pages import page

PAGES = [
    page("/awards", "awards.html", "Public: award programmes, their notices and honour rolls"),
    page("/union/nominations", "union-nominations.html", "Union officer: quotas, nominations, upload"),
    page("/organizer/programmes", "awards-programmes.html", "Organizer: award programmes"),
    page(
        "/organizer/programmes/{programme_id:int}/eligibility",
        "awards-eligibility.html",
        "Organizer: eligibility review of a programme",
    ),
    page("/review", "review.html", "Expert reviewer's tablet"),
    page(
        "/organizer/programmes/{programme_id:int}/shortlist",
        "organizer-shortlist.html",
        "Organizer: review, shortlist report, notice, objections, award",
    ),
    page("/organizer/calendar-years", "notice-calendar.html", "Organizer: holiday schedules by year"),
    page("/notice/{programme_id:int}", "notice.html", "Public notice with the objection form"),
    page("/honours/{programme_id:int}", "honours.html", "Honour roll"),
]
