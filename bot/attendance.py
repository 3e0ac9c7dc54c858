"""Theme-day attendance: the reminder message with its live counts, 参加 / 请假 by button or by
a text reply, and what secretaries (/attendance) and members (/myattendance) can read.

A press is checked against the group it came from: the event must belong to the branch that
group is bound to, and must not have started; the presser joins the roster by pressing.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.contract import Action, AnswerButton, Button, EditText, Event, SendText, with_mentions
from bot.rules.attendance_reply import ATTEND, LEAVE, read_reply
from bot.rules.percent import half_up
from bot.services import Services
from knowledge.content import KNOWLEDGE_DIR, read_yaml
from storage import attendance, branches, groups, replies, schedule
from storage.models import Branch, Member
from storage.models import Event as EventRow

log = logging.getLogger(__name__)

PREFIX = "a"
VIEW_PREFIX = "v"
NUDGE_PREFIX = "n"
CONFIRM_PREFIX = "c"
MAX_CONFIRM_BUTTONS = 90  # Telegram shows up to 100 buttons under one message
CODES = {"y": ATTEND, "n": LEAVE}
REFUSALS = {"other_group": "attendance_other_group", "closed": "attendance_closed"}
MIN_EDIT_SECONDS = 3.0  # a group takes 20 messages a minute: edits of one message stay below
LEXICON = read_yaml(KNOWLEDGE_DIR / "attendance.yaml")


def local_when(event: EventRow, tz: str, services: Services) -> str:
    local = event.starts_at.astimezone(ZoneInfo(tz))
    weekday = services.content.messages["reminder"]["weekdays"][local.weekday()]
    return f"{local.month}月{local.day}日（{weekday}）{local:%H:%M}"


def time_left(event: EventRow, now: datetime, services: Services) -> str:
    texts = services.content.messages["reminder"]
    seconds = (event.starts_at - now).total_seconds()
    if seconds >= 86_400:
        return texts["left_days"].format(days=int(seconds // 86_400))
    if seconds >= 3_600:
        return texts["left_hours"].format(hours=int(seconds // 3_600))
    return texts["left_soon"]


async def render_reminder(
    session: AsyncSession, services: Services, event: EventRow, now: datetime
) -> SendText:
    """The reminder as the group sees it, with the current counts and the two buttons."""
    texts = services.content.messages["reminder"]
    branch = await session.get(Branch, event.branch_id)
    assert branch is not None
    tz = branch.timezone or services.settings.timezone
    tally = await attendance.tally(session, event.id, branch.id)
    lines = [
        (texts["moved"] if event.status == "moved" else "")
        + texts["title"].format(branch=branch.name),
        texts["when"].format(
            when=local_when(event, tz, services), left=time_left(event, now, services)
        ),
        texts["theme"].format(theme=event.theme or texts["default_theme"]),
    ]
    if event.place:
        lines.append(texts["place"].format(place=event.place))
    if event.online_link:
        lines.append(texts["online"].format(online=event.online_link))
    if event.agenda:
        lines.append(texts["agenda"].format(agenda="、".join(map(str, event.agenda))))
    lines.append(
        texts["counts"].format(attend=tally[ATTEND], leave=tally[LEAVE], silent=tally["silent"])
    )
    lines.append(texts["hint"])
    buttons = (
        (
            Button(texts["attend"], f"{PREFIX}:{event.id}:y"),
            Button(texts["leave"], f"{PREFIX}:{event.id}:n"),
        ),
    )
    return SendText("\n".join(lines), buttons)


async def silent_members(session: AsyncSession, event: EventRow) -> list[Member]:
    """Roster members who have not replied to the event."""
    replied = await attendance.replies(session, event.id)
    members = await attendance.roster(session, event.branch_id)
    return [m for m in members if m.id not in replied or replied[m.id].response is None]


async def render_digest(
    session: AsyncSession, services: Services, event: EventRow, now: datetime
) -> SendText:
    """The day before, in the secretary's private chat: who has not replied, and a nudge."""
    content = services.content
    branch = await session.get(Branch, event.branch_id)
    assert branch is not None
    tally = await attendance.counts(session, event.id)
    silent = await silent_members(session, event)
    tz = branch.timezone or services.settings.timezone
    lines = [
        content.text("digest_title", branch=branch.name, when=local_when(event, tz, services)),
        content.text("digest_counts", attend=tally[ATTEND], leave=tally[LEAVE]),
    ]
    if not silent:
        return SendText("\n".join([*lines, content.text("digest_all_replied")]))
    names = "、".join(m.display_name for m in silent)
    lines.append(content.text("digest_silent", count=len(silent), names=names))
    button = Button(content.text("digest_nudge"), f"{NUDGE_PREFIX}:{event.id}")
    return SendText("\n".join(lines), ((button,),))


