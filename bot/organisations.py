"""How a ledger record reads everywhere (chat, card, spreadsheet): one place for the labels
and for the facts the coverage rules see, so the three views never disagree."""

from __future__ import annotations

from collections.abc import Iterable

from bot.rules.coverage import ENTERPRISE, OrganisationFacts, coverage_met, coverage_targets
from bot.rules.org_names import duplicates, name_key, place_prefixes
from knowledge.content import Content
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


def org_key(name: str, county: str, content: Content) -> str:
    """The name as the ledger compares it in its county (bot/rules/org_names.py)."""
    prefixes = place_prefixes(county, content.places.get("prefecture_names") or [])
    return name_key(name, prefixes)


def suspected_duplicates(orgs: Iterable[Organisation], content: Content) -> dict[int, list[int]]:
    """Each record that seems to repeat others (same county, same name key): those others."""
    return duplicates((org.id, org.county, org_key(org.name, org.county, content)) for org in orgs)
