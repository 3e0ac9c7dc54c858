"""The first question of the branch flows (抓规范, 抓活动, 抓创新, 抓品牌): which branch.

A secretary picks one of the branches they run (bound groups, or named in an earlier flow),
or names a new one; the completion then finds or creates it, so every result has a branch.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.contract import Event
from storage import branches
from storage.models import Branch

NEW_BRANCH = "另一个支部（输入名称）"
MAX_LISTED = 12
DERIVED = ("has_branches", "new_branch", "branch_name_shown")


def branch_label(branch_id: int, name: str) -> str:
    return f"#{branch_id} {name[:18]}"


async def prepare(session: AsyncSession, event: Event) -> dict[str, Any]:
    """The user's branches, stored with the dialog so the options stay the same on resume."""
    mine = list(await branches.branches_of(session, event.user.id))[-MAX_LISTED:]
    return {
        "branches": [
            {"id": b.id, "name": b.name, "rule": b.theme_day_rule, "tz": b.timezone} for b in mine
        ]
    }


def options(answers: dict[str, Any], context: dict[str, Any]) -> list[str]:
    listed = [branch_label(b["id"], b["name"]) for b in context.get("branches", [])]
    return [*listed, NEW_BRANCH]


def chosen(answers: dict[str, Any], context: dict[str, Any]) -> dict[str, Any] | None:
    """The picked branch's stored summary, or None for a new one."""
    for branch in context.get("branches", []):
        if answers.get("branch") == branch_label(branch["id"], branch["name"]):
            return dict(branch)
    return None


def derive(answers: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    has_branches = bool(context.get("branches"))
    picked = chosen(answers, context)
    new_branch = not has_branches or answers.get("branch") == NEW_BRANCH
    return {
        "has_branches": has_branches,
        "new_branch": new_branch,
        "branch_name_shown": picked["name"] if picked else answers.get("branch_name") or "",
    }


async def resolve(
    session: AsyncSession,
    event: Event,
    answers: dict[str, Any],
    context: dict[str, Any],
    zone: str,
) -> Branch:
    """The branch the answers name; a picked one is re-checked (still the user's), else created
    in `zone`, the configured time zone."""
    picked = chosen(answers, context)
    if picked is not None and await branches.is_secretary(session, picked["id"], event.user.id):
        branch = await session.get(Branch, picked["id"])
        if branch is not None:
            return branch
    name = answers.get("branch_name") or (picked["name"] if picked else "") or "党支部"
    return await branches.create_branch(session, name, event.user.id, event.user.name, None, zone)
