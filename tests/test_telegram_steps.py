"""Every step flow and the self-check once on Telegram: python-telegram-bot over real HTTP to
the local Bot API server, buttons pressed where the bot offers them, text typed otherwise."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.flow_scripts import ACTIVITY, SCRIPTS, Script
from tests.telegram_bots import Running, button
from tests.telegram_server import FakeTelegram

PTB_POLLING = [pytest.param(("ptb", "polling"), id="ptb-polling")]
AIOGRAM_WEBHOOK = [pytest.param(("aiogram", "webhook"), id="aiogram-webhook")]


FIRST_QUESTION = re.compile(r"【[^】]* 1/\d+】")  # the dialog's progress line, `progress`


def last_question(server: FakeTelegram, chat_id: int) -> dict[str, Any]:
    return next(
        m for m in reversed(server.sent) if m["chat_id"] == chat_id and m["method"] == "sendMessage"
    )


def offered(message: dict[str, Any], label: str) -> str | None:
    """The callback data of a button labelled exactly `label` (a ticked one counts too)."""
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for b in row:
            if b["text"] in (label, f"✅ {label}") and "callback_data" in b:
                return str(b["callback_data"])
    return None


async def answer(server: FakeTelegram, user: dict, chat: dict, text: str) -> None:
    """Presses the matching button of the latest question, or types the answer."""
    question = last_question(server, chat["id"])
    before = _sent_count(server.sent, chat["id"])
    data = offered(question, text)
    if data is not None:
        await server.press_button(user, chat, question["message_id"], data)
    else:
        await server.send_text(user, chat, text)

    def replied(sent: list[dict[str, Any]]) -> bool:
        return _sent_count(sent, chat["id"]) > before

    await server.wait_for(replied, timeout=10)


@pytest.mark.parametrize("telegram", PTB_POLLING, indirect=True)
@pytest.mark.parametrize("script", SCRIPTS, ids=[s.flow for s in SCRIPTS])
async def test_step_flow_on_telegram(telegram: Running, script: Script) -> None:
    await run_on_telegram(telegram, script)


@pytest.mark.parametrize("telegram", AIOGRAM_WEBHOOK, indirect=True)
async def test_activity_flow_on_aiogram_by_webhook(telegram: Running) -> None:
    """The flow with a revisited question, on the other framework and the other mode."""
    await run_on_telegram(telegram, ACTIVITY)


async def run_on_telegram(telegram: Running, script: Script) -> None:
    server = telegram.server
    user = await server.user(301, "王书记")
    chat = await server.private_chat(user)
    await server.send_text(user, chat, script.command)
    await server.wait_for(lambda sent: _has_button(sent, chat["id"], script.button), timeout=10)
    listing = last_question(server, chat["id"])
    await server.press_button(user, chat, listing["message_id"], button(listing, script.button))
    # The first question, not only the step's introduction before it: the chat's pace (one
    # message a second) can hold the question back, and an answer typed against the
    # introduction would shift every answer after it by one.
    await server.wait_for(
        lambda sent: any(
            FIRST_QUESTION.search(m.get("text") or "") for m in sent if m["chat_id"] == chat["id"]
        ),
        timeout=10,
    )
    *answers, last = script.answers
    for text in answers:
        await answer(server, user, chat, text)
    start = len(server.sent)
    await answer(server, user, chat, last)

    def shown(sent: list[dict[str, Any]]) -> str:
        return "\n".join(m.get("text") or "" for m in sent[start:] if m["chat_id"] == chat["id"])

    await server.wait_for(lambda sent: all(f in shown(sent) for f in script.card), timeout=10)
    assert not server.internal_errors


def _sent_count(sent: list[dict[str, Any]], chat_id: int) -> int:
    return sum(1 for m in sent if m["method"] == "sendMessage" and m["chat_id"] == chat_id)


def _has_button(sent: list[dict[str, Any]], chat_id: int, label: str) -> bool:
    return any(
        label in b["text"]
        for m in sent
        if m["chat_id"] == chat_id
        for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
        for b in row
    )
