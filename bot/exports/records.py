"""会议记录 as Word documents for the 资料盒: one file per meeting in the usual layout (a table
of the meeting's facts, then what was discussed, decided and voted, then the signatures) and an
index of the year's records. python-docx writes them; the text is the same as /records shows.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from sqlalchemy import select

from bot.attendance import event_name, local_when
from bot.exports.workbook import write_atomically
from bot.meeting_records import leave_text, vote_lines
from knowledge.content import Content
from storage import meetings
from storage.db import Database
from storage.meetings import Turnout
from storage.models import Branch, MeetingRecord
from storage.models import Event as EventRow

FONT = "宋体"  # what 资料盒 templates use; LibreOffice and Word substitute where missing
LABEL_WIDTH, VALUE_WIDTH = Cm(3), Cm(13)  # an A4 page's 16 cm of text: the facts get the room


@dataclass(frozen=True)
class Filed:
    """One record as it is filed: the meeting, its record and who came."""

    event: EventRow
    record: MeetingRecord
    turnout: Turnout


def _titled(title: str) -> Any:
    """A document in the 资料盒's font with its title centred on top."""
    document = Document()
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(12)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)  # Chinese text takes this one
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(title)
    run.bold, run.font.size = True, Pt(16)
    return document


def _names(names: list[str], none: str) -> str:
    return "、".join(names) or none


def record_document(filed: Filed, branch: Branch, content: Content) -> bytes:
    """One meeting's 会议记录 as .docx bytes."""
    texts = content.organisational_life["records"]
    none = texts["no_one"]
    came, record, row = filed.turnout, filed.record, filed.event
    name = event_name(record.kind, content)
    document = _titled(f"{branch.name}{name}记录")
    leave = leave_text(came, none)
    facts = [
        ("会议名称", name),
        ("时间", local_when(row, branch.timezone, content)),
        ("地点", row.place or texts["no_place"]),
        ("主持人", record.host),
        ("记录人", record.recorder),
        ("应到人数", str(len(came.present) + len(came.on_leave) + len(came.silent))),
        ("实到人数", str(len(came.present))),
        ("出席人员", _names(came.present, none)),
        ("请假人员", leave),
        ("未回复人员", _names(came.silent, none)),
    ]
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    table.autofit = False
    table.columns[0].width, table.columns[1].width = LABEL_WIDTH, VALUE_WIDTH  # the grid
    for label, value in facts:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value
        cells[0].paragraphs[0].runs[0].bold = True
        cells[0].width, cells[1].width = LABEL_WIDTH, VALUE_WIDTH
    for title, body in (("议题和讨论情况", record.topics), ("决定事项", record.decisions or none)):
        document.add_paragraph().add_run(title).bold = True
        for paragraph in body.splitlines() or [""]:
            document.add_paragraph(paragraph)
    votes = vote_lines(record, came, content)
    if votes:
        document.add_paragraph().add_run("表决情况").bold = True
        for line in votes:
            document.add_paragraph(line)
    document.add_paragraph()
    document.add_paragraph("主持人（签字）：__________　　记录人（签字）：__________")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def index_document(
    branch: Branch, year: int, filed: list[tuple[str, Filed]], content: Content
) -> bytes:
    """The year's records in order, as the first page of the 资料盒."""
    document = _titled(f"{branch.name}{year}年会议记录目录")
    table = document.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    for cell, title in zip(
        table.rows[0].cells, ("序号", "日期", "会议", "主持人", "文件"), strict=True
    ):
        cell.text = title
        cell.paragraphs[0].runs[0].bold = True
    for number, (filename, item) in enumerate(filed, start=1):
        local = item.event.starts_at.astimezone(ZoneInfo(branch.timezone))
        cells = table.add_row().cells
        values = (
            str(number),
            local.date().isoformat(),
            event_name(item.record.kind, content),
            item.record.host,
            filename,
        )
        for cell, value in zip(cells, values, strict=True):
            cell.text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


async def branch_records(
    db: Database, branch_name: str, year: int
) -> tuple[Branch | None, list[Filed]]:
    """The branch (by name) and its records of meetings held in `year`, in date order."""
    async with db.session() as session:
        branch = (
            (
                await session.execute(
                    select(Branch).where(Branch.name == branch_name).order_by(Branch.id)
                )
            )
            .scalars()
            .first()
        )
        if branch is None:
            return None, []
        zone = ZoneInfo(branch.timezone)
        start = datetime(year, 1, 1, tzinfo=zone).astimezone(UTC)
        end = datetime(year + 1, 1, 1, tzinfo=zone).astimezone(UTC)
        events = await meetings.meeting_events(session, branch.id, start, end)
        records = await meetings.records_of(session, [e.id for e in events])
        filed = []
        for event in events:
            for kind in event.meetings or []:
                record = records.get((event.id, kind))
                if record is not None:
                    filed.append(Filed(event, record, await meetings.turnout(session, event)))
        session.expunge_all()
        return branch, filed


async def export_records(
    db: Database, content: Content, out: Path, branch_name: str, year: int
) -> int:
    """Writes each record of the year into `out` (a folder) and the index; returns how many.
    Raises LookupError when no branch has that name."""
    branch, filed = await branch_records(db, branch_name, year)
    if branch is None:
        raise LookupError(branch_name)
    out.mkdir(parents=True, exist_ok=True)
    named = []
    for number, item in enumerate(filed, start=1):
        local = item.event.starts_at.astimezone(ZoneInfo(branch.timezone))
        name = event_name(item.record.kind, content)
        filename = f"{number:02d}_{local.date().isoformat()}_{name}.docx"
        write_atomically(out / filename, record_document(item, branch, content))
        named.append((filename, item))
    write_atomically(
        out / f"00_{year}年会议记录目录.docx", index_document(branch, year, named, content)
    )
    return len(filed)
