"""/start, /help, /menu and starting a step's flow without losing one already under way."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.ask import step_knowledge_button
from bot.buttons import ButtonData, MenuStep, RestartWith, ResumeRunning, unpack
from bot.contract import Action, AnswerButton, Button, Event, SendText, button_id
from bot.services import Services

# Filled by the router: kinds of button whose handler accepts force=True.
RESTARTABLE: dict[type[ButtonData], Callable[..., Awaitable[list[Action]]]] = {}


async def start(
    session: AsyncSession, event: Event, services: Services, payload: str
) -> list[Action]:
    """The greeting; if a flow is half done, its current question follows so nothing is lost.

    Deep links from a group arrive here as payloads: `m-<step>` continues a step in private,
    `join-<branch>` asks a new member for their category.
    """
    if event.chat.kind == "private" and payload.startswith("m-"):
        step = MenuStep.unpack("m:" + payload.removeprefix("m-"))
        if step is not None:
            return await pick_step(session, event, services, step)
    branch_id = button_id(payload.removeprefix("join-")) if payload.startswith("join-") else None
    if event.chat.kind == "private" and branch_id is not None:
        from bot.groups import ask_membership

        return await ask_membership(session, event, services, branch_id)
    actions: list[Action] = [SendText(services.content.text("start", name=event.user.name or ""))]
    state = await services.engine.current(session, event.chat.id, event.user.id)
    if state is not None:
        title = services.engine.flow_of(state).title
        actions += services.engine.ask(
            state, notice=services.content.text("resume_notice", title=title)
        )
    return actions


async def help_(session: AsyncSession, event: Event, services: Services, _: str) -> list[Action]:
    return [SendText(services.content.text("help"))]


async def show_menu(
    session: AsyncSession, event: Event, services: Services, _: str
) -> list[Action]:
    """The six steps as buttons, one line each on what the step is for."""
    steps = services.content.steps
    lines = [services.content.text("menu_title")]
    lines += [f"{i}. {step['title']}：{step['line']}" for i, step in enumerate(steps, 1)]
    buttons = tuple(
        (Button(f"{i}. {step['title']}", MenuStep(step["code"]).pack()),)
        for i, step in enumerate(steps, 1)
    )
    return [SendText("\n".join(lines), buttons)]


async def pick_step(
    session: AsyncSession, event: Event, services: Services, button: MenuStep, force: bool = False
) -> list[Action]:
    """A step chosen from the menu: its flow starts, or what the step is about is shown."""
    step = services.content.step(button.code)
    if step is None:
        return [AnswerButton(event.callback_id or "", services.content.text("button_invalid"))]
    if event.chat.kind != "private":
        text = services.content.text("group_use_private")
        link = services.directory.deep_link(f"m-{step['code']}")
        if link is None:
            return [SendText(text)]
        return [
            SendText(text, ((Button(services.content.text("continue_in_private"), url=link),),))
        ]
    actions = await start_flow(session, event, services, button, force, step["flow"])
    return _with_knowledge_button(actions, services, step["code"])


def _with_knowledge_button(actions: list[Action], services: Services, code: str) -> list[Action]:
    """The step's intro carries "📖 …相关知识", so its background is one tap away."""
    first = actions[0] if actions else None
    if isinstance(first, SendText) and not first.buttons and first.text.startswith("【"):
        button = step_knowledge_button(services.content, code)
        return [replace(first, buttons=((button,),)), *actions[1:]]
    return actions


async def start_flow(
    session: AsyncSession,
    event: Event,
    services: Services,
    origin: ButtonData,
    force: bool,
    flow_id: str,
    **start: Any,
) -> list[Action]:
    """Starts a flow; if another is running, asks first whether to continue it or drop it.

    `origin` is the button data that asked for this start, replayed if the user confirms.
    """
    running = await services.engine.current(session, event.chat.id, event.user.id)
    if running is not None and not force:
        content = services.content
        question = content.text(
            "resume_or_restart",
            title=services.engine.flow_of(running).title,
            new_title=services.engine.flows[flow_id].title,
        )
        buttons = (
            (Button(content.text("resume_continue"), ResumeRunning().pack()),),
            (Button(content.text("resume_restart"), RestartWith(origin.pack()).pack()),),
        )
        return [SendText(question, buttons)]
    return await services.engine.start(session, event, flow_id, **start)


async def on_resume_choice(
    session: AsyncSession,
    event: Event,
    services: Services,
    button: ResumeRunning | RestartWith,
) -> list[Action]:
    """Continue the running question, or replay the button that asked to start, forced."""
    if isinstance(button, ResumeRunning):
        state = await services.engine.current(session, event.chat.id, event.user.id)
        if state is None:
            return [SendText(services.content.text("no_dialog"))]
        return services.engine.ask(state)
    origin = unpack(button.origin, tuple(RESTARTABLE))
    if origin is None:
        return [AnswerButton(event.callback_id or "", services.content.text("button_invalid"))]
    return await RESTARTABLE[type(origin)](session, event, services, origin, force=True)
