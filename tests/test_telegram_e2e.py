"""The assistant on Telegram end to end: the real framework (python-telegram-bot or aiogram)
over real HTTP against the local Bot API server, in long-polling and webhook mode."""

from __future__ import annotations

from typing import Any

import pytest

from tests.flow_scripts import ENTERPRISE_ANSWERS
from tests.telegram_bots import MODES, Running, button, free_port, said, survey, texts


@pytest.mark.parametrize("telegram", MODES, indirect=True)
async def test_private_survey_to_its_summary_card(telegram: Running) -> None:
    server = telegram.server
    user = await server.user(101, "李书记")
    chat = await server.private_chat(user)
    await server.send_text(user, chat, "/start")
    await said(server, chat["id"], "六步工作法")
    await server.send_text(user, chat, "/menu")
    menu = await said(server, chat["id"], "请选择要开展的一步")
    await server.press_button(user, chat, menu["message_id"], button(menu, "抓摸底"))
    question = await said(server, chat["id"], "请输入组织全称")
    await survey(server, user, chat, ENTERPRISE_ANSWERS[:1])
    kind = await said(server, chat["id"], "属于哪一类")
    await server.press_button(user, chat, kind["message_id"], button(kind, "非公企业"))
    await said(server, chat["id"], "所在县（市）")
    await survey(server, user, chat, ENTERPRISE_ANSWERS[2:])
    card = await said(server, chat["id"], "【摸底台账 #1】")
    assert "联合党组织" in card["text"] and "未达到" in card["text"]
    assert question["message_id"] < card["message_id"]
    edited = [
        m
        for m in server.sent
        if m["method"] == "editMessageText" and "✔ 非公企业" in (m["text"] or "")
    ]
    assert edited, "the pressed question is edited in place"
    assert any(c["method"] == "answerCallbackQuery" for c in server.calls)
    assert any(c["method"] == "setMyCommands" for c in server.calls)
    await server.send_text(user, chat, "/export")
    document = await server.wait_for(
        lambda sent: next((m for m in sent if m["method"] == "sendDocument"), None), timeout=10
    )
    filename, data = document["document"]
    assert filename == "摸底台账.xlsx" and "共1家" in document["caption"]
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(data))["楚雄市"]
    assert any(row[2] == "楚雄某某科技有限公司" for row in sheet.iter_rows(values_only=True))


@pytest.mark.parametrize("telegram", MODES, indirect=True)
async def test_group_bind_by_admin_only_and_ask_in_group(telegram: Running) -> None:
    server = telegram.server
    admin, member = await server.user(201, "群主"), await server.user(202, "党员")
    group = await server.group(-100200, "某某公司党支部群", members={201: "creator", 202: "member"})
    await server.send_text(member, group, "/bind@branch_test_bot")
    await said(server, group["id"], "只有群主或群管理员")
    await server.send_text(admin, group, "/bind")
    await said(server, group["id"], "已将本群绑定")
    await server.send_text(member, group, "/join")
    joined = await said(server, group["id"], "已加入")
    link = joined["reply_markup"]["inline_keyboard"][0][0]["url"]
    assert link == "https://t.me/branch_test_bot?start=join-1"
    await server.send_text(member, group, "/ask 党员活动室六有标准是什么")
    answer = await said(server, group["id"], "六有")
    assert "来源" in answer["text"]
    before = len(texts(server, group["id"]))
    await server.send_text(member, group, "大家好")  # chatter is not for the bot
    await server.send_text(member, group, "/ask@other_bot 六有")  # another bot's command
    # One chat's updates are answered in order: once the reply to a later /help is there, a
    # reply to the chatter would have come before it.
    await server.send_text(member, group, "/help@branch_test_bot")
    await said(server, group["id"], "/menu")
    assert len(texts(server, group["id"])) == before + 1


@pytest.mark.parametrize("telegram", MODES, indirect=True)
async def test_forged_and_foreign_buttons_are_answered_and_change_nothing(
    telegram: Running,
) -> None:
    server = telegram.server
    owner = await server.user(301, "书记")
    chat = await server.private_chat(owner)
    await server.send_text(owner, chat, "/menu")
    menu = await said(server, chat["id"], "请选择要开展的一步")
    await server.press_button(owner, chat, menu["message_id"], button(menu, "抓摸底"))
    await said(server, chat["id"], "请输入组织全称")
    calls = len(server.calls)
    for data in ("d:999:0:0", "l:v:1", "x" * 64, "m:../../etc", "j:1:z", "k:nope"):
        await server.press_button(owner, chat, menu["message_id"], data)
    await server.wait_for(
        lambda _: sum(c["method"] == "answerCallbackQuery" for c in server.calls[calls:]) >= 6,
        timeout=10,
    )
    assert not [c for c in server.calls[calls:] if c["method"] == "sendMessage"]
    await server.send_text(owner, chat, "测试单位")
    await said(server, chat["id"], "属于哪一类")  # the dialog is where it was


@pytest.mark.parametrize("telegram", MODES, indirect=True)
async def test_a_429_storm_loses_nothing(telegram: Running) -> None:
    server = telegram.server
    user = await server.user(401, "书记")
    chat = await server.private_chat(user)
    await server.send_text(user, chat, "/menu")
    menu = await said(server, chat["id"], "请选择要开展的一步")
    server.fail_next("sendMessage", status=429, retry_after=1, times=4)
    await server.press_button(user, chat, menu["message_id"], button(menu, "抓摸底"))
    await survey(server, user, chat, ENTERPRISE_ANSWERS[:2])
    await said(server, chat["id"], "所在县（市）", timeout=20)
    intro = [t for t in texts(server, chat["id"]) if "约需3分钟" in t]
    assert len(intro) == 1  # delivered once, not lost, not duplicated


