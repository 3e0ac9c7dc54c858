"""Starts the selected framework (imported only when selected) and stops it on a signal."""

from __future__ import annotations

import asyncio
import contextlib
import signal

from bot.services import Services


def _stop_on_signals(stop: asyncio.Event | None) -> asyncio.Event:
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
    return stop


def _transport(services: Services):  # type: ignore[no-untyped-def]
    if services.settings.bot_framework == "aiogram":
        from bot.transports import aiogram_transport as transport
    else:
        from bot.transports import ptb_transport as transport  # type: ignore[no-redef]
    return transport


async def run_telegram(
    services: Services,
    stop: asyncio.Event | None = None,
    with_scheduler: bool = True,
    tick_seconds: float | None = None,
) -> None:
    """Runs until `stop` is set, or (from the command line) until SIGINT or SIGTERM.

    The scheduler runs in the same process unless `with_scheduler` is off (when
    `branchbot scheduler` runs it alone)."""
    from bot.reminders import run_when_ready
    from bot.transports.common import check_webhook_settings
    from scheduler.service import TICK_SECONDS

    # Raises StartupError (the message says what to set) before anything listens.
    check_webhook_settings(services.settings.webhook_url, services.settings.webhook_secret)
    stop = _stop_on_signals(stop)
    await services.db.migrate()
    scheduling = None
    if with_scheduler:
        tick = tick_seconds or TICK_SECONDS
        scheduling = asyncio.create_task(run_when_ready(services, stop, tick))
    try:
        await _transport(services).run(services, stop)
    finally:
        stop.set()
        if scheduling is not None:
            await asyncio.gather(scheduling, return_exceptions=True)
        await services.db.close()


async def run_scheduler_alone(services: Services, stop: asyncio.Event | None = None) -> None:
    """`branchbot scheduler`: reminders only; another process answers the updates."""
    from bot.reminders import run_when_ready

    stop = _stop_on_signals(stop)
    await services.db.migrate()
    scheduling = asyncio.create_task(run_when_ready(services, stop))
    try:
        await _transport(services).send_only(services, stop)
    finally:
        stop.set()
        await asyncio.gather(scheduling, return_exceptions=True)
        await services.db.close()