async def on_nudge_button(
    session: AsyncSession, event: Event, services: Services, data: str
) -> list[Action]:
    """`n:<event>`: one message in the branch's group naming those who have not replied."""
    content = services.content
    callback = event.callback_id or ""
    event_id = data.removeprefix(f"{NUDGE_PREFIX}:")
    if not event_id.isdigit() or len(event_id) > 12:
        return [AnswerButton(callback, content.text("button_invalid"))]
    row = await session.get(EventRow, int(event_id))
    allowed = row is not None and (
        services.is_admin(event.user.id)
        or await branches.is_secretary(session, row.branch_id, event.user.id)
    )
    if row is None or not allowed or event.chat.kind != "private":
        return [AnswerButton(callback, content.text("no_permission"), alert=True)]
    if row.status == "cancelled" or row.starts_at <= services.clock():
        return [AnswerButton(callback, content.text("attendance_closed"))]
    silent = await silent_members(session, row)
    if not silent:
        return [AnswerButton(callback, content.text("nudge_nobody"))]
    chats = await groups.active_chats(session, row.branch_id)
    if not chats:
        return [AnswerButton(callback, content.text("nudge_no_group"))]
    branch = await session.get(Branch, row.branch_id)
    tz = (branch.timezone if branch else None) or services.settings.timezone
    names: list[str | tuple[int, str]] = []
    for member in silent:  # those on Telegram are mentioned, so they get a notification
        names += ["、"] if names else []
        names.append(
            (member.telegram_user_id, member.display_name)
            if member.telegram_user_id
            else member.display_name
        )
    head, tail = content.text("nudge_text", names="\0", when=local_when(row, tz, services)).split(
        "\0"
    )
    text, mentions = with_mentions([head, *names, tail])
    return [
        AnswerButton(callback, content.text("nudge_done", count=len(silent))),
        *(SendText(text, chat_id=chat_id, mentions=mentions) for chat_id in chats),
    ]


async def render_confirm(session: AsyncSession, services: Services, event: EventRow) -> SendText:
    """After the event: the roster as toggles, pre-filled from the replies."""
    content = services.content
    branch = await session.get(Branch, event.branch_id)
    assert branch is not None
    members = list(await attendance.roster(session, branch.id))
    await attendance.prefill_attended(session, event.id, members)
    rows = await attendance.replies(session, event.id)
    present = sum(1 for m in members if rows.get(m.id) and rows[m.id].attended)
    tz = branch.timezone or services.settings.timezone
    lines = [
        content.text("confirm_title", branch=branch.name, when=local_when(event, tz, services)),
        content.text("confirm_hint"),
        content.text(
            "confirm_summary",
            present=present,
            total=len(members),
            rate=_rate(present, len(members)),
        ),
    ]
    toggles = [
        Button(
            ("✅ " if rows.get(m.id) and rows[m.id].attended else "⬜ ") + m.display_name[:12],
            f"{CONFIRM_PREFIX}:{event.id}:{m.id}",
        )
        for m in members[:MAX_CONFIRM_BUTTONS]
    ]
    keyboard_rows = [tuple(toggles[i : i + 2]) for i in range(0, len(toggles), 2)]
    save = Button(content.text("confirm_save", present=present), f"{CONFIRM_PREFIX}:{event.id}:ok")
    return SendText("\n".join(lines), (*keyboard_rows, (save,)))


def _rate(present: int, total: int) -> int:
    return half_up(100 * present / total) if total else 0


