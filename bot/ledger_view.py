"""/ledger: the organisations a user registered (all of them for 工委 admins), and editing one.

The ledger holds personal information, so every view and edit checks who is asking, and
none of it is shown in a group chat.
"""

from __future__ import annotations

from itertools import groupby

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import LedgerCard, LedgerEdit, LedgerField, LedgerList
from bot.contract import Action, AnswerButton, Button, Event, SendFile, SendText
from bot.menu import start_flow
from bot.organisations import coverage_status, place_of, suspected_duplicates
from bot.services import Services
from bot.steps import survey
from storage import ledger
from storage.models import Organisation

MAX_LISTED_CHARS = 3000  # a Telegram message holds 4096 characters
MAX_BUTTONS = 20


async def may_see(
    session: AsyncSession, org: Organisation, user_id: str, services: Services
) -> bool:
    """Admins, and whoever entered this record or one merged into it."""
    return services.is_admin(user_id) or await ledger.is_registrant(session, org, user_id)


def group_label(org: Organisation) -> str:
    return f"{org.kind}｜{place_of(org)}"


async def _visible(
    session: AsyncSession, event: Event, services: Services
) -> tuple[list[Organisation], list[Action]]:
    """The records this user may see, or why none are shown (a group chat, an empty ledger)."""
    if event.chat.kind != "private":
        return [], [SendText(services.content.text("ledger_private"))]
    scope = None if services.is_admin(event.user.id) else event.user.id
    orgs = list(await ledger.list_organisations(session, registered_by=scope))
    if not orgs:
        return [], [SendText(services.content.text("ledger_empty"))]
    return orgs, []


async def show_ledger(
    session: AsyncSession, event: Event, services: Services, _: str = ""
) -> list[Action]:
    """Organisations by county, then park or supervising body, with a button per record."""
    content = services.content
    orgs, refusal = await _visible(session, event, services)
    if refusal:
        return refusal
    order = {name: i for i, name in enumerate(content.counties)}
    orgs.sort(key=lambda o: (order.get(o.county, len(order)), o.county, group_label(o), o.id))
    lines = [content.text("ledger_title", count=len(orgs))]
    repeated = suspected_duplicates(orgs, content)
    for county, in_county in groupby(orgs, key=lambda o: o.county):
        lines.append(content.text("ledger_county", county=county))
        for group, members in groupby(in_county, key=group_label):
            lines.append(content.text("ledger_group", group=group))
            lines += [_line(org, services, repeated.get(org.id)) for org in members]
    if repeated:
        admin = services.is_admin(event.user.id)
        lines.append(content.text("ledger_repeated_admin" if admin else "ledger_repeated"))
    text = "\n".join(lines)
    if len(text) > MAX_LISTED_CHARS:
        text = text[:MAX_LISTED_CHARS].rsplit("\n", 1)[0] + "\n……（完整台账请导出表格）"
    recent = sorted(orgs, key=lambda o: o.id, reverse=True)[:MAX_BUTTONS]
    buttons = tuple((Button(f"#{o.id} {o.name[:20]}", LedgerCard(o.id).pack()),) for o in recent)
    return [SendText(text), SendText(content.text("ledger_pick"), buttons)]


async def export(
    session: AsyncSession, event: Event, services: Services, _: str = ""
) -> list[Action]:
    """The ledger as .xlsx, sent as a document: the user's own records, all of them for admins."""
    from bot.exports.ledger import ledger_workbook  # openpyxl only when someone exports

    content = services.content
    orgs, refusal = await _visible(session, event, services)
    if refusal:
        return refusal
    data = ledger_workbook(orgs, content, services.settings.timezone)
    caption = content.text("export_caption", count=len(orgs))
    return [SendFile(content.text("export_filename"), data, caption)]


def _line(org: Organisation, services: Services, repeats: list[int] | None) -> str:
    line = services.content.text(
        "ledger_line",
        id=org.id,
        name=org.name,
        employees=org.employees,
        members=org.formal_members + org.probationary_members,
        status=coverage_status(org),
    )
    if repeats:
        others = "、".join(f"#{other}" for other in repeats)
        line += services.content.text("ledger_line_repeated", others=others)
    return line


async def on_button(
    session: AsyncSession,
    event: Event,
    services: Services,
    button: LedgerList | LedgerCard | LedgerEdit | LedgerField,
    force: bool = False,
) -> list[Action]:
    """The list, an organisation's card, the pick of a field to edit, or editing it."""
    content = services.content
    if isinstance(button, LedgerList):
        return await show_ledger(session, event, services)
    if event.chat.kind != "private":
        return [SendText(content.text("ledger_private"))]
    org = await ledger.get_organisation(session, button.org_id)
    if org is None:
        return [AnswerButton(event.callback_id or "", content.text("ledger_not_found"))]
    if not await may_see(session, org, event.user.id, services):
        return [AnswerButton(event.callback_id or "", content.text("no_permission"), alert=True)]
    if isinstance(button, LedgerCard):
        return [survey.summary_card(org, content)]
    flow = services.engine.flows["survey"]
    answers = survey.answers_from_record(org, content)
    if isinstance(button, LedgerEdit):
        buttons = tuple(
            (
                Button(
                    f"{step.label}：{_shown(answers.get(step.id), content)}"[:40],
                    LedgerField(org.id, step.id).pack(),
                ),
            )
            for step in flow.applicable(answers)
        )
        return [SendText(content.text("edit_pick_field", name=org.name), buttons)]
    if button.step in {s.id for s in flow.applicable(answers)}:
        return await start_flow(
            session,
            event,
            services,
            button,
            force,
            "survey",
            answers=answers,
            context={"edit": org.id},
            first_step=button.step,
        )
    return [AnswerButton(event.callback_id or "", content.text("button_invalid"))]


def _shown(value: object, content) -> str:  # type: ignore[no-untyped-def]
    if value is True:
        return content.text("answer_yes")
    if value is False:
        return content.text("answer_no")
    return "—" if value is None else str(value)
