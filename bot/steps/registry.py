"""The steps that save a plan, in the method's order. A new step: its flow YAML under
knowledge/flows/, its module with a `STEP` (bot/steps/spec.py), and one line here."""

from __future__ import annotations

from bot.steps import activity, brand, innovate, organize, standardize
from bot.steps.spec import StepSpec

STEPS: tuple[StepSpec, ...] = (
    organize.STEP,
    standardize.STEP,
    activity.STEP,
    innovate.STEP,
    brand.STEP,
)
BY_PLAN_KIND = {step.plan_kind: step for step in STEPS}
