"""aiogram 3: one router for the two update kinds the core handles; long polling by the
Dispatcher, or updates fed from our webhook receiver. Every reply goes through `Delivery`."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
)
from aiogram.types import User as TelegramUser

from bot.config import Settings
from bot.contract import Action, AnswerButton, EditText, Keyboard, SendFile, SendPicture, SendText
from bot.services import Services
from bot.transports.common import (
    ALLOWED_UPDATES,
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
        inline_keyboard=[
            [
                InlineKeyboardButton(text=b.label, url=b.url)
                if b.url
                else InlineKeyboardButton(text=b.label, callback_data=b.data)
                for b in row
            ]
            for row in rows
        ]
    )


class AiogramSender:
    """Performs one action with aiogram and translates its errors for `Delivery`."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def perform(self, chat_id: str, action: Action) -> int | None:
        try:
            return await self._perform(chat_id, action)
        except TelegramRetryAfter as exc:
            raise delivery.RetryAfter(float(exc.retry_after)) from exc
        except TelegramForbiddenError as exc:
            raise delivery.Forbidden(exc.message) from exc
        except TelegramBadRequest as exc:
            if "not modified" in exc.message.lower():
                raise delivery.NotModified(exc.message) from exc
            raise delivery.BadRequest(exc.message) from exc
        except (TimeoutError, TelegramNetworkError, TelegramServerError) as exc:
            raise delivery.TransientError(type(exc).__name__, maybe_sent=_maybe_sent(exc)) from exc

    async def _perform(self, chat_id: str, action: Action) -> int | None:
        match action:
            case SendText():
                sent = await self.bot.send_message(
                    chat_id=telegram_id(action.chat_id or chat_id),
                    text=action.text,
                    reply_markup=markup(action.buttons),
                    entities=[
                        MessageEntity(
                            type="text_mention",
                            offset=m.offset,
                            length=m.length,
                            user=TelegramUser(
                                id=telegram_id(m.user_id), is_bot=False, first_name=m.name
                            ),
                        )
                        for m in action.mentions
                    ]
                    or None,
                )
                return sent.message_id
            case EditText():
                await self.bot.edit_message_text(
                    text=action.text,
                    chat_id=telegram_id(action.chat_id or chat_id),
                    message_id=action.message_id,
                    reply_markup=markup(action.buttons),
                )
                return action.message_id
            case AnswerButton():
                await self.bot.answer_callback_query(
                    callback_query_id=action.callback_id,
                    text=action.text or None,
                    show_alert=action.alert,
                )
                return None
            case SendFile():
                sent = await self.bot.send_document(
                    chat_id=telegram_id(action.chat_id or chat_id),
                    document=BufferedInputFile(action.content, filename=action.filename),
                    caption=action.caption or None,
                )
                return sent.message_id
            case SendPicture():
                sent = await self.bot.send_photo(
                    chat_id=telegram_id(action.chat_id or chat_id),
                    photo=BufferedInputFile(action.content, filename="picture.png"),
                    caption=action.caption or None,
                )
                return sent.message_id
        raise TypeError(f"unknown action {type(action).__name__}")


_NOT_SENT = (aiohttp.ClientConnectorError, getattr(aiohttp, "ConnectionTimeoutError", OSError))


def _maybe_sent(exc: BaseException) -> bool:
    """The request may have reached Telegram: the connection was made (a timeout waiting for
    the answer, a dropped connection). A 5xx answer or a refused connection did nothing."""
    if isinstance(exc, TelegramServerError):
        return False
    cause = exc if isinstance(exc, TimeoutError) else exc.__cause__
    return isinstance(cause, TimeoutError | aiohttp.ClientError) and not isinstance(
        cause, _NOT_SENT
    )


class AiogramDirectory:
    def __init__(self, bot: Bot, username: str) -> None:
        self.bot = bot
        self.bot_username = username

    def deep_link(self, payload: str) -> str | None:
        return telegram_deep_link(self.bot_username, payload)

    async def member_status(self, chat_id: str, user_id: str) -> str:
        try:
            member = await self.bot.get_chat_member(
                chat_id=telegram_id(chat_id), user_id=telegram_id(user_id)
            )
        except TelegramAPIError:
            return "unknown"
        return str(member.status.value if hasattr(member.status, "value") else member.status)


