"""The theme-day plan check, table-driven (issue 5's acceptance examples included)."""

from __future__ import annotations

import pytest

from bot.rules.activity_check import check_emphases, check_plan
from knowledge.content import KNOWLEDGE_DIR, read_yaml

RULES = read_yaml(KNOWLEDGE_DIR / "activity_check.yaml")


@pytest.mark.parametrize(
    ("theme", "contents", "codes"),
    [
        ("组织党员去丽江旅游", ["走访慰问"], ["sightseeing", "no_study", "not_bundled"]),
        ("迎新春茶话会", ["党员大会"], ["tea_party", "no_study"]),
        ("学习党的二十大精神", ["党员大会", "党费收缴", "党性教育"], []),
        ("", ["党课"], ["no_theme"]),
        ("重温入党誓词", ["党小组会", "志愿服务"], []),
        ("周末K歌团建", ["党课"], ["entertainment"]),
        ("学习党章", ["业务培训"], ["not_bundled"]),
    ],
)
def test_check_plan(theme: str, contents: list[str], codes: list[str]) -> None:
    assert [f.code for f in check_plan(theme, contents, RULES)] == codes


def test_every_finding_explains_itself() -> None:
    for finding in check_plan("", ["聚餐", "旅游", "打牌"], RULES):
        assert finding.reason.endswith("。") and len(finding.reason) > 10


@pytest.mark.parametrize(
    ("theme", "contents", "met"),
    [
        ("学习党的二十大精神", ["支部党员大会", "党费收缴", "党性教育"], [True, True, True, True]),
        ("组织党员去丽江旅游", ["走访慰问"], [False, False, False, False]),
        ("重温入党誓词", ["党课", "志愿服务"], [True, False, True, True]),
        ("学习党章", ["积分评定", "业务培训"], [True, True, True, False]),
        ("迎新春茶话会", ["党小组会", "党费收缴"], [False, True, False, True]),
    ],
)
def test_four_emphases(theme: str, contents: list[str], met: list[bool]) -> None:
    findings = check_plan(theme, contents, RULES)
    emphases = check_emphases(findings, contents, RULES)
    assert [e.name for e in emphases] == ["突出“党味”", "突出“支部”", "突出“主题”", "突出“策划”"]
    assert [e.met for e in emphases] == met
