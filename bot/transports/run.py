"""Starts the selected framework (imported only when selected) and stops it on a signal."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.contract import ChatDirectory, Messenger
from bot.services import Core, Services

if TYPE_CHECKING:
    from scheduler.dispatch import Dispatcher


def _stop_on_signals(stop: asyncio.Event | None) -> asyncio.Event:
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
    return stop


def _transport(settings: Settings):  # type: ignore[no-untyped-def]
    if settings.bot_framework == "aiogram":
        from bot.transports import aiogram_transport as transport
    else:
        from bot.transports import ptb_transport as transport  # type: ignore[no-redef]
    return transport


class App:
    """The order of start-up, kept in one place: the transport connects to Telegram and
    makes its messenger; `connected` joins it to the core as `Services`; the scheduler then
    starts with a messenger that can already send, so it never waits for one."""

    def __init__(
        self, core: Core, stop: asyncio.Event | None = None, tick_seconds: float | None = None
    ) -> None:
        self.core = core
        self.stop = stop
        self.tick_seconds = tick_seconds
        self.scheduling: list[asyncio.Task[None]] = []
        self.services: Services | None = None  # once connected
        self.dispatcher: Dispatcher | None = None  # once scheduling

    async def serve(self, with_scheduler: bool = True) -> None:
        """Answers updates (and, unless `with_scheduler` is off, sends reminders) until the
        stop event is set, or (from the command line) until SIGINT or SIGTERM."""
        from bot.transports.common import check_webhook_settings

        settings = self.core.settings
        # Raises StartupError (the message says what to set) before anything listens.
        check_webhook_settings(settings.webhook_url, settings.webhook_secret)
        self.stop = _stop_on_signals(self.stop)
        await self.core.db.migrate()
        connected = self._connected_with_scheduler if with_scheduler else self._connected
        try:
            await _transport(settings).run(settings, self.stop, connected)
        finally:
            await self._close()

    async def send_reminders(self) -> None:
        """`branchbot scheduler`: reminders only; another process answers the updates."""
        self.stop = _stop_on_signals(self.stop)
        await self.core.db.migrate()
        try:
            transport = _transport(self.core.settings)
            await transport.send_only(self.core.settings, self.stop, self._connected_with_scheduler)
        finally:
            await self._close()

    def _connected(self, messenger: Messenger, directory: ChatDirectory) -> Services:
        from bot.app import connect

        self.services = connect(self.core, messenger, directory, coalesce_edits=True)
        return self.services

    def _connected_with_scheduler(self, messenger: Messenger, directory: ChatDirectory) -> Services:
        from bot.reminders import build_dispatcher
        from scheduler.service import TICK_SECONDS, run_scheduler

        assert self.stop is not None
        services = self._connected(messenger, directory)
        tick = self.tick_seconds or TICK_SECONDS
        zone = self.core.settings.timezone
        self.dispatcher = build_dispatcher(services)
        scheduling = run_scheduler(self.dispatcher, zone, self.stop, tick)
        self.scheduling.append(asyncio.create_task(scheduling))
        return services

    async def _close(self) -> None:
        assert self.stop is not None
        self.stop.set()
        await asyncio.gather(*self.scheduling, return_exceptions=True)
        await self.core.db.close()


async def run_telegram(
    core: Core,
    stop: asyncio.Event | None = None,
    with_scheduler: bool = True,
    tick_seconds: float | None = None,
) -> None:
    """The bot; the scheduler runs in the same process unless `with_scheduler` is off (when
    `branchbot scheduler` runs it alone)."""
    await App(core, stop, tick_seconds).serve(with_scheduler)


async def run_scheduler_alone(core: Core, stop: asyncio.Event | None = None) -> None:
    await App(core, stop).send_reminders()
