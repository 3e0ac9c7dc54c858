"""The registry is the one list of steps that save a plan: each declares a distinct plan kind,
card and export sheet, and hooks for its own flow; /plans and the export use nothing else."""

from __future__ import annotations

from bot.app import build_engine
from bot.config import Settings
from bot.steps.registry import BY_PLAN_KIND, STEPS
from knowledge.content import load_content
from knowledge.retrieval import load_knowledge_base


def test_each_step_has_its_own_kind_and_sheet() -> None:
    assert len({s.plan_kind for s in STEPS}) == len(STEPS) == len(BY_PLAN_KIND)
    assert len({s.sheet.title for s in STEPS}) == len(STEPS)
    content = load_content()
    for step in STEPS:
        headers = list(step.sheet.headers(content))
        assert headers[0] == "编号" and len(set(headers)) == len(headers)


def test_each_step_completes_a_flow_of_the_content() -> None:
    """A step's hooks are named by a flow's YAML (on_complete), and every flow that completes
    is wired: the engine refuses to start otherwise."""
    content = load_content()
    settings = Settings()
    for step in STEPS:
        completions = step.hooks(content, settings).completions
        assert completions, step.plan_kind
        assert set(completions) <= {flow.get("on_complete") for flow in content.flows.values()}
    build_engine(content, settings, load_knowledge_base())  # raises on a missing or double hook
