"""The flow schema features the step flows rely on, as tables: `when` conditions, `repeat`
expansion, load-time checks, and the new validations (future dates, figures, choice limits)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.dialog.flows import Step, expand_steps, parse_flow
from bot.dialog.inputs import Invalid, validate

TODAY = date(2026, 11, 27)


@pytest.mark.parametrize(
    ("when", "answers", "applies"),
    [
        ({"kind": "社会组织"}, {"kind": "社会组织"}, True),
        ({"kind": "社会组织"}, {"kind": "非公企业"}, False),
        ({"kind": ["甲", "乙"]}, {"kind": "乙"}, True),
        ({"m2": "*"}, {"m2": "签协议"}, True),
        ({"m2": "*"}, {"m2": None}, False),  # skipped
        ({"m2": "*"}, {}, False),
        ({"ideas": "质量党建"}, {"ideas": ["标准党建", "质量党建"]}, True),
        ({"ideas": "质量党建"}, {"ideas": ["标准党建"]}, False),
        ({"ideas": "质量党建"}, {"ideas": []}, False),
        ({"form": "joint", "has": True}, {"form": "joint", "has": False}, False),
        ({"form": "joint", "has": True}, {"form": "joint", "has": True}, True),
    ],
)
def test_when(when: dict[str, Any], answers: dict[str, Any], applies: bool) -> None:
    assert Step("s", "text", "?", when=when).applies(answers) is applies


def test_repeat_expands_templates_per_item_and_keeps_answer_placeholders() -> None:
    raw = [
        {"id": "first", "kind": "text", "prompt": "?"},
        {
            "repeat": [{"key": "a", "name": "甲"}, {"key": "b", "name": "乙"}],
            "steps": [
                {
                    "id": "[[key]]_x",
                    "kind": "text",
                    "when": {"pick": "[[name]]"},
                    "prompt": "【[[name]]】{first}",
                },
            ],
        },
    ]
    assert expand_steps(raw)[1:] == [
        {"id": "a_x", "kind": "text", "when": {"pick": "甲"}, "prompt": "【甲】{first}"},
        {"id": "b_x", "kind": "text", "when": {"pick": "乙"}, "prompt": "【乙】{first}"},
    ]


BASE = {"id": "f", "title": "t"}


@pytest.mark.parametrize(
    ("steps", "extra", "message"),
    [
        ([{"id": "a", "kind": "text", "prompt": "?"}] * 2, {}, "appears twice"),
        ([{"id": "a", "kind": "text", "prompt": "?", "when": {"x": 1}}], {}, "depends on later"),
        (
            [{"id": "a", "kind": "choice", "prompt": "?", "options": ["改"], "goto": {"改": "z"}}],
            {},
            "bad goto",
        ),
        (
            [
                {"id": "a", "kind": "text", "prompt": "?"},
                {
                    "id": "b",
                    "kind": "choice",
                    "prompt": "?",
                    "options": ["好"],
                    "goto": {"改": "a"},
                },
            ],
            {},
            "bad goto",
        ),
        ([{"id": "a", "kind": "slider", "prompt": "?"}], {}, "unknown kind"),
    ],
)
def test_bad_flows_fail_at_load(steps: list[dict], extra: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_flow({**BASE, **extra, "steps": steps})


def test_when_on_a_declared_derived_value_loads() -> None:
    flow = parse_flow(
        {
            **BASE,
            "derived": ["weak"],
            "steps": [
                {"id": "a", "kind": "text", "prompt": "?", "when": {"weak": True}},
            ],
        }
    )
    assert flow.applicable({"weak": True}) and not flow.applicable({"weak": False})


@pytest.mark.parametrize(
    ("step", "text", "options", "expected"),
    [
        (Step("d", "date", "?", future=True), "2026-11-27", [], "2026-11-27"),
        (
            Step("d", "date", "?", future=True),
            "2026-11-26",
            [],
            Invalid("date_past", {"today": "2026-11-27"}),
        ),
        (Step("d", "date", "?"), "2026-11-26", [], "2026-11-26"),
        (Step("d", "date", "?", future=True), "1", ["2026-12-15"], "2026-12-15"),
        (Step("d", "date", "?", future=True), "12月15日", ["2026-12-10"], "2026-12-15"),
        (Step("t", "text", "?", needs_number=True), "带动30户增收", [], "带动30户增收"),
        (Step("t", "text", "?", needs_number=True), "带动３０户", [], "带动３０户"),
        (
            Step("t", "text", "?", needs_number=True),
            "效果很好",
            [],
            Invalid("text_needs_number", {}),
        ),
        (Step("m", "multi", "?", max_choices=2), "1,2", ["甲", "乙", "丙"], ["甲", "乙"]),
        (
            Step("m", "multi", "?", max_choices=2),
            "1,2,3",
            ["甲", "乙", "丙"],
            Invalid("multi_too_many", {"max": 2}),
        ),
    ],
)
def test_new_validations(step: Step, text: str, options: list[str], expected: Any) -> None:
    assert validate(step, text, {}, options, TODAY) == expected