async def on_confirm_button(
    session: AsyncSession, event: Event, services: Services, data: str
) -> list[Action]:
    """`c:<event>:<member>` toggles one member; `c:<event>:ok` saves. Secretaries, in private."""
    content = services.content
    callback = event.callback_id or ""
    parts = data.split(":")
    if (
        len(parts) != 3
        or not parts[1].isdigit()
        or len(parts[1]) > 12
        or not ((parts[2].isdigit() and len(parts[2]) <= 12) or parts[2] in ("ok", "open"))
    ):
        return [AnswerButton(callback, content.text("button_invalid"))]
    row = await session.get(EventRow, int(parts[1]))
    allowed = row is not None and (
        services.is_admin(event.user.id)
        or await branches.is_secretary(session, row.branch_id, event.user.id)
    )
    if row is None or not allowed or event.chat.kind != "private":
        return [AnswerButton(callback, content.text("no_permission"), alert=True)]
    if row.starts_at > services.clock():
        return [AnswerButton(callback, content.text("confirm_not_yet"))]
    if parts[2] == "open":
        return [AnswerButton(callback), await render_confirm(session, services, row)]
    if parts[2] == "ok":
        members = list(await attendance.roster(session, row.branch_id))
        await attendance.prefill_attended(session, row.id, members)
        rows = await attendance.replies(session, row.id)
        present = sum(1 for m in members if rows.get(m.id) and rows[m.id].attended)
        text = content.text(
            "confirm_saved", present=present, total=len(members), rate=_rate(present, len(members))
        )
        return [AnswerButton(callback), SendText(text)]
    members = list(await attendance.roster(session, row.branch_id))
    if int(parts[2]) not in {m.id for m in members}:
        return [AnswerButton(callback, content.text("button_invalid"))]
    await attendance.prefill_attended(session, row.id, members)  # every member has a row now
    await attendance.toggle_attended(session, row.id, int(parts[2]))
    card = await render_confirm(session, services, row)
    actions: list[Action] = [AnswerButton(callback)]
    if event.message_id is not None:
        actions.append(EditText(event.message_id, card.text, card.buttons))
    else:
        actions.append(card)
    return actions


