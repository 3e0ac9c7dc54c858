"""Theme-day attendance as members give it: the reminder message with its live counts, and
参加 / 请假 by button or by a text reply. What secretaries read and confirm afterwards is in
`bot.attendance_review`.

A press is checked against the group it came from: the event must belong to the branch that
group is bound to, and must not have started; the presser joins the roster by pressing.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import AttendanceOwn, AttendancePress
from bot.contract import Action, AnswerButton, Button, EditText, Event, Messenger, SendText, User
from bot.rules import attendance_press as press_rule
from bot.rules.attendance_reply import ATTEND, LEAVE, NONE, UNSURE, Lexicon, read_reply
from bot.services import Core, Services
from knowledge.content import KNOWLEDGE_DIR, Content, read_yaml
from storage import attendance, groups, replies, schedule
from storage.attendance import ReminderView
from storage.db import Database
from storage.models import Event as EventRow

log = logging.getLogger(__name__)

PREFIX = "a"
CODES = {"y": ATTEND, "n": LEAVE}
REFUSALS = {
    press_rule.OTHER_GROUP: "attendance_other_group",
    press_rule.CLOSED: "attendance_closed",
}
SEND_GRACE_SECONDS = 600
MIN_EDIT_SECONDS = 3.0  # a group takes 20 messages a minute: edits of one message stay below
LEXICON = Lexicon.of(read_yaml(KNOWLEDGE_DIR / "attendance.yaml"))


def local_when(event: EventRow | ReminderView, tz: str, content: Content) -> str:
    local = event.starts_at.astimezone(ZoneInfo(tz))
    weekday = content.messages["reminder"]["weekdays"][local.weekday()]
    return f"{local.month}月{local.day}日（{weekday}）{local:%H:%M}"


def time_left(starts_at: datetime, now: datetime, content: Content) -> str:
    """Whole days or hours, counted from a moment a few minutes early: a reminder due three
    days before, sent by a tick 20 s later, still says 还有3天."""
    texts = content.messages["reminder"]
    seconds = (starts_at - now).total_seconds() + SEND_GRACE_SECONDS
    if seconds >= 86_400:
        return texts["left_days"].format(days=int(seconds // 86_400))
    if seconds >= 3_600:
        return texts["left_hours"].format(hours=int(seconds // 3_600))
    return texts["left_soon"]


def event_name(kind: str, content: Content) -> str:
    """What an event is called in its reminders and notices: 支部主题党日, 支部委员会会议 …"""
    if kind == "theme_day":
        return str(content.messages["reminder"]["theme_day"])
    words = content.organisational_life["kinds"].get(kind)
    return str(words["name"]) if words else str(content.messages["reminder"]["theme_day"])


def reminder_text(view: ReminderView, core: Core, now: datetime) -> SendText:
    """The reminder as the group sees it, with the current counts and the two buttons; a
    theme day that holds the quarter's 党员大会 says so."""
    content = core.content
    texts = content.messages["reminder"]
    tz = view.timezone or core.settings.timezone
    title = texts["moved_title"] if view.status == "moved" else texts["title"]
    what = event_name(view.kind, content)
    default_theme = texts["default_theme"] if view.kind == "theme_day" else what
    lines = [
        title.format(what=what, branch=view.branch_name),
        texts["when"].format(
            when=local_when(view, tz, content), left=time_left(view.starts_at, now, content)
        ),
        texts["theme"].format(theme=view.theme or default_theme),
    ]
    held = [event_name(kind, content) for kind in view.meetings or [] if kind != view.kind]
    if held:
        lines.append(texts["also"].format(meetings="、".join(held)))
    if view.place:
        lines.append(texts["place"].format(place=view.place))
    if view.online_link:
        lines.append(texts["online"].format(online=view.online_link))
    if view.agenda:
        lines.append(texts["agenda"].format(agenda="、".join(map(str, view.agenda))))
    lines.append(texts["counts"].format(attend=view.attend, leave=view.leave, silent=view.silent))
    lines.append(texts["hint"])
    return SendText("\n".join(lines), answer_buttons(core.content, view.event_id))


def answer_buttons(content: Content, event_id: int) -> tuple[tuple[Button, ...], ...]:
    """✅ 参加 and 📝 请假 for one event: under its reminder and under a change announced."""
    texts = content.messages["reminder"]
    return (
        (
            Button(texts["attend"], AttendancePress(event_id, "y").pack()),
            Button(texts["leave"], AttendancePress(event_id, "n").pack()),
        ),
    )


