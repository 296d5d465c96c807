"""The certificate's sentence: whatever the programme is called, no doubled activity word and no double
quotes inside double quotes (worked cases and properties)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from awards.rules import activity_phrase, certificate_body, quoted


@pytest.mark.parametrize(
    ("name", "phrase"),
    [
        ("2026 年度亦城“爱企业的好职工”评选", "在“2026 年度亦城‘爱企业的好职工’评选”活动中"),
        ("“2026 年度亦城“爱企业的好职工”评选”", "在“2026 年度亦城‘爱企业的好职工’评选”活动中"),
        ("2026 年亦城工匠", "在“2026 年亦城工匠”评选活动中"),
        ("2026 年劳动模范评选活动", "在“2026 年劳动模范评选活动”中"),
        ("亦城工匠评选表彰", "在“亦城工匠评选表彰”活动中"),
        ('  "爱职工的好经理"评选 ', "在“‘爱职工的好经理’评选”活动中"),
        ("「亦城工匠」", "在“亦城工匠”评选活动中"),
    ],
)
def test_worked_cases(name: str, phrase: str) -> None:
    assert activity_phrase(name) == phrase


def test_the_issue_s_certificate_reads_without_doubling() -> None:
    body = certificate_body("2026 年度亦城“爱企业的好职工”评选", "爱企业的好职工")
    assert body == (
        "在“2026 年度亦城‘爱企业的好职工’评选”活动中，经推荐、资格审查、专家评审和社会公示，"
        "被评为“爱企业的好职工”。"
    )
    assert "评选”评选" not in body


# A programme's name has more than spaces (the schema refuses a blank one).
CORE = st.text(
    alphabet="亦城工匠爱企业的好职工经理年度劳动模范先进者 0123456789", min_size=1, max_size=12
).filter(str.strip)
QUOTES = st.sampled_from([("“", "”"), ('"', '"'), ("「", "」"), ("", "")])
ENDINGS = st.sampled_from(["", "评选", "评选活动", "活动", "表彰", "评选表彰", "评选表彰活动"])


@st.composite
def programme_names(draw: st.DrawFn) -> str:
    head = draw(CORE)
    left, right = draw(QUOTES)
    inner = draw(st.one_of(st.just(""), CORE.map(lambda t: f"{left}{t}{right}")))
    name = f"{head}{inner}{draw(ENDINGS)}"
    outer_left, outer_right = draw(QUOTES)
    return f"{outer_left}{name}{outer_right}"


@given(programme_names())
def test_one_pair_of_double_quotes_and_no_doubled_activity_word(name: str) -> None:
    phrase = activity_phrase(name)
    assert phrase.startswith("在“") and phrase.endswith("中")
    assert phrase.count("“") == 1 and phrase.count("”") == 1 and '"' not in phrase
    for word in ("评选", "活动", "表彰"):
        assert f"{word}{word}" not in phrase and f"{word}”{word}" not in phrase
    # The activity is named once: at most one 活动, and 评选 is added only when the name lacks it.
    assert phrase.count("活动") == 1
    bare = phrase[2 : phrase.index("”")]
    assert bare.strip() == bare and bare  # the name itself, trimmed, stays
    for ch in name:
        if ch not in '“”"「」『』 ':
            assert ch in bare


@given(programme_names(), st.sampled_from(["亦城工匠", "劳动模范", "“爱企业的好职工”"]))
def test_the_body_quotes_the_award_once(name: str, award: str) -> None:
    body = certificate_body(name, award)
    assert body.count("“") == 2 and body.count("”") == 2
    assert body.endswith(f"被评为{quoted(award)}。") and quoted(award).count("“") == 1
