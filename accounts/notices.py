"""The privacy notices shown before personal data is collected (PIPL arts. 14, 17, 29), as pure data.

A notice says what is collected, why, for how long and who sees it, and names the person's rights; the ID
number, sensitive personal information (art. 28), has its own consent text (art. 29). The retention period
comes from the settings, so it is a parameter; the version is a digest of the whole text, so any change of
wording or period is a new version, and a consent records exactly the text it was given to.
"""

from __future__ import annotations

import functools
import hashlib
from enum import StrEnum

import msgspec

CONTROLLER = "北京经济技术开发区总工会（亦城职工技能竞赛与工匠评选平台）"


class NoticeKind(StrEnum):
    REGISTRATION = "registration"  # a person signing up and registering themself
    MEMBER_ENTRY = "member_entry"  # a union officer or organizer entering members' data


class Section(msgspec.Struct, frozen=True):
    heading: str
    body: str


class Notice(msgspec.Struct, frozen=True, kw_only=True):
    kind: str
    version: str
    title: str
    sections: list[Section]
    sensitive_consent: str  # the separate consent to the ID number
    attestation: str  # what an officer confirms (member entry only)

    @property
    def key(self) -> str:
        return f"{self.kind}@{self.version}"

    def text(self) -> str:
        """The whole notice as stored with each consent."""
        parts = [self.title, *(f"【{s.heading}】{s.body}" for s in self.sections)]
        parts.append(f"【敏感个人信息单独同意】{self.sensitive_consent}")
        if self.attestation:
            parts.append(f"【录入人确认】{self.attestation}")
        return "\n".join(parts)


_RIGHTS = (
    "登录后在“我的数据”页面查阅、下载（JSON 和可读网页）平台保存的您的全部个人信息，申请更正或删除；"
    "组织者处理申请的过程记入审计日志。删除后，已公布的成绩、公示和表彰名单中的姓名和工作单位作为公开记录保留，"
    "审计日志只保留打码后的信息。"
)

_SENSITIVE = (
    "身份证件号码（居民身份证、港澳台居民居住证、外国人永久居留身份证或护照号码）属于敏感个人信息。"
    "平台仅为核实参赛和评选资格（年龄）、检录时核验身份和办理赛事保险、证书处理该号码；号码加密存储，"
    "只有组织者在必要时查看完整号码，每次查看都记录查看人、时间和用途。不同意则无法在线登记，可联系所在基层工会线下办理。"
)


def _retention(days: int) -> str:
    return (
        f"您参加的竞赛或评选结束后保存 {days} 天，期满自动删除证件号码和手机号；登录账号保留至您申请删除。"
        "已公布的成绩、公示和表彰名单（姓名、工作单位）作为公开记录长期保留。"
    )


def registration_notice(retention_days: int) -> Notice:
    sections = [
        Section(
            "收集的信息",
            "姓名、证件类型和号码、出生日期和性别（由证件号码得出，持护照者本人填写）、手机号、工作单位、"
            "职业技能等级、是否工会会员、是否一线职工，以及登录用户名和密码（只保存不可逆的摘要）。",
        ),
        Section(
            "用途",
            "核实参赛资格（年龄、技能等级、会员身份、所在单位），办理报名、候补、检录和抽签，"
            "公布成绩，联系您本人；不用于其他目的。",
        ),
        Section("保存期限", _retention(retention_days)),
        Section(
            "谁能看到",
            f"{CONTROLLER}的竞赛组织者；您所在的基层工会只看到打码后的证件号码和手机号；裁判只看到工位号和加密号；"
            "公开成绩只显示姓名和工作单位。信息不向其他单位提供。",
        ),
        Section("您的权利", _RIGHTS),
    ]
    return _versioned(NoticeKind.REGISTRATION, "个人信息处理告知（竞赛报名）", sections, "")


def member_entry_notice(retention_days: int) -> Notice:
    sections = [
        Section(
            "录入的信息",
            "会员的姓名、证件类型和号码、出生日期和性别、手机号、工作单位、职业技能等级、是否工会会员、"
            "是否一线职工、是否企业负责人、本区入职日期；推荐评选时还有事迹、专利和创新成果、带徒人数、荣誉称号和证明材料。",
        ),
        Section(
            "用途",
            "为会员报名竞赛或推荐评选：核实资格、审核、评审、公示和表彰，联系会员本人；不用于其他目的。",
        ),
        Section("保存期限", _retention(retention_days)),
        Section(
            "谁能看到",
            f"{CONTROLLER}的组织者和受聘评审专家（评审专家只看到打码后的号码）；本基层工会；"
            "公示和表彰名单公开姓名、工作单位和事迹摘要。",
        ),
        Section("会员的权利", _RIGHTS + "会员可用本人证件号码注册后行使上述权利。"),
    ]
    attestation = (
        "我确认：所录入的每一位会员都已知悉上述告知内容，已同意本平台为上述用途处理其个人信息，"
        "并已单独同意处理其身份证件号码（敏感个人信息）；我能够在组织者要求时提供同意的记录。"
    )
    return _versioned(NoticeKind.MEMBER_ENTRY, "个人信息处理告知（工会录入会员信息）", sections, attestation)


def _versioned(kind: NoticeKind, title: str, sections: list[Section], attestation: str) -> Notice:
    draft = Notice(
        kind=kind,
        version="",
        title=title,
        sections=sections,
        sensitive_consent=_SENSITIVE,
        attestation=attestation,
    )
    digest = hashlib.sha256(draft.text().encode()).hexdigest()[:10]
    return msgspec.structs.replace(draft, version=f"2026.1-{digest}")


@functools.cache  # a pure function of its arguments, asked on every consent and upload: hashed once
def notice_of(kind: NoticeKind | str, retention_days: int) -> Notice:
    if kind == NoticeKind.REGISTRATION:
        return registration_notice(retention_days)
    return member_entry_notice(retention_days)
