"""The steps that save a plan, in the method's order. A new step: its flow YAML under
knowledge/flows/, its module with a `STEP` (bot/steps/spec.py), and one line here."""

from __future__ import annotations

from bot.steps import activity, brand, innovate, organize, records, standardize
from bot.steps.records import PlanRecord
from bot.steps.spec import StepSpec
from storage.models import Plan

STEPS: tuple[StepSpec, ...] = (
    organize.STEP,
    standardize.STEP,
    activity.STEP,
    innovate.STEP,
    brand.STEP,
)
BY_PLAN_KIND = {step.plan_kind: step for step in STEPS}


def record_of(plan: Plan) -> PlanRecord:
    """A saved plan's record, typed by its step."""
    step = BY_PLAN_KIND.get(plan.kind)
    return records.load(step.record if step else PlanRecord, plan.content)
