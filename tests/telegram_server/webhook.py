"""Webhook delivery as Telegram does it: pushes with retries, in order per chat, at most
`max_connections` requests in flight."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import ClientError, ClientSession, ClientTimeout, MultipartReader

from tests.telegram_server.wire import SECRET_HEADER, Files, Json, coerce, read_multipart

if TYPE_CHECKING:
    from tests.telegram_server.server import FakeTelegram

log = logging.getLogger(__name__)


def _update_chat(update: Json) -> Any:
    """The chat an update belongs to, or None."""
    for kind, body in update.items():
        if kind == "update_id" or not isinstance(body, dict):
            continue
        message = body.get("message") if kind == "callback_query" else body
        chat = (message or {}).get("chat") if isinstance(message, dict) else None
        return chat.get("id") if isinstance(chat, dict) else None
    return None


class WebhookPusher:
    """Pushes updates in order, retrying with backoff like Telegram: a failing receiver
    delays delivery but never loses an update nor stops the server.

    With `connections` above 1 (setWebhook's max_connections), that many requests are in
    flight at once, as with Telegram; one chat's updates still go one at a time, in order."""

    first_delay = 0.1
    max_delay = 2.0

    def __init__(
        self, server: FakeTelegram, url: str, secret: str | None, connections: int = 1
    ) -> None:
        self.server = server
        self.url = url
        self.secret = secret
        self.connections = max(1, connections)
        self._busy_updates: set[int] = set()
        self._busy_chats: set[Any] = set()
        self.task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        self.task.cancel()
        if asyncio.current_task() is self.task:  # setWebhook sent back in a webhook answer
            return
        with contextlib.suppress(asyncio.CancelledError):
            await self.task

    async def _run(self) -> None:
        async with ClientSession(timeout=ClientTimeout(total=self.server.webhook_timeout)) as http:
            lanes = [asyncio.create_task(self._lane(http)) for _ in range(self.connections)]
            try:
                await asyncio.gather(*lanes)
            finally:
                for lane in lanes:
                    lane.cancel()
                await asyncio.gather(*lanes, return_exceptions=True)

    def _next(self) -> Json | None:
        """The oldest update not in flight whose chat has none in flight either; an update
        waits behind an older one of its chat even while that one is being retried."""
        blocked: set[Any] = set(self._busy_chats)
        for update in self.server._deliverable():
            chat = _update_chat(update)
            if update["update_id"] in self._busy_updates or (chat is not None and chat in blocked):
                if chat is not None:
                    blocked.add(chat)
                continue
            return update
        return None

    async def _lane(self, http: ClientSession) -> None:
        delay = self.first_delay
        while True:
            changed = self.server._changed
            update = self._next()
            if update is None:
                await changed.wait()
                continue
            chat = _update_chat(update)
            self._busy_updates.add(update["update_id"])
            if chat is not None:
                self._busy_chats.add(chat)
            try:
                try:
                    error = await self._post(http, update)
                except Exception as exc:  # a bug here must not end delivery for the whole test
                    log.exception("webhook delivery failed")
                    error = f"internal error: {exc!r}"
                self.server.deliveries.append(
                    {"update_id": update["update_id"], "error": error, "at": time.monotonic()}
                )
                if error is None:
                    self.server._drop_update(update["update_id"])
                    delay = self.first_delay
                    continue
                self.server._webhook_error(error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_delay)
            finally:
                self._busy_updates.discard(update["update_id"])
                self._busy_chats.discard(chat)
                self.server._notify()

    async def _post(self, http: ClientSession, update: Json) -> str | None:
        headers = {SECRET_HEADER: self.secret} if self.secret else {}
        try:
            async with http.post(self.url, json=update, headers=headers) as response:
                if not 200 <= response.status < 300:
                    return f"Wrong response from the webhook: {response.status} {response.reason}"
                reply = await self._read_reply(response)
        except TimeoutError:
            return "Read timeout expired"
        except (ClientError, OSError) as exc:
            return f"Connection failed: {exc}"
        if reply is not None:
            # A method in the webhook answer is executed like a call; its errors are not reported.
            params, files = reply
            await self.server._call(str(params.pop("method")), params, files)
        return None

    @staticmethod
    async def _read_reply(response: Any) -> tuple[Json, Files] | None:
        fields: Json = {}
        files: Files = {}
        if response.content_type == "application/json":
            with contextlib.suppress(ValueError):
                data = await response.json()
                fields = data if isinstance(data, dict) else {}
        elif response.content_type.startswith("multipart/"):
            fields, files = await read_multipart(
                MultipartReader(response.headers, response.content)
            )
        if not fields.get("method"):
            return None
        return {name: coerce(name, value) for name, value in fields.items()}, files


@dataclass
class WebhookState:
    url: str = ""
    secret: str | None = None
    max_connections: int = 1
    last_error_date: int | None = None
    last_error_message: str | None = None


# --- the server --------------------------------------------------------------------------------
