"""Several webhook workers behind a proxy, one scheduler, PostgreSQL and Redis, as real
processes: every chat's updates are handled and answered in the order they were sent,
nothing is lost or doubled, and together the processes stay inside Telegram's limits.

Needs TEST_POSTGRES_URL and TEST_REDIS_URL (CI sets both); skipped without them."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import pytest

from knowledge.retrieval import load_knowledge_base
from tests.cluster import cluster, peak_rate, sends
from tests.databases import POSTGRES_URL, drop_postgres_database, fresh_postgres_database

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
pytestmark = pytest.mark.skipif(
    not (POSTGRES_URL and REDIS_URL), reason="needs TEST_POSTGRES_URL and TEST_REDIS_URL"
)
QUESTIONS = ["党费怎么交", "三会一课是什么", "主题党日多久开一次"]
GROUPS = 30


def expected_titles(cache_dir: Path) -> list[str]:
    knowledge = load_knowledge_base(cache_dir)
    titles = []
    for question in QUESTIONS:
        answer = knowledge.ask(question)
        assert answer.found and answer.entry is not None, question
        titles.append(answer.entry.title)
    assert len(set(titles)) == len(titles), "pick questions with different answers"
    return titles


def sequence(group: int) -> list[str]:
    return ["/bind", "/themeday 每月最后一个星期五 9:00", *(f"/ask {q}" for q in QUESTIONS)]


def interleaved(groups: list[int], seed: int = 7) -> list[tuple[int, str]]:
    """Each group's messages in its order, the groups shuffled together: some of one group's
    messages follow each other directly (the /bind then /themeday of the report), others
    are far apart."""
    pending = {group: sequence(group) for group in groups}
    rng = random.Random(seed)
    merged = []
    while pending:
        group = rng.choice(sorted(pending))
        merged.append((group, pending[group].pop(0)))
        if not pending[group]:
            del pending[group]
    return merged


@pytest.mark.parametrize("framework", ["ptb", "aiogram"])
async def test_three_workers_keep_every_chats_order(framework: str, tmp_path: Path) -> None:
    titles = expected_titles(tmp_path / "cache")
    database_url = await fresh_postgres_database()
    try:
        async with cluster(tmp_path, database_url, REDIS_URL, 3, framework) as running:
            server = running.server
            groups = [-300_000 - i for i in range(GROUPS)]
            for index, chat_id in enumerate(groups):
                owner = await server.user(50_000 + index, f"书记{index}")
                await server.group(chat_id, f"第{index}支部群", {owner["id"]: "creator"})
            owners = {chat_id: 50_000 + index for index, chat_id in enumerate(groups)}
            for chat_id, text in interleaved(groups):
                await server.send_text(owners[chat_id], chat_id, text)

            def answered_all(sent: list[dict[str, Any]]) -> bool:
                last = titles[-1]
                done = {m["chat_id"] for m in sent if last in (m.get("text") or "")}
                return done >= set(groups)

            await server.wait_for(answered_all, timeout=120)
            await server.webhook_idle(timeout=10)
            for chat_id in groups:
                texts = [m["text"] or "" for m in server.messages_to(chat_id)]
                assert not [t for t in texts if "还没有绑定" in t], texts
                marks = ["已将本群绑定", "已设定", *titles]
                positions = []
                for mark in marks:
                    found = [i for i, text in enumerate(texts) if mark in text]
                    assert len(found) == 1, (mark, texts)  # nothing lost, nothing doubled
                    positions.append(found[0])
                assert positions == sorted(positions), texts  # answered in the order asked
            assert server.rejected == [], server.rejected[:5]
            assert peak_rate([m["at"] for m in sends(server)]) <= 30
            assert server.internal_errors == []
        assert "Traceback" not in running.log_text(), running.log_text()[-3000:]
    finally:
        await drop_postgres_database(database_url)
