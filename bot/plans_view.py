"""/plans: the saved outcomes of the step flows, and one of them in full.

A plan may name an organisation or a branch, so only its author, the branch's secretaries and
工委 admins may open it, and never in a group chat.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import PlanCard, PlansList
from bot.contract import Action, AnswerButton, Button, Event, SendText
from bot.services import Services
from bot.steps.registry import BY_PLAN_KIND, record_of
from storage import branches, plans
from storage.models import Plan

MAX_LISTED = 15


def plan_name(plan: Plan) -> str:
    return record_of(plan).title


async def may_see(session: AsyncSession, plan: Plan, user_id: str, services: Services) -> bool:
    if plan.created_by == user_id or services.is_admin(user_id):
        return True
    return plan.branch_id is not None and await branches.is_secretary(
        session, plan.branch_id, user_id
    )


async def show_plans(
    session: AsyncSession, event: Event, services: Services, _: str = ""
) -> list[Action]:
    """The newest plans first, a line each, and a button per plan."""
    content = services.content
    if event.chat.kind != "private":
        return [SendText(content.text("plans_private"))]
    if services.is_admin(event.user.id):
        found = list(await plans.list_plans(session))
    else:
        mine = [b.id for b in await branches.branches_of(session, event.user.id)]
        found = list(await plans.list_plans(session, created_by=event.user.id, branch_ids=mine))
    if not found:
        return [SendText(content.text("plans_empty"))]
    found.sort(key=lambda p: p.id, reverse=True)
    kinds = content.messages["plan_kinds"]
    lines = [content.text("plans_title", count=len(found))]
    for plan in found[:MAX_LISTED]:
        lines.append(
            content.text(
                "plans_line",
                id=plan.id,
                kind=kinds.get(plan.kind, plan.kind),
                name=plan_name(plan),
                date=plan.created_at.date().isoformat(),
            )
        )
        lines += [
            f"    · {m.due_date.isoformat()} {m.title}"
            for m in sorted(plan.milestones, key=lambda m: m.due_date)
        ]
    if len(found) > MAX_LISTED:
        lines.append(content.text("plans_more"))
    buttons = tuple(
        (Button(f"#{p.id} {kinds.get(p.kind, p.kind)} {plan_name(p)}"[:40], PlanCard(p.id).pack()),)
        for p in found[:MAX_LISTED]
    )
    return [SendText("\n".join(lines)), SendText(content.text("plans_pick"), buttons)]


async def on_button(
    session: AsyncSession, event: Event, services: Services, button: PlansList | PlanCard
) -> list[Action]:
    """The list, or one plan's card; the plan is re-checked against who is asking."""
    content = services.content
    if isinstance(button, PlansList):
        return await show_plans(session, event, services)
    if event.chat.kind != "private":
        return [SendText(content.text("plans_private"))]
    plan = await plans.get_plan(session, button.plan_id)
    if plan is None or plan.kind not in BY_PLAN_KIND:
        return [AnswerButton(event.callback_id or "", content.text("plans_not_found"))]
    if not await may_see(session, plan, event.user.id, services):
        return [AnswerButton(event.callback_id or "", content.text("no_permission"), alert=True)]
    return [BY_PLAN_KIND[plan.kind].card(plan, content)]
