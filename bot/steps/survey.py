"""抓摸底: turns the flow's answers into a ledger record and shows the summary card."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.ask import step_knowledge_button
from bot.buttons import LedgerEdit, LedgerList, MenuStep
from bot.contract import Action, Button, Event, SendText, keyboard
from bot.dialog.engine import Handover
from bot.dialog.machine import Problem, Snapshot
from bot.organisations import NOT_IN_PARK, facts_of, org_key, place_of
from bot.rules.coverage import NextStep, coverage_targets, next_step
from bot.rules.ledger_consistency import CONCERNS, contradiction_at, fitting_reasons
from knowledge.content import Content
from storage import ledger
from storage.models import Organisation

OTHER_PARK = "其他园区"
OTHER_SUPERVISOR = "其他单位"


def make_prepare(content: Content, is_admin):  # type: ignore[no-untyped-def]
    async def prepare(session: AsyncSession, event: Event) -> dict[str, Any]:
        """Every ledger record by county: its number, a digest of its name key, and its name
        where this user may open it. Kept with the dialog (saved at every answer, so small:
        about 30 bytes a record), "already entered" is known the moment the county is."""
        everything = await ledger.list_organisations(session)
        if is_admin(event.user.id):
            theirs = {org.id for org in everything}
        else:
            theirs = {o.id for o in await ledger.list_organisations(session, event.user.id)}
        known: dict[str, list[list[Any]]] = {}
        for org in everything:
            digest = key_digest(org_key(org.name, org.county, content))
            shown = org.name if org.id in theirs else None
            known.setdefault(org.county, []).append([org.id, digest, shown])
        return {"known": known}

    return prepare


def key_digest(key: str) -> str:
    """48 bits: a new name matches one of thousands of records by chance less than once in
    10^10 tries; a false "already entered" would only be a question, never a lost record."""
    return hashlib.blake2b(key.encode(), digest_size=6).hexdigest()


def make_derive(content: Content):  # type: ignore[no-untyped-def]
    texts = content.flows["survey"]["duplicate"]

    def derive(answers: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
        """The record this one seems to repeat: same county, same name key. Editing a record
        asks only when its name or county now matches another one."""
        found = same_organisation(answers, context, content)
        if found is None:
            return {"duplicate_of": None, "duplicate_text": ""}
        org_id, name = found
        county = answers.get("county")
        text = texts["unseen" if name is None else "seen"].format(
            id=org_id, name=name, county=county
        )
        return {"duplicate_of": org_id, "duplicate_text": text}

    return derive


def same_organisation(
    answers: dict[str, Any], context: dict[str, Any], content: Content
) -> tuple[int, str | None] | None:
    """The record of the county whose name key is this name's: its number, and its name when
    this user may open it."""
    name, county = answers.get("name"), answers.get("county")
    if not name or not county:
        return None
    digest = key_digest(org_key(name, county, content))
    editing = context.get("edit")
    records = context.get("known", {}).get(county, [])
    if any(org_id == editing and other == digest for org_id, other, _ in records):
        return None  # the name is unchanged: a known duplicate is the 工委's to merge
    return next(
        (
            (org_id, shown)
            for org_id, other, shown in records
            if other == digest and org_id != editing
        ),
        None,
    )


def option_sources(content: Content) -> dict[str, Any]:
    """Lists the survey flow offers as buttons, from `knowledge/places.yaml` and the flow."""
    kinds = content.places["supervisor_kinds"]
    reasons = list(content.flows["survey"]["no_org_reasons"])
    duplicate = content.flows["survey"]["duplicate"]
    return {
        "duplicate_choices": lambda answers, context: (
            [duplicate["open"], duplicate["go_on"]]
            if (same_organisation(answers, context, content) or (0, None))[1] is not None
            else [duplicate["go_on"], duplicate["stop"]]
        ),
        "no_org_reasons": lambda answers, context: fitting_reasons(
            reasons,
            int(answers.get("formal_members") or 0),
            int(answers.get("probationary_members") or 0),
        ),
        "counties": lambda answers, context: content.counties,
        "parks": lambda answers, context: [
            *content.parks(answers.get("county", "")),
            NOT_IN_PARK,
            OTHER_PARK,
        ],
        "supervisor_kinds": lambda answers, context: list(kinds),
        "supervisors": lambda answers, context: [
            *(kinds.get(answers.get("supervisor_kind")) or []),
            OTHER_SUPERVISOR,
        ],
    }


def make_check(content: Content):  # type: ignore[no-untyped-def]
    """The cross-field rules (bot/rules/ledger_consistency.py) as the survey's question back."""
    messages = content.flows["survey"]["contradictions"]

    def check(step: str, answers: dict[str, Any], context: dict[str, Any]) -> Problem | None:
        found = contradiction_at(step, answers)
        if found is None:
            return None
        text = messages[found.value].format_map({**_BLANKS, **answers})
        return Problem(text, CONCERNS[found].correct_first)

    return check


_BLANKS = dict.fromkeys(ledger.LEDGER_FIELDS, "")


