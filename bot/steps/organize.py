"""抓组建: from an organisation's members to the organisational form, then the 一企一策 plan.

The organisation comes from the ledger (the user's own records, or all for 工委 admins); one
described on the spot is registered in the ledger first, by the 抓摸底 survey, which hands
back here (`Handover`), so every organisation planned for is a ledger record like any other.
The advice is computed by `bot.rules.formation` and shown inside the flow; the completion
saves the plan with milestones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import MenuStep, PlansList
from bot.config import Settings
from bot.contract import Action, Button, Event, SendText, keyboard
from bot.dialog.engine import Handover
from bot.dialog.machine import Snapshot
from bot.rules.coverage import (
    ENTERPRISE,
    OrganisationFacts,
    Target,
    coverage_targets,
)
from bot.rules.formation import Form, formation_advice
from bot.steps import records
from bot.steps.records import PlanRecord
from bot.steps.spec import Hooks, PlanSheet, StepSpec, joined, saved_at
from knowledge.content import Content
from storage import ledger, plans
from storage.models import Plan

PLAN_KIND = "formation"
MAX_LISTED = 20
MAX_JOINT_UNITS = 5
ESTABLISHED = "established"
FACT_FIELDS = (
    "kind",
    "subtype",
    "prefecture_level",
    "employees",
    "formal_members",
    "probationary_members",
)


@dataclass(frozen=True, kw_only=True)
class FactsAtPlanning:
    """The organisation's figures the plan was made from (the ledger may change later)."""

    kind: str
    subtype: str | None = None
    prefecture_level: bool | None = None
    employees: int
    formal_members: int
    probationary_members: int


@dataclass(frozen=True, kw_only=True)
class Partner:
    id: int
    name: str


@dataclass(frozen=True, kw_only=True)
class FormationPlan(PlanRecord):
    org_name: str
    policy: str
    facts: FactsAtPlanning
    form: str
    branch_committee: bool = False
    posts: tuple[str, ...] = ()
    way: str | None = None  # of a joint branch (联合组建)
    partners: tuple[Partner, ...] = ()  # ledger organisations joining it
    partner_names: tuple[str, ...] = ()  # and those typed by name
    targets: tuple[Target, ...] = ()  # the coverage targets, met or not
    measures: str

    @property
    def subject(self) -> str:
        return self.org_name

    @property
    def joined_names(self) -> list[str]:
        return [p.name for p in self.partners] + list(self.partner_names)


def org_label(org: dict[str, Any]) -> str:
    return f"#{org['id']} {org['name'][:18]}"


def make_prepare(is_admin):  # type: ignore[no-untyped-def]
    async def prepare(session: AsyncSession, event: Event) -> dict[str, Any]:
        """The ledger records this user may plan for, newest first, kept with the dialog."""
        scope = None if is_admin(event.user.id) else event.user.id
        records = list(await ledger.list_organisations(session, registered_by=scope))
        records.sort(key=lambda o: o.id, reverse=True)
        return {
            "orgs": [
                {
                    "id": o.id,
                    "name": o.name,
                    "county": o.county,
                    "has_party_org": bool(o.has_party_org),
                    **{name: getattr(o, name) for name in FACT_FIELDS},
                }
                for o in records[:MAX_LISTED]
            ]
        }

    return prepare


def _picked(answers: dict[str, Any], context: dict[str, Any]) -> dict[str, Any] | None:
    return next((o for o in context.get("orgs", []) if org_label(o) == answers.get("org")), None)


def facts_from(answers: dict[str, Any], context: dict[str, Any]) -> OrganisationFacts | None:
    """The facts the rules need, from the ledger record picked."""
    source = _picked(answers, context)
    if source is None:
        return None
    return OrganisationFacts(
        kind=source.get("kind") or ENTERPRISE,
        subtype=source.get("subtype"),
        prefecture_level=source.get("prefecture_level"),
        employees=int(source.get("employees") or 0),
        formal_members=int(source["formal_members"]),
        probationary_members=int(source["probationary_members"]),
        has_party_org=bool(source.get("has_party_org")),
    )


