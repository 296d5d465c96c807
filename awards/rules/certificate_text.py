"""The wording of a certificate: one function composes the sentence, so a programme's own name never
doubles a word or nests double quotes.

A programme is often named with its activity word and inner quotes of its own, e.g.
“2026 年度亦城“爱企业的好职工”评选”. Written into 在“{name}”评选活动中 that reads
在“2026 年度亦城“爱企业的好职工”评选”评选活动中: 评选 twice and double quotes inside double quotes. Chinese
typography quotes inside a quotation with single quotes (‘ ’), and the sentence adds only the activity words
the name does not already end with.
"""

from __future__ import annotations

OPEN, CLOSE = "“", "”"
INNER_OPEN, INNER_CLOSE = "‘", "’"
# The activity words a name may already end with, longest first: the sentence adds only what is missing.
_ENDINGS = (
    ("评选表彰活动", ""),
    ("评选活动", ""),
    ("表彰活动", ""),
    ("活动", ""),
    ("评选表彰", "活动"),
    ("评选", "活动"),
    ("表彰", "活动"),
)


def _inner_quotes(text: str) -> str:
    """Double quotes inside the name become single ones (straight ASCII quotes paired open, close)."""
    out: list[str] = []
    straight_open = True
    for ch in text:
        if ch in (OPEN, "「", "『"):
            out.append(INNER_OPEN)
        elif ch in (CLOSE, "」", "』"):
            out.append(INNER_CLOSE)
        elif ch == '"':
            out.append(INNER_OPEN if straight_open else INNER_CLOSE)
            straight_open = not straight_open
        else:
            out.append(ch)
    return "".join(out)


def _wraps_whole(inner: str, left: str, right: str) -> bool:
    """Whether a ``left`` … ``right`` pair around ``inner`` encloses all of it (the quotes inside balance)."""
    if left == right:
        return left not in inner
    depth = 0
    for ch in inner:
        depth += (ch == left) - (ch == right)
        if depth < 0:
            return False
    return depth == 0


def _unwrapped(text: str) -> str:
    """The name without surrounding whitespace and without quotes around the whole of it."""
    text = text.strip()
    pairs = ((OPEN, CLOSE), ('"', '"'), ("「", "」"), ("『", "』"))
    while len(text) >= 2:
        pair = next(
            (
                (left, right)
                for left, right in pairs
                if text.startswith(left) and text.endswith(right) and _wraps_whole(text[1:-1], left, right)
            ),
            None,
        )
        if pair is None:
            break
        text = text[1:-1].strip()
    return text


def quoted(text: str) -> str:
    """“text”, with any quotes inside it made single: never a double quote inside a double quote."""
    return f"{OPEN}{_inner_quotes(_unwrapped(text))}{CLOSE}"


def activity_phrase(programme_name: str) -> str:
    """在“…”评选活动中, adding only the activity words the programme's name does not end with."""
    name = _inner_quotes(_unwrapped(programme_name))
    suffix = "评选活动"
    # A name may end in a quoted title (…“评选活动”): the words count although a quote closes them.
    bare = name.rstrip(INNER_CLOSE)
    for ending, missing in _ENDINGS:
        if bare.endswith(ending):
            suffix = missing
            break
    return f"在{OPEN}{name}{CLOSE}{suffix}中"


def certificate_body(programme_name: str, award: str) -> str:
    """The certificate's sentence after the awardee's name."""
    return f"{activity_phrase(programme_name)}，经推荐、资格审查、专家评审和社会公示，被评为{quoted(award)}。"


def prize_body(competition_title: str, prize: str) -> str:
    """The sentence of a competition prize certificate: 在“…”中，荣获一等奖。"""
    return f"在{quoted(competition_title)}中，荣获{_inner_quotes(_unwrapped(prize))}。"
