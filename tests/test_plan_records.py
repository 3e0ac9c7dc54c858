"""Each step saves a typed record. Plans saved as plain dicts before the records existed
(what databases in use hold) load into them and show the same card; a record reads back as
it was written."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.steps import records
from bot.steps.records import PlanRecord
from bot.steps.registry import BY_PLAN_KIND, STEPS, record_of
from knowledge.content import load_content
from storage.models import Plan, PlanMilestone

# As the completions wrote them before records existed (one per kind).
SAVED_BEFORE: dict[str, dict[str, Any]] = {
    "formation": {
        "org_name": "云岭新材料公司",
        "policy": "单独组建",
        "facts": {
            "kind": "非公企业",
            "subtype": None,
            "prefecture_level": None,
            "employees": 120,
            "formal_members": 5,
            "probationary_members": 1,
        },
        "form": "branch",
        "branch_committee": False,
        "posts": ["书记"],
        "way": None,
        "partners": [],
        "partner_names": [],
        "targets": [{"code": "enterprise_organisation", "met": True}],
        "measures": "召开党员大会选举书记",
    },
    "standards": {
        "branch_name": "第一党支部",
        "phase": "已建立",
        "answers": {"room": "有"},
        "percents": {"阵地建设": 50},
        "todo": [["党员活动室", "部分"]],
        "previous_id": None,
        "previous_percents": None,
        "previous_date": None,
    },
    "activity": {
        "branch_name": "第一党支部",
        "event_id": 3,
        "date": "2026-12-15",
        "time": "09:00",
        "theme": "学习党的二十届四中全会精神",
        "contents": ["集中学习"],
        "arrangements": None,
        "mode": "线下集中",
        "place": "三楼会议室",
        "findings": [{"code": "no_study", "reason": "缺少学习内容"}],
        "emphases": [{"name": "政治性", "met": True}],
    },
    "innovation": {
        "branch_name": "第一党支部",
        "items": [
            {
                "idea": "清单化",
                "reflection": "任务不清",
                "what": "列出年度任务",
                "count": 12,
                "due": "2027-01-31",
            }
        ],
    },
    "brand": {
        "branch_name": "第一党支部",
        "brand_name": "红色引擎",
        "slogan": "一个支部一面旗",
        "feature_kind": "服务型",
        "feature": "技术攻关",
        "practices": "党员带头攻关",
        "results": "良品率提高5%",
        "copyable": "党员责任区",
        "influence": ["媒体报道"],
        "follow_ups": {},
        "marks": {"innovation": True, "advanced": True, "promotion": False, "influence": True},
    },
}


def plan_of(kind: str, content: dict[str, Any]) -> Plan:
    plan = Plan(id=7, kind=kind, created_by="1", content=content, responsible="张三")
    plan.created_at = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    plan.milestones = [PlanMilestone(title="选举", due_date=date(2027, 1, 5))]
    return plan


def test_every_step_names_a_record_and_every_kind_is_covered_here() -> None:
    assert {step.plan_kind for step in STEPS} == set(SAVED_BEFORE)
    for step in STEPS:
        assert issubclass(step.record, PlanRecord) and step.record is not PlanRecord


@pytest.mark.parametrize("kind", sorted(SAVED_BEFORE))
def test_a_plan_saved_before_loads_and_reads_back_as_written(kind: str) -> None:
    content = load_content()
    step = BY_PLAN_KIND[kind]
    plan = plan_of(kind, SAVED_BEFORE[kind])
    record = record_of(plan)
    assert isinstance(record, step.record)
    assert records.load(step.record, records.dump(record)) == record
    # The dump is what the old code wrote (dates as ISO text, lists for sequences), and a
    # field added since (the check's 第N次) is empty, not made up.
    added = {k: v for k, v in records.dump(record).items() if k not in SAVED_BEFORE[kind]}
    assert all(v == ("" if k == "branch_name" else None) for k, v in added.items()), added
    assert records.dump(record) == {**added, **SAVED_BEFORE[kind]}
    card = step.card(plan, content)
    assert record.title in card.text
    (row, *_) = step.sheet.rows(plan, content, datetime.now(UTC).tzinfo)  # type: ignore[arg-type]
    assert len(row) == len(step.sheet.headers(content))


def test_a_field_of_the_wrong_type_is_refused_when_saving() -> None:
    """A list where a tuple is declared would read back differently: refused, not warned."""
    case = records.load(BY_PLAN_KIND["brand"].record, SAVED_BEFORE["brand"])
    broken = type(case)(**{**case.__dict__, "influence": ["媒体报道"]})
    with pytest.raises(Exception, match=r"influence|tuple"):
        records.dump(broken)
