"""Which branch a secretary's command is about: the group's own branch in a bound group; in
private, the one branch they run, or the branch named first in the command
("/themeday 第一党支部 每月15日 9:00"), or else a button per branch to pick from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import BranchPick
from bot.contract import Action, Button, Event, SendText
from bot.groups import ADMIN_STATUSES
from bot.services import Services
from storage import branches, groups
from storage.models import Branch

MAX_CHOICES = 8


@dataclass(frozen=True)
class Target:
    branch: Branch | None
    refusal: str | None = None  # a message key, when there is no branch
    args: str = ""  # the command's arguments, the branch's name taken off
    choices: list[Branch] = field(default_factory=list)  # several: the user picks one


async def branch_for(session: AsyncSession, event: Event, services: Services, args: str) -> Target:
    """The branch this command is about, and whether the user may change it."""
    if event.chat.kind == "group":
        binding = await groups.get_binding(session, event.chat.id)
        if binding is None or not binding.active:
            return Target(None, "themeday_unbound")
        branch = await session.get(Branch, binding.branch_id)
        assert branch is not None
        if await branches.is_secretary(session, branch.id, event.user.id):
            return Target(branch, args=args)
        status = await services.directory.member_status(event.chat.id, event.user.id)
        if status in ADMIN_STATUSES:
            return Target(branch, args=args)
        return Target(None, "themeday_only_secretary")
    mine = list(await branches.branches_of(session, event.user.id))
    named = [b for b in mine if args == b.name or args.startswith(b.name + " ")]
    if named:
        branch = max(named, key=lambda b: len(b.name))
        return Target(branch, args=args[len(branch.name) :].strip())
    if len(mine) == 1:
        return Target(mine[0], args=args)
    if not mine:
        return Target(None, "themeday_need_group")
    return Target(None, choices=mine)


def picker(
    services: Services,
    choices: list[Branch],
    command: Literal["themeday", "roster", "meetings", "records"],
) -> list[Action]:
    """A button per branch; pressing one runs the command for it."""
    rows = tuple((Button(b.name, BranchPick(b.id, command).pack()),) for b in choices[:MAX_CHOICES])
    example = f"/{command} {choices[0].name}"
    return [SendText(services.content.text("branch_pick", example=example), rows)]
