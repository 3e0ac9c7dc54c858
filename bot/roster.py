"""The branch roster that "not yet replied" is counted against. Bots cannot list a group's
members, so it grows from /join, from pressing a reminder's button, from Telegram's
chat-member updates (while the bot is an admin), and from names the secretary enters for
members without Telegram."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.branch_choice import branch_for, picker
from bot.contract import Action, Event, SendText
from bot.dialog.inputs import has_words
from bot.services import Services
from storage import attendance, groups
from storage.models import Member

MAX_NAME = 20
MAX_ADDED = 50


async def on_member_change(session: AsyncSession, event: Event, services: Services) -> list[Action]:
    """Joined: on the roster; left: off it (their replies stay on record). Says nothing."""
    binding = await groups.get_binding(session, event.chat.id)
    if binding is None or not binding.active:
        return []
    if event.member_change == "joined":
        await groups.join_branch(session, binding.branch_id, event.user.id, event.user.name)
    else:
        member = await groups.find_member(session, binding.branch_id, event.user.id)
        if member is not None and member.role != "secretary":
            member.active = False
    return []


async def roster(
    session: AsyncSession, event: Event, services: Services, args: str
) -> list[Action]:
    content = services.content
    target = await branch_for(session, event, services, args.strip()[:2000])
    if target.choices:
        return picker(services, target.choices, "roster")
    branch = target.branch
    if branch is None:
        return [SendText(content.text(target.refusal or "themeday_need_group"))]
    words = target.args.split(maxsplit=1)
    verb, rest = (words[0], words[1] if len(words) > 1 else "") if words else ("", "")
    if verb == "添加":
        names = [n.strip() for n in re.split(r"[、,，;；\s]+", rest) if n.strip()]
        if (
            not names
            or len(names) > MAX_ADDED
            or any(len(n) > MAX_NAME or not has_words(n) for n in names)
        ):
            return [SendText(content.text("roster_bad_name"))]
        for name in names:
            session.add(Member(user_id=None, display_name=name, branch_id=branch.id))
        return [SendText(content.text("roster_added", count=len(names), names="、".join(names)))]
    if verb == "删除":
        name = rest.strip()
        found = (
            (
                await session.execute(
                    select(Member).where(
                        Member.branch_id == branch.id,
                        Member.display_name == name,
                        Member.active,
                        Member.role != "secretary",
                    )
                )
            )
            .scalars()
            .first()
        )
        if found is None:
            return [SendText(content.text("roster_not_found", name=name[:MAX_NAME]))]
        found.active = False
        return [SendText(content.text("roster_removed", name=name))]
    if verb:
        return [SendText(content.text("roster_usage"))]
    members = await attendance.roster(session, branch.id)
    if not members:
        return [SendText(content.text("roster_empty", branch=branch.name))]
    shown = "、".join(
        m.display_name + ("" if m.user_id else content.text("roster_no_account")) for m in members
    )
    text = content.text("roster_title", branch=branch.name, count=len(members), names=shown)
    return [SendText(text + "\n" + content.text("roster_usage"))]
