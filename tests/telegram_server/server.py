"""The server: one bot, any token; its state, lifecycle and HTTP routing. The Bot API methods
live in one module per area (updates, messages, chats), mixed in here."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import re
import time

from aiohttp import web

from tests.telegram_server.chats import Chats
from tests.telegram_server.limits import Faults, RateLimiter
from tests.telegram_server.messages import Messages
from tests.telegram_server.records import Records
from tests.telegram_server.simulation import Simulation
from tests.telegram_server.state import ChatState, Handler, PendingCallback
from tests.telegram_server.updates import Updates
from tests.telegram_server.webhook import WebhookPusher, WebhookState
from tests.telegram_server.wire import (
    BOT_ID,
    BOT_USERNAME,
    ApiError,
    Files,
    Json,
    Upload,
    _dumps,
    bad_request,
    read_request,
)

log = logging.getLogger(__name__)


class FakeTelegram(Updates, Records, Simulation, Messages, Chats):
    """The Bot API for one bot, any token. Start with `await FakeTelegram.start()`."""

    webhook_timeout = 10.0
    callback_answer_timeout = 15.0

    def __init__(self) -> None:
        self.bot: Json = {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "六步工作法助手",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.url = ""
        self.sent: list[Json] = []
        self.calls: list[Json] = []
        self.rejected: list[Json] = []
        self.deliveries: list[Json] = []
        self.internal_errors: list[BaseException] = []
        self.limits = RateLimiter()
        self.faults = Faults()
        self.webhook = WebhookState()
        self._users: dict[int, Json] = {BOT_ID: self._bot_user()}
        self._chats: dict[int, ChatState] = {}
        self._updates: list[Json] = []
        self._update_ids = itertools.count(100_000_001)
        self._ids = itertools.count(4_200_000_001)
        self._allowed: list[str] | None = None
        self._poll_generation = 0
        self._callbacks: dict[str, PendingCallback] = {}
        self._files: dict[str, Upload] = {}
        self._commands: dict[str, list[Json]] = {}
        self._pusher: WebhookPusher | None = None
        self._changed = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._methods: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "sendMessage": self._send_message,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "answerCallbackQuery": self._answer_callback_query,
                "sendDocument": self._send_document,
                "sendPhoto": self._send_photo,
                "sendChatAction": self._send_chat_action,
                "getChat": self._get_chat,
                "getChatMember": self._get_chat_member,
                "getChatAdministrators": self._get_chat_administrators,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "close": self._true,
                "logOut": self._true,
            }.items()
        }

    # -- lifecycle

    @classmethod
    async def start(cls, host: str = "127.0.0.1", port: int = 0) -> FakeTelegram:
        server = cls()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{path:.*}", server._handle)
        server._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await server._runner.setup()
        await web.TCPSite(server._runner, host, port).start()
        server.url = f"http://{host}:{server._runner.addresses[0][1]}"
        return server

    async def stop(self) -> None:
        """Ends pending long polls and slow calls at once, so teardown never waits on them."""
        self._closing = True
        self._notify()
        if self._pusher is not None:
            await self._pusher.stop()
            self._pusher = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def rate_limits(self) -> bool:
        return self.limits.enabled

    @rate_limits.setter
    def rate_limits(self, enabled: bool) -> None:
        self.limits.enabled = enabled

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int = 1,
        times: int = 1,
        chat_id: int | str | None = None,
        description: str | None = None,
    ) -> None:
        self.faults.fail_next(method, status, retry_after, times, chat_id, description)

    def slow(self, method: str, seconds: float, times: int = 1) -> None:
        """The delay comes before the call takes effect, as a slow Telegram would."""
        self.faults.slow(method, seconds, times)

    # -- HTTP

    async def _handle(self, request: web.Request) -> web.Response:
        match = re.fullmatch(r"/bot([^/]+)/([A-Za-z]+)/?", request.path)
        if match is None:
            return web.json_response(ApiError(404, "Not Found").payload(), status=404)
        try:
            params, files = await read_request(request)
        except ApiError as err:
            return web.json_response(err.payload(), status=err.status)
        except ValueError:
            return web.json_response(bad_request("can't parse request").payload(), status=400)
        status, payload = await self._call(match.group(2), params, files)
        return web.json_response(payload, status=status, dumps=_dumps)

    async def _call(self, name: str, params: Json, files: Files) -> tuple[int, Json]:
        at = time.monotonic()
        method, handler = self._methods.get(name.lower(), (name, None))
        if delay := self.faults.delay_for(method):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closed_event(), delay)
        try:
            if handler is None:
                raise ApiError(404, "Not Found")
            if failure := self.faults.failure_for(method, params.get("chat_id")):
                raise failure
            status, payload = 200, {"ok": True, "result": await handler(params, files)}
        except ApiError as err:
            status, payload = err.status, err.payload()
        except Exception as exc:  # a bug in this fake; internal_errors lets a fixture fail on it
            log.exception("fake Telegram failed on %s", method)
            self.internal_errors.append(exc)
            status, payload = 500, ApiError(500, f"Internal Server Error: {exc!r}").payload()
        self.calls.append(
            {
                "method": method,
                "params": params,
                "files": {key: (up.filename, len(up.data)) for key, up in files.items()},
                "at": at,
                "status": status,
                "description": payload.get("description"),
            }
        )
        return status, payload

    async def _closed_event(self) -> None:
        while not self._closing:
            await self._changed.wait()