async def render_reminder(
    session: AsyncSession, services: Services, event: EventRow, now: datetime
) -> SendText:
    view = await attendance.load_reminder_view(session, event.id)
    assert view is not None
    return reminder_text(view, services.core, now)


class LiveCounts:
    """Coalesces count edits of one reminder message: however many members press at once,
    the message is edited at most every MIN_EDIT_SECONDS, always with the latest counts.

    Counting is work for the database, so the edits of many groups are spread out (a random
    first delay) and done one at a time: they never crowd out the presses they report."""

    def __init__(self, core: Core, messenger: Messenger) -> None:
        self.core = core
        self.messenger = messenger
        self.scheduled: dict[tuple[str, int], asyncio.Task[None]] = {}  # (chat, message)
        self.last: dict[tuple[str, int], float] = {}
        self.one_at_a_time = asyncio.Semaphore(1)

    def touch(self, chat_id: str, message_id: int, event_id: int) -> None:
        key = (chat_id, message_id)
        if key in self.scheduled:
            return  # the edit already scheduled will read the counts as they are then
        first = 0.5 + random.random()
        wait = max(first, self.last.get(key, 0.0) + MIN_EDIT_SECONDS - time.monotonic())
        self.scheduled[key] = asyncio.create_task(self._edit(key, event_id, wait))

    async def _edit(self, key: tuple[str, int], event_id: int, wait: float) -> None:
        await asyncio.sleep(wait)
        try:
            async with self.one_at_a_time:
                self.scheduled.pop(key, None)  # presses from now on schedule the next edit
                self.last[key] = time.monotonic()
                view = await self.core.db.read(attendance.reminder_view, event_id)
                if view is None:
                    return
                shown = reminder_text(view, self.core, self.core.clock())
            # Sent outside the semaphore: a rate wait blocks no counting.
            await self.messenger.send(key[0], EditText(key[1], shown.text, shown.buttons))
        except Exception:
            log.exception("live count edit failed chat=%s", key[0])

    async def flush(self) -> None:
        """Waits for the scheduled edits (tests, and a clean shutdown)."""
        while self.scheduled:
            await asyncio.gather(*list(self.scheduled.values()), return_exceptions=True)


async def _group_event(
    session: AsyncSession, event: Event, services: Services, event_id: int
) -> tuple[EventRow | None, str | None]:
    """The event, if this group may answer it now; otherwise why not (a message key)."""
    row = await attendance.event_of_group(session, event_id, event.chat.id)
    if row is None:
        return None, "attendance_other_group"
    if row.status == "cancelled" or row.starts_at <= services.clock():
        return None, "attendance_closed"
    return row, None


async def _refresh(
    session: AsyncSession, services: Services, chat_id: str, event_id: int, message_id: int | None
) -> list[Action]:
    """The counts on the reminder: edited in this reply, or coalesced where the messenger
    rate-limits edits (Telegram: `Services.live_counts`)."""
    message_id = message_id or await schedule.latest_message(session, event_id, chat_id)
    if message_id is None:
        return []
    if services.live_counts is not None:
        services.live_counts.touch(chat_id, message_id, event_id)
        return []
    view = await attendance.load_reminder_view(session, event_id)
    if view is None:
        return []
    shown = reminder_text(view, services.core, services.clock())
    return [EditText(message_id, shown.text, shown.buttons)]


async def on_button(
    session: AsyncSession, event: Event, services: Services, button: AttendancePress
) -> list[Action]:
    """参加 or 请假 under a reminder in the group."""
    content = services.content
    callback = event.callback_id or ""
    event_id = button.event_id
    if event.chat.kind != "group":
        return [AnswerButton(callback, content.text("attendance_other_group"))]
    response = CODES[button.answer]
    result = await services.reply_writer.press(
        event_id, event.chat.id, event.user.id, event.user.name, response, services.clock()
    )
    if result in REFUSALS:
        return [AnswerButton(callback, content.text(REFUSALS[result]), alert=True)]
    if result == press_rule.SAME:
        return [AnswerButton(callback, content.text("attendance_same"))]
    key = "attendance_recorded_attend" if response == ATTEND else "attendance_recorded_leave"
    notice = AnswerButton(callback, content.text(key), alert=response == LEAVE)
    return [notice, *await _refresh(session, services, event.chat.id, event_id, event.message_id)]


def reply_writer(db: Database) -> replies.ReplyWriter:
    """Writes presses and replies as the press rule decides (one per process: bot/app.py)."""
    return replies.ReplyWriter(db, press_rule.decide, press_rule.Answer)


