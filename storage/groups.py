"""Group chats bound to branches, and the roster of members who joined through them."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Branch, GroupBinding, Member


async def get_binding(session: AsyncSession, chat_id: str) -> GroupBinding | None:
    query = select(GroupBinding).where(GroupBinding.chat_id == chat_id)
    return (await session.execute(query)).scalar_one_or_none()


async def bind_group(
    session: AsyncSession,
    chat_id: str,
    title: str,
    user_id: str,
    user_name: str,
    timezone: str,
    branch: Branch | None = None,
    name: str | None = None,
) -> Branch:
    """Binds the group to `branch`, or to a new branch called `name` (else after the group)
    with the user as its secretary, and returns the branch.

    Binding again reactivates a binding marked inactive after the bot was removed.
    """
    binding = await get_binding(session, chat_id)
    if binding is not None:
        binding.active = True
        found = await session.get(Branch, binding.branch_id)
        assert found is not None
        return found
    if branch is None:
        branch = Branch(name=name or title or f"群{chat_id}", timezone=timezone)
        session.add(branch)
        await session.flush()
        session.add(
            Member(user_id=user_id, display_name=user_name, branch_id=branch.id, role="secretary")
        )
    binding = GroupBinding(chat_id=chat_id, branch_id=branch.id, title=title, bound_by=user_id)
    session.add(binding)
    await session.flush()
    return branch


async def deactivate_binding(session: AsyncSession, chat_id: str) -> None:
    """Called when Telegram answers 403 for the group: stop sending there."""
    await session.execute(
        update(GroupBinding).where(GroupBinding.chat_id == chat_id).values(active=False)
    )


async def find_member(session: AsyncSession, branch_id: int, user_id: str) -> Member | None:
    query = select(Member).where(Member.branch_id == branch_id, Member.user_id == user_id)
    return (await session.execute(query)).scalar_one_or_none()


async def join_branch(
    session: AsyncSession, branch_id: int, user_id: str, user_name: str
) -> tuple[Member, bool]:
    """Adds a user to the branch roster once; returns (member, newly added)."""
    member = await find_member(session, branch_id, user_id)
    if member is not None:
        member.active = True
        return member, False
    member = Member(user_id=user_id, display_name=user_name, branch_id=branch_id)
    session.add(member)
    await session.flush()
    return member, True


async def active_chats(session: AsyncSession, branch_id: int) -> list[int]:
    query = select(GroupBinding.chat_id).where(
        GroupBinding.branch_id == branch_id, GroupBinding.active
    )
    return list((await session.execute(query)).scalars())