def form_code(facts: OrganisationFacts) -> str:
    if facts.has_party_org:
        return ESTABLISHED
    return formation_advice(facts.formal_members, facts.probationary_members).form.value


def advice_text(facts: OrganisationFacts, name: str, content: Content) -> str:
    """The recommendation with its reasons and the coverage targets, as shown in the flow."""
    texts = content.flows["organize"]["advice"]
    advice = formation_advice(facts.formal_members, facts.probationary_members)
    code = form_code(facts)
    lines = [texts["title"].format(name=name)]
    lines.append(texts[code].format(formal=facts.formal_members))
    if code == Form.BRANCH.value:
        lines.append(texts["committee" if advice.branch_committee else "secretary_only"])
        if advice.general_branch_also:
            lines.append(texts["general_branch_also"])
    if facts.probationary_members and code != ESTABLISHED:
        lines.append(texts["probationary"].format(prob=facts.probationary_members))
    targets = coverage_targets(facts)
    if targets:
        lines.append(texts["targets_title"])
        lines += [target_line(t, content) for t in targets]
    return "\n".join(lines)


def target_line(target: Target, content: Content) -> str:
    card = content.flows["survey"]["summary"]
    template = card["target_met" if target.met else "target_unmet"]
    return template.format(label=card["targets"][target.code.value])


