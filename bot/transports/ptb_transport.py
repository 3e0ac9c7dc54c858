"""python-telegram-bot 22: long polling by its Updater, or updates fed from our webhook
receiver (PTB's own webhook server would need tornado). Every reply goes through `Delivery`."""

from __future__ import annotations

import asyncio
import logging
import os

import httpx

# Opt in to PTB's coming behaviour now: RetryAfter.retry_after as a timedelta, no warning.
os.environ.setdefault("PTB_TIMEDELTA", "1")

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    MessageEntity,
    Update,
)
from telegram import User as TelegramUser
from telegram import error as tg_error
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.config import Settings
from bot.contract import Action, AnswerButton, EditText, Keyboard, SendFile, SendPicture, SendText
from bot.services import Services
from bot.transports.common import (
    ALLOWED_UPDATES,
    CONNECT_TIMEOUT,
    REQUEST_TIMEOUT,
    WEBHOOK_CONNECTIONS,
    Connected,
    TelegramRuntime,
    check_webhook_settings,
    command_list,
    keep_trying,
    open_redis,
    start_webhook_receiver,
    telegram_deep_link,
    telegram_id,
)
from scheduler import delivery

log = logging.getLogger(__name__)


def markup(rows: Keyboard) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.label, url=b.url)
                if b.url
                else InlineKeyboardButton(b.label, callback_data=b.data)
                for b in row
            ]
            for row in rows
        ]
    )


class PtbSender:
    """Performs one action with PTB and translates its errors for `Delivery`."""

    def __init__(self, application: Application) -> None:  # type: ignore[type-arg]
        self.bot = application.bot

    async def perform(self, chat_id: str, action: Action) -> int | None:
        try:
            return await self._perform(chat_id, action)
        except tg_error.RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait)
            raise delivery.RetryAfter(seconds) from exc
        except tg_error.Forbidden as exc:
            raise delivery.Forbidden(str(exc)) from exc
        except tg_error.BadRequest as exc:
            if "not modified" in exc.message.lower():
                raise delivery.NotModified(exc.message) from exc
            raise delivery.BadRequest(exc.message) from exc
        except tg_error.NetworkError as exc:  # TimedOut included
            raise delivery.TransientError(type(exc).__name__, maybe_sent=_maybe_sent(exc)) from exc

    async def _perform(self, chat_id: str, action: Action) -> int | None:
        match action:
            case SendText():
                sent = await self.bot.send_message(
                    telegram_id(action.chat_id or chat_id),
                    action.text,
                    reply_markup=markup(action.buttons),
                    entities=[
                        MessageEntity(
                            MessageEntity.TEXT_MENTION,
                            m.offset,
                            m.length,
                            user=TelegramUser(telegram_id(m.user_id), m.name, is_bot=False),
                        )
                        for m in action.mentions
                    ]
                    or None,
                )
                return sent.message_id
            case EditText():
                await self.bot.edit_message_text(
                    action.text,
                    chat_id=telegram_id(action.chat_id or chat_id),
                    message_id=action.message_id,
                    reply_markup=markup(action.buttons),
                )
                return action.message_id
            case AnswerButton():
                await self.bot.answer_callback_query(
                    action.callback_id, text=action.text or None, show_alert=action.alert
                )
                return None
            case SendFile():
                sent = await self.bot.send_document(
                    telegram_id(action.chat_id or chat_id),
                    InputFile(action.content, filename=action.filename),
                    caption=action.caption or None,
                )
                return sent.message_id
            case SendPicture():
                sent = await self.bot.send_photo(
                    telegram_id(action.chat_id or chat_id),
                    action.content,
                    caption=action.caption or None,
                )
                return sent.message_id
        raise TypeError(f"unknown action {type(action).__name__}")

    async def member_status(self, chat_id: str, user_id: str) -> str:
        try:
            member = await self.bot.get_chat_member(telegram_id(chat_id), telegram_id(user_id))
        except tg_error.TelegramError:
            return "unknown"
        return str(member.status)


def _maybe_sent(exc: BaseException) -> bool:
    """The request may have reached Telegram: the connection was made (a read timeout, a
    dropped answer). A 5xx answer or a refused connection means nothing was done."""
    cause = exc.__cause__
    not_sent = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
    return isinstance(cause, httpx.HTTPError) and not isinstance(cause, not_sent)


