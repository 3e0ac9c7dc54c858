"""How a ledger record reads everywhere (chat, card, spreadsheet): one place for the labels
and for the facts the coverage rules see, so the three views never disagree."""

from __future__ import annotations

from bot.rules.coverage import ENTERPRISE, OrganisationFacts, coverage_met, coverage_targets
from storage.models import Organisation

NOT_IN_PARK = "不在园区"
NO_SUPERVISOR = "未填写主管单位"
COVERAGE_STATUS = {True: "已达标", False: "未达标", None: "不适用"}


def facts_of(org: Organisation) -> OrganisationFacts:
    """The coverage rules only see these fields, so they stay independent of the storage model."""
    return OrganisationFacts(
        kind=org.kind,
        subtype=org.subtype,
        prefecture_level=org.prefecture_level,
        employees=org.employees,
        formal_members=org.formal_members,
        probationary_members=org.probationary_members,
        has_party_org=bool(org.has_party_org),
    )


def place_of(org: Organisation) -> str:
    """The park of an enterprise, or the supervising body of a social organisation."""
    if org.kind == ENTERPRISE:
        return org.park or NOT_IN_PARK
    if not org.supervisor:
        return NO_SUPERVISOR
    return "｜".join(part for part in (org.supervisor_kind, org.supervisor) if part)


def coverage_status(org: Organisation) -> str:
    return COVERAGE_STATUS[coverage_met(coverage_targets(facts_of(org)))]
