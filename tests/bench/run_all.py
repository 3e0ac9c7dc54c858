"""`make bench`: prints the figures (never asserted by tests; timed tests are flaky).

- cold start: `branchbot console` process start to its first reply
- one answer through the whole core (router, engine, database), p50/p99, SQLite and PostgreSQL
- ledger export of 1,000 organisations
- one answer in the five step flows and the self-check, p50/p99; the plans export after them
Set BENCH_POSTGRES_URL (or TEST_POSTGRES_URL) to include PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bot.config import Settings
from bot.contract import Chat, Event, User
from bot.exports.ledger import export_ledger
from bot.router import handle_event
from storage import ledger
from tests.chat import handler_services
from tests.databases import POSTGRES_URL, drop_postgres_database, fresh_postgres_database
from tests.flow_scripts import ENTERPRISE_ANSWERS, SCRIPTS

CONVERSATIONS = 100


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def cold_start(workdir: Path) -> float:
    env = dict(os.environ, DATABASE_URL=f"sqlite+aiosqlite:///{workdir / 'cold.db'}")
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "migrate"], env=env, check=True, capture_output=True
    )
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "console"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin and proc.stdout
    proc.stdin.write("/start\n")
    proc.stdin.flush()
    while "六步工作法" not in proc.stdout.readline():
        pass
    elapsed = time.perf_counter() - started
    proc.stdin.close()
    proc.wait()
    return elapsed


async def answers_latency(url: str) -> list[float]:
    """Each simulated secretary registers one enterprise; every answer is one timed event."""
    services = handler_services(Settings(database_url=url))
    await services.db.migrate()
    timings: list[float] = []
    for user_id in range(1, CONVERSATIONS + 1):
        user, chat = User(str(user_id), f"书记{user_id}"), Chat(str(user_id))
        await handle_event(Event(chat, user, text="/menu"), services)
        await handle_event(Event(chat, user, button_data="m:survey", callback_id="c"), services)
        # A name of its own: the same name again would be asked "台账里已有…" (a duplicate).
        for text in [f"{ENTERPRISE_ANSWERS[0]}{user_id}", *ENTERPRISE_ANSWERS[1:]]:
            started = time.perf_counter()
            await handle_event(Event(chat, user, text=text), services)
            timings.append((time.perf_counter() - started) * 1000)
    async with services.db.session() as session:
        assert len(await ledger.list_organisations(session)) == CONVERSATIONS
    await services.db.close()
    return timings


STEP_USERS = 40


async def step_flows_latency(url: str, workdir: Path) -> tuple[list[float], float, int]:
    """Each simulated secretary runs every step flow and the self-check once."""
    from bot.exports.plans import export_plans

    services = handler_services(Settings(database_url=url))
    await services.db.migrate()
    timings: list[float] = []
    # Users of their own: the ledger records of the survey bench would change the first question.
    for user_id in range(10_001, 10_001 + STEP_USERS):
        user, chat = User(str(user_id), f"书记{user_id}"), Chat(str(user_id))
        has_branch = False
        for script in SCRIPTS:
            start = "s:basic" if script.flow.startswith("selfcheck") else f"m:{script.flow}"
            await handle_event(Event(chat, user, button_data=start, callback_id="c"), services)
            # The organisation 抓组建 registers is this user's own, not a duplicate of another's.
            answers = [a.replace("楚雄某某食品", f"楚雄某某食品{user_id}") for a in script.answers]
            if answers[0].endswith("党支部"):
                if has_branch:
                    answers[0] = "1"  # later flows offer the branch the first one created
                has_branch = True
            for text in answers:
                started = time.perf_counter()
                await handle_event(Event(chat, user, text=text), services)
                timings.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    count = await export_plans(
        services.db, services.content, workdir / "plans.xlsx", services.settings.timezone
    )
    assert count == STEP_USERS * (len(SCRIPTS) - 1), count  # every flow reached its result
    elapsed = time.perf_counter() - started
    await services.db.close()
    return timings, elapsed, count


async def export_time(url: str, workdir: Path, count: int = 1000) -> float:
    services = handler_services(Settings(database_url=url))
    await services.db.migrate()
    counties = services.content.counties
    async with services.db.session() as session:
        for i in range(count):
            fields = {
                "name": f"测试企业{i}",
                "kind": "非公企业",
                "county": counties[i % len(counties)],
                "park": None,
                "operating_status": "正常经营（运行）",
                "employees": i % 300,
                "formal_members": i % 5,
                "probationary_members": 0,
                "has_party_org": False,
            }
            await ledger.add_organisation(session, fields, 1, "书记")
    started = time.perf_counter()
    await export_ledger(
        services.db, services.content, workdir / "ledger.xlsx", services.settings.timezone
    )
    elapsed = time.perf_counter() - started
    await services.db.close()
    return elapsed


BIG_LEDGER = 2000


async def survey_beside_a_big_ledger(url: str) -> tuple[float, float, int]:
    """One survey when one county already holds 2,000 records: every answer, and the size of
    the dialog state that carries their name keys (the duplicate check)."""
    import json

    from sqlalchemy import select

    from storage.models import DialogState

    services = handler_services(Settings(database_url=url))
    await services.db.migrate()
    async with services.db.session() as session:
        for i in range(BIG_LEDGER):
            fields = {
                "name": f"楚雄第{i}号建材有限公司",
                "kind": "非公企业",
                "county": "楚雄市",
                "operating_status": "正常经营（运行）",
                "employees": 50,
                "formal_members": 1,
                "probationary_members": 0,
                "has_party_org": False,
            }
            await ledger.add_organisation(session, fields, "1", "书记")
    user, chat = User("77", "书记"), Chat("77")
    await handle_event(Event(chat, user, button_data="m:survey", callback_id="c"), services)
    async with services.db.session() as session:
        state = (await session.execute(select(DialogState))).scalar_one()
        size = len(json.dumps(state.context, ensure_ascii=False).encode())
    timings = []
    for text in ENTERPRISE_ANSWERS:
        started = time.perf_counter()
        await handle_event(Event(chat, user, text=text), services)
        timings.append((time.perf_counter() - started) * 1000)
    await services.db.close()
    return statistics.median(timings), max(timings), size


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        print(f"cold start (console process to first reply): {cold_start(workdir):.2f} s")
        backends = [("SQLite", f"sqlite+aiosqlite:///{workdir / 'bench.db'}")]
        pg_source = os.environ.get("BENCH_POSTGRES_URL") or POSTGRES_URL
        pg_url = await fresh_postgres_database(pg_source) if pg_source else None
        if pg_url:
            backends.append(("PostgreSQL", pg_url))
        try:
            for name, url in backends:
                timings = await answers_latency(url)
                p50, p99 = statistics.median(timings), percentile(timings, 0.99)
                print(f"answer through the core on {name}: n={len(timings)} ", end="")
                print(f"p50={p50:.2f} ms p99={p99:.2f} ms")
                steps, export_seconds, count = await step_flows_latency(url, workdir)
                p50, p99 = statistics.median(steps), percentile(steps, 0.99)
                print(f"answer in the step flows on {name}: n={len(steps)} ", end="")
                print(f"p50={p50:.2f} ms p99={p99:.2f} ms; plans export of {count}: ", end="")
                print(f"{export_seconds:.2f} s")
            seconds = await export_time(f"sqlite+aiosqlite:///{workdir / 'export.db'}", workdir)
            print(f"ledger export, 1,000 organisations: {seconds:.2f} s")
            big = f"sqlite+aiosqlite:///{workdir / 'big.db'}"
            p50, worst, size = await survey_beside_a_big_ledger(big)
            print(f"survey answer beside {BIG_LEDGER:,} records of one county: ", end="")
            print(f"p50={p50:.2f} ms max={worst:.2f} ms; dialog state {size / 1024:.0f} KB")
        finally:
            if pg_url:
                await drop_postgres_database(pg_url)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this run: {peak:.0f} MB")


if __name__ == "__main__":
    asyncio.run(main())
    from tests.bench import attendance, dates, knowledge, telegram, theme_days, workers

    attendance.main()
    dates.main()
    knowledge.main()
    asyncio.run(telegram.main())
    asyncio.run(theme_days.main())
    asyncio.run(workers.main())
