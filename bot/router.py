"""Routes one event to its handler inside one database unit of work.

Commands (also `/cmd@botname`), button presses by prefix, and free text, which goes to the
running dialog if there is one. Every button's data is re-validated here: never trusted.
Text, names and titles are cleaned here once (`bot.rules.text_safety`), so no handler and no
table ever sees a control or invisible character.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import (
    ask,
    attendance,
    attendance_review,
    buttons,
    dues,
    groups,
    ledger_merge,
    ledger_view,
    meeting_records,
    meetings,
    menu,
    plans_view,
    roster,
    selfcheck,
    themeday,
)
from bot.contract import Action, AnswerButton, Chat, Event, SendText, User
from bot.dialog.machine import DialogButton
from bot.rules.text_safety import clean_name, clean_text
from bot.services import Services
from storage import branches
from storage.models import Branch

log = logging.getLogger(__name__)

MAX_TEXT = 10_000  # longer messages are cut before any parsing; Telegram allows 4096 anyway
MAX_TITLE = 128  # Telegram's limit for a group's title

Handler = Callable[[AsyncSession, Event, Services, str], Awaitable[list[Action]]]
# A button's handler gets the button read into its kind (bot/buttons.py).
ButtonHandler = Callable[[AsyncSession, Event, Services, Any], Awaitable[list[Action]]]


def parse_command(text: str) -> tuple[str, str] | None:
    """`/menu@branch_bot args` -> ("menu", "args"); None for anything that is not a command."""
    if not text.startswith("/") or len(text) < 2:
        return None
    head, _, rest = text[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    if not name.isascii() or not name.replace("_", "").isalnum():
        return None
    return name, rest.strip()


def clean_event(event: Event, unnamed: str) -> Event:
    """The event as handlers may see it: text and names cleaned, text cut to MAX_TEXT, a name
    left empty by cleaning replaced by `unnamed`. Button data is not rewritten: it is checked
    as it came, and data with anything odd in it matches no button."""
    text = None if event.text is None else clean_text(event.text[: MAX_TEXT * 2])[:MAX_TEXT]
    user = User(event.user.id, clean_name(event.user.name) or unnamed)
    chat = Chat(event.chat.id, event.chat.kind, clean_name(event.chat.title, MAX_TITLE))
    return replace(event, text=text, user=user, chat=chat)


async def answer(event: Event, services: Services) -> list[Action]:
    """What every transport calls: never a stack trace to the user. A database that lost its
    schema or connections (recreated under the bot) is repaired once and the event handled
    again; any other failure is logged (class and frames only) and apologised for."""
    for attempt in (1, 2):
        try:
            return await handle_event(event, services)
        except Exception as exc:
            if attempt == 1 and await services.db.recover(exc):
                continue
            log.exception("handler failed chat=%s", event.chat.id)
            break
    text = services.content.text("handler_failed")
    if event.callback_id:
        return [AnswerButton(event.callback_id, text, alert=True)]
    return [SendText(text)]


async def handle_event(event: Event, services: Services) -> list[Action]:
    """One event through the router, in one unit of work; failures propagate (see `answer`)."""
    event = clean_event(event, services.content.text("unnamed_user", id=event.user.id))
    async with services.db.session() as session:
        if event.member_change is not None:
            actions = await roster.on_member_change(session, event, services)
        elif event.button_data is not None:
            actions = await _on_button(session, event, services)
        elif event.text is None and event.attachment is not None:
            actions = await _on_attachment(session, event, services)
        else:
            actions = await _on_text(session, event, services)
    log.info(
        "event chat=%s kind=%s button=%s actions=%d",
        event.chat.kind,
        "button" if event.is_button else event.attachment or "text",
        (event.button_data or "")[:2],
        len(actions),
    )
    return actions


async def _on_attachment(session: AsyncSession, event: Event, services: Services) -> list[Action]:
    """A sticker, photo or voice note: the bot reads text only. In private it says so (in a
    dialog, with the question again); a group is never answered, to keep it quiet."""
    if event.chat.kind == "group":
        return []
    state = await services.engine.current(session, event.chat.id, event.user.id)
    if state is not None:
        return services.engine.ask(state, notice=services.content.text("attachment_in_dialog"))
    return [SendText(services.content.text("attachment_hint"))]


async def _on_text(session: AsyncSession, event: Event, services: Services) -> list[Action]:
    text = (event.text or "").strip()
    command = parse_command(text)
    if command is not None:
        name, args = command
        handler = COMMANDS.get(name)
        if handler is None:
            return [SendText(services.content.text("unknown_command"))]
        return await handler(session, event, services, args)
    state = await services.engine.current(session, event.chat.id, event.user.id)
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
    button = buttons.unpack(event.button_data or "", KINDS)
    if isinstance(button, buttons.DialogPress):
        pressed = DialogButton.of(button)
        if pressed is not None:
            state = await services.engine.current(session, event.chat.id, event.user.id)
            return await services.engine.press(session, event, state, pressed)
    if button is None or isinstance(button, buttons.DialogPress):
        return [AnswerButton(event.callback_id or "", services.content.text("button_invalid"))]
    actions = await BUTTONS[type(button)](session, event, services, button)
    if not any(isinstance(action, AnswerButton) for action in actions):
        actions.insert(0, AnswerButton(event.callback_id or ""))  # stop the spinner
    return actions


async def _on_branch_pick(
    session: AsyncSession, event: Event, services: Services, button: buttons.BranchPick
) -> list[Action]:
    """A branch picked in private: its command runs as if typed with the branch's name."""
    branch = await session.get(Branch, button.branch_id)
    mine = branch is not None and await branches.is_secretary(session, branch.id, event.user.id)
    if branch is None or not mine or event.chat.kind != "private":
        return [AnswerButton(event.callback_id or "", services.content.text("no_permission"))]
    return await COMMANDS[button.command](session, event, services, branch.name)


