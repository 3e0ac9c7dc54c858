"""The small rules behind the step flows, as tables: the 抓组建 advice text, the 抓规范 scoring,
the 抓品牌 marks and the self-check scores."""

from __future__ import annotations

from typing import Any

import pytest

from bot.rules.brand_check import brand_marks, weak_marks
from bot.rules.coverage import OrganisationFacts
from bot.rules.percent import half_up
from bot.rules.selfcheck_score import change, score
from bot.rules.standards import compare, score_check
from bot.steps.organize import advice_text, form_code
from knowledge.content import load_content

CONTENT = load_content()


def enterprise(employees: int, formal: int, prob: int = 0, org: bool = False) -> OrganisationFacts:
    return OrganisationFacts("非公企业", None, None, employees, formal, prob, org)


@pytest.mark.parametrize(
    ("facts", "form", "must_say", "must_not_say"),
    [
        (enterprise(20, 0), "instructor", ["党建工作指导员", "群团组织"], ["覆盖目标"]),
        (enterprise(60, 0, 1), "joint", ["不足3名", "预备党员 1 名"], ["❌"]),
        (enterprise(120, 2, 1), "joint", ["❌ 职工100人以上的非公企业要有党组织"], []),
        (enterprise(49, 3), "branch", ["及时成立党支部", "不设支部委员会"], ["覆盖目标"]),
        (enterprise(50, 6, 1), "branch", ["不设支部委员会", "✅ 职工50人以上"], []),
        (enterprise(99, 7), "branch", ["设立支部委员会", "纪检委员"], []),
        (enterprise(300, 51), "general_branch", ["党总支", "一般不超过50名"], ["支部委员会（"]),
        (enterprise(300, 50), "branch", ["党支部", "也可按通行做法成立党总支"], []),
        (enterprise(900, 100), "party_committee", ["基层党委"], []),
        (enterprise(150, 12, 0, True), "established", ["已建立党组织", "✅ 职工100人以上"], []),
    ],
)
def test_organize_advice(
    facts: OrganisationFacts, form: str, must_say: list[str], must_not_say: list[str]
) -> None:
    assert form_code(facts) == form
    text = advice_text(facts, "某公司", CONTENT)
    for fragment in must_say:
        assert fragment in text, (fragment, text)
    for fragment in must_not_say:
        assert fragment not in text, (fragment, text)


ITEMS = [
    {"id": "a", "section": "S1", "item": "甲"},
    {"id": "b", "section": "S1", "item": "乙"},
    {"id": "c", "section": "S2", "item": "丙"},
    {"id": "d", "section": "S2", "item": "丁"},
    {"id": "e", "section": "S2", "item": "戊"},
]


@pytest.mark.parametrize(
    ("answers", "percents", "todo"),
    [
        ({"a": "有", "b": "有", "c": "有", "d": "有", "e": "有"}, {"S1": 100, "S2": 100}, []),
        (
            {"a": "有", "b": "部分", "c": "无", "d": "部分", "e": "有"},
            {"S1": 75, "S2": 50},
            [("丙", "无"), ("乙", "部分"), ("丁", "部分")],
        ),
        (
            {"a": "部分", "b": "有", "c": "部分"},
            {"S1": 75, "S2": 17},
            [("丁", "无"), ("戊", "无"), ("甲", "部分"), ("丙", "部分")],
        ),
        (
            {"a": "没有", "b": "有"},
            {"S1": 50, "S2": 0},
            [("甲", "无"), ("丙", "无"), ("丁", "无"), ("戊", "无")],
        ),
    ],
)
def test_standardisation_score(
    answers: dict[str, str], percents: dict[str, int], todo: list[tuple[str, str]]
) -> None:
    result = score_check(ITEMS, answers)
    assert result.percents == percents
    assert result.todo == todo


def test_standardisation_compare() -> None:
    assert compare({"S1": 50, "S2": 80}, {"S1": 75, "S2": 80, "S3": 10}) == {
        "S1": 25,
        "S2": 0,
        "S3": None,
    }


@pytest.mark.parametrize(("value", "expected"), [(62.5, 63), (16.67, 17), (0.49, 0), (99.5, 100)])
def test_percent_rounds_half_up(value: float, expected: int) -> None:
    assert half_up(value) == expected


