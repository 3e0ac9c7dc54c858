"""Cross-field rules of a ledger record: a 未建党组织 reason must fit the member counts, a
负责人 who is a party member means at least one member, a party organisation needs members.
Each runs at entry and again after a /ledger 修改, with a question back (issue 15, item 1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.rules.ledger_consistency import (
    NO_MEMBERS,
    TOO_FEW,
    Contradiction,
    contradictions,
    reason_fits,
)
from storage.models import Organisation
from tests.chat import Conversation, bot_services


@pytest.mark.parametrize(
    ("reason", "formal", "probationary", "fits"),
    [
        (NO_MEMBERS, 0, 0, True),
        (NO_MEMBERS, 0, 1, False),
        (NO_MEMBERS, 5, 0, False),
        (TOO_FEW, 2, 1, True),
        (TOO_FEW, 0, 1, True),
        (TOO_FEW, 0, 0, False),  # none at all: 没有党员 says it better
        (TOO_FEW, 3, 0, False),
        ("党员组织关系未转入", 5, 0, True),
        ("其他原因", 0, 0, True),
    ],
)
def test_which_reasons_fit_the_counts(
    reason: str, formal: int, probationary: int, fits: bool
) -> None:
    assert reason_fits(reason, formal, probationary) is fits


REASON, LEADER, NO_ORG, STAFF = (
    Contradiction.REASON_MISFIT,
    Contradiction.LEADER_MEMBER_WITHOUT_MEMBERS,
    Contradiction.ORGANISATION_WITHOUT_MEMBERS,
    Contradiction.MORE_MEMBERS_THAN_STAFF,
)
CLEAN = {
    "employees": 8,
    "formal_members": 0,
    "probationary_members": 0,
    "leader_name": "张三",
    "leader_is_member": False,
    "has_party_org": False,
    "no_org_reason": NO_MEMBERS,
}


@pytest.mark.parametrize(
    ("changes", "found"),
    [
        ({}, []),
        ({"formal_members": 5}, [REASON]),
        ({"formal_members": 5, "no_org_reason": "党员组织关系未转入"}, []),
        ({"leader_is_member": True}, [LEADER]),
        ({"leader_is_member": True, "probationary_members": 1}, [REASON]),  # 没有党员 still
        ({"leader_is_member": True, "leader_name": None}, []),  # skipped name: nothing said
        ({"has_party_org": True, "no_org_reason": None}, [NO_ORG]),
        ({"has_party_org": True, "formal_members": 1, "no_org_reason": None}, []),
        ({"has_party_org": True}, [NO_ORG]),  # a stale reason of a built org is not read
        ({"formal_members": 6, "probationary_members": 3, "no_org_reason": None}, [STAFF]),
        ({"formal_members": None}, []),  # not answered yet: nothing to contradict
        ({"leader_is_member": True, "has_party_org": True}, [LEADER, NO_ORG]),
    ],
)
def test_which_answers_contradict_each_other(
    changes: dict[str, object], found: list[Contradiction]
) -> None:
    assert contradictions({**CLEAN, **changes}) == found


SMALL_FIRM = ["楚雄某某小店", "非公企业", "楚雄市", "不在园区", "正常经营（运行）", "8", "0", "0"]


async def test_a_reason_that_does_not_fit_is_not_offered(tmp_path: Path) -> None:
    async with bot_services(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}") as services:
        chat = Conversation(services)
        await chat.say("/menu", "1", *SMALL_FIRM[:6], "5", "0", "张三", "否")
        asked = await chat.say("否")  # no party organisation yet
        assert "党员组织关系未转入" in asked
        assert NO_MEMBERS not in asked and TOO_FEW not in asked  # 5 formal members
        refused = await chat.say(NO_MEMBERS)  # typed: told why, not only "use the buttons"
        assert "已填正式党员 5 名、预备党员 0 名，与“没有党员”不符" in refused
        assert "未建党组织的原因" in refused


async def test_changing_the_members_asks_the_reason_again(tmp_path: Path) -> None:
    async with bot_services(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}") as services:
        chat = Conversation(services)
        card = await chat.say("/menu", "1", *SMALL_FIRM, "张三", "否", "否", NO_MEMBERS, "/skip")
        assert f"五清 未建党组织原因：{NO_MEMBERS}" in card
        await chat.say("/ledger", "1", "修改")
        asked = await chat.say("正式党员：0", "3")
        assert "未建党组织的原因" in asked and NO_MEMBERS not in asked.split("原因")[-1]
        saved = await chat.say("党员组织关系未转入")
        assert "五清 未建党组织原因：党员组织关系未转入" in saved
        async with services.db.session() as session:
            org = (await session.execute(select(Organisation))).scalar_one()
        assert (org.formal_members, org.no_org_reason) == (3, "党员组织关系未转入")


async def test_a_member_leader_with_no_members_asks_for_the_members_again(tmp_path: Path) -> None:
    async with bot_services(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}") as services:
        chat = Conversation(services)
        asked = await chat.say("/menu", "1", *SMALL_FIRM, "张三", "是")
        assert "党员人数是 0，负责人却是党员，请核实" in asked
        assert "正式党员多少名" in asked  # the count to correct first
        again = await chat.say("1")
        assert "负责人" in again and "是不是党员" in again
        card = await chat.say("是", "否", "正式党员不足3名", "/skip")
        assert "正式党员 1 名" in card and "张三（党员）" in card


async def test_members_edited_to_zero_ask_again_about_the_leader_and_the_org(
    tmp_path: Path,
) -> None:
    async with bot_services(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}") as services:
        chat = Conversation(services)
        firm = [*SMALL_FIRM[:6], "3", "0"]
        await chat.say("/menu", "1", *firm, "张三", "是", "是")
        await chat.say("/ledger", "1", "修改")
        asked = await chat.say("正式党员：3", "0")
        assert "党员人数是 0，负责人却是党员，请核实" in asked and "是不是党员" in asked
        asked = await chat.say("否")
        assert "党员人数是 0，却已建党组织，请核实" in asked and "是否已建立党组织" in asked
        asked = await chat.say("否")
        assert "未建党组织的原因" in asked
        saved = await chat.say(NO_MEMBERS)
        assert "已更新" in saved and "四清 出资人（负责人）：张三（非党员）" in saved
        async with services.db.session() as session:
            org = (await session.execute(select(Organisation))).scalar_one()
        assert (org.formal_members, org.leader_is_member, org.has_party_org) == (0, False, False)
        assert org.no_org_reason == NO_MEMBERS
