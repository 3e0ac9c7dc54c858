"""What both Telegram transports share: turning a Bot API update into a core `Event`, running
the core with per-chat ordering, delivering its actions through the rate-limited `Delivery`,
and the webhook receiver (secret verified) that hands updates to either framework.

Mapping works on the Bot API's JSON shape, which both frameworks expose (`to_dict()` /
`model_dump(by_alias=True)`), so the two transports cannot drift apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlsplit

from bot.config import Settings
from bot.contract import AnswerButton, Chat, ChatDirectory, Event, Messenger, User
from bot.router import answer, parse_command
from bot.rules import flood
from bot.services import Services
from bot.transports.ordering import LocalOrder, Outbox, RedisOrder
from scheduler.delivery import Delivery, RawSender
from scheduler.limits import Limits
from scheduler.shared_rate import SharedGate
from storage import groups

# Joins the core to a messenger that can send (bot.transports.run.App): called once.
Connected = Callable[[Messenger, ChatDirectory], Services]

log = logging.getLogger(__name__)

# Start-up retries: 1 s, 2 s, 4 s ... at most a minute between attempts.
STARTUP_FIRST_DELAY = 1.0
STARTUP_MAX_DELAY = 60.0
# Every Bot API call: how long to wait for the connection and for the answer. A send whose
# answer does not come back in time may have been sent; `Delivery` then does not repeat it.
CONNECT_TIMEOUT = 10.0
REQUEST_TIMEOUT = 30.0
# Webhook requests Telegram may have in flight at once (its default); order is kept per chat.
WEBHOOK_CONNECTIONS = 40

GROUP_TYPES = frozenset({"group", "supergroup"})
# chat_member must be asked for by name; Telegram sends it only while the bot is an admin.
ALLOWED_UPDATES = ["message", "callback_query", "chat_member", "my_chat_member"]
PRESENT = frozenset({"creator", "administrator", "member", "restricted"})
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Messages without text the core answers (in a private chat: "please type"); others are ignored.
ATTACHMENTS = (
    "sticker", "photo", "voice", "video", "video_note", "audio", "document", "animation",
    "location", "contact", "poll",
)  # fmt: skip


def display_name(user: dict[str, Any]) -> str:
    name = " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p)
    return name or user.get("username") or str(user.get("id", ""))


def event_from_update(update: dict[str, Any], bot_id: int, bot_username: str) -> Event | None:
    """The core event for a message or button press; None for anything the bot ignores."""
    if "chat_member" in update:
        change = update["chat_member"]
        member = (change.get("new_chat_member") or {}).get("user") or {}
        if "chat" not in change or not member or member.get("is_bot"):
            return None
        joined = change["new_chat_member"].get("status") in PRESENT
        return Event(
            chat=_chat(change["chat"]),
            user=User(core_id(member["id"]), display_name(member)),
            member_change="joined" if joined else "left",
        )
    if "callback_query" in update:
        query = update["callback_query"]
        message = query.get("message") or {}
        chat = message.get("chat")
        if chat is None or "from" not in query:
            return None
        return Event(
            chat=_chat(chat),
            user=User(core_id(query["from"]["id"]), display_name(query["from"])),
            button_data=str(query.get("data") or ""),
            callback_id=str(query["id"]),
            message_id=message.get("message_id"),
        )
    message = update.get("message")
    if not message or "from" not in message or message["from"].get("is_bot"):
        return None
    text = message.get("text")
    if text is None:
        kind = next((k for k in ATTACHMENTS if k in message), None)
        if kind is None:
            return None  # joins, pins, service messages: nothing for the core
        return Event(
            chat=_chat(message["chat"]),
            user=User(core_id(message["from"]["id"]), display_name(message["from"])),
            message_id=message.get("message_id"),
            attachment=kind,
        )
    command = parse_command(text.strip())
    head = text.strip().split(maxsplit=1)[0] if command else ""
    if "@" in head and head.split("@", 1)[1].lower() != bot_username.lower():
        return None  # a command for another bot in the same group
    replied = message.get("reply_to_message") or {}
    return Event(
        chat=_chat(message["chat"]),
        user=User(core_id(message["from"]["id"]), display_name(message["from"])),
        text=text,
        message_id=message.get("message_id"),
        reply_to_message_id=replied.get("message_id"),
        reply_to_bot=(replied.get("from") or {}).get("id") == bot_id,
        mentions_bot=bool(bot_username) and f"@{bot_username.lower()}" in text.lower(),
    )


def _chat(chat: dict[str, Any]) -> Chat:
    kind = "group" if chat.get("type") in GROUP_TYPES else "private"
    return Chat(core_id(chat["id"]), kind, chat.get("title") or "")


ALLOWANCE = {"group": flood.GROUP, "private": flood.PRIVATE}


class TelegramRuntime:
    """Runs the core for each update. A chat's updates are handled one at a time, in arrival
    order (across processes with Redis), so a double tap cannot be accepted twice; different
    chats proceed in parallel. Replies queue per chat and go out at Telegram's pace while the
    next update is already handled; button answers go out at once."""

    def __init__(
        self,
        settings: Settings,
        raw: RawSender,
        bot_id: int,
        directory: ChatDirectory,
        connected: Connected,
        redis: Any = None,
    ) -> None:
        self.bot_id = bot_id
        self.bot_username = directory.bot_username
        limits = Limits(global_messages=settings.max_messages_per_second)
        namespace = f"branchbot:{bot_id}"
        shared = SharedGate(redis, namespace, limits) if redis is not None else None
        self.delivery = Delivery(
            raw, is_group=is_group_chat, on_forbidden=self._forbidden, limits=limits, shared=shared
        )
        self.outbox = Outbox(self.delivery)
        self.order: LocalOrder | RedisOrder = (
            RedisOrder(redis, namespace, self.handle, self.outbox)
            if redis is not None
            else LocalOrder(self.handle)
        )
        self.buckets: dict[tuple[str, str, str], flood.Bucket] = {}
        self._answers: set[asyncio.Task[Any]] = set()
        self._swept = time.monotonic()
        # Sending works from here on: the core is joined to this messenger (and, where this
        # process schedules, reminders start).
        self.services = connected(self.delivery, directory)

    async def start(self) -> None:
        await self.order.start()

    async def accept(self, update: dict[str, Any]) -> None:
        """Queues the update behind its chat's earlier ones; returns once it is queued (in
        Redis when shared), which is when the webhook may answer Telegram."""
        key = chat_key(update)
        if key is None:
            return
        await self.order.submit(key, update)

    async def handle(self, update: dict[str, Any]) -> None:
        try:
            event = event_from_update(update, self.bot_id, self.bot_username)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:  # not Telegram's shape
            log.warning("update of an unexpected shape ignored (%s)", type(exc).__name__)
            return
        if event is None:
            return
        self.delivery.revive(event.chat.id)  # someone wrote from there: the chat is reachable
        if not self._admitted(event):
            log.warning("flood: an update in chat=%s ignored", event.chat.id)
            return
        actions = await answer(event, self.services)
        for spinner in (a for a in actions if isinstance(a, AnswerButton)):
            task = asyncio.create_task(self.delivery.send(event.chat.id, spinner))
            self._answers.add(task)
            task.add_done_callback(self._answers.discard)
        self.outbox.put(event.chat.id, [a for a in actions if not isinstance(a, AnswerButton)])

    def _admitted(self, event: Event) -> bool:
        """Button presses and member changes always count; text is limited per person."""
        if event.is_button or event.member_change is not None:
            return True
        now = time.monotonic()
        key = (event.chat.id, event.user.id, event.chat.kind)
        admitted, self.buckets[key] = flood.admit(self.buckets.get(key), now, ALLOWANCE[key[2]])
        if now - self._swept > 60:  # memory follows who is active, not who ever wrote
            self._swept = now
            for old, bucket in list(self.buckets.items()):
                if flood.full_again(bucket, now, ALLOWANCE[old[2]]):
                    del self.buckets[old]
        return admitted

    async def _forbidden(self, chat_id: str) -> None:
        """403: the bot was removed from the group or blocked; stop sending there."""
        async with self.services.db.session() as session:
            await groups.deactivate_binding(session, chat_id)

    async def close(self, timeout: float = 10.0) -> None:
        """At a stop: updates already accepted are handled and their replies sent, for a while."""
        await self.order.close(timeout)
        await self.outbox.close(timeout)
        if self._answers:
            await asyncio.wait(list(self._answers), timeout=timeout)


def chat_key(update: dict[str, Any]) -> str | None:
    """The chat whose order the update joins; None for kinds the bot does not handle."""
    for kind in ("message", "chat_member", "my_chat_member"):
        if isinstance(update.get(kind), dict):
            chat = update[kind].get("chat")
            return str(chat["id"]) if isinstance(chat, dict) and "id" in chat else None
    query = update.get("callback_query")
    if isinstance(query, dict) and isinstance(query.get("message"), dict):
        chat = query["message"].get("chat")
        return str(chat["id"]) if isinstance(chat, dict) and "id" in chat else None
    return None


def command_list(services: Services) -> list[tuple[str, str]]:
    """(command, Chinese description) for setMyCommands, from knowledge/messages.yaml."""
    return [(name, str(text)) for name, text in services.content.messages["commands"].items()]


class StartupError(Exception):
    """Settings that must not start the bot; the message says in Chinese what to change."""


_SECRET_CHARS = re.compile(r"[A-Za-z0-9_-]{16,256}")
MAX_JSON_DEPTH = 64  # a real update nests a few levels; deeper is an attack


def check_webhook_settings(webhook_url: str, secret: str) -> None:
    """A webhook accepts POSTs from the whole internet: without the secret Telegram echoes
    back, anyone could post updates claiming to be any user, so it never starts without one."""
    if not webhook_url:
        return
    if not secret:
        raise StartupError(
            "已设置 WEBHOOK_URL 但未设置 WEBHOOK_SECRET：没有密钥，任何人都能冒充 Telegram "
            "向机器人发消息，因此不启动。请在 .env 中设置 WEBHOOK_SECRET（16–256 位字母、数字、"
            "_ 或 -，例如用 `openssl rand -hex 32` 生成）。"
        )
    if not _SECRET_CHARS.fullmatch(secret):
        raise StartupError(
            "WEBHOOK_SECRET 只能由 16–256 位字母、数字、_ 或 - 组成，请重新设置后再启动。"
        )


def _too_deep(value: Any, depth: int = 0) -> bool:
    if depth > MAX_JSON_DEPTH:
        return True
    if isinstance(value, dict):
        return any(_too_deep(item, depth + 1) for item in value.values())
    if isinstance(value, list):
        return any(_too_deep(item, depth + 1) for item in value)
    return False


def parse_update(body: bytes) -> dict[str, Any] | None:
    """The update in a webhook POST, or None for anything that is not one (bad JSON, not an
    object, nested deeper than any update: the parser would otherwise recurse to a crash)."""
    try:
        update = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(update, dict) or _too_deep(update):
        return None
    return update


async def start_webhook_receiver(
    url: str, secret: str, listen: str, accept: Callable[[dict[str, Any]], Awaitable[None]]
) -> Callable[[], Awaitable[None]]:
    """Serves POSTs at the path of WEBHOOK_URL; a wrong or missing secret gets 403.

    Returns a coroutine function that stops the server. Telegram gets its 200 once the update
    is queued in its chat's order (in Redis when several workers share it), not after it is
    handled, so a slow handler never makes Telegram send it again. When queueing fails,
    Telegram gets a 500 and sends the update again later: nothing is lost.
    """
    from aiohttp import web

    if not secret:
        raise StartupError("webhook without a secret")

    async def receive(request: web.Request) -> web.Response:
        if not hmac.compare_digest(
            request.headers.get(SECRET_HEADER, "").encode(), secret.encode()
        ):
            return web.Response(status=403)
        update = parse_update(await request.read())
        if update is None:
            return web.Response(status=400)
        try:
            await accept(update)
        except Exception as exc:
            log.warning("update not queued (%s): Telegram will send it again", type(exc).__name__)
            return web.Response(status=500)
        return web.Response(text="ok")

    app = web.Application(client_max_size=1 << 20)
    app.router.add_post(urlsplit(url).path or "/", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    host, _, port = listen.rpartition(":")
    await web.TCPSite(runner, host or "127.0.0.1", int(port)).start()

    async def stop() -> None:
        await runner.cleanup()

    return stop


async def open_redis(settings: Settings) -> Any:
    """The Redis client shared by the workers, or None for one process on its own."""
    if not settings.redis_url:
        return None
    import redis.asyncio as redis_asyncio  # only a deployment of several workers needs it

    return redis_asyncio.from_url(settings.redis_url, health_check_interval=30)


async def keep_trying(
    what: str,
    attempt: Callable[[], Awaitable[object]],
    stop: asyncio.Event,
    rejected: type[BaseException] | tuple[type[BaseException], ...] = (),
) -> bool:
    """Start-up calls to Telegram are retried with backoff like every other network error, so
    a bot started before the network is up, or while Telegram is unreachable, comes up by
    itself. False once `stop` is set first. Logs carry the error's class, never the token."""
    delay = STARTUP_FIRST_DELAY
    while not stop.is_set():
        try:
            await attempt()
            return True
        except rejected as exc:
            log.error(
                "%s: Telegram rejected BOT_TOKEN (%s); check it. Retrying in %.0fs",
                what, type(exc).__name__, delay,
            )  # fmt: skip
        except Exception as exc:
            log.warning("%s failed (%s); retrying in %.0fs", what, type(exc).__name__, delay)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
        delay = min(delay * 2, STARTUP_MAX_DELAY)
    return False


def telegram_deep_link(bot_username: str, payload: str) -> str | None:
    """Telegram's t.me link that opens the private chat and sends `/start payload`."""
    return f"https://t.me/{bot_username}?start={quote(payload)}" if bot_username else None


def is_group_chat(chat_id: str) -> bool:
    """Telegram gives groups, supergroups and channels negative ids, users positive ones."""
    return chat_id.startswith("-")


def core_id(value: Any) -> str:
    """A Telegram id as the core keeps it: text. Telegram's are integers; anything else is
    not an update of Telegram's (refused as an unexpected shape)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("a Telegram id is an integer")
    return str(value)


def telegram_id(value: str) -> int:
    """The core's id back as the integer Telegram's API takes."""
    return int(value)
