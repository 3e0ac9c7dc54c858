"""Group chats: `/bind` links a group to a branch (Telegram admins only), `/join` adds a member
to the roster, and whether one is a formal or probationary member is asked in private."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import BindBranch, JoinCategory
from bot.contract import Action, AnswerButton, Button, Event, SendText
from bot.services import Services
from storage import branches, groups, schedule
from storage.models import Branch

ADMIN_STATUSES = frozenset({"creator", "administrator"})
MEMBERSHIPS = {"f": ("formal", "join_formal"), "p": ("probationary", "join_probationary")}


MAX_BRANCH_NAME = 40
MAX_CHOICES = 8


async def bind(session: AsyncSession, event: Event, services: Services, args: str) -> list[Action]:
    """Only the group's creator or administrators, as Telegram reports them, may bind it. A
    secretary who already runs branches picks which one this group is (or a new one);
    `/bind 支部名称` names it directly."""
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
    name = " ".join(args.split())
    if name and not 1 <= len(name) <= MAX_BRANCH_NAME:
        return [SendText(content.text("rename_bad"))]
    mine = list(await branches.branches_of(session, event.user.id))
    if existing is not None or name or not mine:
        chosen = next((b for b in mine if b.name == name), None) if name else None
        return await _bind_to(session, event, services, chosen, name or None)
    title = event.chat.title or content.text("bind_unnamed_group")
    labelled = [(b.name, b.id) for b in mine[:MAX_CHOICES]]
    labelled.append((content.text("bind_new_button", name=title), 0))
    try:
        rows = tuple((Button(label, BindBranch(i, event.user.id).pack()),) for label, i in labelled)
    except ValueError:  # an id too long for a button: naming the branch still works
        return [SendText(content.text("bind_by_name"))]
    return [SendText(content.text("bind_choose"), rows)]


async def on_bind_button(
    session: AsyncSession, event: Event, services: Services, button: BindBranch
) -> list[Action]:
    """The choice under /bind: re-checked as the command is (admin, the branch is theirs)."""
    content = services.content
    callback = event.callback_id or ""
    if event.chat.kind != "group" or event.user.id != button.user_id:
        return [AnswerButton(callback, content.text("button_not_yours"))]
    status = await services.directory.member_status(event.chat.id, event.user.id)
    if status not in ADMIN_STATUSES:
        return [AnswerButton(callback, content.text("bind_admins_only"), alert=True)]
    existing = await groups.get_binding(session, event.chat.id)
    if existing is not None and existing.active:
        branch = await session.get(Branch, existing.branch_id)
        name = branch.name if branch else ""
        return [AnswerButton(callback, content.text("bind_exists", branch=name))]
    chosen = None
    if button.branch_id:
        if not await branches.is_secretary(session, button.branch_id, event.user.id):
            return [AnswerButton(callback, content.text("no_permission"), alert=True)]
        chosen = await session.get(Branch, button.branch_id)
    return [AnswerButton(callback), *await _bind_to(session, event, services, chosen, None)]


async def _bind_to(
    session: AsyncSession,
    event: Event,
    services: Services,
    branch: Branch | None,
    name: str | None,
) -> list[Action]:
    """Binds the group; an existing branch's coming theme days get this group's reminders."""
    content = services.content
    bound = await groups.bind_group(
        session,
        event.chat.id,
        event.chat.title,
        event.user.id,
        event.user.name,
        services.settings.timezone,
        branch=branch,
        name=name,
    )
    now = services.clock()
    for coming in await schedule.upcoming_events(session, bound.id, now, limit=12):
        await schedule.ensure_reminders(session, coming, bound, now)
    text = content.text("bind_done", branch=bound.name)
    if branch is None and name is None:  # named after the group: say how to change it
        text += "\n" + content.text("bind_rename_hint")
    return [SendText(text)]


async def rename(
    session: AsyncSession, event: Event, services: Services, args: str
) -> list[Action]:
    """/rename 新名称: in the bound group, that group's branch; in private, the one branch
    one runs, or `/rename 原名 新名` for one of several."""
    content = services.content
    words = args.split()
    target: Branch | None = None
    if event.chat.kind == "group":
        binding = await groups.get_binding(session, event.chat.id)
        if binding is not None and binding.active:
            target = await session.get(Branch, binding.branch_id)
        allowed = target is not None and (
            await branches.is_secretary(session, target.id, event.user.id)
            or await services.directory.member_status(event.chat.id, event.user.id)
            in ADMIN_STATUSES
        )
        if target is None or not allowed:
            return [SendText(content.text("rename_not_allowed"))]
    else:
        mine = list(await branches.branches_of(session, event.user.id))
        if len(mine) == 1 and len(words) == 1:
            target = mine[0]
        elif len(words) == 2:
            target = next((b for b in mine if b.name == words[0]), None)
            words = words[1:]
        if target is None:
            return [SendText(content.text("rename_usage"))]
    if len(words) != 1 or not 1 <= len(words[0]) <= MAX_BRANCH_NAME:
        return [SendText(content.text("rename_usage"))]
    old, target.name = target.name, words[0]
    return [SendText(content.text("rename_done", old=old, new=target.name))]


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
