"""Issue 14 on Telegram, both frameworks, over real HTTP to the local Bot API server: members
answer in words and by button, and the counts, each member's confirmation and /attendance
agree; a moved date that a new rule no longer wants is announced and keeps its replies; /bind
by a secretary who already runs a branch links that branch."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from storage import attendance, branches
from tests.telegram_bots import Bot, bound_group, message_with, rule_two_days_ahead, said, until

GROUP_ID = -100800


async def reminded_group(bot: Bot) -> tuple[dict[str, Any], dict[str, Any], int]:
    server = bot.server
    group = await bound_group(bot, GROUP_ID, 1, "第一支部群")
    await server.send_text(1, group, f"/themeday {rule_two_days_ahead()}")
    reminder = await said(server, GROUP_ID, "【支部主题党日提醒】")
    event_id = int(reminder["reply_markup"]["inline_keyboard"][0][0]["callback_data"].split(":")[1])
    return group, reminder, event_id


def labels(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [b["text"] for row in rows for b in row]


def data_of(message: dict[str, Any], label: str) -> str:
    rows = message["reply_markup"]["inline_keyboard"]
    return next(b["callback_data"] for row in rows for b in row if b["text"] == label)


async def test_words_and_buttons_agree_with_counts_and_attendance(bot: Bot) -> None:
    server = bot.server
    group, reminder, event_id = await reminded_group(bot)
    for user in range(1001, 1006):
        await server.user(user, f"党员{user}")
    yes = data_of(reminder, "✅ 参加")
    await server.press_button(1001, group, reminder["message_id"], yes)
    replies = {
        1002: "准时参加，不用请假",
        1003: "可以不参加吗",
        1004: "来不了，家里有事",
        1005: "大家早上好",  # chatter under the reminder: no answer
    }
    for user, text in replies.items():
        await server.send_text(user, group, text, reply_to_message_id=reminder["message_id"])
    shown = await said(server, GROUP_ID, "已为党员1002记录：✅ 参加")
    assert labels(shown) == ["改为请假"]
    await said(server, GROUP_ID, "已为党员1004记录：📝 请假（家里有事）")
    asked = await said(server, GROUP_ID, "党员1003，没能确定您是否参加")
    assert labels(asked) == ["✅ 参加", "📝 请假"]
    await server.press_button(1003, group, asked["message_id"], data_of(asked, "📝 请假"))
    # One tap changes 1002's answer; another member's tap on it changes nothing.
    await server.press_button(1001, group, shown["message_id"], data_of(shown, "改为请假"))
    await server.press_button(1002, group, shown["message_id"], data_of(shown, "改为请假"))

    async def tally() -> dict[str, int]:
        async with bot.services.db.session() as session:
            return await attendance.counts(session, event_id)

    await until(tally, {"attend": 1, "leave": 3})
    await said(server, GROUP_ID, "✅ 参加 1　📝 请假 3", timeout=15)
    assert message_with(server.sent, GROUP_ID, "党员1005") is None
    private = await server.private_chat(1)
    await server.send_text(1, private, "/attendance")
    card = await said(server, 1, "【出勤】")
    assert "✅ 参加（1）：党员1001" in card["text"]
    assert "📝 请假（3）" in card["text"] and "党员1004：家里有事" in card["text"]
    assert not server.internal_errors


async def test_a_moved_day_a_new_rule_drops_is_kept_and_announced(bot: Bot) -> None:
    server = bot.server
    group, reminder, event_id = await reminded_group(bot)
    await server.user(1001, "党员1001")
    await server.press_button(1001, group, reminder["message_id"], data_of(reminder, "✅ 参加"))
    local = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=2)
    later = local + timedelta(days=1)
    await server.send_text(
        1, group, f"/themeday 改期 {local.date().isoformat()} {later.date().isoformat()} 14:30"
    )
    notice = await said(server, GROUP_ID, "【改期通知】")
    assert "14:30" in notice["text"] and labels(notice) == ["✅ 参加", "📝 请假"]
    other_day = (local + timedelta(days=5)).day
    await server.send_text(1, group, f"/themeday 每月{other_day}日 9:00")
    told = await said(server, GROUP_ID, f"/themeday 取消 {later.date().isoformat()}")
    assert "1人已回复" in told["text"]

    async def tally() -> dict[str, int]:
        async with bot.services.db.session() as session:
            return await attendance.counts(session, event_id)

    await until(tally, {"attend": 1, "leave": 0})
    assert not server.internal_errors


async def test_bind_by_a_secretary_with_a_branch_links_the_chosen_one(bot: Bot) -> None:
    server = bot.server
    async with bot.services.db.session() as session:  # as after 抓组建: 第一党支部 is theirs
        await branches.create_branch(session, "第一党支部", "7", "书记7", None, "Asia/Shanghai")
    owner = await server.user(7, "书记7")
    group = await server.group(-100900, "云岭新材料党员群", {7: "creator"})
    await server.send_text(owner, group, "/bind")
    choice = await said(server, -100900, "本群是哪个支部的群")
    assert labels(choice) == ["第一党支部", "新建支部“云岭新材料党员群”"]
    await server.press_button(7, group, choice["message_id"], data_of(choice, "第一党支部"))
    await said(server, -100900, "已将本群绑定为“第一党支部”支部群")
    await server.send_text(owner, group, "/themeday 每月15日 9:00")
    await said(server, -100900, "已设定“第一党支部”固定主题党日")
    assert not server.internal_errors
