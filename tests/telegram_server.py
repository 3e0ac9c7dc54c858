"""A local Telegram Bot API server for end-to-end tests.

Unpatched python-telegram-bot and aiogram clients talk to it, so it answers with the shapes they
validate (`is_bot`, dates in Unix seconds, `chat_instance`, the member rights aiogram requires)
and behaves like Telegram exactly where bots tend to go wrong: long polling and offset
confirmation, webhook retries, flood limits, "message is not modified", blocked users and kicked
bots. Everything the bot does is recorded in `sent` and `calls` for the tests to assert on.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import logging
import math
import mimetypes
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from aiohttp import BodyPartReader, ClientError, ClientSession, ClientTimeout, MultipartReader, web

log = logging.getLogger(__name__)


def _words(text: str) -> list[str]:
    """Keeps the long lists of field names below on a few lines."""
    return text.split()


Json = dict[str, Any]
Files = dict[str, "Upload"]

BOT_ID = 7000001
BOT_USERNAME = "branch_test_bot"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
# Telegram only delivers these when allowed_updates names them explicitly.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
SEND_METHODS = frozenset({"sendMessage", "sendDocument", "sendPhoto"})
STATUSES = frozenset({"creator", "administrator", "member", "restricted", "left", "kicked"})
BUTTON_ACTIONS = _words(
    "url callback_data web_app login_url switch_inline_query switch_inline_query_current_chat "
    "switch_inline_query_chosen_chat copy_text callback_game pay"
)
# Both libraries refuse a ChatMember without every right listed (aiogram 3.31 added more).
ADMIN_RIGHTS = (
    {"can_be_edited": False, "is_anonymous": False}
    | dict.fromkeys(
        _words(
            "can_manage_chat can_delete_messages can_manage_video_chats "
            "can_restrict_members can_change_info can_invite_users can_post_stories "
            "can_edit_stories can_delete_stories can_send_welcome_messages can_pin_messages "
            "can_manage_topics"
        ),
        True,
    )
    | {"can_promote_members": False}
)
RESTRICTIONS = {"is_member": True, "until_date": 0} | dict.fromkeys(
    _words(
        "can_send_messages can_send_audios can_send_documents can_send_photos "
        "can_send_videos can_send_video_notes can_send_voice_notes can_send_polls "
        "can_send_other_messages can_add_web_page_previews can_react_to_messages "
        "can_edit_tag can_change_info can_invite_users can_pin_messages "
        "can_manage_topics"
    ),
    False,
)

# Telegram's (tdlib's) rules: a command or mention must not touch a letter on either side, so
# "/start参数" and "a/b" are no commands and "/start@bot" holds no separate mention.
_ENTITY = re.compile(
    r"(?<![\w/<>@])(?:(?P<bot_command>/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?)"
    r"|(?P<mention>@[A-Za-z0-9_]{5,32}))(?![\w/<>])"
)
_BOT_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class ApiError(Exception):
    """An error answer, raised from anywhere inside a method so every method stays linear."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> Json:
        body: Json = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


def _now() -> int:
    return int(time.time())


def _u16(text: str) -> int:
    """Entity offsets count UTF-16 code units, so emoji take two."""
    return len(text.encode("utf-16-le")) // 2


# --- request parameters ------------------------------------------------------------------------

_INT_PARAMS = frozenset(
    _words(
        "chat_id message_id offset limit user_id reply_to_message_id max_connections "
        "message_thread_id cache_time from_chat_id"
    )
)
_BOOL_PARAMS = frozenset(
    _words(
        "drop_pending_updates disable_notification show_alert protect_content "
        "allow_sending_without_reply disable_web_page_preview"
    )
)
_JSON_PARAMS = frozenset(
    _words(
        "reply_markup reply_parameters allowed_updates commands scope entities "
        "caption_entities link_preview_options"
    )
)


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes
    content_type: str | None = None


