"""Saved outcomes of the step flows (plans, checks, checklists, cards) and self-check results."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.models import Plan, PlanMilestone, SelfCheckResult


async def add_plan(
    session: AsyncSession,
    kind: str,
    created_by: str,
    content: dict[str, Any],
    *,
    organisation_id: int | None = None,
    branch_id: int | None = None,
    responsible: str | None = None,
    milestones: Sequence[tuple[str, date]] = (),
) -> Plan:
    plan = Plan(
        kind=kind,
        created_by=created_by,
        content=content,
        organisation_id=organisation_id,
        branch_id=branch_id,
        responsible=responsible,
        milestones=[PlanMilestone(title=title, due_date=due) for title, due in milestones],
    )
    session.add(plan)
    await session.flush()
    return plan


async def get_plan(session: AsyncSession, plan_id: int) -> Plan | None:
    query = select(Plan).where(Plan.id == plan_id).options(selectinload(Plan.milestones))
    return (await session.execute(query)).scalar_one_or_none()


async def list_plans(
    session: AsyncSession,
    created_by: str | None = None,
    branch_ids: Sequence[int] = (),
    kind: str | None = None,
) -> Sequence[Plan]:
    """All plans (admins, exports), or those a user made or that belong to their branches."""
    query = select(Plan).options(selectinload(Plan.milestones)).order_by(Plan.id)
    if created_by is not None:
        mine = Plan.created_by == created_by
        query = query.where(mine | Plan.branch_id.in_(branch_ids) if branch_ids else mine)
    if kind is not None:
        query = query.where(Plan.kind == kind)
    return (await session.execute(query)).scalars().all()


async def latest_plan(session: AsyncSession, kind: str, branch_id: int) -> Plan | None:
    """The previous check of a branch, to show what changed."""
    query = (
        select(Plan)
        .where(Plan.kind == kind, Plan.branch_id == branch_id)
        .order_by(Plan.id.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def count_plans(session: AsyncSession, kind: str, branch_id: int) -> int:
    """How many of this kind the branch has saved: the 第N次 of its next check."""
    query = select(func.count()).where(Plan.kind == kind, Plan.branch_id == branch_id)
    return int((await session.execute(query)).scalar_one())


async def milestones_due(
    session: AsyncSession, on_or_before: date, unreminded_only: bool = True
) -> Sequence[PlanMilestone]:
    """Milestones whose date has come, for the reminders: the earliest first."""
    query = (
        select(PlanMilestone)
        .where(PlanMilestone.due_date <= on_or_before)
        .options(selectinload(PlanMilestone.plan))
        .order_by(PlanMilestone.due_date, PlanMilestone.id)
    )
    if unreminded_only:
        query = query.where(PlanMilestone.reminded_at.is_(None))
    return (await session.execute(query)).scalars().all()


async def add_selfcheck(
    session: AsyncSession,
    user_id: str,
    questionnaire_id: str,
    answers: dict[str, Any],
    scores: dict[str, Any],
) -> SelfCheckResult:
    result = SelfCheckResult(
        user_id=user_id, questionnaire_id=questionnaire_id, answers=answers, scores=scores
    )
    session.add(result)
    await session.flush()
    return result


async def selfcheck_history(
    session: AsyncSession, user_id: str | None, questionnaire_id: str | None = None
) -> Sequence[SelfCheckResult]:
    """One user's results (all users' for exports), oldest first."""
    query = select(SelfCheckResult).order_by(SelfCheckResult.id)
    if user_id is not None:
        query = query.where(SelfCheckResult.user_id == user_id)
    if questionnaire_id is not None:
        query = query.where(SelfCheckResult.questionnaire_id == questionnaire_id)
    return (await session.execute(query)).scalars().all()
