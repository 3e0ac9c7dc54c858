"""/selfcheck: quick questionnaires (data under knowledge/selfcheck/), scored per area, with
the three most useful improvements linked to the knowledge base and the change since last time.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import KnowledgeEntry, SelfCheckStart
from bot.contract import Action, AnswerButton, Button, Event, SendText
from bot.dialog.machine import Snapshot
from bot.menu import start_flow
from bot.rules.selfcheck_score import change, score
from bot.services import Services
from knowledge.content import SELFCHECK_FLOW_PREFIX, Content
from storage import plans

MAX_KB_LABEL = 20


def ordered(content: Content) -> list[dict[str, Any]]:
    """The five-area check first, then one per step in the method's order."""
    order = {step["code"]: i for i, step in enumerate(content.steps)}
    return sorted(
        content.selfchecks.values(),
        key=lambda q: (q.get("step") is not None, order.get(q.get("step") or "", 0)),
    )


async def show(session: AsyncSession, event: Event, services: Services, _: str) -> list[Action]:
    """The questionnaires as buttons, each with the user's last total."""
    content = services.content
    if event.chat.kind != "private":
        return [SendText(content.text("selfcheck_private"))]
    history = await plans.selfcheck_history(session, event.user.id)
    last = {result.questionnaire_id: result for result in history}
    lines = [content.text("selfcheck_title")]
    buttons = []
    for questionnaire in ordered(content):
        qid = questionnaire["id"]
        done = last.get(qid)
        status = (
            content.text(
                "selfcheck_last",
                total=done.scores.get("total", 0),
                date=done.taken_at.date().isoformat(),
            )
            if done
            else content.text("selfcheck_never")
        )
        lines.append(
            content.text(
                "selfcheck_line",
                title=questionnaire["title"],
                count=len(questionnaire["questions"]),
                status=status,
            )
        )
        buttons.append((Button(questionnaire["title"], SelfCheckStart(qid).pack()),))
    return [SendText("\n".join(lines), tuple(buttons))]


async def on_button(
    session: AsyncSession,
    event: Event,
    services: Services,
    button: SelfCheckStart,
    force: bool = False,
) -> list[Action]:
    """Starts a questionnaire (asking first if another flow is half done), or lists them."""
    qid = button.questionnaire
    if qid == "menu":
        return await show(session, event, services, "")
    if qid not in services.content.selfchecks:
        return [AnswerButton(event.callback_id or "", services.content.text("button_invalid"))]
    if event.chat.kind != "private":
        return [SendText(services.content.text("selfcheck_private"))]
    return await start_flow(session, event, services, button, force, SELFCHECK_FLOW_PREFIX + qid)


def make_completion(content: Content, knowledge_titles: dict[str, str]):  # type: ignore[no-untyped-def]
    async def complete(
        session: AsyncSession, event: Event, state: Snapshot, answers: dict[str, Any]
    ) -> list[Action]:
        """Scores, saves and compares with the user's previous attempt at the same questionnaire."""
        qid = state.flow_id.removeprefix(SELFCHECK_FLOW_PREFIX)
        questionnaire = content.selfchecks[qid]
        result = score(questionnaire, answers)
        history = await plans.selfcheck_history(session, event.user.id, qid)
        previous = history[-1] if history else None
        scores = {
            "areas": result.areas,
            "total": result.total,
            "improvements": [q["id"] for q in result.improvements],
        }
        await plans.add_selfcheck(session, event.user.id, qid, dict(answers), scores)
        lines = [content.text("selfcheck_result", title=questionnaire["title"], total=result.total)]
        changes = change(previous.scores.get("areas", {}), result.areas) if previous else {}
        for area, percent in result.areas.items():
            lines.append(
                content.text(
                    "selfcheck_area",
                    area=area,
                    percent=percent,
                    change=_change(changes, area, content),
                )
            )
        if previous is not None:
            lines.append(
                content.text(
                    "selfcheck_previous",
                    date=previous.taken_at.date().isoformat(),
                    before=previous.scores.get("total", 0),
                    after=result.total,
                    count=len(history) + 1,
                )
            )
        else:
            lines.append(content.text("selfcheck_first"))
        buttons = []
        if result.improvements:
            count = "一两三四五"[len(result.improvements) - 1]
            lines.append(content.text("selfcheck_improve_title", count=count))
            for n, question in enumerate(result.improvements, 1):
                lines.append(content.text("selfcheck_improve", n=n, text=question["improve"]))
                title = knowledge_titles.get(question["kb"], "")[:MAX_KB_LABEL]
                buttons.append((Button(f"📖 {n}. {title}", KnowledgeEntry(question["kb"]).pack()),))
        else:
            lines.append(content.text("selfcheck_all_good"))
        buttons.append((Button(content.text("selfcheck_again"), SelfCheckStart("menu").pack()),))
        return [SendText("\n".join(lines), tuple(buttons))]

    return complete


def _change(changes: dict[str, int | None], area: str, content: Content) -> str:
    delta = changes.get(area)
    if delta is None:
        return ""
    if delta > 0:
        return content.text("change_up", delta=delta)
    if delta < 0:
        return content.text("change_down", delta=delta)
    return content.text("change_same")