def coerce(name: str, value: Any) -> Any:
    """Form fields are all strings (JSON-encoded when structured); JSON bodies are typed already.
    Types are chosen by parameter name so that a text like "42" stays a string."""
    if not isinstance(value, str):
        return value
    try:
        if name in _INT_PARAMS and re.fullmatch(r"-?\d+", value):
            return int(value)
        if name == "timeout":
            return float(value)
        if name in _BOOL_PARAMS:
            return value.lower() in ("true", "1")
        if name in _JSON_PARAMS:
            return json.loads(value)
    except ValueError as exc:
        raise bad_request(f"can't parse {name} JSON object") from exc
    return value


async def read_multipart(reader: MultipartReader) -> tuple[Json, Files]:
    fields: Json = {}
    files: Files = {}
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        data = bytes(await part.read(decode=True))
        if part.filename is not None:
            content_type = part.headers.get("Content-Type")
            files[part.name or ""] = Upload(part.filename, data, content_type)
        else:
            fields[part.name or ""] = data.decode(part.get_charset(default="utf-8"))
    return fields, files


async def read_request(request: web.Request) -> tuple[Json, Files]:
    raw: Json = dict(request.query)
    files: Files = {}
    if request.content_type.startswith("multipart/"):
        fields, files = await read_multipart(await request.multipart())
        raw.update(fields)
    elif request.content_type == "application/json":
        body = await request.read()
        data = json.loads(body) if body.strip() else {}
        if not isinstance(data, dict):
            raise bad_request("parameters must be a JSON object")
        raw.update(data)
    elif request.can_read_body:
        raw.update(await request.post())
    return {name: coerce(name, value) for name, value in raw.items()}, files


def inline_markup(markup: Any) -> Json | None:
    """Validates like Telegram (64-byte callback_data is the classic trap for Chinese labels)
    and returns what Telegram echoes back: only inline keyboards are echoed in a Message."""
    if not isinstance(markup, dict) or "inline_keyboard" not in markup:
        return None
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" must be an Array of Arrays')
    clean_rows = []
    for row in rows:
        clean_row = []
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise bad_request("can't parse inline keyboard button: text is empty")
            clean = {key: value for key, value in button.items() if value is not None}
            if sum(key in clean for key in BUTTON_ACTIONS) != 1:
                raise bad_request("can't parse inline keyboard button: Text buttons are unallowed")
            if (
                "callback_data" in clean
                and not 1 <= len(str(clean["callback_data"]).encode()) <= 64
            ):
                raise bad_request("BUTTON_DATA_INVALID")
            if "url" in clean and not re.fullmatch(r"(https?|tg)://\S+", str(clean["url"])):
                raise bad_request(f"inline keyboard button URL '{clean['url']}' is invalid")
            clean_row.append(clean)
        if clean_row:
            clean_rows.append(clean_row)
    return {"inline_keyboard": clean_rows} if clean_rows else None


