"""The 摸底 ledger: organisations and who may see them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Organisation, utcnow

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
    return await session.get(Organisation, organisation_id)


async def list_organisations(
    session: AsyncSession, registered_by: str | None = None
) -> Sequence[Organisation]:
    """All organisations (for admins and exports) or those one user registered."""
    query = select(Organisation).order_by(
        Organisation.county,
        Organisation.kind,
        Organisation.park,
        Organisation.supervisor,
        Organisation.id,
    )
    if registered_by is not None:
        query = query.where(Organisation.registered_by == registered_by)
    return (await session.execute(query)).scalars().all()
