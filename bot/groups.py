"""Group chats: `/bind` links a group to a branch (Telegram admins only), `/join` adds a member
to the roster, and whether one is a formal or probationary member is asked in private."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import JoinCategory
from bot.contract import Action, AnswerButton, Button, Event, SendText
from bot.services import Services
from storage import groups
from storage.models import Branch

ADMIN_STATUSES = frozenset({"creator", "administrator"})
MEMBERSHIPS = {"f": ("formal", "join_formal"), "p": ("probationary", "join_probationary")}


async def bind(session: AsyncSession, event: Event, services: Services, _: str) -> list[Action]:
    """Only the group's creator or administrators, as Telegram reports them, may bind it."""
    content = services.content
    if event.chat.kind != "group":
        return [SendText(content.text("bind_in_group"))]
    status = await services.directory.member_status(event.chat.id, event.user.id)
    if status not in ADMIN_STATUSES:
        return [SendText(content.text("bind_admins_only"))]
    existing = await groups.get_binding(session, event.chat.id)
    if existing is not None and existing.active:
        branch = await session.get(Branch, existing.branch_id)
        return [SendText(content.text("bind_exists", branch=branch.name if branch else ""))]
    branch = await groups.bind_group(
        session,
        event.chat.id,
        event.chat.title,
        event.user.id,
        event.user.name,
        services.settings.timezone,
    )
    return [SendText(content.text("bind_done", branch=branch.name))]


async def join(session: AsyncSession, event: Event, services: Services, _: str) -> list[Action]:
    content = services.content
    if event.chat.kind != "group":
        return [SendText(content.text("join_in_group"))]
    binding = await groups.get_binding(session, event.chat.id)
    if binding is None or not binding.active:
        return [SendText(content.text("join_unbound"))]
    branch = await session.get(Branch, binding.branch_id)
    assert branch is not None
    _, added = await groups.join_branch(session, branch.id, event.user.id, event.user.name)
    key = "join_done" if added else "join_again"
    text = content.text(key, name=event.user.name, branch=branch.name)
    link = services.directory.deep_link(f"join-{branch.id}")
    if link is None:
        return [SendText(text)]
    return [SendText(text, ((Button(content.text("join_private_button"), url=link),),))]


async def ask_membership(
    session: AsyncSession, event: Event, services: Services, branch_id: int
) -> list[Action]:
    """Reached by the deep link `/start join-<branch>` in the private chat."""
    content = services.content
    member = await groups.find_member(session, branch_id, event.user.id)
    branch = await session.get(Branch, branch_id)
    if member is None or branch is None:
        return [SendText(content.text("join_not_member"))]
    buttons = tuple(
        (Button(content.text(label), JoinCategory(branch_id, code).pack()),)
        for code, (_, label) in MEMBERSHIPS.items()
    )
    return [SendText(content.text("join_ask_membership", branch=branch.name), buttons)]


async def on_button(
    session: AsyncSession, event: Event, services: Services, button: JoinCategory
) -> list[Action]:
    """Only the member themself, in private, can set their category."""
    content = services.content
    if event.chat.kind != "private":
        return [AnswerButton(event.callback_id or "", content.text("button_not_yours"))]
    member = await groups.find_member(session, button.branch_id, event.user.id)
    if member is None:
        return [SendText(content.text("join_not_member"))]
    membership, label = MEMBERSHIPS[button.category]
    member.membership = membership
    return [SendText(content.text("join_saved", membership=content.text(label)))]