def check_text(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise bad_request("message text is empty")
    if _u16(text) > 4096:
        raise bad_request("message is too long")
    return text


def check_caption(caption: Any) -> str | None:
    if caption is None or caption == "":
        return None
    if _u16(str(caption)) > 1024:
        raise bad_request("message caption is too long")
    return str(caption)


def text_entities(text: str) -> list[Json]:
    return [
        {"type": match.lastgroup, "offset": _u16(text[: match.start()]), "length": _u16(match[0])}
        for match in _ENTITY.finditer(text)
    ]


def member_object(user: Json, status: str) -> Json:
    member: Json = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member |= ADMIN_RIGHTS
    elif status == "restricted":
        member |= RESTRICTIONS
    elif status == "kicked":
        member["until_date"] = 0
    return member


def image_size(data: bytes) -> tuple[int, int]:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return 1, 1


# --- rate limits and faults --------------------------------------------------------------------


class RollingWindow:
    """Telegram counts over a sliding window, not per clock second, so a burst straddling a
    second boundary is still caught."""

    def __init__(self) -> None:
        self.stamps: deque[float] = deque()

    def wait(self, limit: int, period: float, now: float) -> float:
        """Seconds until one more call fits; 0 when it fits now."""
        while self.stamps and self.stamps[0] <= now - period:
            self.stamps.popleft()
        if len(self.stamps) < limit:
            return 0.0
        return self.stamps[len(self.stamps) - limit] + period - now


@dataclass
class RateLimiter:
    """Telegram's flood limits on sending; plain attributes so a test can tighten or relax them."""

    enabled: bool = True
    global_limit: int = 30
    global_period: float = 1.0
    group_limit: int = 20
    group_period: float = 60.0
    private_limit: int = 5
    private_period: float = 1.0
    windows: dict[Any, RollingWindow] = field(default_factory=dict)

    def admit(
        self, chat_id: int | None, chat_type: str | None, now: float
    ) -> tuple[str, int] | None:
        """Counts the call, or returns (scope, retry_after) without counting a rejected one."""
        if not self.enabled:
            return None
        scopes: list[tuple[Any, int, float]] = [("global", self.global_limit, self.global_period)]
        if chat_type == "private":
            scopes.append((("private", chat_id), self.private_limit, self.private_period))
        elif chat_type in ("group", "supergroup"):
            scopes.append((("group", chat_id), self.group_limit, self.group_period))
        waits = [
            (self.windows.setdefault(key, RollingWindow()).wait(limit, period, now), key)
            for key, limit, period in scopes
        ]
        wait, key = max(waits, key=lambda item: item[0])
        if wait > 0:
            scope = key if isinstance(key, str) else key[0]
            return scope, max(1, math.ceil(wait))
        for key, _, _ in scopes:
            self.windows[key].stamps.append(now)
        return None

    def reset(self) -> None:
        self.windows.clear()


@dataclass
class _Fault:
    method: str
    remaining: int
    status: int = 0
    retry_after: int = 1
    chat_id: int | str | None = None
    description: str | None = None
    seconds: float = 0.0

    def error(self) -> ApiError:
        if self.status == 429:
            return too_many_requests(self.retry_after)
        try:
            phrase = HTTPStatus(self.status).phrase
        except ValueError:
            phrase = "Error"
        if self.description:
            return ApiError(self.status, self.description)
        if self.status in (400, 403):
            return ApiError(self.status, f"{phrase}: injected failure")
        return ApiError(self.status, phrase)


class Faults:
    """Injected failures and delays, consumed in the order they were registered."""

    def __init__(self) -> None:
        self.failures: list[_Fault] = []
        self.delays: list[_Fault] = []

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int = 1,
        times: int = 1,
        chat_id: int | str | None = None,
        description: str | None = None,
    ) -> None:
        self.failures.append(
            _Fault(method.lower(), times, status, retry_after, chat_id, description)
        )

    def slow(self, method: str, seconds: float, times: int = 1) -> None:
        self.delays.append(_Fault(method.lower(), times, seconds=seconds))

    def clear(self) -> None:
        self.failures.clear()
        self.delays.clear()

    @staticmethod
    def _take(faults: list[_Fault], method: str, chat_id: Any) -> _Fault | None:
        for fault in faults:
            if fault.method != method.lower():
                continue
            if fault.chat_id is not None and str(fault.chat_id) != str(chat_id):
                continue
            fault.remaining -= 1
            if fault.remaining <= 0:
                faults.remove(fault)
            return fault
        return None

    def failure_for(self, method: str, chat_id: Any) -> ApiError | None:
        fault = self._take(self.failures, method, chat_id)
        return fault.error() if fault else None

    def delay_for(self, method: str) -> float:
        fault = self._take(self.delays, method, None)
        return fault.seconds if fault else 0.0


# --- webhook -----------------------------------------------------------------------------------


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


@dataclass
class ChatState:
    info: Json
    members: dict[int, str]
    messages: dict[int, Json] = field(default_factory=dict)
    last_message_id: int = 0

    @property
    def id(self) -> int:
        return int(self.info["id"])

    @property
    def type(self) -> str:
        return str(self.info["type"])

    @property
    def chat_instance(self) -> str:
        return str(-(abs(self.id) * 1_000_003 + 4_242_424_242))


@dataclass
class PendingCallback:
    chat_id: int
    message_id: int
    at: float
    answered: bool = False


Handler = Callable[[Json, Files], Awaitable[Any]]


