"""Greetings, thanks and "你是谁" get a short friendly reply pointing to /help; anything that
asks something goes on to the knowledge base, and `branchbot ask --json` still says found:
false for small talk (no entry answered it)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from bot.rules.smalltalk import small_talk
from knowledge.content import load_content
from tests.chat import Conversation, bot_services
from tests.processes import BRANCHBOT, ROOT

TABLE = load_content().messages["smalltalk"]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("你好", "greeting"),
        ("您好！", "greeting"),
        ("你好呀", "greeting"),
        ("在吗？", "greeting"),
        ("Hello", "greeting"),
        ("谢谢", "thanks"),
        ("谢谢啦~", "thanks"),
        ("好的谢谢🙏", "thanks"),
        ("辛苦了", "thanks"),
        ("你是谁", "who"),
        ("你是哪个嘛", "who"),
        ("你能做什么？", "who"),
        # Questions are not small talk, even when they start like it.
        ("你好，党费怎么交", None),
        ("谢谢，换届要提前多久", None),
        ("党员", None),
        ("🙏", None),
        ("", None),
        ("你好" * 20, None),
    ],
)
def test_small_talk(text: str, kind: str | None) -> None:
    assert small_talk(text, TABLE) == kind


async def test_small_talk_in_a_chat(tmp_path: Path) -> None:
    async with bot_services(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}") as services:
        chat = Conversation(services)
        greeting = await chat.say("你好")
        assert "/help" in greeting and "答不上来" not in greeting
        assert "不客气" in await chat.say("谢谢")
        assert "六步工作法助手" in await chat.say("你是谁")
        assert "答不上来" not in await chat.say("你好，党费按什么比例交")


def test_ask_json_keeps_small_talk_unanswered(tmp_path: Path) -> None:
    done = subprocess.run(
        [*BRANCHBOT, "ask", "--json", "你好"], capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "CACHE_DIR": str(tmp_path / "cache"),
             "BRANCHBOT_DOTENV": str(tmp_path / "absent.env"), "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert json.loads(done.stdout)["found"] is False
