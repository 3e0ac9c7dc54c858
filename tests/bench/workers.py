"""Figures for the bot facing load (python -m tests.bench.workers):

- a flood: one member sends 30 × /help in a group, then 10 others press ✅ on the reminder:
  how long each press waits for its answer, and another member's question for its reply,
  per framework, one process on SQLite;
- several workers: 3 webhook workers behind a round-robin proxy + a scheduler, on PostgreSQL
  and Redis, as real processes: updates/s taken in and answered, and the peak outgoing rate
  the local Bot API server saw (any 1 s window; Telegram allows 30), with its 429 count.
  Needs BENCH_POSTGRES_URL or TEST_POSTGRES_URL, and BENCH_REDIS_URL or TEST_REDIS_URL.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.app import build_core
from bot.config import Settings
from bot.transports.run import run_telegram
from knowledge.retrieval import load_knowledge_base
from tests.cluster import cluster, peak_rate, sends
from tests.databases import POSTGRES_URL, drop_postgres_database, fresh_postgres_database
from tests.telegram_bots import all_answered, flood_then_press, message_with, rule_two_days_ahead
from tests.telegram_server import FakeTelegram

GROUPS = 100
MEMBERS = 10
PRESS_RATE = 100  # button presses a second, spread evenly (a busy county at its peak)
QUESTIONS = ["党费怎么交", "三会一课是什么", "主题党日多久开一次"]


def said(server: FakeTelegram, chat_id: int, needle: str) -> dict[str, Any] | None:
    return message_with(server.sent, chat_id, needle)


async def flood(framework: str, workdir: Path) -> tuple[list[float], float]:
    server = await FakeTelegram.start()
    settings = Settings(
        bot_token="123456:BENCH",
        bot_framework=framework,
        telegram_api_url=server.url,
        database_url=f"sqlite+aiosqlite:///{workdir / f'flood-{framework}.db'}",
        cache_dir=workdir / "cache",
    )
    stop = asyncio.Event()
    task = asyncio.create_task(run_telegram(build_core(settings), stop, tick_seconds=0.2))
    try:
        await server.wait_for(
            lambda _: any(c["method"] == "setMyCommands" for c in server.calls), 30
        )
        owner = await server.user(1, "书记")
        group = await server.group(-100900, "支部群", {owner["id"]: "creator"})
        await server.send_text(owner, group, "/bind")
        await server.wait_for(lambda _: said(server, -100900, "已将本群绑定"), 10)
        await server.send_text(owner, group, f"/themeday {rule_two_days_ahead()}")
        reminder = await server.wait_for(
            lambda _: said(server, -100900, "【支部主题党日提醒】"), 20
        )
        pressed = await flood_then_press(server, group, reminder, flooder_id=2, first_member=100)
        answers = await all_answered(server, pressed, timeout=120)
        delays = [m["at"] - pressed[m["callback_query_id"]] for m in answers]
        asked = time.monotonic()
        await server.send_text(100, group, "/ask 党费怎么交")
        reply = await server.wait_for(
            lambda sent: next(
                (m for m in sent if m["chat_id"] == -100900 and m["at"] > asked
                 and "党费" in (m.get("text") or "")), None,
            ),
            timeout=120,
        )  # fmt: skip
        return delays, reply["at"] - asked
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        await server.stop()


async def workers(workdir: Path, database_url: str, redis_url: str) -> dict[str, float]:
    async with cluster(workdir, database_url, redis_url, workers=3) as running:
        server = running.server
        groups = [-400_000 - i for i in range(GROUPS)]
        for index, chat_id in enumerate(groups):
            owner = await server.user(60_000 + index, f"书记{index}")
            await server.group(chat_id, f"第{index}支部群", {owner["id"]: "creator"})
        texts = ["/bind", f"/themeday {rule_two_days_ahead()}", *(f"/ask {q}" for q in QUESTIONS)]
        began = time.monotonic()
        for text in texts:
            for index, chat_id in enumerate(groups):
                await server.send_text(60_000 + index, chat_id, text)
        updates = len(texts) * len(groups)
        await server.webhook_idle(timeout=300)
        taken = time.monotonic() - began
        last = load_knowledge_base(workdir / "cache").ask(QUESTIONS[-1]).entry
        assert last is not None
        await server.wait_for(
            lambda _: all(said(server, chat_id, last.title) for chat_id in groups), timeout=300
        )
        answered_after = time.monotonic() - began
        reminders = await server.wait_for(
            lambda _: (
                found if all(found := [said(server, c, "【支部主题党日提醒】") for c in groups])
                else None
            ),
            timeout=120,
        )  # fmt: skip
        presses: dict[str, float] = {}
        press_began = time.monotonic()
        for member in range(MEMBERS):  # open loop: presses arrive at PRESS_RATE whatever happens
            for index, reminder in enumerate(reminders):
                user = await server.user(70_000 + index * MEMBERS + member, f"党员{member}")
                yes = reminder["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
                due = press_began + len(presses) / PRESS_RATE
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                query = await server.press_button(user, groups[index], reminder["message_id"], yes)
                presses[query] = time.monotonic()
        answers = await all_answered(server, presses, timeout=300)
        pressed_in = max(m["at"] for m in answers) - press_began
        waits = [m["at"] - presses[m["callback_query_id"]] for m in answers]
        return {
            "updates": updates,
            "taken_per_s": updates / taken,
            "answered_per_s": updates / answered_after,
            "presses": len(presses),
            "presses_per_s": len(presses) / pressed_in,
            "press_p50": statistics.median(waits),
            "press_max": max(waits),
            "peak": peak_rate([m["at"] for m in sends(server)]),
            "rejected": len(server.rejected),
        }


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for framework in ("ptb", "aiogram"):
            delays, reply = await flood(framework, workdir)
            print(
                f"flood of 30 from one member ({framework}): 10 others' button answers "
                f"p50={statistics.median(delays) * 1000:.0f} ms max={max(delays) * 1000:.0f} ms; "
                f"another member's question answered in {reply:.2f} s"
            )
        pg_source = os.environ.get("BENCH_POSTGRES_URL") or POSTGRES_URL
        redis_url = os.environ.get("BENCH_REDIS_URL") or os.environ.get("TEST_REDIS_URL", "")
        if not (pg_source and redis_url):
            print("3 workers: skipped (set TEST_POSTGRES_URL and TEST_REDIS_URL)")
            return
        database_url = await fresh_postgres_database(pg_source)
        try:
            figures = await workers(workdir, database_url, redis_url)
        finally:
            await drop_postgres_database(database_url)
        print(
            f"3 webhook workers + scheduler on PostgreSQL + Redis: {figures['updates']} group "
            f"messages taken in at {figures['taken_per_s']:.0f} updates/s, all answered at "
            f"{figures['answered_per_s']:.1f} updates/s (replies paced to Telegram's limits); "
            f"{figures['presses']} button presses arriving at {PRESS_RATE}/s answered at "
            f"{figures['presses_per_s']:.0f}/s "
            f"(answer p50={figures['press_p50'] * 1000:.0f} ms "
            f"max={figures['press_max'] * 1000:.0f} ms); peak outgoing rate "
            f"{figures['peak']} msg/s (limit 30), 429s: {figures['rejected']}"
        )


if __name__ == "__main__":
    asyncio.run(main())