def own_button(
    label: str, event_id: int, answer: Literal["y", "n"], user: User
) -> tuple[Button, ...]:
    """A button only `user` may press; none when their id is too long to fit in one."""
    try:
        return (Button(label, AttendanceOwn(event_id, answer, user.id).pack()),)
    except ValueError:
        return ()


def recorded_for(
    content: Content, user: User, event_id: int, response: str, reason: str | None
) -> SendText:
    """What a member sees after answering in words: what was recorded for them, and the
    other answer one tap away (a button only they may press)."""
    if response == ATTEND:
        text = content.text("attendance_for_attend", name=user.name)
        change = own_button(content.text("attendance_change_to_leave"), event_id, "n", user)
    else:
        key = "attendance_for_leave" if reason else "attendance_for_leave_no_reason"
        text = content.text(key, name=user.name, reason=reason or "")
        change = own_button(content.text("attendance_change_to_attend"), event_id, "y", user)
    return SendText(text, (change,) if change else ())


def ask_back(content: Content, user: User, event_id: int) -> SendText:
    texts = content.messages["reminder"]
    choices = own_button(texts["attend"], event_id, "y", user) + own_button(
        texts["leave"], event_id, "n", user
    )
    if not choices:  # no room for the member's id: the reminder's own buttons serve
        return SendText(content.text("attendance_unclear"))
    return SendText(content.text("attendance_ask_back", name=user.name), (choices,))


async def on_own_button(
    session: AsyncSession, event: Event, services: Services, button: AttendanceOwn
) -> list[Action]:
    """A member's own one-tap change (or answer to the question back): the message becomes
    what is now recorded, and the reminder's counts follow."""
    content = services.content
    callback = event.callback_id or ""
    if event.chat.kind != "group" or event.user.id != button.user_id:
        return [AnswerButton(callback, content.text("button_not_yours"))]
    response = CODES[button.answer]
    result = await services.reply_writer.press(
        button.event_id, event.chat.id, event.user.id, event.user.name, response, services.clock()
    )
    if result in REFUSALS:
        return [AnswerButton(callback, content.text(REFUSALS[result]), alert=True)]
    shown = recorded_for(content, event.user, button.event_id, response, None)
    key = "attendance_recorded_attend" if response == ATTEND else "attendance_recorded_leave"
    actions: list[Action] = [AnswerButton(callback, content.text(key))]
    if event.message_id is not None:
        actions.append(EditText(event.message_id, shown.text, shown.buttons))
    if result == press_rule.SAME:
        return actions
    async with services.db.session() as after:  # the writer committed on its own connection
        return actions + await _refresh(after, services, event.chat.id, button.event_id, None)


async def on_reply(session: AsyncSession, event: Event, services: Services) -> list[Action] | None:
    """A text reply to a reminder ("请假，出差"); None when it replies to something else.
    Unclear replies are asked back; chatter under the reminder gets no answer."""
    if event.reply_to_message_id is None:
        return None
    reminder = await schedule.reminder_by_message(session, event.chat.id, event.reply_to_message_id)
    if reminder is None:
        return None
    content = services.content
    row, refusal = await _group_event(session, event, services, reminder.event_id)
    if row is None:
        return [SendText(content.text(refusal or "attendance_closed"))]
    text = event.text or ""
    reply = read_reply(text, LEXICON)
    response, reason = reply.response, reply.reason
    if reply.kind == UNSURE:
        return [ask_back(content, event.user, row.id)]
    if reply.kind == NONE:
        member = await groups.find_member(session, row.branch_id, event.user.id)
        previous = (await attendance.replies(session, row.id)).get(member.id) if member else None
        if previous is None or previous.response != LEAVE or previous.reason:
            return []  # not an answer: the group's own conversation
        response, reason = LEAVE, text.strip()[:200]  # the reason, after a bare 请假
    assert response is not None
    result = await services.reply_writer.press(
        row.id, event.chat.id, event.user.id, event.user.name, response, services.clock(), reason
    )
    if result in REFUSALS:  # the event began or was cancelled in the meantime
        return [SendText(content.text(REFUSALS[result]))]
    shown = recorded_for(content, event.user, row.id, response, reason)
    # The writer committed on its own connection: the counts are read in a unit of work that
    # begins after it (this handler's began before, and is not committed half-way).
    async with services.db.session() as after:
        refreshed = await _refresh(after, services, event.chat.id, row.id, None)
    return [shown, *refreshed]
