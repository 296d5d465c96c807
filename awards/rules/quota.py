"""Nomination quotas (名额): how many a union (or an industry) may nominate."""

from __future__ import annotations


class NominationQuotaError(Exception):
    """A union tries to nominate more people than its quota (409 for the service)."""

    code = "nomination_quota_exceeded"

    def __init__(self, *, already: int, adding: int, quota: int) -> None:
        self.already, self.adding, self.quota = already, adding, quota
        self.excess = already + adding - quota
        self.message = (
            f"本单位推荐名额为 {quota} 人，已推荐 {already} 人，本次再推荐 {adding} 人将超出 {self.excess} 人"
        )
        super().__init__(self.message)


def check_nomination_quota(already: int, adding: int, quota: int | None) -> None:
    """Raise :class:`NominationQuotaError` if ``already + adding`` nominations exceed ``quota``.

    ``quota`` None means the programme sets no per-union quota. Negative numbers are programming errors.
    """
    if already < 0 or adding < 0 or (quota is not None and quota < 0):
        raise ValueError("counts and quota must not be negative")
    if quota is not None and already + adding > quota:
        raise NominationQuotaError(already=already, adding=adding, quota=quota)
