"""Theme-day attendance as secretaries read and confirm it: the day-before digest with its
nudge, the confirmation of who came, /attendance with the month's rate, and a member's own
/myattendance. Answers themselves are recorded in `bot.attendance`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.attendance import event_name, local_when
from bot.buttons import AttendanceView, ConfirmAttendance, ConfirmMember, Nudge
from bot.contract import (
    Action,
    AnswerButton,
    Button,
    EditText,
    Event,
    SendText,
    with_mentions,
)
from bot.meeting_records import monthly_notes
from bot.rules.attendance_reply import ATTEND, LEAVE
from bot.rules.percent import half_up
from bot.services import Services
from storage import attendance, branches, groups
from storage.models import Branch
from storage.models import Event as EventRow

MAX_CONFIRM_BUTTONS = 90  # Telegram shows up to 100 buttons under one message


async def render_digest(
    session: AsyncSession, services: Services, event: EventRow, now: datetime
) -> SendText:
    """The day before, in the secretary's private chat: who has not replied, and a nudge."""
    content = services.content
    branch = await session.get(Branch, event.branch_id)
    assert branch is not None
    tally = await attendance.counts(session, event.id)
    silent = await attendance.silent_members(session, event)
    tz = branch.timezone or services.settings.timezone
    lines = [
        content.text(
            "digest_title",
            branch=branch.name,
            what=event_name(event.kind, content),
            when=local_when(event, tz, services.content),
        ),
        content.text("digest_counts", attend=tally[ATTEND], leave=tally[LEAVE]),
    ]
    # The theme day's message is the secretary's monthly one: what organisational life needs.
    notes = await monthly_notes(session, branch, now, content) if event.kind == "theme_day" else []
    if not silent:
        return SendText("\n".join([*lines, content.text("digest_all_replied"), *notes]))
    names = "、".join(m.display_name for m in silent)
    lines.append(content.text("digest_silent", count=len(silent), names=names))
    button = Button(content.text("digest_nudge"), Nudge(event.id).pack())
    return SendText("\n".join([*lines, *notes]), ((button,),))


async def on_nudge_button(
    session: AsyncSession, event: Event, services: Services, button: Nudge
) -> list[Action]:
    """One message in the branch's group naming those who have not replied."""
    content = services.content
    callback = event.callback_id or ""
    row = await session.get(EventRow, button.event_id)
    allowed = row is not None and (
        services.is_admin(event.user.id)
        or await branches.is_secretary(session, row.branch_id, event.user.id)
    )
    if row is None or not allowed or event.chat.kind != "private":
        return [AnswerButton(callback, content.text("no_permission"), alert=True)]
    if row.status == "cancelled" or row.starts_at <= services.clock():
        return [AnswerButton(callback, content.text("attendance_closed"))]
    silent = await attendance.silent_members(session, row)
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
            (member.user_id, member.display_name) if member.user_id else member.display_name
        )
    head, tail = content.text(
        "nudge_text",
        names="\0",
        what=event_name(row.kind, content),
        when=local_when(row, tz, services.content),
    ).split("\0")
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
        content.text(
            "confirm_title", branch=branch.name, when=local_when(event, tz, services.content)
        ),
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
            ConfirmMember(event.id, m.id).pack(),
        )
        for m in members[:MAX_CONFIRM_BUTTONS]
    ]
    keyboard_rows = [tuple(toggles[i : i + 2]) for i in range(0, len(toggles), 2)]
    save = Button(
        content.text("confirm_save", present=present), ConfirmAttendance(event.id, "ok").pack()
    )
    return SendText("\n".join(lines), (*keyboard_rows, (save,)))


def _rate(present: int, total: int) -> int:
    return half_up(100 * present / total) if total else 0


async def on_confirm_button(
    session: AsyncSession,
    event: Event,
    services: Services,
    button: ConfirmAttendance | ConfirmMember,
) -> list[Action]:
    """Opens or saves the check, or toggles one member in it. Secretaries, in private."""
    content = services.content
    callback = event.callback_id or ""
    row = await session.get(EventRow, button.event_id)
    allowed = row is not None and (
        services.is_admin(event.user.id)
        or await branches.is_secretary(session, row.branch_id, event.user.id)
    )
    if row is None or not allowed or event.chat.kind != "private":
        return [AnswerButton(callback, content.text("no_permission"), alert=True)]
    if row.starts_at > services.clock():
        return [AnswerButton(callback, content.text("confirm_not_yet"))]
    if isinstance(button, ConfirmAttendance) and button.target == "open":
        return [AnswerButton(callback), await render_confirm(session, services, row)]
    if isinstance(button, ConfirmAttendance):
        members = list(await attendance.roster(session, row.branch_id))
        await attendance.prefill_attended(session, row.id, members)
        rows = await attendance.replies(session, row.id)
        present = sum(1 for m in members if rows.get(m.id) and rows[m.id].attended)
        text = content.text(
            "confirm_saved", present=present, total=len(members), rate=_rate(present, len(members))
        )
        return [AnswerButton(callback), SendText(text)]
    members = list(await attendance.roster(session, row.branch_id))
    member_id = button.member_id
    if member_id not in {m.id for m in members}:
        return [AnswerButton(callback, content.text("button_invalid"))]
    await attendance.prefill_attended(session, row.id, members)  # every member has a row now
    await attendance.toggle_attended(session, row.id, member_id)
    card = await render_confirm(session, services, row)
    actions: list[Action] = [AnswerButton(callback)]
    if event.message_id is not None:
        actions.append(EditText(event.message_id, card.text, card.buttons))
    else:
        actions.append(card)
    return actions


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
    silent = [m.display_name for m in members if attendance.awaits_reply(m, replied.get(m.id))]
    none = content.text("attendance_none")
    tz = branch.timezone or services.settings.timezone
    status = content.text("attendance_cancelled_mark") if row.status == "cancelled" else ""
    lines = [
        content.text(
            "attendance_title",
            branch=branch.name,
            when=local_when(row, tz, services.content),
            theme=row.theme or content.messages["reminder"]["default_theme"],
        )
        + status,
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
    # Offered: the days held and the next one; not cancelled ones, nor months still ahead.
    coming = await _nearest_event(session, branch_ids, now)
    horizon = max(now, coming.starts_at) if coming is not None else now
    others = (
        await session.execute(
            select(EventRow)
            .where(
                EventRow.branch_id.in_(branch_ids),
                EventRow.id != row.id,
                EventRow.status != "cancelled",
                EventRow.starts_at <= horizon,
            )
            .order_by(EventRow.starts_at.desc())
            .limit(6)
        )
    ).scalars()
    month = attendance.local_month(now, tz)
    rates = await attendance.monthly_rates(session, services.settings.timezone, [branch.id])
    for _, when, events, present, counted in rates:
        if when == month:
            lines.append(
                content.text("attendance_rate", rate=_rate(present, counted), events=events)
            )
    rows = [
        (Button(local_when(e, tz, services.content), AttendanceView(e.id).pack()),) for e in others
    ]
    if row.starts_at <= now:
        confirm = Button(content.text("confirm_button"), ConfirmAttendance(row.id, "open").pack())
        rows.insert(0, (confirm,))
    return SendText("\n".join(lines), tuple(rows))


async def on_view_button(
    session: AsyncSession, event: Event, services: Services, button: AttendanceView
) -> list[Action]:
    """From /attendance: the same permission check as the command."""
    return await show(session, event, services, str(button.event_id))


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
                when=local_when(row, tz, services.content),
                branch=branch.name if branch else "",
                response=response,
            )
        )
    return [SendText("\n".join(lines))]