def _router(runtime: TelegramRuntime) -> Router:
    """Long polling: each update joins its chat's queue; the core answers it there."""
    router = Router(name="core")

    @router.message()
    async def on_message(message: Message) -> None:
        """Text, commands and replies: the core decides."""
        await runtime.accept({"message": message.model_dump(by_alias=True, exclude_none=True)})

    @router.chat_member()
    async def on_member(update: ChatMemberUpdated) -> None:
        """Someone joined or left the group (sent while the bot is an admin)."""
        await runtime.accept({"chat_member": update.model_dump(by_alias=True, exclude_none=True)})

    @router.callback_query()
    async def on_button(query: CallbackQuery) -> None:
        """Button presses: the core validates the data and answers the press."""
        await runtime.accept({"callback_query": query.model_dump(by_alias=True, exclude_none=True)})

    return router


def _bot(settings: Settings) -> Bot:
    """One timeout policy for both frameworks (see `REQUEST_TIMEOUT`)."""
    session = AiohttpSession(
        api=TelegramAPIServer.from_base(settings.telegram_api_url), timeout=REQUEST_TIMEOUT
    )
    return Bot(settings.bot_token, session=session)


async def _connect(bot: Bot, stop: asyncio.Event) -> TelegramUser | None:
    found: list[TelegramUser] = []

    async def get_me() -> None:
        found.append(await bot.get_me())

    if not await keep_trying("connecting to Telegram", get_me, stop, TelegramUnauthorizedError):
        return None
    return found[0]


async def run(settings: Settings, stop: asyncio.Event, connected: Connected) -> None:
    """Runs until `stop` is set: long polling, or webhook when WEBHOOK_URL is set."""
    check_webhook_settings(settings.webhook_url, settings.webhook_secret)
    bot = _bot(settings)
    redis = None
    try:
        me = await _connect(bot, stop)
        if me is None:
            return
        redis = await open_redis(settings)
        directory = AiogramDirectory(bot, me.username or "")
        runtime = TelegramRuntime(settings, AiogramSender(bot), me.id, directory, connected, redis)
        await runtime.start()
        await _set_commands(bot, runtime.services)
        if settings.webhook_url:

            async def set_webhook() -> None:
                await bot.set_webhook(
                    settings.webhook_url,
                    secret_token=settings.webhook_secret,
                    allowed_updates=ALLOWED_UPDATES,
                    max_connections=WEBHOOK_CONNECTIONS,
                )

            # Listening first: Telegram pushes as soon as the webhook is set.
            stop_receiver = await start_webhook_receiver(
                settings.webhook_url, settings.webhook_secret, settings.webhook_listen,
                runtime.accept,
            )  # fmt: skip
            if await keep_trying("setWebhook", set_webhook, stop):
                log.info("telegram (aiogram) webhook running")
                await stop.wait()
            await stop_receiver()
            await runtime.close()
            return
        if not await keep_trying("deleteWebhook", bot.delete_webhook, stop):
            return
        dispatcher = Dispatcher()
        dispatcher.include_router(_router(runtime))
        polling = asyncio.create_task(
            dispatcher.start_polling(
                bot,
                handle_signals=False,
                close_bot_session=False,
                polling_timeout=10,
                allowed_updates=ALLOWED_UPDATES,
            )
        )
        log.info("telegram (aiogram) polling")
        await stop.wait()
        while not polling.done():  # a stop right after start comes before polling began
            try:
                await dispatcher.stop_polling()
                break
            except RuntimeError:
                await asyncio.sleep(0.05)
        await asyncio.gather(polling, return_exceptions=True)
        await runtime.close()
    finally:
        await bot.session.close()
        if redis is not None:
            await redis.aclose()


async def _set_commands(bot: Bot, services: Services) -> None:
    commands = [BotCommand(command=name, description=text) for name, text in command_list(services)]
    try:
        await bot.set_my_commands(commands)
    except TelegramAPIError:
        log.warning("setMyCommands failed; the menu of commands stays as it was")


async def send_only(settings: Settings, stop: asyncio.Event, connected: Connected) -> None:
    """`branchbot scheduler`: sends (reminders) without receiving updates."""
    bot = _bot(settings)
    redis = None
    try:
        me = await _connect(bot, stop)
        if me is None:
            return
        redis = await open_redis(settings)
        directory = AiogramDirectory(bot, me.username or "")
        runtime = TelegramRuntime(settings, AiogramSender(bot), me.id, directory, connected, redis)
        await stop.wait()
        await runtime.close()
    finally:
        await bot.session.close()
        if redis is not None:
            await redis.aclose()
