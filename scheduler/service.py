"""APScheduler drives time; the database holds what is due. One AsyncIOScheduler runs in the
bot process (or alone with `branchbot scheduler`) with two jobs: a frequent tick that sends
due reminders, and a daily expansion of the monthly rules. Jobs live in memory only: the
APScheduler FAQ says several processes cannot share one job store, and nothing here needs
one, because every tick re-reads the database (and claims each reminder before sending)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from scheduler.dispatch import Dispatcher

log = logging.getLogger(__name__)

TICK_SECONDS = 20


def repairing(job: Callable[[], Awaitable[int]], db: Any) -> Callable[[], Awaitable[int]]:
    """A run that failed because the database lost its tables or connections (recreated
    under the bot) is repaired and run once more, instead of failing every tick until a
    restart."""

    async def run() -> int:
        try:
            return await job()
        except Exception as exc:
            if await db.recover(exc):
                return await job()
            raise

    return run


def build_scheduler(
    dispatcher: Dispatcher, timezone: str, tick_seconds: float = TICK_SECONDS
) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=UTC)
    now = datetime.now(UTC)
    # Both jobs also run at once: after downtime, what fell due is sent straight away.
    scheduler.add_job(
        repairing(dispatcher.expand_all, dispatcher.db),
        "cron",
        hour=0,
        minute=5,
        timezone=timezone,
        id="expand",
        next_run_time=now,
        coalesce=True,
        max_instances=1,
    )
    scheduler.add_job(
        repairing(dispatcher.tick, dispatcher.db),
        "interval",
        seconds=tick_seconds,
        id="tick",
        next_run_time=now,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
    )
    return scheduler


async def run_scheduler(
    dispatcher: Dispatcher, timezone: str, stop: asyncio.Event, tick_seconds: float = TICK_SECONDS
) -> None:
    scheduler = build_scheduler(dispatcher, timezone, tick_seconds)
    scheduler.start()
    log.info("scheduler running: tick every %ss", tick_seconds)
    try:
        await stop.wait()
    finally:
        # APScheduler's shutdown cancels the coroutine jobs under way (AsyncIOExecutor), which
        # would cut a send off between Telegram and the database: new runs are stopped
        # first, the run under way finishes, and only then the scheduler shuts down.
        scheduler.pause()
        await asyncio.sleep(0)  # a run just handed to the loop starts and takes its lock
        await dispatcher.idle()
        scheduler.shutdown(wait=False)
