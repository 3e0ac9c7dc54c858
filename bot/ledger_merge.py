"""/merge: a 工委 admin makes one record of an organisation two secretaries entered. The
suspected pairs come from the name rule (bot/rules/org_names.py); the admin picks which record
stays. Nothing is deleted: the merged record stays in the database, out of every list, with who
merged it and what it held (storage.ledger.merge_organisations)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import MergeAsk, MergeConfirm
from bot.contract import Action, AnswerButton, Button, Event, SendText
from bot.organisations import suspected_duplicates
from bot.services import Services
from bot.steps import survey
from storage import ledger
from storage.models import Organisation

MAX_PAIRS = 10


async def merge_command(
    session: AsyncSession, event: Event, services: Services, args: str
) -> list[Action]:
    """`/merge` lists the suspected pairs; `/merge 12 15` keeps #12 and merges #15 into it."""
    content = services.content
    if event.chat.kind != "private":
        return [SendText(content.text("ledger_private"))]
    if not services.is_admin(event.user.id):
        return [SendText(content.text("merge.admins_only"))]
    numbers = args.replace("#", " ").replace("，", " ").replace(",", " ").split()
    if numbers:
        ids = [int(n) for n in numbers if n.isascii() and n.isdigit() and len(n) < 10]
        if len(ids) != 2 or len(numbers) != 2:
            return [SendText(content.text("merge.usage"))]
        return await _ask(session, services, ids[0], ids[1])
    orgs = list(await ledger.list_organisations(session))
    pairs = _pairs(orgs, services)
    if not pairs:
        return [SendText(content.text("merge.none"))]
    by_id = {org.id: org for org in orgs}
    lines = [content.text("merge.title", count=len(pairs))]
    buttons = []
    for kept, merged in pairs[:MAX_PAIRS]:
        lines.append(
            content.text(
                "merge.pair",
                kept=kept,
                merged=merged,
                county=by_id[kept].county,
                name=by_id[kept].name,
                other=by_id[merged].name,
            )
        )
        label = content.text("merge.pick", kept=kept, merged=merged)
        buttons.append((Button(label, MergeAsk(kept, merged).pack()),))
    lines.append(content.text("merge.hint"))
    return [SendText("\n".join(lines), tuple(buttons))]


def _pairs(orgs: list[Organisation], services: Services) -> list[tuple[int, int]]:
    """Each suspected duplicate once, as (earlier record, later record): the earlier one is
    offered to stay, the admin may type the other way round."""
    found = suspected_duplicates(orgs, services.content)
    return sorted({(min(i, j), max(i, j)) for i, others in found.items() for j in others})


async def _ask(
    session: AsyncSession, services: Services, kept_id: int, merged_id: int
) -> list[Action]:
    content = services.content
    refusal = await _refusal(session, services, kept_id, merged_id)
    if refusal:
        return [SendText(refusal)]
    kept = await ledger.get_organisation(session, kept_id)
    merged = await ledger.get_organisation(session, merged_id)
    assert kept is not None and merged is not None
    text = content.text(
        "merge.confirm",
        kept=kept.id,
        merged=merged.id,
        kept_card=survey.record_text(kept, content),
        merged_card=survey.record_text(merged, content),
    )
    buttons = (
        (Button(content.text("merge.do", kept=kept.id), MergeConfirm(kept.id, merged.id).pack()),),
        (Button(content.text("merge.swap", kept=merged.id), MergeAsk(merged.id, kept.id).pack()),),
    )
    return [SendText(text, buttons)]


async def _refusal(
    session: AsyncSession, services: Services, kept_id: int, merged_id: int
) -> str | None:
    """Why these two cannot be merged: the same record, one missing or merged already."""
    content = services.content
    if kept_id == merged_id:
        return content.text("merge.same")
    for org_id in (kept_id, merged_id):
        org = await session.get(Organisation, org_id)
        if org is None:
            return content.text("merge.missing", id=org_id)
        if org.merged_into is not None:
            return content.text("merge.already", id=org_id, into=org.merged_into)
    return None


async def on_button(
    session: AsyncSession, event: Event, services: Services, button: MergeAsk | MergeConfirm
) -> list[Action]:
    """A pair picked from the list, or the merge confirmed. Checked again at every press: a
    forwarded or forged button does nothing for anyone but an admin, and a double tap merges
    once."""
    content = services.content
    callback = event.callback_id or ""
    if event.chat.kind != "private" or not services.is_admin(event.user.id):
        return [AnswerButton(callback, content.text("merge.admins_only"), alert=True)]
    if isinstance(button, MergeAsk):
        return [AnswerButton(callback), *await _ask(session, services, *_ids(button))]
    refusal = await _refusal(session, services, *_ids(button))
    if refusal:
        return [AnswerButton(callback, refusal, alert=True)]
    kept = await ledger.get_organisation(session, button.kept_id)
    merged = await ledger.get_organisation(session, button.merged_id)
    assert kept is not None and merged is not None
    await ledger.merge_organisations(session, kept, merged, event.user.id, event.user.name)
    done = content.text(
        "merge.done",
        kept=kept.id,
        merged=merged.id,
        registrant=merged.registered_by_name or content.text("merge.someone"),
    )
    return [AnswerButton(callback), SendText(done), survey.summary_card(kept, content)]


def _ids(button: MergeAsk | MergeConfirm) -> tuple[int, int]:
    return button.kept_id, button.merged_id
