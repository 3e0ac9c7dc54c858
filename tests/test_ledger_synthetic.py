"""A 50-record synthetic ledger (tests/data/ledger_synthetic.yaml, written blind from the rules
and frozen) with organisations entered two or three times and records that contradict
themselves: the export's 待核实 column flags every one and nothing else, and merging through
/merge leaves one record per organisation (issue 15, done-when)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import openpyxl
import yaml

from bot.exports.ledger import HEADERS, export_ledger
from knowledge.content import load_content
from storage import ledger
from storage.db import Database
from tests.chat import Conversation, bot_services

DATA = Path(__file__).parent / "data" / "ledger_synthetic.yaml"
RECORDS: list[dict[str, Any]] = yaml.safe_load(DATA.read_text(encoding="utf-8"))["records"]
ADMIN = "900"
FLAG_WORDS = {
    "reason_misfit": "与党员人数不符",
    "leader_member_without_members": "负责人是党员，但党员人数为0",
    "organisation_without_members": "已建党组织，但党员人数为0",
    "more_members_than_staff": "党员人数超过职工人数",
}


async def load(db: Database) -> dict[str, int]:
    """The records as secretaries entered them; their ids by key."""
    ids: dict[str, int] = {}
    async with db.session() as session:
        for record in RECORDS:
            org = await ledger.add_organisation(
                session, record, record["registered_by"], record["registered_by_name"]
            )
            ids[record["key"]] = org.id
    return ids


def notes_by_id(path: Path) -> dict[int, str]:
    """Each record's 待核实 note; a note's cell is shaded, so it stands out on paper too."""
    workbook = openpyxl.load_workbook(path)
    number, note = HEADERS.index("台账编号"), HEADERS.index("待核实")
    found: dict[int, str] = {}
    for sheet in workbook.worksheets[1:]:
        for row in sheet.iter_rows(min_row=2):
            if isinstance(row[number].value, int):
                found[row[number].value] = row[note].value or ""
                shaded = row[note].fill.fgColor.rgb.endswith("FCE4D6")
                assert shaded == bool(row[note].value)
    return found


def test_the_data_is_what_it_says() -> None:
    assert len(RECORDS) == 50
    groups = defaultdict(list)
    for record in RECORDS:
        groups[record["org"]].append(record["key"])
    assert sum(1 for keys in groups.values() if len(keys) > 1) >= 8
    assert {code for r in RECORDS for code in r["expect"]} == set(FLAG_WORDS)


async def test_every_contradiction_and_duplicate_is_flagged_and_merging_leaves_one(
    database_url: str, tmp_path: Path
) -> None:
    async with bot_services(database_url, admins=frozenset({ADMIN})) as services:
        ids = await load(services.db)
        out = tmp_path / "ledger.xlsx"
        assert await export_ledger(services.db, load_content(), out, "Asia/Shanghai") == 50
        notes = notes_by_id(out)
        assert set(notes) == set(ids.values())
        same_org = defaultdict(set)
        for record in RECORDS:
            same_org[record["org"]].add(ids[record["key"]])
        missed, wrong = [], []
        for record in RECORDS:
            org_id = ids[record["key"]]
            note = notes[org_id]
            for code, words in FLAG_WORDS.items():
                if (words in note) != (code in record["expect"]):
                    (missed if code in record["expect"] else wrong).append((record["key"], code))
            others = sorted(same_org[record["org"]] - {org_id})
            flagged = sorted(
                int(part.split("#")[1].split()[0]) for part in note.split("；") if "重复" in part
            )
            if flagged != others:
                (missed if len(others) > len(flagged) else wrong).append((record["key"], flagged))
        assert (missed, wrong) == ([], [])

        admin = Conversation(services, user_id=ADMIN, name="工委")
        for _ in range(len(RECORDS)):
            listed = await admin.say("/merge")
            if "没有疑似重复" in listed:
                break
            confirm = await admin.say("1")  # the first pair
            assert "并入它" in confirm
            assert "已合并" in await admin.say("1")  # keep the earlier record
        remaining = {org.id for org in await _listed(services.db)}
        assert len(remaining) == len(same_org)  # one record per organisation
        assert all(len(remaining & group) == 1 for group in same_org.values())
        assert await export_ledger(services.db, load_content(), out, "Asia/Shanghai") == 38
        assert not any("重复" in note for note in notes_by_id(out).values())


async def _listed(db: Database):  # type: ignore[no-untyped-def]
    async with db.session() as session:
        return list(await ledger.list_organisations(session))
