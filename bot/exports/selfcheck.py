"""Self-check results as .xlsx: one sheet per questionnaire, a row per attempt, the score of
each area in its own column so a branch's progress reads across the rows."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.exports.workbook import add_table, new_workbook, to_bytes, write_atomically
from knowledge.content import Content
from storage import plans
from storage.db import Database
from storage.models import Branch, Member, Organisation, SelfCheckResult

Person = tuple[str, str, str]  # name, branch, county ("" where unknown)


async def people(session: AsyncSession, results: Sequence[SelfCheckResult]) -> dict[str, Person]:
    """Who took each self-check, as 工委 staff know them: the name on the roster (or on the
    records they registered), their branch and its county."""
    user_ids = sorted({r.user_id for r in results})
    if not user_ids:
        return {}
    members = (
        await session.execute(
            select(Member.user_id, Member.display_name, Member.role, Branch.name, Branch.id)
            .join(Branch, Branch.id == Member.branch_id)
            .where(Member.user_id.in_(user_ids), Member.active)
            .order_by(Member.role.desc(), Member.id)  # secretary before member
        )
    ).all()
    registered = (
        await session.execute(
            select(Organisation.registered_by, Organisation.registered_by_name, Organisation.county)
            .where(Organisation.registered_by.in_(user_ids))
            .order_by(Organisation.id)
        )
    ).all()
    counties = dict(
        (
            await session.execute(
                select(Branch.id, Organisation.county).join(
                    Organisation, Organisation.id == Branch.organisation_id
                )
            )
        ).all()
    )
    found: dict[str, Person] = {}
    for user_id in user_ids:
        mine = [m for m in members if m.user_id == user_id]
        theirs = [o for o in registered if o.registered_by == user_id]
        name = mine[0].display_name if mine else (theirs[0].registered_by_name if theirs else "")
        branch = "、".join(dict.fromkeys(m.name for m in mine))
        county = "、".join(
            dict.fromkeys(
                [counties[m.id] for m in mine if m.id in counties] + [o.county for o in theirs]
            )
        )
        found[user_id] = (name, branch, county)
    return found


def selfcheck_workbook(
    results: Sequence[SelfCheckResult],
    content: Content,
    zone: str,
    who: dict[str, Person] | None = None,
) -> bytes:
    local = ZoneInfo(zone)  # times as the branch reads them, not UTC
    who = who or {}
    workbook = new_workbook()
    for qid, questionnaire in content.selfchecks.items():
        areas = questionnaire["areas"]
        questions = {q["id"]: q for q in questionnaire["questions"]}
        rows = [
            [
                r.id,
                *who.get(r.user_id, ("", "", "")),
                r.user_id,
                r.taken_at.astimezone(local).strftime("%Y-%m-%d %H:%M"),
                r.scores.get("total"),
                *(r.scores.get("areas", {}).get(area) for area in areas),
                "；".join(
                    questions[q]["improve"]
                    for q in r.scores.get("improvements", [])
                    if q in questions
                ),
            ]
            for r in results
            if r.questionnaire_id == qid
        ]
        add_table(
            workbook,
            questionnaire["title"][:31],
            ("编号", "姓名", "支部", "县（市）", "用户ID", "时间", "总分", *areas, "改进建议"),
            rows,
        )
    return to_bytes(workbook)


async def export_selfcheck(db: Database, content: Content, out: Path, zone: str) -> int:
    async with db.session() as session:
        results = list(await plans.selfcheck_history(session, None))
        who = await people(session, results)
    write_atomically(out, selfcheck_workbook(results, content, zone, who))
    return len(results)