async def _cancel(session: AsyncSession, event: Event, services: Services, _: str) -> list[Action]:
    state = await services.engine.current(session, event.chat.id, event.user.id)
    if state is None:
        return [SendText(services.content.text("no_dialog"))]
    await services.engine.drop(session, event.chat.id, event.user.id)
    return [SendText(services.content.text("cancelled"))]


async def _back(session: AsyncSession, event: Event, services: Services, _: str) -> list[Action]:
    state = await services.engine.current(session, event.chat.id, event.user.id)
    if state is None:
        return [SendText(services.content.text("no_dialog"))]
    return await services.engine.back(session, event, state)


async def _skip(session: AsyncSession, event: Event, services: Services, _: str) -> list[Action]:
    state = await services.engine.current(session, event.chat.id, event.user.id)
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
    "merge": ledger_merge.merge_command,
    "export": ledger_view.export,
    "ask": ask.ask_command,
    "dues": dues.dues_command,
    "bind": groups.bind,
    "join": groups.join,
    "rename": groups.rename,
    "plans": plans_view.show_plans,
    "selfcheck": selfcheck.show,
    "themeday": themeday.themeday,
    "meetings": meetings.meetings,
    "records": meeting_records.show,
    "attendance": attendance_review.show,
    "myattendance": attendance_review.mine,
    "roster": roster.roster,
}

# Each kind of button and the handler it goes to (bot/buttons.py).
BUTTONS: dict[type[buttons.ButtonData], ButtonHandler] = {
    buttons.MenuStep: menu.pick_step,
    buttons.ResumeRunning: menu.on_resume_choice,
    buttons.RestartWith: menu.on_resume_choice,
    buttons.LedgerList: ledger_view.on_button,
    buttons.LedgerCard: ledger_view.on_button,
    buttons.LedgerEdit: ledger_view.on_button,
    buttons.LedgerField: ledger_view.on_button,
    buttons.MergeAsk: ledger_merge.on_button,
    buttons.MergeConfirm: ledger_merge.on_button,
    buttons.KnowledgeEntry: ask.on_button,
    buttons.KnowledgeOfStep: ask.on_button,
    buttons.JoinCategory: groups.on_button,
    buttons.PlansList: plans_view.on_button,
    buttons.PlanCard: plans_view.on_button,
    buttons.SelfCheckStart: selfcheck.on_button,
    buttons.AttendancePress: attendance.on_button,
    buttons.BindBranch: groups.on_bind_button,
    buttons.BranchPick: _on_branch_pick,
    buttons.AttendanceOwn: attendance.on_own_button,
    buttons.AttendanceView: attendance_review.on_view_button,
    buttons.Nudge: attendance_review.on_nudge_button,
    buttons.ConfirmAttendance: attendance_review.on_confirm_button,
    buttons.ConfirmMember: attendance_review.on_confirm_button,
    buttons.MeetingsConfirm: meetings.on_confirm,
    buttons.RecordStart: meeting_records.on_start,
}
KINDS = (buttons.DialogPress, *BUTTONS)  # every kind a press may be
# A confirmed "放弃并重新开始" re-runs the original button with force=True.
menu.RESTARTABLE.update(
    {
        buttons.MenuStep: menu.pick_step,
        buttons.LedgerField: ledger_view.on_button,
        buttons.SelfCheckStart: selfcheck.on_button,
        buttons.RecordStart: meeting_records.on_start,
    }
)