def fields_from_answers(answers: dict[str, Any]) -> dict[str, Any]:
    """Ledger columns from flow answers: typed-in park and supervisor names replace "其他"."""
    fields = dict(answers)
    park = answers.get("park")
    fields["park"] = (
        answers.get("park_name") if park == OTHER_PARK else (None if park == NOT_IN_PARK else park)
    )
    if answers.get("supervisor") == OTHER_SUPERVISOR:
        fields["supervisor"] = answers.get("supervisor_name")
    if answers.get("kind") != "社会组织":
        fields["subtype"] = None
    return fields


def answers_from_record(org: Organisation, content: Content) -> dict[str, Any]:
    """The flow answers that would produce this record, so one field can be edited in place."""
    # Skipped optional answers are kept as None so editing does not ask them again.
    answers: dict[str, Any] = {name: getattr(org, name) for name in ledger.LEDGER_FIELDS}
    if org.kind == "非公企业":
        if org.park is None:
            answers["park"] = NOT_IN_PARK
        elif org.park not in content.parks(org.county):
            answers["park"], answers["park_name"] = OTHER_PARK, org.park
    if org.kind == "社会组织" and org.supervisor is not None:
        listed = content.places["supervisor_kinds"].get(org.supervisor_kind) or []
        if org.supervisor not in listed:
            answers["supervisor"], answers["supervisor_name"] = OTHER_SUPERVISOR, org.supervisor
    return answers


def make_completion(content: Content):  # type: ignore[no-untyped-def]
    async def complete(
        session: AsyncSession, event: Event, state: Snapshot, answers: dict[str, Any]
    ) -> list[Action | Handover]:
        """Saves the record (new, or the one being edited) and shows its summary card; or,
        for an organisation already in the ledger, opens that record or saves nothing."""
        texts = content.flows["survey"]["duplicate"]
        # 抓组建's "register it first": once the organisation is in the ledger, plan for it.
        then = [Handover(state.context["then"])] if state.context.get("then") else []
        if answers.get("duplicate") == texts["stop"]:
            return await _not_again(session, event, state, answers, content)
        if answers.get("duplicate") == texts["open"]:
            return [*await _not_again(session, event, state, answers, content), *then]
        fields = fields_from_answers(answers)
        edit_id = state.context.get("edit")
        existing = await ledger.get_organisation(session, edit_id) if edit_id else None
        if existing is not None:
            org = await ledger.update_organisation(session, existing, fields)
            notice = [SendText(content.text("edit_saved"))]
        else:
            org = await ledger.add_organisation(session, fields, event.user.id, event.user.name)
            notice = []
        if then:  # the card without its buttons: 抓组建 follows at once
            return [*notice, SendText(summary_card(org, content).text), *then]
        return [*notice, summary_card(org, content)]

    return complete


async def _not_again(
    session: AsyncSession,
    event: Event,
    state: Snapshot,
    answers: dict[str, Any],
    content: Content,
) -> list[Action]:
    """The organisation is in the ledger already: its card when this user may open it (the
    choice was offered only then, and is checked again now), else a word that nothing was
    saved."""
    texts = content.flows["survey"]["duplicate"]
    found = same_organisation(answers, dict(state.context), content)
    if found is None:  # the record went away meanwhile (merged or the ledger changed)
        return [SendText(content.text("ledger_not_found"))]
    org = await ledger.get_organisation(session, found[0])
    if answers.get("duplicate") == texts["open"] and org is not None and found[1] is not None:
        return [summary_card(org, content)]
    return [SendText(texts["stopped"].format(id=found[0]))]


def record_text(org: Organisation, content: Content) -> str:
    """The record's title, five facts and place: what two records are compared by."""
    card = content.flows["survey"]["summary"]
    leader = (
        card["leader_unknown"]
        if not org.leader_name
        else card["leader_member" if org.leader_is_member else "leader_not_member"].format(
            leader_name=org.leader_name
        )
    )
    if org.has_party_org:
        reason = card["reason_none"]
    else:
        reason = org.no_org_reason or ""
    return "\n".join(
        (
            card["title"].format(id=org.id, name=org.name),
            card["facts"].format(
                operating_status=org.operating_status,
                employees=org.employees,
                formal_members=org.formal_members,
                probationary_members=org.probationary_members,
                leader=leader,
                reason=reason,
            ),
            card["place"].format(county=org.county, group=place_of(org)),
        )
    )


def summary_card(org: Organisation, content: Content) -> SendText:
    """The five facts, the coverage targets that apply and the recommended next step."""
    card = content.flows["survey"]["summary"]
    facts = facts_of(org)
    lines = [record_text(org, content)]
    targets = coverage_targets(facts)
    if targets:
        lines.append(card["targets_title"])
        for target in targets:
            template = card["target_met" if target.met else "target_unmet"]
            lines.append(template.format(label=card["targets"][target.code.value]))
    else:
        lines.append(card["no_targets"])
    lines.append(card["next_title"])
    advice = next_step(facts)
    lines.append(card["next"][advice.value].format(formal_members=org.formal_members))
    buttons = card["buttons"]
    following = "standardize" if advice is NextStep.STANDARDISE else "organize"
    return SendText(
        "\n".join(lines),
        keyboard(
            [Button(buttons[following], MenuStep(following).pack())],
            [step_knowledge_button(content, following)],
            [
                Button(buttons["edit"], LedgerEdit(org.id).pack()),
                Button(buttons["ledger"], LedgerList().pack()),
            ],
        ),
    )