@pytest.mark.parametrize("telegram", MODES, indirect=True)
async def test_restart_mid_flow_resumes(telegram: Running) -> None:
    server = telegram.server
    user = await server.user(501, "书记")
    chat = await server.private_chat(user)
    await server.send_text(user, chat, "/menu")
    menu = await said(server, chat["id"], "请选择要开展的一步")
    await server.press_button(user, chat, menu["message_id"], button(menu, "抓摸底"))
    await survey(server, user, chat, ENTERPRISE_ANSWERS[:5])
    await said(server, chat["id"], "现有职工")
    await telegram.restart()
    await survey(server, user, chat, ENTERPRISE_ANSWERS[5:])
    card = await said(server, chat["id"], "【摸底台账 #1】", timeout=15)
    assert "楚雄某某科技有限公司" in card["text"] and "120 人" in card["text"]


async def test_webhook_receiver_refuses_a_wrong_secret() -> None:
    from aiohttp import ClientSession

    from bot.transports.common import SECRET_HEADER, start_webhook_receiver

    received: list[dict[str, Any]] = []

    async def feed(update: dict[str, Any]) -> None:
        received.append(update)

    url = f"http://127.0.0.1:{free_port()}/hook"
    stop = await start_webhook_receiver(url, "right", url.split("/")[2], feed)
    try:
        async with ClientSession() as http:
            for headers, status in (
                ({}, 403),
                ({SECRET_HEADER: "wrong"}, 403),
                ({SECRET_HEADER: "right"}, 200),
            ):
                async with http.post(url, json={"update_id": 1}, headers=headers) as response:
                    assert response.status == status
    finally:
        await stop()
    assert received == [{"update_id": 1}]


@pytest.mark.parametrize(("framework", "absent"), [("ptb", "aiogram"), ("aiogram", "telegram")])
def test_only_the_selected_framework_is_imported(framework: str, absent: str) -> None:
    import subprocess
    import sys

    module = "ptb_transport" if framework == "ptb" else "aiogram_transport"
    code = (
        "import sys, bot.cli, bot.services, bot.console, bot.transports.run; "
        f"assert 'telegram' not in sys.modules and 'aiogram' not in sys.modules; "
        f"import bot.transports.{module}; assert {absent!r} not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.parametrize("telegram", MODES[:2], indirect=True)
async def test_a_group_that_removed_the_bot_is_marked_inactive_and_skipped(
    telegram: Running,
) -> None:
    from bot.contract import SendText
    from storage import groups

    server = telegram.server
    admin = await server.user(601, "群主")
    group = await server.group(-100600, "支部群", members={601: "creator"})
    await server.send_text(admin, group, "/bind")
    await said(server, group["id"], "已将本群绑定")
    await server.remove_bot(group["id"])
    outbound = telegram.services.messenger
    assert await outbound.send(str(group["id"]), SendText("本月主题党日提醒")) is None
    async with telegram.services.db.session() as session:
        binding = await groups.get_binding(session, str(group["id"]))
        assert binding is not None and binding.active is False
    calls = len(server.calls)
    assert await outbound.send(str(group["id"]), SendText("再次提醒")) is None
    assert not [c for c in server.calls[calls:] if c["method"] == "sendMessage"]


@pytest.mark.parametrize("telegram", [m for m in MODES if "polling" in m.id], indirect=True)
async def test_an_organisation_entered_twice_is_warned_and_merged(telegram: Running) -> None:
    """Issue 15: the second secretary is warned before saving (buttons of an "aside" question),
    the 工委 admin (909 in the fixture) merges the two records with /merge's buttons."""
    server = telegram.server
    first, second = await server.user(401, "张丽"), await server.user(402, "王强")
    admin = await server.user(909, "工委")
    for user in (first, second):
        chat = await server.private_chat(user)
        await server.send_text(user, chat, "/menu")
        menu = await said(server, chat["id"], "请选择要开展的一步")
        await server.press_button(user, chat, menu["message_id"], button(menu, "抓摸底"))
        await said(server, chat["id"], "请输入组织全称")
        name = ENTERPRISE_ANSWERS[0] if user is first else "楚雄市某某科技有限责任公司"
        await survey(server, user, chat, [name, "非公企业", "楚雄市"])
        if user is second:
            warned = await said(server, chat["id"], "台账里已有同名组织（#1，楚雄市）")
            assert "张三" not in warned["text"]  # another secretary's record stays closed
            go_on = button(warned, "不是同一家，继续登记")
            await server.press_button(user, chat, warned["message_id"], go_on)
            await said(server, chat["id"], "所在园区")
        await survey(server, user, chat, ENTERPRISE_ANSWERS[3:])
        await said(server, chat["id"], "【摸底台账 #")
    chat = await server.private_chat(admin)
    await server.send_text(admin, chat, "/merge")
    pairs = await said(server, chat["id"], "疑似重复的记录（1对）")
    await server.press_button(admin, chat, pairs["message_id"], button(pairs, "核对 #1 与 #2"))
    confirm = await said(server, chat["id"], "保留 #1，把 #2 并入它")
    await server.press_button(admin, chat, confirm["message_id"], button(confirm, "确认：保留 #1"))
    await said(server, chat["id"], "已合并：#2（王强登记）并入 #1")
    await server.press_button(admin, chat, confirm["message_id"], button(confirm, "确认：保留 #1"))
    await server.send_text(admin, chat, "/ledger")
    listed = await said(server, chat["id"], "摸底台账（共1家）")
    assert "重复" not in listed["text"]
