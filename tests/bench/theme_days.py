"""Theme-day figures (python -m tests.bench.theme_days):

- fan-out: the reminders of 1,000 groups due at once, sent by the dispatcher through the real
  delivery layer and python-telegram-bot to the local Bot API server, which enforces
  Telegram's limits; compared with the 33.3 s that 30 messages/s allows;
- recording a reply (a 参加 press through the whole core), p50/p99 and sustained replies/s,
  on SQLite and (with BENCH_POSTGRES_URL or TEST_POSTGRES_URL) PostgreSQL: one group, ten
  groups as fast as they go, and the target load (1,000 presses/s offered over 20 groups
  by another process) five times;
- first, what this machine's disk alone does with the same durable commits, since no
  reply can be acknowledged before its commit.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.app import build_core, connect, settle_memory
from bot.config import Settings
from bot.contract import Action, Chat, ChatDirectory, Event, Messenger, User
from bot.reminders import build_dispatcher
from bot.router import handle_event
from bot.services import Core, Services
from storage.models import Branch, GroupBinding, Member, Reminder
from storage.models import Event as EventRow
from tests.chat import handler_services
from tests.databases import POSTGRES_URL, drop_postgres_database, fresh_postgres_database
from tests.telegram_server import FakeTelegram

GROUPS = 1000
PRESSES = 3000
ROSTER_JOINED = True
# (groups, presses offered per second; 0 = each press as soon as the last is answered)
LOADS = [(1, 0.0), (10, 0.0)] + [(20, 1000.0)] * 5  # the target load, five runs: one
# stall of this machine's disk (see `disk_baseline`) decides a run's p99 on its own
TELEGRAM_RATE = 30.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def seed(services: Core | Services, groups: int, starts_in: timedelta) -> list[int]:
    """`groups` bound groups, each with one event whose reminder is due now."""
    now = datetime.now(UTC)
    event_ids = []
    async with services.db.session() as session:
        for i in range(groups):
            branch = Branch(name=f"支部{i}", timezone="Asia/Shanghai")
            session.add(branch)
            await session.flush()
            chat_id = str(-(10**12) - i)  # a Telegram group's number, as the core keeps it
            session.add(
                GroupBinding(chat_id=chat_id, branch_id=branch.id, title=branch.name, bound_by="1")
            )
            event = EventRow(branch_id=branch.id, source="rule", starts_at=now + starts_in)
            session.add(event)
            await session.flush()
            session.add(
                Reminder(
                    event_id=event.id,
                    chat_id=chat_id,
                    kind="group",
                    offset_minutes=180,
                    due_at=now - timedelta(seconds=1),
                    status="pending",
                )
            )
            event_ids.append(event.id)
    return event_ids


class NullTelegram:
    """For the reply benchmark: Telegram's side of the count edits is not what is measured."""

    async def send(self, chat_id: str, action: Action) -> int | None:
        return 1


async def fan_out(workdir: Path) -> None:
    server = await FakeTelegram.start()
    for i in range(GROUPS):
        await server.group(-(10**12) - i, f"支部{i}")
    settings = Settings(
        bot_token="123456:BENCH",
        telegram_api_url=server.url,
        database_url=f"sqlite+aiosqlite:///{workdir / 'fanout.db'}",
        cache_dir=workdir / "cache",
    )
    core = build_core(settings)
    await core.db.migrate()
    await seed(core, GROUPS, timedelta(hours=3))
    from bot.transports.ptb_transport import send_only

    stop = asyncio.Event()
    ready: asyncio.Future[Services] = asyncio.get_running_loop().create_future()

    def connected(messenger: Messenger, directory: ChatDirectory) -> Services:
        services = connect(core, messenger, directory, coalesce_edits=True)
        ready.set_result(services)
        return services

    sender = asyncio.create_task(send_only(settings, stop, connected))
    services = await ready
    dispatcher = build_dispatcher(services)
    started = time.perf_counter()
    sent = await dispatcher.tick()
    elapsed = time.perf_counter() - started
    stop.set()
    await sender
    rejected = sum(1 for c in server.calls if c["status"] == 429)
    delivered = {m["chat_id"] for m in server.sent if m["method"] == "sendMessage"}
    async with services.db.session() as session:
        pending = len(
            (await session.execute(select(Reminder).where(Reminder.status != "sent"))).all()
        )
    allowed = GROUPS / TELEGRAM_RATE
    print(
        f"fan-out to {GROUPS} groups: {elapsed:.1f} s (×{elapsed / allowed:.3f} of the "
        f"{allowed:.1f} s 30 msg/s allows); sent {sent}, delivered to {len(delivered)} groups, "
        f"rejected by limits {rejected}, not sent {pending}"
    )
    await services.db.close()
    await server.stop()


