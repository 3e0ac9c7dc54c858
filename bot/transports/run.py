"""Starts the selected framework (imported only when selected) and stops it on a signal."""

from __future__ import annotations

import asyncio
import contextlib
import signal

from bot.services import Services


async def run_telegram(services: Services, stop: asyncio.Event | None = None) -> None:
    """Runs until `stop` is set, or (from the command line) until SIGINT or SIGTERM."""
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
    await services.db.migrate()
    try:
        if services.settings.bot_framework == "aiogram":
            from bot.transports import aiogram_transport as transport
        else:
            from bot.transports import ptb_transport as transport  # type: ignore[no-redef]
        await transport.run(services, stop)
    finally:
        await services.db.close()