class LiveCounts:
    """Coalesces count edits of one reminder message: however many members press at once,
    the message is edited at most every MIN_EDIT_SECONDS, always with the latest counts.

    Counting is work for the database, so the edits of many groups are spread out (a random
    first delay) and done one at a time: they never crowd out the presses they report."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.scheduled: dict[tuple[int, int], asyncio.Task[None]] = {}
        self.last: dict[tuple[int, int], float] = {}
        self.one_at_a_time = asyncio.Semaphore(1)

    def touch(self, chat_id: int, message_id: int, event_id: int) -> None:
        key = (chat_id, message_id)
        if key in self.scheduled:
            return  # the edit already scheduled will read the counts as they are then
        first = 0.5 + random.random()
        wait = max(first, self.last.get(key, 0.0) + MIN_EDIT_SECONDS - time.monotonic())
        self.scheduled[key] = asyncio.create_task(self._edit(key, event_id, wait))

    async def _edit(self, key: tuple[int, int], event_id: int, wait: float) -> None:
        await asyncio.sleep(wait)
        try:
            async with self.one_at_a_time:
                self.scheduled.pop(key, None)  # presses from now on schedule the next edit
                self.last[key] = time.monotonic()
                async with self.services.db.session() as session:
                    event = await session.get(EventRow, event_id)
                    if event is None:
                        return
                    shown = await render_reminder(
                        session, self.services, event, self.services.clock()
                    )
            outbound = self.services.outbound  # sent outside: a rate wait blocks no counting
            if outbound is not None:
                await outbound.send(key[0], EditText(key[1], shown.text, shown.buttons))
        except Exception:
            log.exception("live count edit failed chat=%s", key[0])

    async def flush(self) -> None:
        """Waits for the scheduled edits (tests, and a clean shutdown)."""
        while self.scheduled:
            await asyncio.gather(*list(self.scheduled.values()), return_exceptions=True)


def live_counts(services: Services) -> LiveCounts:
    if services.live_counts is None:
        services.live_counts = LiveCounts(services)
    return services.live_counts  # type: ignore[no-any-return]


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
    session: AsyncSession, services: Services, chat_id: int, event_id: int, message_id: int | None
) -> list[Action]:
    """The counts on the reminder: edited now in the console, coalesced on Telegram."""
    message_id = message_id or await schedule.latest_message(session, event_id, chat_id)
    if message_id is None:
        return []
    if services.outbound is None:
        row = await session.get(EventRow, event_id)
        if row is None:
            return []
        shown = await render_reminder(session, services, row, services.clock())
        return [EditText(message_id, shown.text, shown.buttons)]
    live_counts(services).touch(chat_id, message_id, event_id)
    return []


async def on_button(
    session: AsyncSession, event: Event, services: Services, data: str
) -> list[Action]:
    """`a:<event>:y|n` under a reminder in the group."""
    content = services.content
    callback = event.callback_id or ""
    parts = data.split(":")
    if len(parts) != 3 or not parts[1].isdigit() or len(parts[1]) > 12 or parts[2] not in CODES:
        return [AnswerButton(callback, content.text("button_invalid"))]
    if event.chat.kind != "group":
        return [AnswerButton(callback, content.text("attendance_other_group"))]
    event_id, response = int(parts[1]), CODES[parts[2]]
    result = await reply_writer(services).press(
        event_id, event.chat.id, event.user.id, event.user.name, response, services.clock()
    )
    if result in REFUSALS:
        return [AnswerButton(callback, content.text(REFUSALS[result]), alert=True)]
    if result == replies.SAME:
        return [AnswerButton(callback, content.text("attendance_same"))]
    key = "attendance_recorded_attend" if response == ATTEND else "attendance_recorded_leave"
    notice = AnswerButton(callback, content.text(key), alert=response == LEAVE)
    return [notice, *await _refresh(session, services, event.chat.id, event_id, event.message_id)]


def reply_writer(services: Services) -> replies.ReplyWriter:
    if services.reply_writer is None:
        services.reply_writer = replies.ReplyWriter(services.db)
    return services.reply_writer  # type: ignore[no-any-return]


async def on_reply(session: AsyncSession, event: Event, services: Services) -> list[Action] | None:
    """A text reply to a reminder ("请假，出差"); None when it replies to something else."""
    if event.reply_to_message_id is None:
        return None
    reminder = await schedule.reminder_by_message(session, event.chat.id, event.reply_to_message_id)
    if reminder is None:
        return None
    content = services.content
    row, refusal = await _group_event(session, event, services, reminder.event_id)
    if row is None:
        return [SendText(content.text(refusal or "attendance_closed"))]
    reply = read_reply(event.text or "", LEXICON, services.knowledge.segmenter.jieba.lcut)
    response, reason = reply.response, reply.reason
    if response is None:
        member = await groups.find_member(session, row.branch_id, event.user.id)
        previous = (await attendance.replies(session, row.id)).get(member.id) if member else None
        if previous is None or previous.response != LEAVE or previous.reason:
            return [SendText(content.text("attendance_unclear"))]
        response, reason = LEAVE, (event.text or "").strip()[:200]  # the reason after 请假
    result = await reply_writer(services).press(
        row.id, event.chat.id, event.user.id, event.user.name, response, services.clock(), reason
    )
    if result in REFUSALS:  # the event began or was cancelled in the meantime
        return [SendText(content.text(REFUSALS[result]))]
    await session.commit()  # the counts below are read after the writer's commit
    if response == LEAVE and reason:
        text = content.text("attendance_reason_saved", reason=reason)
    else:
        key = "attendance_recorded_attend" if response == ATTEND else "attendance_recorded_leave"
        text = content.text(key)
    return [SendText(text), *await _refresh(session, services, event.chat.id, row.id, None)]


# ----- reading it --------------------------------------------------------------------------


async def _visible_branches(
    session: AsyncSession, event: Event, services: Services
) -> list[Branch]:
    if services.is_admin(event.user.id):
        return list((await session.execute(select(Branch).order_by(Branch.id))).scalars())
    return list(await branches.branches_of(session, event.user.id))


async def show(session: AsyncSession, event: Event, services: Services, args: str) -> list[Action]:
    """/attendance [event id]: coming, on leave with reasons, no reply; secretaries only."""
    content = services.content
    if event.chat.kind != "private":
        return [SendText(content.text("attendance_private"))]
    mine = await _visible_branches(session, event, services)
    if not mine:
        return [SendText(content.text("attendance_no_branch"))]
    ids = {b.id for b in mine}
    now = services.clock()
    if args.strip().isdigit() and len(args.strip()) < 12:
        chosen = await session.get(EventRow, int(args.strip()))
        if chosen is None or chosen.branch_id not in ids:
            return [SendText(content.text("no_permission"))]
    else:
        chosen = await _nearest_event(session, ids, now)
        if chosen is None:
            return [SendText(content.text("attendance_no_event"))]
    return [await attendance_card(session, services, chosen, ids, now)]


async def _nearest_event(
    session: AsyncSession, branch_ids: set[int], now: datetime
) -> EventRow | None:
    """The next theme day, or else the latest one held."""
    base = select(EventRow).where(
        EventRow.branch_id.in_(branch_ids), EventRow.status != "cancelled"
    )
    upcoming = await session.execute(
        base.where(EventRow.starts_at > now).order_by(EventRow.starts_at).limit(1)
    )
    found = upcoming.scalar_one_or_none()
    if found is not None:
        return found
    past = await session.execute(base.order_by(EventRow.starts_at.desc()).limit(1))
    return past.scalar_one_or_none()


async def attendance_card(
    session: AsyncSession, services: Services, row: EventRow, branch_ids: set[int], now: datetime
) -> SendText:
    content = services.content
    branch = await session.get(Branch, row.branch_id)
    assert branch is not None
    members = await attendance.roster(session, branch.id)
    replied = await attendance.replies(session, row.id)
    names = {m.id: m.display_name for m in members}
    coming = [names.get(i, "?") for i, a in replied.items() if a.response == ATTEND]
    leave = [(names.get(i, "?"), a.reason) for i, a in replied.items() if a.response == LEAVE]
    silent = [
        m.display_name for m in members if m.id not in replied or replied[m.id].response is None
    ]
    none = content.text("attendance_none")
    tz = branch.timezone or services.settings.timezone
    lines = [
        content.text(
            "attendance_title",
            branch=branch.name,
            when=local_when(row, tz, services),
            theme=row.theme or content.messages["reminder"]["default_theme"],
        ),
        content.text("attendance_attend", count=len(coming), names="、".join(coming) or none),
        content.text("attendance_leave", count=len(leave)),
        *(
            content.text(
                "attendance_leave_line",
                name=name,
                reason=reason or content.text("attendance_no_reason"),
            )
            for name, reason in leave
        ),
        content.text("attendance_silent", count=len(silent), names="、".join(silent) or none),
    ]
    others = (
        await session.execute(
            select(EventRow)
            .where(EventRow.branch_id.in_(branch_ids), EventRow.id != row.id)
            .order_by(EventRow.starts_at.desc())
            .limit(6)
        )
    ).scalars()
    month = (now + timedelta(hours=8)).strftime("%Y-%m")
    for _, when, events, present, counted in await attendance.monthly_rates(session, [branch.id]):
        if when == month:
            lines.append(
                content.text("attendance_rate", rate=_rate(present, counted), events=events)
            )
    rows = [(Button(local_when(e, tz, services), f"{VIEW_PREFIX}:{e.id}"),) for e in others]
    if row.starts_at <= now:
        confirm = Button(content.text("confirm_button"), f"{CONFIRM_PREFIX}:{row.id}:open")
        rows.insert(0, (confirm,))
    return SendText("\n".join(lines), tuple(rows))


async def on_view_button(
    session: AsyncSession, event: Event, services: Services, data: str
) -> list[Action]:
    """`v:<event>` from /attendance: the same permission check as the command."""
    event_id = data.removeprefix(f"{VIEW_PREFIX}:")
    if not event_id.isdigit() or len(event_id) > 12:
        return [AnswerButton(event.callback_id or "", services.content.text("button_invalid"))]
    return await show(session, event, services, event_id)


async def mine(session: AsyncSession, event: Event, services: Services, _: str) -> list[Action]:
    """/myattendance: one's own replies, in private (a member's own data only)."""
    content = services.content
    rows = await attendance.history(session, event.user.id)
    if not rows:
        return [SendText(content.text("myattendance_empty"))]
    labels = content.messages["response_labels"]
    lines = [content.text("myattendance_title", count=len(rows))]
    for row, answer in rows:
        branch = await session.get(Branch, row.branch_id)
        tz = (branch.timezone if branch else None) or services.settings.timezone
        response = labels.get(answer.response or "", "")
        if answer.response == LEAVE and answer.reason:
            response += f"（{answer.reason}）"
        lines.append(
            content.text(
                "myattendance_line",
                when=local_when(row, tz, services),
                branch=branch.name if branch else "",
                response=response,
            )
        )
    return [SendText("\n".join(lines))]
