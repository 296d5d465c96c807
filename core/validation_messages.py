"""Framework validation messages (msgspec's, Litestar's) in Chinese: the field's Chinese name, what is wrong
and what to do. Used by core/errors.py for every 422 and 400 that the framework raises.

msgspec says e.g. "Object missing required field `name` - at `$.members[0]`" or "Expected `datetime` with a
timezone component"; :func:`translate` returns the field's path (``members[0].name``) and a sentence such as
"缺少必填项：姓名（members[0].name），请填写后再提交". A message no rule knows still comes out Chinese,
naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from core.field_names import FIELD_NAMES

_AT = re.compile(r"\s*-\s*at `\$\.?([^`]*)`\s*$")

TYPE_NAMES = {
    "int": "整数",
    "float": "数字",
    "number": "数字",
    "decimal": "数字（如 85.5）",
    "str": "文字",
    "bool": "是或否（true / false）",
    "object": "JSON 对象（{…}）",
    "array": "列表（[…]）",
    "null": "空值",
    "datetime": "日期时间（如 2026-05-01T09:00:00+08:00）",
    "date": "日期（如 2026-05-01）",
    "time": "时间（如 09:00）",
    "uuid": "UUID",
    "bytes": "文件内容",
    "timedelta": "时长",
}


def _type(name: str) -> str:
    return TYPE_NAMES.get(name, name)


# A field whose name depends on what the route is about: ``name`` is a person's 姓名 where people are
# registered or nominated, and 名称 (of a competition, a programme, a union) elsewhere.
PEOPLE_ROUTES = re.compile(r"/(signup|people|registrations|nominations|members|register|my/)")
IN_PEOPLE_ROUTES = {"name": "姓名"}


def field_label(path: str | None, route: str = "") -> str:
    """``members[0].mobile`` -> "手机号（members[0].mobile）"; an unknown field is named by its path."""
    if not path:
        return "请求内容"
    last = re.sub(r"\[\d+\]", "", path).split(".")[-1]
    name = FIELD_NAMES.get(last)
    if last in IN_PEOPLE_ROUTES and (PEOPLE_ROUTES.search(route) or "members" in path):
        name = IN_PEOPLE_ROUTES[last]
    return f"{name}（{path}）" if name else f"字段 {path}"


Rule = tuple[re.Pattern[str], Callable[[re.Match[str], str], str]]

_RULES: list[Rule] = [
    (
        re.compile(r"Expected `(\w+)`, got `(\w+)`"),
        lambda m, f: f"{f}应为{_type(m[1])}，收到的是{_type(m[2])}，请改正后再提交",
    ),
    (
        re.compile(r"Expected `str` of length >= (\d+)"),
        lambda m, f: f"{f}不能为空" if m[1] == "1" else f"{f}至少 {m[1]} 个字符，请补全",
    ),
    (re.compile(r"Expected `str` of length <= (\d+)"), lambda m, f: f"{f}最多 {m[1]} 个字符，请删减"),
    (re.compile(r"Expected `(?:array|object)` of length >= (\d+)"), lambda m, f: f"{f}至少要有 {m[1]} 项"),
    (
        re.compile(r"Expected `(?:array|object)` of length <= (\d+)"),
        lambda m, f: f"{f}最多 {m[1]} 项，请删减",
    ),
    (re.compile(r"Expected `\w+` >= (\S+)"), lambda m, f: f"{f}不能小于 {m[1]}，请改正"),
    (re.compile(r"Expected `\w+` > (\S+)"), lambda m, f: f"{f}须大于 {m[1]}，请改正"),
    (re.compile(r"Expected `\w+` <= (\S+)"), lambda m, f: f"{f}不能大于 {m[1]}，请改正"),
    (re.compile(r"Expected `\w+` < (\S+)"), lambda m, f: f"{f}须小于 {m[1]}，请改正"),
    (re.compile(r"Expected `\w+` that is a multiple of (\S+)"), lambda m, f: f"{f}须是 {m[1]} 的整数倍"),
    (re.compile(r"Expected `str` matching regex '\\\\S'"), lambda m, f: f"{f}不能只有空格，请填写内容"),
    (re.compile(r"Expected `str` matching regex"), lambda m, f: f"{f}格式不正确，请按提示的格式填写"),
    (
        re.compile(r"Expected `datetime` with a timezone component"),
        lambda m, f: f"{f}须带时区，如 2026-05-01T09:00:00+08:00（北京时间）",
    ),
    (
        re.compile(r"Expected `(?:datetime|time)` with no timezone component"),
        lambda m, f: f"{f}不应带时区，请去掉末尾的时区",
    ),
    (
        re.compile(r"Invalid RFC3339 encoded datetime|Invalid ISO ?8601 .*datetime"),
        lambda m, f: f"{f}不是有效的日期时间，请按 2026-05-01T09:00:00+08:00 的格式填写",
    ),
    (
        re.compile(r"Invalid RFC3339 encoded date|Invalid ISO ?8601 .*date"),
        lambda m, f: f"{f}不是有效的日期，请按 2026-05-01 的格式填写",
    ),
    (re.compile(r"Invalid RFC3339 encoded time"), lambda m, f: f"{f}不是有效的时间，请按 09:00 的格式填写"),
    (re.compile(r"Invalid decimal string"), lambda m, f: f"{f}不是有效的数字，请填写如 85 或 85.5 的数值"),
    (re.compile(r"Invalid UUID"), lambda m, f: f"{f}不是有效的 UUID（如 3f2b…-…），请刷新页面后重试"),
    (
        re.compile(r"Invalid enum value '?([^']*)'?"),
        lambda m, f: f"{f}的取值“{m[1]}”不在可选范围内，请从列表中选择",
    ),
    (re.compile(r"Invalid base64 encoded string"), lambda m, f: f"{f}不是有效的 base64 编码"),
    (re.compile(r"Number out of range|Integer value out of range"), lambda m, f: f"{f}数值超出允许范围"),
    (
        re.compile(r"[Mm]alformed JSON|JSON is malformed|Input data was truncated"),
        lambda m, f: "请求内容不是有效的 JSON",
    ),
]

_MISSING = re.compile(r"Object missing required field `([^`]+)`")
_UNKNOWN = re.compile(r"Object contains unknown field `([^`]+)`")
_MISSING_PARAM = re.compile(r"Missing required (\w+) parameter '?([\w\-]+)'?")
_SOURCES = {"query": "查询参数", "path": "路径参数", "header": "请求头", "cookie": "Cookie"}


def _join(base: str | None, name: str) -> str:
    return f"{base}.{name}" if base else name


def translate(raw: str, field: str | None = None, route: str = "") -> tuple[str | None, str]:
    """``(field path, Chinese message)`` for one framework validation message about ``field`` (on the
    request path ``route``, which tells a person's 姓名 from a thing's 名称)."""
    text = str(raw)
    at = _AT.search(text)
    if at:
        text = text[: at.start()]
        field = at.group(1) or field
    if field in {"data", "body"}:
        field = None  # Litestar names the body parameter: the request body itself
    if match := _MISSING.search(text):
        path = _join(field, match[1])
        return path, f"缺少必填项：{field_label(path, route)}，请填写后再提交"
    if match := _UNKNOWN.search(text):
        path = _join(field, match[1])
        return path, f"不认识的字段：{path}，请删除该项（可能是页面版本过旧，请刷新）"
    if match := _MISSING_PARAM.search(text):
        kind = _SOURCES.get(match[1], "参数")
        return match[2], f"缺少必填的{kind}：{field_label(match[2], route)}"
    label = field_label(field, route)
    for pattern, say in _RULES:
        if match := pattern.search(text):
            return field, say(match, label)
    if re.search(r"[\u4e00-\u9fff]", text):
        return field, text if not field else f"{label}：{text}"
    return field, f"{label}的值无效，请检查后重新填写"
