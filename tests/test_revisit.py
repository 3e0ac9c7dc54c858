"""修改 from a step's check goes back to that question showing what was answered."""

from __future__ import annotations

from pathlib import Path

from tests.chat import Conversation, bot_services


async def test_editing_the_contents_starts_from_the_earlier_choices(tmp_path: Path) -> None:
    async with bot_services(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}") as services:
        chat = Conversation(services, user_id=7)
        check = await chat.say(
            "/menu", "4. 抓活动", "第一党支部", "2027-01-15", "09:30", "否",
            "组织党员去丽江旅游", "党课、党费收缴", "/skip", "线下集中", "党员活动室",
        )  # fmt: skip
        assert "修改内容" in check
        again = await chat.say("修改内容")
        assert "✅ 党课" in again and "✅ 党费收缴" in again  # ticked, as chosen before
        assert again.count("] ✅ ") == 2  # the two chosen, nothing else
        saved = await chat.say("完成", "保存计划")  # back at the check, then saved
        assert "党课" in saved and "党费收缴" in saved
