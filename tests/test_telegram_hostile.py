"""Hostile input end to end, on both frameworks in both modes: stickers and photos, names
and titles full of invisible characters, and a save the database refuses."""

from __future__ import annotations

import pytest

from tests.flow_scripts import ENTERPRISE_ANSWERS
from tests.hostile import CLEAN_ORG, FORBIDDEN, HOSTILE_ORG, refused_once
from tests.telegram_bots import MODES, Running, button, said, survey, texts
from tests.telegram_server import FakeTelegram


async def _start_survey(server: FakeTelegram, user: dict, chat: dict) -> None:
    await server.send_text(user, chat, "/menu")
    menu = await said(server, chat["id"], "请选择要开展的一步")
    await server.press_button(user, chat, menu["message_id"], button(menu, "抓摸底"))
    await said(server, chat["id"], "请输入组织全称")


@pytest.mark.parametrize("telegram", MODES, indirect=True)
async def test_photos_voice_notes_and_files_get_a_text_only_answer(telegram: Running) -> None:
    server, content = telegram.server, telegram.services.content
    user = await server.user(701, "书记")
    chat = await server.private_chat(user)
    await server.send_media(user, chat, "photo")
    await said(server, chat["id"], content.text("attachment_hint"))
    await _start_survey(server, user, chat)
    for kind in ("photo", "voice", "document", "location"):
        before = len(texts(server, chat["id"]))
        await server.send_media(user, chat, kind)
        await server.wait_for(lambda _, n=before: len(texts(server, chat["id"])) > n, timeout=10)
        question = texts(server, chat["id"])[-1]
        assert question.startswith(content.text("attachment_in_dialog")), (kind, question)
        assert "请输入组织全称" in question
    await survey(server, user, chat, ENTERPRISE_ANSWERS[:1])
    await said(server, chat["id"], "属于哪一类")  # the dialog is where it was


@pytest.mark.parametrize("telegram", MODES, indirect=True)
async def test_a_sticker_gets_a_text_only_answer_in_private_and_none_in_a_group(
    telegram: Running,
) -> None:
    server, content = telegram.server, telegram.services.content
    user = await server.user(741, "书记")
    chat = await server.private_chat(user)
    group = await server.group(-100740, "支部群", members={741: "member"})
    await server.send_media(user, group, "sticker")
    await server.send_media(user, chat, "sticker")
    await said(server, chat["id"], content.text("attachment_hint"))
    assert texts(server, group["id"]) == []


@pytest.mark.parametrize("telegram", MODES, indirect=True)
async def test_attachments_in_a_group_are_ignored(telegram: Running) -> None:
    server = telegram.server
    await server.user(721, "群主")
    member = await server.user(722, "党员")
    group = await server.group(-100720, "支部群", members={721: "creator", 722: "member"})
    for kind in ("photo", "voice", "document", "location"):
        await server.send_media(member, group, kind)
    await server.send_text(member, group, "/ask 党员活动室六有标准是什么")
    # Answered in order: a reply to an attachment would have come before this one.
    await said(server, group["id"], "六有")
    assert len(texts(server, group["id"])) == 1  # only the answer to /ask


@pytest.mark.parametrize("telegram", MODES, indirect=True)
async def test_hostile_names_and_titles_come_back_clean(telegram: Running) -> None:
    server = telegram.server
    secretary = await server.user(711, "群\u202e主\x00")
    member = await server.user(712, "王\u200b五\u2066\x7f")
    group = await server.group(
        -100710, "某某\u202e支部\x00群\u200b", members={711: "creator", 712: "member"}
    )
    await server.send_text(secretary, group, "/bind")
    await said(server, group["id"], "已将本群绑定为“某某支部群”支部群")
    await server.send_text(member, group, "/join")
    await said(server, group["id"], "王五 已加入“某某支部群”名册")
    await server.send_text(secretary, group, "/roster 添加 赵\x00六\ufeff")
    await said(server, group["id"], "已添加 1 人：赵六")
    await server.send_text(secretary, group, "/roster")
    roster = await said(server, group["id"], "名册（3人）")
    assert all(name in roster["text"] for name in ("群主", "王五", "赵六"))
    chat = await server.private_chat(secretary)
    await _start_survey(server, secretary, chat)
    await server.send_text(secretary, chat, HOSTILE_ORG)
    await said(server, chat["id"], f"“{CLEAN_ORG}”属于哪一类")
    shown = [m.get("text") or "" for m in server.sent]
    assert not [t for t in shown if any(ch in t for ch in FORBIDDEN)]


@pytest.mark.parametrize("telegram", MODES, indirect=True)
async def test_a_refused_save_is_apologised_for_truthfully_and_can_be_sent_again(
    telegram: Running,
) -> None:
    server, content = telegram.server, telegram.services.content
    user = await server.user(731, "书记")
    chat = await server.private_chat(user)
    await _start_survey(server, user, chat)
    with refused_once(telegram.services.db, "UPDATE DIALOG_STATES") as refused:
        await server.send_text(user, chat, ENTERPRISE_ANSWERS[0])
        apology = await said(server, chat["id"], content.text("handler_failed"))
    assert refused and "可能没有保存" in apology["text"] and "都已保存" not in apology["text"]
    await survey(server, user, chat, ENTERPRISE_ANSWERS[:1])
    asked = await said(server, chat["id"], "属于哪一类")
    assert ENTERPRISE_ANSWERS[0] in asked["text"]