class FakeTelegram:
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

    # -- records

    def _record(self, method: str, **fields: Any) -> None:
        record: Json = dict.fromkeys(
            _words("chat_id message_id text reply_markup document photo caption callback_query_id")
        )
        self.sent.append(record | {"method": method, "at": time.monotonic()} | fields)

    def messages_to(self, chat_id: int) -> list[Json]:
        return [r for r in self.sent if r["method"] in SEND_METHODS and r["chat_id"] == chat_id]

    def last_message(self, chat_id: int) -> Json | None:
        messages = self.messages_to(chat_id)
        return messages[-1] if messages else None

    def message(self, chat_id: int, message_id: int) -> Json | None:
        """The message as it is now, after edits (records keep history instead)."""
        found = self._chats[chat_id].messages.get(message_id) if chat_id in self._chats else None
        return copy.deepcopy(found)

    async def wait_for(self, predicate: Callable[[list[Json]], Any], timeout: float = 5.0) -> Any:
        """Polls `predicate(self.sent)` and returns its first truthy value."""
        deadline = time.monotonic() + timeout
        while not (result := predicate(self.sent)):
            if time.monotonic() > deadline:
                recent = "\n".join(repr(record) for record in self.sent[-10:])
                failed = [call for call in self.calls[-10:] if call["status"] != 200]
                raise AssertionError(
                    f"condition not met within {timeout}s; last records:\n{recent}\n"
                    f"recent failed calls: {failed}"
                )
            await asyncio.sleep(0.01)
        return result

    # -- simulation

    def _bot_user(self) -> Json:
        return {key: self.bot[key] for key in ("id", "is_bot", "first_name", "username")}

    def _user_of(self, user: Json | int) -> Json:
        user_id = user if isinstance(user, int) else int(user["id"])
        return self._users.setdefault(
            user_id, {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        )

    def _chat_of(self, chat: Json | int) -> ChatState:
        chat_id = chat if isinstance(chat, int) else int(chat["id"])
        if chat_id not in self._chats:
            raise KeyError(f"chat {chat_id} unknown: create it with private_chat() or group()")
        return self._chats[chat_id]

    async def user(self, id: int, first_name: str, username: str | None = None) -> Json:
        user: Json = {"id": id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        user["language_code"] = "zh-hans"
        self._users[id] = user
        return dict(user)

    async def private_chat(self, user: Json | int) -> Json:
        known = self._user_of(user)
        info = {"id": known["id"], "type": "private", "first_name": known["first_name"]}
        if "username" in known:
            info["username"] = known["username"]
        self._chats[known["id"]] = ChatState(info, {known["id"]: "member", BOT_ID: "member"})
        return dict(info)

    async def group(
        self,
        chat_id: int,
        title: str,
        members: dict[int, str] | None = None,
        type: str | None = None,
    ) -> Json:
        """The bot is a plain member unless `members` says otherwise; ids below -10**12 (the
        "-100..." form) make a supergroup."""
        kind = type or ("supergroup" if chat_id < -(10**12) else "group")
        statuses = {BOT_ID: "member"} | dict(members or {})
        for user_id, status in statuses.items():
            if status not in STATUSES:
                raise ValueError(f"unknown member status {status!r}")
            self._user_of(user_id)
        info = {"id": chat_id, "type": kind, "title": title}
        self._chats[chat_id] = ChatState(info, statuses)
        return dict(info)

    async def send_text(
        self,
        user: Json | int,
        chat: Json | int,
        text: str,
        reply_to_message_id: int | None = None,
    ) -> Json:
        sender, state = self._user_of(user), self._chat_of(chat)
        if state.members.get(BOT_ID) in ("left", "kicked"):
            raise ValueError(f"the bot is not in chat {state.id}; it would not get this message")
        message: Json = self._new_message(state, sender, {"text": text})
        if entities := text_entities(text):
            message["entities"] = entities
        if reply_to_message_id is not None:
            message["reply_to_message"] = self._reply_copy(state, reply_to_message_id)
        self._enqueue("message", message)
        return copy.deepcopy(message)

    async def send_media(self, user: Json | int, chat: Json | int, kind: str = "sticker") -> Json:
        """A message without text, as a user sends it: a sticker, a photo, a voice note."""
        sender, state = self._user_of(user), self._chat_of(chat)
        file = {"file_id": f"CAACAgIAAxkBAAI{next(self._ids)}", "file_unique_id": "AgADx"}
        shapes: Json = {
            "sticker": file
            | {"type": "regular", "width": 512, "height": 512, "is_animated": False}
            | {"is_video": False},
            "photo": [file | {"width": 90, "height": 90}],
            "voice": file | {"duration": 3},
            "document": file | {"file_name": "a.pdf"},
            "location": {"latitude": 25.04, "longitude": 102.71},
        }
        message = self._new_message(state, sender, {kind: shapes[kind]})
        self._enqueue("message", message)
        return copy.deepcopy(message)

    async def press_button(
        self, user: Json | int, chat: Json | int, message_id: int, data: str
    ) -> str:
        presser, state = self._user_of(user), self._chat_of(chat)
        if message_id not in state.messages:
            raise KeyError(f"no message {message_id} in chat {state.id}")
        query_id = str(next(self._ids))
        self._callbacks[query_id] = PendingCallback(state.id, message_id, time.monotonic())
        query = {
            "id": query_id,
            "from": presser,
            "message": state.messages[message_id],
            "chat_instance": state.chat_instance,
            "data": data,
        }
        self._enqueue("callback_query", query)
        return query_id

    async def set_member_status(
        self, chat_id: int, user_id: int, status: str, by: Json | int | None = None
    ) -> None:
        """Also sends the my_chat_member (the bot) or chat_member update Telegram would."""
        if status not in STATUSES:
            raise ValueError(f"unknown member status {status!r}")
        state, user = self._chat_of(chat_id), self._user_of(user_id)
        old = state.members.get(user_id, "left")
        state.members[user_id] = status
        if by is None:  # the user in a private chat, else the owner, else the member
            owners = [uid for uid, s in state.members.items() if s == "creator"]
            by = state.id if state.type == "private" else (owners or [user_id])[0]
        change = {
            "chat": state.info,
            "from": self._user_of(by),
            "date": _now(),
            "old_chat_member": member_object(user, old),
            "new_chat_member": member_object(user, status),
        }
        self._enqueue("my_chat_member" if user_id == BOT_ID else "chat_member", change)

    async def remove_bot(self, chat_id: int) -> None:
        await self.set_member_status(chat_id, BOT_ID, "kicked")

    async def block_bot(self, user_id: int) -> None:
        await self.set_member_status(user_id, BOT_ID, "kicked")

    # -- messages

    def _new_message(self, state: ChatState, sender: Json, content: Json) -> Json:
        state.last_message_id += 1
        message = {
            "message_id": state.last_message_id,
            "from": sender,
            "chat": state.info,
            "date": _now(),
            **content,
        }
        state.messages[state.last_message_id] = message
        return message

    def _reply_copy(self, state: ChatState, message_id: int) -> Json:
        if message_id not in state.messages:
            raise bad_request("message to be replied not found")
        target = state.messages[message_id]
        return copy.deepcopy(
            {key: value for key, value in target.items() if key != "reply_to_message"}
        )

    def _target_chat(self, params: Json) -> ChatState:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        if isinstance(chat_id, str):
            named = [s for s in self._chats.values() if f"@{s.info.get('username')}" == chat_id]
            if not named:
                raise bad_request("chat not found")
            return named[0]
        if chat_id not in self._chats:
            raise bad_request("chat not found")
        return self._chats[chat_id]

    def _writable_chat(self, params: Json) -> ChatState:
        state = self._target_chat(params)
        status = state.members.get(BOT_ID, "member")
        if status in ("left", "kicked"):
            if state.type == "private":
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            kind = f"{state.type} chat"
            if status == "kicked":
                raise ApiError(403, f"Forbidden: bot was kicked from the {kind}")
            raise ApiError(403, f"Forbidden: bot is not a member of the {kind}")
        return state

    def _throttle(self, method: str, state: ChatState | None) -> None:
        chat_id = state.id if state else None
        verdict = self.limits.admit(chat_id, state.type if state else None, time.monotonic())
        if verdict is None:
            return
        scope, retry_after = verdict
        self.rejected.append(
            {"method": method, "chat_id": chat_id, "scope": scope, "retry_after": retry_after}
            | {"at": time.monotonic()}
        )
        raise too_many_requests(retry_after)

    async def _send(self, method: str, params: Json, content: Json, record: Json) -> Json:
        """The part every send method shares, in Telegram's order: chat, markup, reply, flood."""
        state = self._writable_chat(params)
        markup = inline_markup(params.get("reply_markup"))
        reply = params.get("reply_parameters")
        reply_id = reply.get("message_id") if isinstance(reply, dict) else None
        reply_id = params.get("reply_to_message_id") if reply_id is None else reply_id
        lenient = params.get("allow_sending_without_reply") or (
            isinstance(reply, dict) and reply.get("allow_sending_without_reply")
        )
        reply_to = None
        if reply_id is not None and (int(reply_id) in state.messages or not lenient):
            reply_to = self._reply_copy(state, int(reply_id))
        self._throttle(method, state)
        message = self._new_message(state, self._bot_user(), content)
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        if markup is not None:
            message["reply_markup"] = markup
        self._record(
            method,
            chat_id=state.id,
            message_id=message["message_id"],
            reply_markup=params.get("reply_markup"),
            reply_to_message_id=reply_to["message_id"] if reply_to else None,
            parse_mode=params.get("parse_mode"),
            disable_notification=bool(params.get("disable_notification")),
            **record,
        )
        return copy.deepcopy(message)

    def _upload(self, params: Json, files: Files, name: str) -> tuple[str, Upload]:
        """PTB names the file part after the parameter; aiogram sends `attach://<part>`."""
        value = params.get(name)
        if name in files:
            upload = files[name]
        elif isinstance(value, str) and value.startswith("attach://") and value[9:] in files:
            upload = files[value[9:]]
        elif isinstance(value, str) and value in self._files:
            return value, self._files[value]
        elif value:
            raise bad_request("wrong file identifier/HTTP URL specified")
        else:
            raise bad_request(f"there is no {name} in the request")
        if not upload.data:
            raise bad_request("file must be non-empty")
        file_id = f"BQACAgIAAxkBAAI{next(self._ids)}"
        self._files[file_id] = upload
        return file_id, upload

    # -- methods

    async def _true(self, params: Json, files: Files) -> bool:
        return True

    async def _get_me(self, params: Json, files: Files) -> Json:
        return dict(self.bot)

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

    async def _send_message(self, params: Json, files: Files) -> Json:
        text = check_text(params.get("text"))
        content: Json = {"text": text}
        if isinstance(params.get("entities"), list) and params["entities"]:
            content["entities"] = params["entities"]
        return await self._send("sendMessage", params, content, {"text": text})

    async def _send_document(self, params: Json, files: Files) -> Json:
        caption = check_caption(params.get("caption"))
        file_id, upload = self._upload(params, files, "document")
        guessed = mimetypes.guess_type(upload.filename)[0]
        document = {
            "file_id": file_id,
            "file_unique_id": f"AgAD{file_id[-10:]}",
            "file_name": upload.filename,
            "mime_type": guessed or upload.content_type or "application/octet-stream",
            "file_size": len(upload.data),
        }
        content: Json = {"document": document} | ({"caption": caption} if caption else {})
        record = {
            "document": (upload.filename, upload.data),
            "caption": caption,
            "file_id": file_id,
        }
        return await self._send("sendDocument", params, content, record)

    async def _send_photo(self, params: Json, files: Files) -> Json:
        caption = check_caption(params.get("caption"))
        file_id, upload = self._upload(params, files, "photo")
        width, height = image_size(upload.data)
        size = {"file_id": file_id, "file_unique_id": f"AQAD{file_id[-10:]}"}
        size |= {"width": width, "height": height, "file_size": len(upload.data)}
        content: Json = {"photo": [size]} | ({"caption": caption} if caption else {})
        record = {"photo": (upload.filename, upload.data), "caption": caption, "file_id": file_id}
        return await self._send("sendPhoto", params, content, record)

    def _own_message(self, params: Json, action: str) -> tuple[ChatState, Json]:
        if params.get("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        state = self._writable_chat(params)
        message = state.messages.get(int(params.get("message_id") or 0))
        if message is None:
            raise bad_request(f"message to {action} not found")
        if message["from"]["id"] != BOT_ID and action == "edit":
            raise bad_request("message can't be edited")
        return state, message

    async def _edit_message_text(self, params: Json, files: Files) -> Json:
        text = check_text(params.get("text"))
        state, message = self._own_message(params, "edit")
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        return self._edit(state, message, "editMessageText", params, text)

    async def _edit_message_reply_markup(self, params: Json, files: Files) -> Json:
        state, message = self._own_message(params, "edit")
        return self._edit(state, message, "editMessageReplyMarkup", params, None)

    def _edit(
        self, state: ChatState, message: Json, method: str, params: Json, text: str | None
    ) -> Json:
        """Telegram drops the keyboard when an edit omits reply_markup, and refuses no-op edits."""
        markup = inline_markup(params.get("reply_markup"))
        if (text is None or message.get("text") == text) and message.get("reply_markup") == markup:
            raise bad_request(NOT_MODIFIED)
        self._throttle(method, state)
        if text is not None:
            message["text"] = text
        message.pop("reply_markup", None)
        if markup is not None:
            message["reply_markup"] = markup
        message["edit_date"] = _now()
        self._record(
            method,
            chat_id=state.id,
            message_id=message["message_id"],
            text=text,
            reply_markup=params.get("reply_markup"),
            parse_mode=params.get("parse_mode"),
        )
        return copy.deepcopy(message)

    async def _delete_message(self, params: Json, files: Files) -> bool:
        state, message = self._own_message(params, "delete")
        del state.messages[message["message_id"]]
        self._record("deleteMessage", chat_id=state.id, message_id=message["message_id"])
        return True

    async def _answer_callback_query(self, params: Json, files: Files) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        pending = self._callbacks.get(query_id)
        too_late = pending is not None and (
            time.monotonic() - pending.at > self.callback_answer_timeout
        )
        if pending is None or pending.answered or too_late:
            raise bad_request(QUERY_TOO_OLD)
        pending.answered = True
        self._record(
            "answerCallbackQuery",
            chat_id=pending.chat_id,
            message_id=pending.message_id,
            callback_query_id=query_id,
            text=params.get("text"),
            show_alert=bool(params.get("show_alert")),
            url=params.get("url"),
        )
        return True

    async def _send_chat_action(self, params: Json, files: Files) -> bool:
        self._writable_chat(params)
        return True

    async def _get_chat(self, params: Json, files: Files) -> Json:
        state = self._target_chat(params)
        gifts = dict.fromkeys(
            _words(
                "unlimited_gifts limited_gifts unique_gifts premium_subscription "
                "gifts_from_channels"
            ),
            False,
        )
        return state.info | {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": gifts,
        }

    async def _get_chat_member(self, params: Json, files: Files) -> Json:
        state = self._target_chat(params)
        user_id = params.get("user_id")
        if user_id not in self._users:
            raise bad_request("user not found")
        return member_object(self._users[user_id], state.members.get(user_id, "left"))

    async def _get_chat_administrators(self, params: Json, files: Files) -> list[Json]:
        state = self._target_chat(params)
        if state.type == "private":
            raise bad_request("there are no administrators in the private chat")
        return [
            member_object(self._users[user_id], status)
            for user_id, status in state.members.items()
            if status in ("creator", "administrator")
        ]

    @staticmethod
    def _commands_key(params: Json) -> str:
        scope = params.get("scope") or {"type": "default"}
        return f"{json.dumps(scope, sort_keys=True)}|{params.get('language_code') or ''}"

    async def _set_my_commands(self, params: Json, files: Files) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            if not _BOT_COMMAND_NAME.fullmatch(str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not str(command.get("description", "")).strip():
                raise bad_request("command description is empty")
        self._commands[self._commands_key(params)] = commands
        self._record("setMyCommands", commands=commands, scope=params.get("scope"))
        return True

    async def _get_my_commands(self, params: Json, files: Files) -> list[Json]:
        return list(self._commands.get(self._commands_key(params), []))

    async def _delete_my_commands(self, params: Json, files: Files) -> bool:
        self._commands.pop(self._commands_key(params), None)
        self._record("deleteMyCommands", scope=params.get("scope"))
        return True


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
