"""修改 from a step's check goes back to that question showing what was answered."""

from __future__ import annotations

import re
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


async def test_a_cards_next_step_is_pressed_by_number_though_a_line_follows_it(
    tmp_path: Path,
) -> None:
    async with bot_services(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}") as services:
        chat = Conversation(services, user_id=7)
        done = await chat.say(
            "/menu", "4. 抓活动", "第一党支部", "2027-01-15", "09:30", "是",
            "学习贯彻党的二十届三中全会精神", "党课、党费收缴", "/skip", "线下集中", "党员活动室",
            "保存计划",
        )  # fmt: skip
        card, line = done.rsplit("已将", 1)
        assert "设为本支部固定主题党日" in line and "[" not in line  # a line after the card
        number = re.search(r"\[(\d+)\] 下一步", card)
        assert number is not None
        assert "抓创新" in await chat.say(number.group(1))


def last_report(printed: str) -> str:
    """The check as last shown (earlier ones are edited into "✔ 修改…" above it)."""
    return printed.rsplit("【方案检查】", 1)[-1]


async def test_the_activity_check_reads_the_place_and_runs_again_after_any_edit(
    tmp_path: Path,
) -> None:
    async with bot_services(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}") as services:
        chat = Conversation(services, user_id=7)
        check = await chat.say(
            "/menu", "4. 抓活动", "第一党支部", "2027-01-15", "09:30", "否",
            "学习党章 重温入党誓词", "党课、党费收缴、支部党员大会", "/skip", "线下集中",
            "大理古城",
        )  # fmt: skip
        assert "⚠️ 主题党日不能游山玩水" in check  # the place is a trip
        for option in ("修改地点", "修改方式", "修改日期", "修改时间"):
            assert option in check
        fixed = last_report(await chat.say("修改地点", "党员活动室"))
        assert "✅ 未发现问题" in fixed and "⚠️" not in fixed
        again = last_report(await chat.say("修改主题", "组织党员去丽江旅游"))
        assert "⚠️ 主题党日不能游山玩水" in again  # the whole check ran again
        later = await chat.say("修改时间", "下午2点半", "保存计划")
        assert "2027-01-15 14:30" in later


async def test_back_after_a_change_returns_to_the_check_in_one_step(tmp_path: Path) -> None:
    """/back from the question 修改 reopened is the check it came from, with its text (it was
    empty, and the field was eight /back away); /back from the check is the field edited."""
    async with bot_services(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}") as services:
        chat = Conversation(services, user_id=7)
        await chat.say(
            "/menu", "4. 抓活动", "第一党支部", "2027-01-15", "09:30", "否",
            "组织党员去丽江旅游", "党课、党费收缴", "/skip", "线下集中", "党员活动室",
        )  # fmt: skip
        assert "活动主题" in await chat.say("修改主题")
        back = await chat.say("/back")
        assert "【方案检查】组织党员去丽江旅游" in back and "保存计划" in back
        assert "活动主题" in await chat.say("修改主题")
        check = await chat.say("学习党章 重温入党誓词")
        assert "【方案检查】学习党章 重温入党誓词" in check
        assert "活动主题" in await chat.say("/back")  # the field just changed
