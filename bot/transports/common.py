"""What both Telegram transports share: turning a Bot API update into a core `Event`, running
the core with per-chat ordering, delivering its actions through the rate-limited `Delivery`,
and the webhook receiver (secret verified) that hands updates to either framework.

Mapping works on the Bot API's JSON shape, which both frameworks expose (`to_dict()` /
`model_dump(by_alias=True)`), so the two transports cannot drift apart.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import weakref
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from bot.contract import Action, AnswerButton, Chat, Event, SendText, User
from bot.router import handle_event, parse_command
from bot.services import Services
from scheduler.delivery import Delivery, Limits, RawSender
from storage import groups

log = logging.getLogger(__name__)

GROUP_TYPES = frozenset({"group", "supergroup"})
# chat_member must be asked for by name; Telegram sends it only while the bot is an admin.
ALLOWED_UPDATES = ["message", "callback_query", "chat_member", "my_chat_member"]
PRESENT = frozenset({"creator", "administrator", "member", "restricted"})
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


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
            user=User(member["id"], display_name(member)),
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
            user=User(query["from"]["id"], display_name(query["from"])),
            button_data=str(query.get("data") or ""),
            callback_id=str(query["id"]),
            message_id=message.get("message_id"),
        )
    message = update.get("message")
    if not message or "from" not in message or message["from"].get("is_bot"):
        return None
    text = message.get("text")
    if text is None:
        return None  # stickers, photos, joins: nothing for the core
    command = parse_command(text.strip())
    head = text.strip().split(maxsplit=1)[0] if command else ""
    if "@" in head and head.split("@", 1)[1].lower() != bot_username.lower():
        return None  # a command for another bot in the same group
    replied = message.get("reply_to_message") or {}
    return Event(
        chat=_chat(message["chat"]),
        user=User(message["from"]["id"], display_name(message["from"])),
        text=text,
        message_id=message.get("message_id"),
        reply_to_message_id=replied.get("message_id"),
        reply_to_bot=(replied.get("from") or {}).get("id") == bot_id,
        mentions_bot=bool(bot_username) and f"@{bot_username.lower()}" in text.lower(),
    )


def _chat(chat: dict[str, Any]) -> Chat:
    kind = "group" if chat.get("type") in GROUP_TYPES else "private"
    return Chat(chat["id"], kind, chat.get("title") or "")


class TelegramRuntime:
    """Runs the core for each update; one chat's updates are handled one at a time, in order,
    so a double tap cannot be accepted twice while different chats proceed in parallel."""

    def __init__(self, services: Services, raw: RawSender, bot_id: int, bot_username: str) -> None:
        self.services = services
        self.bot_id = bot_id
        self.bot_username = bot_username
        limits = Limits(global_messages=services.settings.max_messages_per_second)
        self.delivery = Delivery(raw, on_forbidden=self._forbidden, limits=limits)
        # A lock lives while some update of its chat holds it, then disappears by itself.
        self.locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()
        services.outbound = self.delivery

    async def process(self, update: dict[str, Any]) -> None:
        event = event_from_update(update, self.bot_id, self.bot_username)
        if event is None:
            return
        self.delivery.revive(event.chat.id)  # someone wrote from there: the chat is reachable
        lock = self.locks.get(event.chat.id)
        if lock is None:
            lock = self.locks[event.chat.id] = asyncio.Lock()
        async with lock:
            try:
                actions = await handle_event(event, self.services)
            except Exception:
                log.exception("handler failed chat=%s", event.chat.id)
                actions = self._apology(event)
            await self.delivery.send_all(event.chat.id, actions)

    def _apology(self, event: Event) -> list[Action]:
        """Never a stack trace: stop the spinner and say something went wrong."""
        text = self.services.content.text("handler_failed")
        if event.callback_id:
            return [AnswerButton(event.callback_id, text, alert=True)]
        return [SendText(text)]

    async def _forbidden(self, chat_id: int) -> None:
        """403: the bot was removed from the group or blocked; stop sending there."""
        async with self.services.db.session() as session:
            await groups.deactivate_binding(session, chat_id)


def command_list(services: Services) -> list[tuple[str, str]]:
    """(command, Chinese description) for setMyCommands, from knowledge/messages.yaml."""
    return [(name, str(text)) for name, text in services.content.messages["commands"].items()]


async def start_webhook_receiver(
    url: str, secret: str, listen: str, feed: Callable[[dict[str, Any]], Awaitable[None]]
) -> Callable[[], Awaitable[None]]:
    """Serves POSTs at the path of WEBHOOK_URL; a wrong or missing secret gets 403.

    Returns a coroutine function that stops the server. Updates are handled in the
    background so Telegram gets its 200 at once and never re-sends for a slow handler.
    """
    from aiohttp import web

    pending: set[asyncio.Task[None]] = set()

    async def receive(request: web.Request) -> web.Response:
        if secret and not hmac.compare_digest(request.headers.get(SECRET_HEADER, ""), secret):
            return web.Response(status=403)
        try:
            update = await request.json()
        except ValueError:
            return web.Response(status=400)
        task = asyncio.create_task(feed(update))
        pending.add(task)
        task.add_done_callback(pending.discard)
        return web.Response(text="ok")

    app = web.Application(client_max_size=1 << 20)
    app.router.add_post(urlsplit(url).path or "/", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    host, _, port = listen.rpartition(":")
    await web.TCPSite(runner, host or "127.0.0.1", int(port)).start()

    async def stop() -> None:
        await runner.cleanup()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    return stop
