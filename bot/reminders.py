"""Wires the scheduler to the core: how a reminder and a milestone read, and who sends them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.attendance import render_reminder
from bot.attendance_review import render_confirm, render_digest
from bot.services import Services
from bot.steps.registry import record_of
from scheduler.dispatch import Dispatcher, utc_now
from storage.models import Plan, PlanMilestone
from storage.schedule import CONFIRMATION, DIGEST, GROUP_REMINDER, KINDS


def build_dispatcher(services: Services, clock: Callable[[], datetime] = utc_now) -> Dispatcher:
    content = services.content

    def milestone_text(plan: Plan, milestone: PlanMilestone) -> str:
        name = record_of(plan).subject
        # The plan's author hears it: the responsible person is a typed name, not an account.
        responsible = (
            content.text("milestone_responsible", responsible=plan.responsible)
            if plan.responsible
            else ""
        )
        return content.text(
            "milestone_reminder",
            name=name,
            title=milestone.title,
            date=milestone.due_date.isoformat(),
            responsible=responsible,
        )

    # Each kind of reminder and its text, in one table.
    renderers = {
        GROUP_REMINDER.name: lambda session, event, now: render_reminder(
            session, services, event, now
        ),
        DIGEST.name: lambda session, event, now: render_digest(session, services, event, now),
        CONFIRMATION.name: lambda session, event, now: render_confirm(session, services, event),
    }
    if set(renderers) != set(KINDS):
        raise RuntimeError("every kind of reminder needs its text here")
    return Dispatcher(
        services.db,
        services.messenger,
        lambda session, event, kind, now: renderers[kind](session, event, now),
        milestone_text,
        timezone=services.settings.timezone,
        clock=clock,
    )
