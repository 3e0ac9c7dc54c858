"""Branches a user runs as secretary: the ones they bound a group for or named in a step flow."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Branch, Member

SECRETARY = "secretary"


async def branches_of(session: AsyncSession, user_id: str) -> Sequence[Branch]:
    query = (
        select(Branch)
        .join(Member, Member.branch_id == Branch.id)
        .where(Member.user_id == user_id, Member.role == SECRETARY, Member.active)
        .order_by(Branch.id)
    )
    return (await session.execute(query)).scalars().unique().all()


async def is_secretary(session: AsyncSession, branch_id: int, user_id: str) -> bool:
    query = select(Member.id).where(
        Member.branch_id == branch_id,
        Member.user_id == user_id,
        Member.role == SECRETARY,
        Member.active,
    )
    return (await session.execute(query)).first() is not None


async def create_branch(
    session: AsyncSession,
    name: str,
    user_id: str,
    user_name: str,
    organisation_id: int | None,
    timezone: str,
) -> Branch:
    """A branch named in a flow, with the user as its secretary, so later steps find it."""
    branch = Branch(name=name, organisation_id=organisation_id, timezone=timezone)
    session.add(branch)
    await session.flush()
    session.add(
        Member(user_id=user_id, display_name=user_name, branch_id=branch.id, role=SECRETARY)
    )
    await session.flush()
    return branch
