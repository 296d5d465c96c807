"""The download of a person's data: JSON, or one self-contained readable page (pure; no I/O)."""

from __future__ import annotations

import html
from typing import Any

import msgspec

from accounts.schemas import MyData

_PERSON_LABELS = {
    "name": "姓名",
    "id_type_name": "证件类型",
    "nationality": "国籍",
    "id_number": "证件号码",
    "mobile": "手机号",
    "birth_date": "出生日期",
    "gender": "性别",
    "employer_name": "工作单位",
    "union_member": "工会会员",
    "skill_level": "职业技能等级",
    "front_line": "一线职工",
    "enterprise_leader": "企业负责人",
    "employed_since": "本区入职日期",
}

_STYLE = (
    "body{font-family:'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif;max-width:960px;"
    "margin:1rem auto;padding:0 1rem;color:#1d232b;line-height:1.6}table{border-collapse:collapse;width:100%;"
    "margin:.5rem 0 1.5rem}th,td{border:1px solid #d9dde3;padding:.4rem .5rem;text-align:left;"
    "vertical-align:top}"
    "th{background:#eef0f3}h1{color:#b4232a}.pre{white-space:pre-wrap}"
)


def download(data: MyData, fmt: str) -> tuple[bytes, str]:
    if fmt == "json":
        return msgspec.json.format(msgspec.json.encode(data), indent=2), "application/json"
    return render_html(data).encode("utf-8"), "text/html"  # Litestar appends the charset


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict | list):
        return f'<span class="pre">{html.escape(msgspec.json.encode(value).decode())}</span>'
    return f'<span class="pre">{html.escape("" if value is None else str(value))}</span>'


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>（无）</p>"
    headers = list(dict.fromkeys(key for row in rows for key in row))
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_cell(r.get(h))}</td>" for h in headers) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(data: MyData) -> str:
    person = msgspec.to_builtins(data.person)
    facts = [{"项目": label, "内容": person.get(key)} for key, label in _PERSON_LABELS.items()]
    parts = [
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>我的个人信息</title><style>{_STYLE}</style></head><body>",
        "<h1>亦城平台保存的我的个人信息</h1>",
        f"<p>生成时间：{html.escape(data.generated_at.isoformat())}（UTC）</p>",
        "<h2>基本信息</h2>",
        _table(facts),
        "<h2>登录账号</h2>",
        _table(data.accounts),
        "<h2>同意记录（含告知全文）</h2>",
        _table(data.consents),
    ]
    for section in data.sections:
        parts += [f"<h2>{html.escape(str(section['title']))}</h2>", _table(list(section["items"]))]  # type: ignore[arg-type]
    parts += [
        "<h2>更正与删除申请</h2>",
        _table([msgspec.to_builtins(r) for r in data.requests]),
        "<h2>对我的信息的操作记录（含查看完整号码的人员、时间和用途）</h2>",
        _table(data.access_log),
        "</body></html>",
    ]
    return "".join(parts)
