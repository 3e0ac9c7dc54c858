"""Routes one event to its handler inside one database unit of work.

Commands (also `/cmd@botname`), button presses by prefix, and free text, which goes to the
running dialog if there is one. Every button's data is re-validated here: never trusted.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from bot import (
    ask,
    attendance,
    attendance_review,
    groups,
    ledger_view,
    menu,
    plans_view,
    roster,
    selfcheck,
    themeday,
)
from bot.contract import Action, AnswerButton, Event, SendText
from bot.dialog.engine import DialogButton
from bot.services import Services
from storage import dialogs

log = logging.getLogger(__name__)

MAX_TEXT = 10_000  # longer messages are cut before any parsing; Telegram allows 4096 anyway

Handler = Callable[[AsyncSession, Event, Services, str], Awaitable[list[Action]]]


def parse_command(text: str) -> tuple[str, str] | None:
    """`/menu@branch_bot args` -> ("menu", "args"); None for anything that is not a command."""
    if not text.startswith("/") or len(text) < 2:
        return None
    head, _, rest = text[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    if not name.isascii() or not name.replace("_", "").isalnum():
        return None
    return name, rest.strip()


async def handle_event(event: Event, services: Services) -> list[Action]:
    """The single entry point every transport calls."""
    if event.text is not None and len(event.text) > MAX_TEXT:
        event = _truncated(event)
    async with services.db.session() as session:
        if event.member_change is not None:
            actions = await roster.on_member_change(session, event, services)
        elif event.button_data is not None:
            actions = await _on_button(session, event, services)
        else:
            actions = await _on_text(session, event, services)
    log.info(
        "event chat=%s kind=%s button=%s actions=%d",
        event.chat.kind,
        "button" if event.is_button else "text",
        (event.button_data or "")[:2],
        len(actions),
    )
    return actions


def _truncated(event: Event) -> Event:
    return replace(event, text=(event.text or "")[:MAX_TEXT])


async def _on_text(session: AsyncSession, event: Event, services: Services) -> list[Action]:
    text = (event.text or "").strip()
    command = parse_command(text)
    if command is not None:
        name, args = command
        handler = COMMANDS.get(name)
        if handler is None:
            return [SendText(services.content.text("unknown_command"))]
        return await handler(session, event, services, args)
    state = await dialogs.get_state(session, event.chat.id, event.user.id)
    if state is not None:
        return await services.engine.answer_text(session, event, state)
    if event.chat.kind == "group" and event.reply_to_bot:
        replied = await attendance.on_reply(session, event, services)
        if replied is not None:
            return replied  # an answer to a theme-day reminder
    if event.chat.kind == "group" and not (event.reply_to_bot or event.mentions_bot):
        return []  # plain group chatter is not for the bot
    if not text:
        return [SendText(services.content.text("free_text"))]
    return ask.answer_text(event, services)


async def _on_button(session: AsyncSession, event: Event, services: Services) -> list[Action]:
    data = event.button_data or ""
    prefix = data.split(":", 1)[0]
    if prefix == "d":
        button = DialogButton.parse(data)
        if button is None:
            return [AnswerButton(event.callback_id or "", services.content.text("button_invalid"))]
        state = await dialogs.get_state(session, event.chat.id, event.user.id)
        return await services.engine.press(session, event, state, button)
    handler = BUTTONS.get(prefix)
    if handler is None:
        return [AnswerButton(event.callback_id or "", services.content.text("button_invalid"))]
    actions = await handler(session, event, services, data)
    if not any(isinstance(action, AnswerButton) for action in actions):
        actions.insert(0, AnswerButton(event.callback_id or ""))  # stop the spinner
    return actions


async def _cancel(session: AsyncSession, event: Event, services: Services, _: str) -> list[Action]:
    state = await dialogs.get_state(session, event.chat.id, event.user.id)
    if state is None:
        return [SendText(services.content.text("no_dialog"))]
    await dialogs.drop_state(session, event.chat.id, event.user.id)
    return [SendText(services.content.text("cancelled"))]


async def _back(session: AsyncSession, event: Event, services: Services, _: str) -> list[Action]:
    state = await dialogs.get_state(session, event.chat.id, event.user.id)
    if state is None:
        return [SendText(services.content.text("no_dialog"))]
    return await services.engine.back(session, state)


async def _skip(session: AsyncSession, event: Event, services: Services, _: str) -> list[Action]:
    state = await dialogs.get_state(session, event.chat.id, event.user.id)
    if state is None:
        return [SendText(services.content.text("no_dialog"))]
    return await services.engine.skip(session, event, state)


COMMANDS: dict[str, Handler] = {
    "start": menu.start,
    "help": menu.help_,
    "menu": menu.show_menu,
    "cancel": _cancel,
    "back": _back,
    "skip": _skip,
    "ledger": ledger_view.show_ledger,
    "export": ledger_view.export,
    "ask": ask.ask_command,
    "bind": groups.bind,
    "join": groups.join,
    "plans": plans_view.show_plans,
    "selfcheck": selfcheck.show,
    "themeday": themeday.themeday,
    "attendance": attendance_review.show,
    "myattendance": attendance_review.mine,
    "roster": roster.roster,
}

BUTTONS: dict[str, Handler] = {
    "m": menu.pick_step,
    "l": ledger_view.on_button,
    "r": menu.on_resume_choice,
    "k": ask.on_button,
    "j": groups.on_button,
    "p": plans_view.on_button,
    "s": selfcheck.on_button,
    "a": attendance.on_button,
    "v": attendance_review.on_view_button,
    "n": attendance_review.on_nudge_button,
    "c": attendance_review.on_confirm_button,
}
# A confirmed "放弃并重新开始" re-runs the original button with force=True.
menu.RESTARTABLE.update({"m": menu.pick_step, "l": ledger_view.on_button, "s": selfcheck.on_button})
