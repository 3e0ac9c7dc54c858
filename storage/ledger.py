"""The 摸底 ledger: organisations and who may see them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Branch, Organisation, OrganisationMerge, Plan, utcnow

LEDGER_FIELDS = (
    "name",
    "kind",
    "subtype",
    "prefecture_level",
    "county",
    "park",
    "supervisor_kind",
    "supervisor",
    "operating_status",
    "employees",
    "formal_members",
    "probationary_members",
    "leader_name",
    "leader_is_member",
    "has_party_org",
    "no_org_reason",
    "no_org_note",
)


async def add_organisation(
    session: AsyncSession, fields: dict[str, Any], user_id: str, user_name: str
) -> Organisation:
    organisation = Organisation(
        **{name: fields.get(name) for name in LEDGER_FIELDS},
        registered_by=user_id,
        registered_by_name=user_name,
    )
    session.add(organisation)
    await session.flush()
    return organisation


async def update_organisation(
    session: AsyncSession, organisation: Organisation, fields: dict[str, Any]
) -> Organisation:
    for name in LEDGER_FIELDS:
        setattr(organisation, name, fields.get(name))
    organisation.updated_at = utcnow()
    await session.flush()
    return organisation


async def get_organisation(session: AsyncSession, organisation_id: int) -> Organisation | None:
    """The record, or the one it was merged into (an old button of a merged record opens the
    organisation, not a record nobody lists)."""
    org = await session.get(Organisation, organisation_id)
    seen: set[int] = set()
    while org is not None and org.merged_into is not None and org.id not in seen:
        seen.add(org.id)
        org = await session.get(Organisation, org.merged_into)
    return org


def _registered_by(user_id: str) -> Any:
    """Records the user registered, and those a record of theirs was merged into: merging
    never takes an organisation away from the secretary who entered it."""
    merged_theirs = select(Organisation.merged_into).where(
        Organisation.registered_by == user_id, Organisation.merged_into.is_not(None)
    )
    return or_(Organisation.registered_by == user_id, Organisation.id.in_(merged_theirs))


async def list_organisations(
    session: AsyncSession, registered_by: str | None = None
) -> Sequence[Organisation]:
    """All organisations (for admins and exports) or those one user registered; records
    merged into another are not listed."""
    query = (
        select(Organisation)
        .where(Organisation.merged_into.is_(None))
        .order_by(
            Organisation.county,
            Organisation.kind,
            Organisation.park,
            Organisation.supervisor,
            Organisation.id,
        )
    )
    if registered_by is not None:
        query = query.where(_registered_by(registered_by))
    return (await session.execute(query)).scalars().all()


async def is_registrant(session: AsyncSession, org: Organisation, user_id: str) -> bool:
    """Whether the user entered this record or one merged into it."""
    query = select(Organisation.id).where(Organisation.id == org.id, _registered_by(user_id))
    return (await session.execute(query)).first() is not None


def snapshot(org: Organisation) -> dict[str, Any]:
    return {
        **{name: getattr(org, name) for name in LEDGER_FIELDS},
        "registered_by": org.registered_by,
        "registered_by_name": org.registered_by_name,
        "registered_at": org.registered_at.isoformat(),
    }


async def merge_organisations(
    session: AsyncSession, kept: Organisation, merged: Organisation, user_id: str, user_name: str
) -> OrganisationMerge:
    """`merged` becomes part of `kept`: its branches, plans and earlier merges follow, and it
    stays in the database with a row saying who merged it and what it held."""
    if kept.id == merged.id or kept.merged_into is not None or merged.merged_into is not None:
        raise ValueError("merge two different records that are both in the ledger")
    for table, column in (
        (Branch, Branch.organisation_id),
        (Plan, Plan.organisation_id),
        (Organisation, Organisation.merged_into),
    ):
        await session.execute(update(table).where(column == merged.id).values({column: kept.id}))
    merged.merged_into = kept.id
    record = OrganisationMerge(
        kept_id=kept.id,
        merged_id=merged.id,
        merged_by=user_id,
        merged_by_name=user_name,
        record=snapshot(merged),
    )
    session.add(record)
    kept.updated_at = utcnow()
    await session.flush()
    return record


async def merges_into(session: AsyncSession, org: Organisation) -> Sequence[OrganisationMerge]:
    query = (
        select(OrganisationMerge)
        .where(OrganisationMerge.kept_id == org.id)
        .order_by(OrganisationMerge.id)
    )
    return (await session.execute(query)).scalars().all()
