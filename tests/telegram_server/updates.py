"""getUpdates long polling with offset confirmation, and webhooks: the updates queue."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import re
import time

from tests.telegram_server.webhook import WebhookPusher, WebhookState
from tests.telegram_server.wire import (
    _SECRET,
    OPT_IN_UPDATES,
    ApiError,
    Files,
    Json,
    _now,
    bad_request,
)


class Updates:
    # -- updates

    def _notify(self) -> None:
        """Wakes every long poll and the webhook pusher; each re-checks what it waits for."""
        self._changed.set()
        self._changed = asyncio.Event()

    def _enqueue(self, kind: str, payload: Json) -> Json:
        update = {"update_id": next(self._update_ids), kind: copy.deepcopy(payload)}
        self._updates.append(update)
        self._notify()
        return update

    def _deliverable(self) -> list[Json]:
        """Pending updates; kinds that allowed_updates excludes are dropped, as Telegram does."""

        def wanted(update: Json) -> bool:
            kind = next(key for key in update if key != "update_id")
            return kind in self._allowed if self._allowed else kind not in OPT_IN_UPDATES

        self._updates = [update for update in self._updates if wanted(update)]
        return self._updates

    def _drop_update(self, update_id: int) -> None:
        self._updates = [update for update in self._updates if update["update_id"] != update_id]

    @property
    def polls_started(self) -> int:
        """getUpdates calls received so far: a test waits for its poll to be waiting."""
        return self._poll_generation

    @property
    def pending_updates(self) -> list[Json]:
        return copy.deepcopy(self._updates)

    def _webhook_error(self, message: str) -> None:
        self.webhook.last_error_date = _now()
        self.webhook.last_error_message = message

    def _no_webhook(self) -> None:
        if self.webhook.url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )

    async def webhook_idle(self, timeout: float = 5.0) -> None:
        """Returns once every pending update reached the receiver (trivially without webhook)."""
        deadline = time.monotonic() + timeout
        while self.webhook.url and self._deliverable():
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{len(self._updates)} updates still pending for {self.webhook.url}; "
                    f"last error: {self.webhook.last_error_message}"
                )
            await asyncio.sleep(0.01)

    async def _get_updates(self, params: Json, files: Files) -> list[Json]:
        """Real long polling; a newer call ends an older one with 409, like Telegram."""
        self._no_webhook()
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        if params.get("allowed_updates") is not None:
            self._allowed = list(params["allowed_updates"])
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()
        deadline = time.monotonic() + timeout
        while True:
            batch = self._deliverable()[:limit]
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0 or self._closing:
                return copy.deepcopy(batch)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            self._no_webhook()

    async def _set_webhook(self, params: Json, files: Files) -> bool:
        url = str(params.get("url") or "")
        secret = params.get("secret_token") or None
        if secret is not None and not _SECRET.fullmatch(str(secret)):
            raise bad_request("secret token contains unallowed characters")
        if url and not re.fullmatch(r"https?://\S+", url):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if params.get("allowed_updates") is not None:
            self._allowed = list(params["allowed_updates"])
        if params.get("drop_pending_updates"):
            self._updates.clear()
        if self._pusher is not None:
            await self._pusher.stop()
            self._pusher = None
        connections = int(params.get("max_connections") or 1)
        if not 1 <= connections <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        self.webhook = WebhookState(url=url, secret=secret, max_connections=connections)
        if url:
            self._pusher = WebhookPusher(self, url, secret, connections)
        self._notify()
        return True

    async def _delete_webhook(self, params: Json, files: Files) -> bool:
        return await self._set_webhook(
            {"drop_pending_updates": params.get("drop_pending_updates")}, {}
        )

    async def _get_webhook_info(self, params: Json, files: Files) -> Json:
        info: Json = {
            "url": self.webhook.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._deliverable()),
        }
        if self.webhook.url:
            info |= {"max_connections": self.webhook.max_connections, "ip_address": "127.0.0.1"}
        if self._allowed:
            info["allowed_updates"] = list(self._allowed)
        if self.webhook.last_error_date is not None:
            info["last_error_date"] = self.webhook.last_error_date
            info["last_error_message"] = self.webhook.last_error_message
        return info