class PtbDirectory:
    def __init__(self, sender: PtbSender, username: str) -> None:
        self.sender = sender
        self.bot_username = username

    def deep_link(self, payload: str) -> str | None:
        return telegram_deep_link(self.bot_username, payload)

    async def member_status(self, chat_id: str, user_id: str) -> str:
        return await self.sender.member_status(chat_id, user_id)


def _application(settings: Settings, receives: bool) -> Application:  # type: ignore[type-arg]
    """One timeout policy for both frameworks (see `REQUEST_TIMEOUT`)."""
    api = settings.telegram_api_url
    builder = (
        ApplicationBuilder()
        .token(settings.bot_token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(REQUEST_TIMEOUT)
        .write_timeout(REQUEST_TIMEOUT)
        .pool_timeout(REQUEST_TIMEOUT)
        .concurrent_updates(True)
    )
    if not receives:
        builder = builder.updater(None)
    return builder.build()


async def run(settings: Settings, stop: asyncio.Event, connected: Connected) -> None:
    """Runs until `stop` is set: long polling, or webhook when WEBHOOK_URL is set."""
    check_webhook_settings(settings.webhook_url, settings.webhook_secret)
    application = _application(settings, receives=not settings.webhook_url)
    if not await keep_trying(
        "connecting to Telegram", application.initialize, stop, tg_error.InvalidToken
    ):
        return
    redis = await open_redis(settings)
    try:
        me = application.bot.bot
        sender = PtbSender(application)
        directory = PtbDirectory(sender, me.username or "")
        runtime = TelegramRuntime(settings, sender, me.id, directory, connected, redis)
        await runtime.start()

        async def on_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            """Every update joins its chat's queue; the core answers it there."""
            await runtime.accept(update.to_dict())

        application.add_handler(TypeHandler(Update, on_update))
        await _set_commands(application, runtime.services)
        await application.start()
        stop_receiver = None
        try:
            if settings.webhook_url:  # listening first: Telegram pushes as soon as it is set
                stop_receiver = await start_webhook_receiver(
                    settings.webhook_url, settings.webhook_secret, settings.webhook_listen,
                    runtime.accept,
                )  # fmt: skip
                await keep_trying("setWebhook", lambda: _set_webhook(application, settings), stop)
            elif await keep_trying("deleteWebhook", application.bot.delete_webhook, stop):
                assert application.updater is not None
                await application.updater.start_polling(
                    poll_interval=0.0, timeout=10, allowed_updates=ALLOWED_UPDATES
                )
            log.info("telegram (ptb) running")
            await stop.wait()
        finally:
            if stop_receiver is not None:
                await stop_receiver()
            elif application.updater is not None and application.updater.running:
                await application.updater.stop()
            await runtime.close()
            await application.stop()
    finally:
        await application.shutdown()
        if redis is not None:
            await redis.aclose()


async def _set_webhook(application: Application, settings) -> None:  # type: ignore[no-untyped-def,type-arg]
    await application.bot.set_webhook(
        settings.webhook_url,
        secret_token=settings.webhook_secret,
        allowed_updates=ALLOWED_UPDATES,
        max_connections=WEBHOOK_CONNECTIONS,
    )


async def _set_commands(application: Application, services: Services) -> None:  # type: ignore[type-arg]
    commands = [BotCommand(name, text) for name, text in command_list(services)]
    try:
        await application.bot.set_my_commands(commands)
    except tg_error.TelegramError:
        log.warning("setMyCommands failed; the menu of commands stays as it was")


async def send_only(settings: Settings, stop: asyncio.Event, connected: Connected) -> None:
    """`branchbot scheduler`: sends (reminders) without receiving updates."""
    application = _application(settings, receives=False)
    if not await keep_trying(
        "connecting to Telegram", application.initialize, stop, tg_error.InvalidToken
    ):
        return
    redis = await open_redis(settings)
    try:
        me = application.bot.bot
        sender = PtbSender(application)
        directory = PtbDirectory(sender, me.username or "")
        runtime = TelegramRuntime(settings, sender, me.id, directory, connected, redis)
        await stop.wait()
        await runtime.close()
    finally:
        await application.shutdown()
        if redis is not None:
            await redis.aclose()