GOOD_BRAND: dict[str, Any] = {
    "practices": "党员联系户、技能帮带、彝绣合作社三项做法结合推进",
    "results": "带动30户增收",
    "copyable": "联系户台账和帮带清单可以照搬到其他支部",
    "influence": ["州级表彰或推广"],
}


@pytest.mark.parametrize(
    ("changes", "weak"),
    [
        ({}, []),
        ({"practices": "短做法"}, ["innovation"]),
        ({"results": "成效明显"}, ["advanced"]),
        ({"results": "成效明显，带动３０户"}, []),  # full-width digits are figures too
        ({"copyable": "可以学"}, ["promotion"]),
        ({"influence": ["暂无"]}, ["influence"]),
        ({"influence": []}, ["influence"]),
        (
            {"practices": "", "results": "", "copyable": "", "influence": None},
            ["innovation", "advanced", "promotion", "influence"],
        ),
    ],
)
def test_brand_marks(changes: dict[str, Any], weak: list[str]) -> None:
    answers = {**GOOD_BRAND, **changes}
    assert [k.removeprefix("weak_") for k, v in weak_marks(answers).items() if v] == weak


@pytest.mark.parametrize(
    ("follow_up", "answer", "shown"),
    [
        ("more_advanced", "带动50人就业", True),
        ("more_advanced", "效果很好", False),
        ("more_innovation", "结合了彝族刺绣培训", True),
        ("more_innovation", "很新", False),
        ("more_influence", "在园区党建联盟交流推广", True),
        # Saying there is none, at length, is still none: 认可 = 暂无 stays ❌.
        ("more_influence", "暂时还没有得到什么认可和推广", False),
        ("more_influence", "目前没有，以后争取州级表彰", False),
        ("more_influence", "暂无暂无暂无暂无", False),
        ("more_advanced", "没有具体数字，大约10个人吧", True),
        ("more_innovation", "暂时没有什么新的做法，就按老办法", False),
    ],
)
def test_brand_follow_ups_can_make_up_a_weak_mark(follow_up: str, answer: str, shown: bool) -> None:
    empty = {"practices": "", "results": "", "copyable": "", "influence": []}
    mark = follow_up.removeprefix("more_")
    assert brand_marks({**empty, follow_up: answer})[mark] is shown
    assert brand_marks({**empty, follow_up: answer}, with_follow_ups=False)[mark] is False


QUESTIONNAIRE = {
    "id": "t",
    "areas": ["A", "B"],
    "questions": [
        {
            "id": "q1",
            "area": "A",
            "options": [{"label": "是", "points": 2}, {"label": "否", "points": 0}],
        },
        {
            "id": "q2",
            "area": "A",
            "options": [
                {"label": "是", "points": 2},
                {"label": "部分", "points": 1},
                {"label": "否", "points": 0},
            ],
        },
        {
            "id": "q3",
            "area": "B",
            "options": [{"label": "是", "points": 3}, {"label": "否", "points": 0}],
        },
        {
            "id": "q4",
            "area": "B",
            "options": [{"label": "是", "points": 1}, {"label": "否", "points": 0}],
        },
    ],
}


@pytest.mark.parametrize(
    ("answers", "areas", "total", "improvements"),
    [
        ({"q1": "是", "q2": "是", "q3": "是", "q4": "是"}, {"A": 100, "B": 100}, 100, []),
        (
            {"q1": "否", "q2": "部分", "q3": "否", "q4": "是"},
            {"A": 25, "B": 25},
            25,
            ["q3", "q1", "q2"],
        ),
        ({"q1": "是", "q2": "部分", "q3": "是", "q4": "否"}, {"A": 75, "B": 75}, 75, ["q2", "q4"]),
        ({}, {"A": 0, "B": 0}, 0, ["q3", "q1", "q2"]),
        ({"q1": "伪造", "q2": "是", "q3": "是", "q4": "是"}, {"A": 50, "B": 100}, 75, ["q1"]),
    ],
)
def test_selfcheck_score(
    answers: dict[str, str], areas: dict[str, int], total: int, improvements: list[str]
) -> None:
    result = score(QUESTIONNAIRE, answers)
    assert result.areas == areas and result.total == total
    assert [q["id"] for q in result.improvements] == improvements


def test_selfcheck_change() -> None:
    assert change({"A": 50, "B": 100}, {"A": 75, "B": 60}) == {"A": 25, "B": -40}
    assert change({}, {"A": 10}) == {"A": None}