async def postgres_baseline(url: str, commits: int = 3000) -> None:
    """The same for PostgreSQL: one INSERT committing by itself, on the bare driver."""
    import asyncpg

    connection = await asyncpg.connect(url.replace("+asyncpg", ""))
    await connection.execute("CREATE TABLE t (id serial PRIMARY KEY, v text)")
    took = []
    for i in range(commits):
        started = time.perf_counter()
        await connection.execute("INSERT INTO t (v) VALUES ($1)", str(i))
        took.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.001)
    await connection.close()
    print(
        f"PostgreSQL alone (one INSERT with its commit, bare asyncpg, n={commits}): "
        f"p50={statistics.median(took):.2f} ms p99={percentile(took, 0.99):.2f} ms "
        f"max={max(took):.1f} ms; {sum(t > 5 for t in took)} over 5 ms"
    )


async def replies(url: str, name: str, groups: int, rate: float = 0.0) -> float:
    """`groups` groups answer at the same time, each group's presses one after another
    (the transports handle one chat's updates in order), as when a reminder goes out."""
    # Count edits are coalesced as on Telegram; the messenger discards them.
    services = handler_services(Settings(database_url=url), NullTelegram(), coalesce_edits=True)
    settle_memory()  # as `branchbot run` does
    await services.db.migrate()
    event_ids = await seed(services, groups, timedelta(days=2))
    async with services.db.session() as session:
        bindings = list((await session.execute(select(GroupBinding))).scalars())
        if ROSTER_JOINED:  # members joined the roster earlier (/join), as most have
            for index, binding in enumerate(bindings):
                for i in range(PRESSES // groups):
                    user = 10_000 + index * (PRESSES // groups) + i
                    session.add(
                        Member(
                            user_id=str(user),
                            display_name=f"党员{user}",
                            branch_id=binding.branch_id,
                        )
                    )
    timings: list[float] = []
    arrivals: list[float] = []
    per_group = PRESSES // groups
    locks = [asyncio.Lock() for _ in range(groups)]  # one chat's updates in order, as the
    # transports handle them

    async def one(index: int, i: int, arrival: float) -> None:
        chat_id, event_id = bindings[index].chat_id, event_ids[index]
        user = 10_000 + index * per_group + i
        event = Event(
            Chat(chat_id, "group"),
            User(str(user), f"党员{user}"),
            button_data=f"a:{event_id}:{'y' if i % 5 else 'n'}",
            callback_id=str(user),
            message_id=7,
        )
        async with locks[index]:
            await handle_event(event, services)
        timings.append((time.monotonic() - arrival) * 1000)
        arrivals.append(arrival)

    async def group(index: int) -> None:
        for i in range(per_group):
            await one(index, i, time.monotonic())

    # A bot that has been running: connections made, statements prepared.
    warm = [
        Event(
            Chat(binding.chat_id, "group"),
            User("1", "热身"),
            button_data=f"a:{event_ids[index]}:y",
            callback_id="0",
            message_id=7,
        )
        for index, binding in enumerate(bindings)
    ]
    await asyncio.gather(*(handle_event(event, services) for event in warm))
    if services.live_counts is not None:  # their count edits too
        await services.live_counts.flush()
    if rate:
        await offered(rate, groups * per_group, groups, one)
    else:
        await asyncio.gather(*(group(i) for i in range(groups)))
    total = time.monotonic() - min(arrivals)  # from the first press on
    if services.live_counts is not None:
        await services.live_counts.flush()
    print(
        f"recording a reply on {name} ({groups} groups at once"
        + (f", offered {rate:.0f}/s" if rate else ", as fast as it goes")
        + f"): n={len(timings)} "
        f"p50={statistics.median(timings):.2f} ms p99={percentile(timings, 0.99):.2f} ms; "
        f"{len(timings) / total:.0f} replies/s sustained"
    )
    await services.db.close()
    return percentile(timings, 0.99)


def disk_baseline(workdir: Path, commits: int = 3000) -> None:
    """What the disk alone does: the same durable commits (WAL, synchronous=FULL) with the
    standard sqlite3 module and nothing else, paced like the target load. A reply cannot be
    acknowledged faster than its commit, so these stalls bound every p99 below."""
    import sqlite3

    connection = sqlite3.connect(workdir / "disk.db", isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    took = []
    for i in range(commits):
        started = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO t (v) VALUES (?)", (str(i),))
        connection.execute("COMMIT")
        took.append((time.perf_counter() - started) * 1000)
        time.sleep(0.001)
    connection.close()
    print(
        f"disk alone (one durable SQLite commit, n={commits}): "
        f"p50={statistics.median(took):.2f} ms p99={percentile(took, 0.99):.2f} ms "
        f"max={max(took):.1f} ms; {sum(t > 5 for t in took)} commits over 5 ms"
    )


# Presses offered at a fixed rate come from another process, over a pipe, as updates come
# over a socket: the loop wakes when one arrives, however busy it is, and a press's time is
# counted from when it was sent. (A timer in the same loop fires up to a millisecond late,
# which would be counted as the bot's.) CLOCK_MONOTONIC is the same in both processes; a
# press sent a little late is timed from when it was sent.
OFFER = """
import os, sys, time
rate, total, start = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
for k in range(total):
    time.sleep(max(0.0, start + k / rate - time.monotonic()))
    os.write(1, b"%d %.9f\\n" % (k, time.monotonic()))
"""


async def offered(
    rate: float, total: int, groups: int, one: Callable[..., Awaitable[None]]
) -> None:
    """Press k goes to group k % groups, so the groups' presses interleave evenly."""
    start = time.monotonic() + 0.5
    generator = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        OFFER,
        str(rate),
        str(total),
        str(start),
        stdout=asyncio.subprocess.PIPE,
    )
    assert generator.stdout is not None
    presses = []
    async for line in generator.stdout:
        k, sent = line.split()
        presses.append(asyncio.ensure_future(one(int(k) % groups, int(k) // groups, float(sent))))
    await generator.wait()
    await asyncio.gather(*presses)


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        disk_baseline(workdir)
        target: dict[str, list[float]] = {"SQLite": [], "PostgreSQL": []}
        for run, (groups, rate) in enumerate(LOADS):
            db = workdir / f"replies{run}.db"
            p99 = await replies(f"sqlite+aiosqlite:///{db}", "SQLite", groups, rate)
            if rate:
                target["SQLite"].append(p99)
        pg_source = os.environ.get("BENCH_POSTGRES_URL") or POSTGRES_URL
        if pg_source:
            pg_url = await fresh_postgres_database(pg_source)
            try:
                await postgres_baseline(pg_url)
            finally:
                await drop_postgres_database(pg_url)
            for groups, rate in LOADS:
                pg_url = await fresh_postgres_database(pg_source)
                try:
                    p99 = await replies(pg_url, "PostgreSQL", groups, rate)
                finally:
                    await drop_postgres_database(pg_url)
                if rate:
                    target["PostgreSQL"].append(p99)
        for name, p99s in target.items():
            if p99s:
                print(
                    f"target load on {name}, {len(p99s)} runs: p99 "
                    + " / ".join(f"{p:.2f}" for p in p99s)
                    + f" ms (median {statistics.median(p99s):.2f} ms; target 5 ms)"
                )
        await fan_out(workdir)


if __name__ == "__main__":
    asyncio.run(main())
