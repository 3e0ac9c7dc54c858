"""A 未建党组织 reason must fit the member counts: offered only where it fits, and asked again
when a later change makes the saved one wrong (issue 15, item 1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.rules.ledger_consistency import NO_MEMBERS, TOO_FEW, reason_fits
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


SMALL_FIRM = ["楚雄某某小店", "非公企业", "楚雄市", "不在园区", "正常经营（运行）", "8", "0", "0"]


async def test_a_reason_that_does_not_fit_is_not_offered(tmp_path: Path) -> None:
    async with bot_services(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}") as services:
        chat = Conversation(services)
        await chat.say("/menu", "1", *SMALL_FIRM[:6], "5", "0", "张三", "否")
        asked = await chat.say("否")  # no party organisation yet
        assert "党员组织关系未转入" in asked
        assert NO_MEMBERS not in asked and TOO_FEW not in asked  # 5 formal members
        refused = await chat.say(NO_MEMBERS)
        assert "请点击下面的按钮" in refused


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
