"""Self-check results as .xlsx: one sheet per questionnaire, a row per attempt, the score of
each area in its own column so a branch's progress reads across the rows."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.exports.workbook import add_table, new_workbook, to_bytes, write_atomically
from knowledge.content import Content
from storage import plans
from storage.db import Database
from storage.models import SelfCheckResult


def selfcheck_workbook(results: Sequence[SelfCheckResult], content: Content, zone: str) -> bytes:
    local = ZoneInfo(zone)  # times as the branch reads them, not UTC
    workbook = new_workbook()
    for qid, questionnaire in content.selfchecks.items():
        areas = questionnaire["areas"]
        questions = {q["id"]: q for q in questionnaire["questions"]}
        rows = [
            [
                r.id,
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
            ("编号", "用户ID", "时间", "总分", *areas, "改进建议"),
            rows,
        )
    return to_bytes(workbook)


async def export_selfcheck(db: Database, content: Content, out: Path, zone: str) -> int:
    async with db.session() as session:
        results = list(await plans.selfcheck_history(session, None))
    write_atomically(out, selfcheck_workbook(results, content, zone))
    return len(results)