def make_derive(content: Content):  # type: ignore[no-untyped-def]
    texts = content.flows["organize"]

    def derive(answers: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
        orgs = context.get("orgs", [])
        picked = _picked(answers, context)
        name = picked["name"] if picked else ""
        facts = facts_from(answers, context)
        kind = picked.get("kind") if picked else None
        return {
            "org_prompt": texts["org_prompt" if orgs else "org_prompt_empty"],
            "org_name": name,
            "form": form_code(facts) if facts else None,
            "advice": advice_text(facts, name, content) if facts else "",
            "policy": "一社一策" if kind == "社会组织" else "一企一策",
            "has_partners": len(orgs) > 1,
        }

    return derive


def option_sources(content: Content) -> dict[str, Any]:
    manual_option = content.flows["organize"]["manual_option"]
    return {
        "my_orgs": lambda answers, context: [
            *(org_label(o) for o in context.get("orgs", [])),
            manual_option,
        ],
        "partner_orgs": lambda answers, context: [
            org_label(o) for o in context.get("orgs", []) if org_label(o) != answers.get("org")
        ],
    }


def milestones_of(answers: dict[str, Any]) -> list[tuple[str, date]]:
    return [
        (answers[f"m{i}_title"], date.fromisoformat(answers[f"m{i}_date"]))
        for i in (1, 2, 3)
        if answers.get(f"m{i}_title") and answers.get(f"m{i}_date")
    ]


def split_names(text: str | None) -> list[str]:
    if not text:
        return []
    for separator in "，,；;/ ":
        text = text.replace(separator, "、")
    return [part.strip() for part in text.split("、") if part.strip()]


def make_completion(content: Content, derive):  # type: ignore[no-untyped-def]
    async def complete(
        session: AsyncSession, event: Event, state: Snapshot, answers: dict[str, Any]
    ) -> list[Action | Handover]:
        """Saves the plan with its milestones and shows it as a card; for an organisation not
        in the ledger yet, runs the survey first, which hands back here."""
        if answers.get("org") == content.flows["organize"]["manual_option"]:
            return [Handover("survey", {"then": "organize"})]
        view = derive(answers, state.context)
        facts = facts_from(answers, state.context)
        picked = _picked(answers, state.context)
        assert facts is not None and picked is not None  # the flow cannot finish without them
        partners = tuple(
            Partner(id=o["id"], name=o["name"])
            for o in state.context.get("orgs", [])
            if org_label(o) in (answers.get("partners") or [])
        )
        advice = formation_advice(facts.formal_members, facts.probationary_members)
        planned = FormationPlan(
            org_name=view["org_name"],
            policy=view["policy"],
            facts=FactsAtPlanning(**{name: getattr(facts, name) for name in FACT_FIELDS}),
            form=view["form"],
            branch_committee=advice.branch_committee,
            posts=tuple(advice.posts),
            way=answers.get("way"),
            partners=partners,
            partner_names=tuple(split_names(answers.get("partner_names"))),
            targets=tuple(coverage_targets(facts)),
            measures=answers["measures"],
        )
        plan = await plans.add_plan(
            session,
            PLAN_KIND,
            event.user.id,
            records.dump(planned),
            organisation_id=picked["id"],
            responsible=answers["responsible"],
            milestones=milestones_of(answers),
        )
        return [formation_card(plan, content)]

    return complete


def formation_card(plan: Plan, content: Content) -> SendText:
    card = content.flows["organize"]["card"]
    planned = records.load(FormationPlan, plan.content)
    form = planned.form
    if form == Form.BRANCH.value and planned.branch_committee:
        form = "branch_committee"
    lines = [
        card["title"].format(policy=planned.policy, id=plan.id, name=planned.org_name),
        card["form"].format(form=card["forms"][form]),
    ]
    if planned.way:
        lines.append(card["way"].format(way=planned.way))
        names = planned.joined_names
        if names:
            lines.append(card["partners"].format(partners="、".join(names)))
        if len(names) + 1 > MAX_JOINT_UNITS:
            lines.append(card["too_many_units"])
    for target in planned.targets:
        labels = content.flows["survey"]["summary"]
        template = labels["target_met" if target.met else "target_unmet"]
        lines.append(template.format(label=labels["targets"][target.code]))
    lines.append(card["measures"].format(measures=planned.measures))
    lines.append(card["responsible"].format(responsible=plan.responsible or ""))
    if plan.milestones:
        lines.append(card["milestones"])
        for milestone in sorted(plan.milestones, key=lambda m: (m.due_date, m.id)):
            lines.append(
                card["milestone"].format(date=milestone.due_date.isoformat(), title=milestone.title)
            )
    return SendText(
        "\n".join(lines),
        keyboard(
            [Button(card["buttons"]["plans"], PlansList().pack())],
            [Button(card["buttons"]["next"], MenuStep("standardize").pack())],
        ),
    )


def sheet_rows(plan: Plan, content: Content, local: ZoneInfo) -> list[list[Any]]:
    planned = records.load(FormationPlan, plan.content)
    forms = content.flows["organize"]["card"]["forms"]
    targets = content.flows["survey"]["summary"]["targets"]
    return [
        [
            plan.id,
            planned.org_name,
            planned.policy,
            planned.facts.employees,
            planned.facts.formal_members,
            planned.facts.probationary_members,
            forms.get(planned.form, planned.form),
            joined(planned.posts),
            planned.way,
            joined(planned.joined_names),
            "；".join(
                f"{targets[t.code]}：{'已达到' if t.met else '未达到'}" for t in planned.targets
            ),
            planned.measures,
            plan.responsible,
            saved_at(plan, local),
        ]
    ]


def hooks(content: Content, settings: Settings) -> Hooks:
    derive = make_derive(content)
    return Hooks(
        completions={"organize": make_completion(content, derive)},
        derivers={"organize": derive},
        preparers={"organize": make_prepare(lambda user: user in settings.admin_user_ids)},
        option_sources=option_sources(content),
    )


STEP = StepSpec(
    plan_kind=PLAN_KIND,
    record=FormationPlan,
    card=formation_card,
    sheet=PlanSheet(
        "组建方案",
        lambda _: (
            "编号",
            "组织",
            "方案",
            "职工",
            "正式党员",
            "预备党员",
            "组建方式",
            "职务设置",
            "联建方式",
            "联建单位",
            "覆盖目标",
            "任务措施",
            "责任人",
            "保存时间",
        ),
        sheet_rows,
    ),
    hooks=hooks,
)
