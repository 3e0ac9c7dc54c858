"""The fake Telegram server must be trustworthy before end-to-end tests lean on it: these check
the behaviours real Telegram has and naive fakes miss, and that unpatched python-telegram-bot and
aiogram clients accept its answers."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import telegram
from aiogram import Bot as AiogramBot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import InlineKeyboardButton as AiogramButton
from aiogram.types import InlineKeyboardMarkup as AiogramMarkup
from aiohttp import web

from tests.telegram_server import BOT_ID, NOT_MODIFIED, SECRET_HEADER, FakeTelegram, text_entities

TOKEN = "123456:TEST-token"
KEYBOARD = {"inline_keyboard": [[{"text": "是", "callback_data": "yes"}]]}


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegram]:
    fake = await FakeTelegram.start()
    try:
        yield fake
    finally:
        await fake.stop()
        assert not fake.internal_errors


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(
    http: aiohttp.ClientSession, server: FakeTelegram, method: str, **params: Any
) -> tuple[int, dict[str, Any]]:
    async with http.post(f"{server.url}/bot{TOKEN}/{method}", json=params) as response:
        return response.status, await response.json()


async def user_and_chat(server: FakeTelegram, user_id: int = 42) -> tuple[dict, dict]:
    user = await server.user(user_id, "张三", "zhang")
    return user, await server.private_chat(user)


async def test_get_me_and_send_message(server: FakeTelegram, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{server.url}/bot{TOKEN}/getMe") as response:
        me = await response.json()
    assert me == {"ok": True, "result": server.bot}
    assert me["result"]["is_bot"] is True
    _, chat = await user_and_chat(server)

    # Form-encoded, as PTB sends it: numbers and markup arrive as strings.
    form = {"chat_id": "42", "text": "123", "reply_markup": json.dumps(KEYBOARD)}
    async with http.post(f"{server.url}/bot{TOKEN}/sendMessage", data=form) as response:
        first = (await response.json())["result"]
    status, second = await call(http, server, "sendMessage", chat_id=42, text="第二条")

    assert status == 200
    assert first["text"] == "123" and first["reply_markup"] == KEYBOARD
    assert first["chat"] == chat and first["from"]["id"] == BOT_ID
    assert isinstance(first["date"], int) and abs(first["date"] - time.time()) < 5
    assert [first["message_id"], second["result"]["message_id"]] == [1, 2]
    assert [r["text"] for r in server.messages_to(42)] == ["123", "第二条"]
    assert server.messages_to(42)[0]["reply_markup"] == KEYBOARD

    assert await call(http, server, "sendMessage", chat_id=999, text="x") == (
        400,
        {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"},
    )
    assert (await call(http, server, "noSuchMethod"))[0] == 404


async def test_long_polling_returns_early_on_a_new_update(
    server: FakeTelegram, http: aiohttp.ClientSession
) -> None:
    user, chat = await user_and_chat(server)
    started = time.monotonic()
    poll = asyncio.create_task(call(http, server, "getUpdates", timeout=5))
    await server.wait_for(lambda _: server.polls_started == 1)  # the poll is waiting
    assert not poll.done()
    await server.send_text(user, chat, "/start@branch_test_bot 你好 @branch_test_bot")

    status, body = await poll
    assert status == 200 and time.monotonic() - started < 1
    message = body["result"][0]["message"]
    assert message["entities"] == [
        {"type": "bot_command", "offset": 0, "length": 22},
        {"type": "mention", "offset": 26, "length": 16},
    ]


@pytest.mark.parametrize(
    ("text", "entities"),
    [
        ("/start 参数", [("bot_command", 0, 6)]),
        ("/start参数", []),  # Telegram wants a non-letter after a command
        ("看 /help@branch_test_bot", [("bot_command", 2, 21)]),
        ("😀 @branch_test_bot 你好", [("mention", 3, 16)]),  # offsets in UTF-16 units
        ("a/b and mail@branch_test_bot", []),
    ],
)
def test_entities_follow_telegram_rules(text: str, entities: list[tuple[str, int, int]]) -> None:
    found = [(e["type"], e["offset"], e["length"]) for e in text_entities(text)]
    assert found == entities


async def test_long_polling_returns_nothing_after_the_timeout(
    server: FakeTelegram, http: aiohttp.ClientSession
) -> None:
    started = time.monotonic()
    assert await call(http, server, "getUpdates", timeout=1) == (200, {"ok": True, "result": []})
    assert 0.9 < time.monotonic() - started < 1.5


async def test_offset_confirms_updates(server: FakeTelegram, http: aiohttp.ClientSession) -> None:
    user, chat = await user_and_chat(server)
    for text in ("一", "二", "三"):
        await server.send_text(user, chat, text)

    _, body = await call(http, server, "getUpdates")
    ids = [update["update_id"] for update in body["result"]]
    assert ids == [ids[0], ids[0] + 1, ids[0] + 2]
    _, again = await call(http, server, "getUpdates", limit=2)
    assert [u["update_id"] for u in again["result"]] == ids[:2], "unconfirmed updates stay"

    _, rest = await call(http, server, "getUpdates", offset=ids[2])
    assert [u["message"]["text"] for u in rest["result"]] == ["三"]
    _, none = await call(http, server, "getUpdates", offset=ids[2] + 1)
    assert none["result"] == []
    update = await server.send_text(user, chat, "四")
    _, last = await call(http, server, "getUpdates", offset=-1)
    assert last["result"][0]["update_id"] == ids[2] + 1
    assert last["result"][0]["message"] == update


async def test_newer_get_updates_terminates_an_older_one(
    server: FakeTelegram, http: aiohttp.ClientSession
) -> None:
    older = asyncio.create_task(call(http, server, "getUpdates", timeout=5))
    await server.wait_for(lambda _: server.polls_started == 1)  # the older one is waiting
    assert await call(http, server, "getUpdates") == (200, {"ok": True, "result": []})
    status, body = await older
    assert status == 409 and "terminated by other getUpdates request" in body["description"]


async def test_webhook_delivers_with_secret_and_retries_after_500(
    server: FakeTelegram, http: aiohttp.ClientSession
) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []

    async def receiver(request: web.Request) -> web.Response:
        received.append((request.headers.get(SECRET_HEADER), await request.json()))
        return web.Response(status=500 if len(received) == 1 else 200)

    app = web.Application()
    app.router.add_post("/hook", receiver)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
        assert (await call(http, server, "setWebhook", url=url, secret_token="s3cret"))[0] == 200
        user, chat = await user_and_chat(server)
        await server.send_text(user, chat, "你好")
        await server.webhook_idle(timeout=2)
    finally:
        await runner.cleanup()

    assert [secret for secret, _ in received] == ["s3cret", "s3cret"]
    assert received[0][1] == received[1][1] and received[1][1]["message"]["text"] == "你好"
    assert server.deliveries[1]["at"] - server.deliveries[0]["at"] >= 0.1
    _, info = await call(http, server, "getWebhookInfo")
    assert info["result"]["pending_update_count"] == 0
    assert "500" in info["result"]["last_error_message"]
    status, body = await call(http, server, "getUpdates")
    assert status == 409 and body["description"].startswith("Conflict: can't use getUpdates")


async def test_unreachable_webhook_keeps_the_update(
    server: FakeTelegram, http: aiohttp.ClientSession
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    await call(http, server, "setWebhook", url=f"http://127.0.0.1:{port}/hook")
    user, chat = await user_and_chat(server)
    await server.send_text(user, chat, "还在吗")
    await server.wait_for(lambda _: len(server.deliveries) >= 2)  # tried, and tried again
    assert all(d["error"] for d in server.deliveries)

    await call(http, server, "deleteWebhook")
    _, body = await call(http, server, "getUpdates")
    assert [u["message"]["text"] for u in body["result"]] == ["还在吗"]


async def test_method_in_webhook_answer_is_executed(
    server: FakeTelegram, http: aiohttp.ClientSession
) -> None:
    async def receiver(request: web.Request) -> web.Response:
        update = await request.json()
        chat_id = update["message"]["chat"]["id"]
        return web.json_response({"method": "sendMessage", "chat_id": chat_id, "text": "收到"})

    app = web.Application()
    app.router.add_post("/hook", receiver)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        await call(
            http, server, "setWebhook", url=f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
        )
        user, chat = await user_and_chat(server)
        await server.send_text(user, chat, "你好")
        await server.webhook_idle(timeout=2)
    finally:
        await runner.cleanup()
    assert [(r["method"], r["chat_id"], r["text"]) for r in server.sent] == [
        ("sendMessage", 42, "收到")
    ]


async def test_edit_with_same_content_is_not_modified(
    server: FakeTelegram, http: aiohttp.ClientSession
) -> None:
    await user_and_chat(server)
    _, sent = await call(
        http, server, "sendMessage", chat_id=42, text="原文", reply_markup=KEYBOARD
    )
    message_id = sent["result"]["message_id"]
    edit = {"chat_id": 42, "message_id": message_id}

    status, body = await call(
        http, server, "editMessageText", text="原文", reply_markup=KEYBOARD, **edit
    )
    assert (status, body["description"]) == (400, f"Bad Request: {NOT_MODIFIED}")
    status, body = await call(http, server, "editMessageReplyMarkup", reply_markup=KEYBOARD, **edit)
    assert (status, body["description"]) == (400, f"Bad Request: {NOT_MODIFIED}")

    status, body = await call(http, server, "editMessageText", text="原文", **edit)
    assert status == 200 and "reply_markup" not in body["result"], "omitting markup drops it"
    assert server.message(42, message_id)["text"] == "原文"
    assert [r["method"] for r in server.sent] == ["sendMessage", "editMessageText"]


async def test_injected_failures(server: FakeTelegram, http: aiohttp.ClientSession) -> None:
    await user_and_chat(server)
    server.fail_next("sendMessage", retry_after=3)
    server.fail_next("sendMessage", status=502, chat_id=42)

    assert await call(http, server, "sendMessage", chat_id=42, text="a") == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 3",
            "parameters": {"retry_after": 3},
        },
    )
    status, body = await call(http, server, "sendMessage", chat_id=42, text="b")
    assert (status, body["ok"], body["description"]) == (502, False, "Bad Gateway")
    assert (await call(http, server, "sendMessage", chat_id=42, text="c"))[0] == 200
    assert [r["text"] for r in server.sent] == ["c"]
    assert [c["status"] for c in server.calls] == [429, 502, 200]

    server.slow("getMe", 0.3)
    started = time.monotonic()
    await call(http, server, "getMe")
    assert time.monotonic() - started >= 0.3


async def test_31st_message_in_a_second_is_rejected(
    server: FakeTelegram, http: aiohttp.ClientSession
) -> None:
    for user_id in range(1, 32):
        await user_and_chat(server, user_id)
    statuses = [
        (await call(http, server, "sendMessage", chat_id=i, text="x"))[0] for i in range(1, 32)
    ]
    assert statuses == [200] * 30 + [429]
    assert len(server.rejected) == 1 and server.rejected[0]["scope"] == "global"
    assert server.rejected[0]["retry_after"] == 1


async def test_21st_message_to_a_group_in_a_minute_is_rejected(
    server: FakeTelegram, http: aiohttp.ClientSession
) -> None:
    await server.group(-1001234567890, "第一支部")
    for _ in range(20):
        assert (await call(http, server, "sendMessage", chat_id=-1001234567890, text="x"))[0] == 200
    status, body = await call(http, server, "sendMessage", chat_id=-1001234567890, text="x")
    assert status == 429 and 55 <= body["parameters"]["retry_after"] <= 60
    assert server.rejected[-1]["scope"] == "group"


async def test_6th_message_to_a_private_chat_in_a_second_is_rejected(
    server: FakeTelegram, http: aiohttp.ClientSession
) -> None:
    await user_and_chat(server)
    statuses = [
        (await call(http, server, "sendMessage", chat_id=42, text="x"))[0] for _ in range(6)
    ]
    assert statuses == [200] * 5 + [429]
    server.limits.private_limit = 10
    assert (await call(http, server, "sendMessage", chat_id=42, text="x"))[0] == 200


async def test_multipart_send_document(server: FakeTelegram, http: aiohttp.ClientSession) -> None:
    await user_and_chat(server)
    form = aiohttp.FormData(quote_fields=False)  # as aiogram sends it
    form.add_field("chat_id", "42")
    form.add_field("caption", "台账")
    form.add_field("document", b"PK\x03\x04 ledger", filename="台账.xlsx")
    async with http.post(f"{server.url}/bot{TOKEN}/sendDocument", data=form) as response:
        document = (await response.json())["result"]["document"]

    assert document["file_name"] == "台账.xlsx" and document["file_size"] == 11
    record = server.last_message(42)
    assert record["document"] == ("台账.xlsx", b"PK\x03\x04 ledger")
    assert record["caption"] == "台账"
    status, _ = await call(http, server, "sendDocument", chat_id=42, document=document["file_id"])
    assert status == 200 and server.last_message(42)["document"] == record["document"]

    # aiohttp's default FormData percent-encodes the name, and real Telegram shows it so.
    quoted = aiohttp.FormData()
    quoted.add_field("chat_id", "42")
    quoted.add_field("document", b"x", filename="台账.xlsx")
    async with http.post(f"{server.url}/bot{TOKEN}/sendDocument", data=quoted) as response:
        assert (await response.json())["result"]["document"]["file_name"].startswith("%E5")


async def test_blocked_user_and_kicked_bot(
    server: FakeTelegram, http: aiohttp.ClientSession
) -> None:
    await user_and_chat(server)
    await server.group(-4001, "小组", {42: "creator"})
    await server.block_bot(42)
    await server.remove_bot(-4001)

    _, body = await call(http, server, "sendMessage", chat_id=42, text="x")
    assert body["description"] == "Forbidden: bot was blocked by the user"
    status, body = await call(http, server, "sendMessage", chat_id=-4001, text="x")
    assert (status, body["description"]) == (403, "Forbidden: bot was kicked from the group chat")
    _, updates = await call(http, server, "getUpdates")
    changes = [u["my_chat_member"] for u in updates["result"]]
    assert [c["new_chat_member"]["status"] for c in changes] == ["kicked", "kicked"]


async def test_callback_query_can_be_answered_once(
    server: FakeTelegram, http: aiohttp.ClientSession
) -> None:
    user, chat = await user_and_chat(server)
    _, sent = await call(http, server, "sendMessage", chat_id=42, text="选", reply_markup=KEYBOARD)
    query_id = await server.press_button(user, chat, sent["result"]["message_id"], "forged")

    assert (await call(http, server, "answerCallbackQuery", callback_query_id=query_id))[0] == 200
    status, body = await call(http, server, "answerCallbackQuery", callback_query_id=query_id)
    assert status == 400 and "query is too old" in body["description"]
    assert server.sent[-1]["callback_query_id"] == query_id


async def test_python_telegram_bot_works_unpatched(server: FakeTelegram) -> None:
    user, chat = await user_and_chat(server)
    async with telegram.Bot(TOKEN, base_url=f"{server.url}/bot") as bot:
        me = await bot.get_me()
        button = telegram.InlineKeyboardButton("是", callback_data="yes")
        markup = telegram.InlineKeyboardMarkup([[button]])
        sent = await bot.send_message(42, "要开始吗？", reply_markup=markup)
        await server.press_button(user, chat, sent.message_id, "yes")
        updates = await bot.get_updates(timeout=1)

    assert me.is_bot and me.username == "branch_test_bot"
    assert sent.reply_markup == markup and abs(sent.date.timestamp() - time.time()) < 5
    query = updates[0].callback_query
    assert query is not None and query.data == "yes" and query.chat_instance
    assert query.message is not None and query.message.text == "要开始吗？"


async def test_aiogram_works_unpatched(server: FakeTelegram) -> None:
    user, chat = await user_and_chat(server)
    session = AiohttpSession(api=TelegramAPIServer.from_base(server.url))
    bot = AiogramBot(TOKEN, session=session)
    try:
        me = await bot.get_me()
        markup = AiogramMarkup(inline_keyboard=[[AiogramButton(text="是", callback_data="yes")]])
        sent = await bot.send_message(42, "要开始吗？", reply_markup=markup)
        await server.press_button(user, chat, sent.message_id, "yes")
        updates = await bot.get_updates(timeout=1)
    finally:
        await session.close()

    assert me.is_bot and me.username == "branch_test_bot"
    assert sent.reply_markup is not None
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "yes"
    assert abs(sent.date.timestamp() - time.time()) < 5
    query = updates[0].callback_query
    assert query is not None and query.data == "yes" and query.chat_instance
    assert query.message is not None and query.message.text == "要开始吗？"
