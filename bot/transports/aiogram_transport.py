"""aiogram 3: one router for the two update kinds the core handles; long polling by the
Dispatcher, or updates fed from our webhook receiver. Every reply goes through `Delivery`."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

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

from bot.contract import Action, AnswerButton, EditText, Keyboard, SendFile, SendPicture, SendText
from bot.services import Services
from bot.transports.common import (
    ALLOWED_UPDATES,
    TelegramRuntime,
    command_list,
    start_webhook_receiver,
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

    async def perform(self, chat_id: int, action: Action) -> int | None:
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
            raise delivery.TransientError(str(exc)) from exc

    async def _perform(self, chat_id: int, action: Action) -> int | None:
        match action:
            case SendText():
                sent = await self.bot.send_message(
                    chat_id=action.chat_id or chat_id,
                    text=action.text,
                    reply_markup=markup(action.buttons),
                    entities=[
                        MessageEntity(
                            type="text_mention",
                            offset=m.offset,
                            length=m.length,
                            user=TelegramUser(id=m.user_id, is_bot=False, first_name=m.name),
                        )
                        for m in action.mentions
                    ]
                    or None,
                )
                return sent.message_id
            case EditText():
                await self.bot.edit_message_text(
                    text=action.text,
                    chat_id=action.chat_id or chat_id,
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
                    chat_id=action.chat_id or chat_id,
                    document=BufferedInputFile(action.content, filename=action.filename),
                    caption=action.caption or None,
                )
                return sent.message_id
            case SendPicture():
                sent = await self.bot.send_photo(
                    chat_id=action.chat_id or chat_id,
                    photo=BufferedInputFile(action.content, filename="picture.png"),
                    caption=action.caption or None,
                )
                return sent.message_id
        raise TypeError(f"unknown action {type(action).__name__}")


class AiogramDirectory:
    def __init__(self, bot: Bot, username: str) -> None:
        self.bot = bot
        self.bot_username = username

    async def member_status(self, chat_id: int, user_id: int) -> str:
        try:
            member = await self.bot.get_chat_member(chat_id=chat_id, user_id=user_id)
        except TelegramAPIError:
            return "unknown"
        return str(member.status.value if hasattr(member.status, "value") else member.status)


def _router(runtime: TelegramRuntime) -> Router:
    router = Router(name="core")

    @router.message()
    async def on_message(message: Message) -> None:
        """Text, commands and replies: the core decides."""
        await runtime.process({"message": message.model_dump(by_alias=True, exclude_none=True)})

    @router.chat_member()
    async def on_member(update: ChatMemberUpdated) -> None:
        """Someone joined or left the group (sent while the bot is an admin)."""
        await runtime.process({"chat_member": update.model_dump(by_alias=True, exclude_none=True)})

    @router.callback_query()
    async def on_button(query: CallbackQuery) -> None:
        """Button presses: the core validates the data and answers the press."""
        await runtime.process(
            {"callback_query": query.model_dump(by_alias=True, exclude_none=True)}
        )

    return router


async def run(services: Services, stop: asyncio.Event) -> None:
    """Runs until `stop` is set: long polling, or webhook when WEBHOOK_URL is set."""
    settings = services.settings
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    bot = Bot(settings.bot_token, session=session)
    try:
        me = await bot.get_me()
        runtime = TelegramRuntime(services, AiogramSender(bot), me.id, me.username or "")
        services.directory = AiogramDirectory(bot, me.username or "")
        dispatcher = Dispatcher()
        dispatcher.include_router(_router(runtime))
        await _set_commands(bot, services)
        if settings.webhook_url:
            await bot.set_webhook(
                settings.webhook_url,
                secret_token=settings.webhook_secret or None,
                allowed_updates=ALLOWED_UPDATES,
            )

            async def feed(data: dict[str, Any]) -> None:
                await dispatcher.feed_webhook_update(bot, data)

            stop_receiver = await start_webhook_receiver(
                settings.webhook_url, settings.webhook_secret, settings.webhook_listen, feed
            )
            log.info("telegram (aiogram) webhook running as @%s", me.username)
            await stop.wait()
            await stop_receiver()
            return
        await bot.delete_webhook()
        polling = asyncio.create_task(
            dispatcher.start_polling(
                bot,
                handle_signals=False,
                close_bot_session=False,
                polling_timeout=10,
                allowed_updates=ALLOWED_UPDATES,
            )
        )
        log.info("telegram (aiogram) polling as @%s", me.username)
        await stop.wait()
        await dispatcher.stop_polling()
        await asyncio.gather(polling, return_exceptions=True)
    finally:
        await bot.session.close()


async def _set_commands(bot: Bot, services: Services) -> None:
    commands = [BotCommand(command=name, description=text) for name, text in command_list(services)]
    try:
        await bot.set_my_commands(commands)
    except TelegramAPIError:
        log.warning("setMyCommands failed; the menu of commands stays as it was")


async def send_only(services: Services, stop: asyncio.Event) -> None:
    """`branchbot scheduler`: sends (reminders) without receiving updates."""
    settings = services.settings
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    bot = Bot(settings.bot_token, session=session)
    try:
        me = await bot.get_me()
        TelegramRuntime(services, AiogramSender(bot), me.id, me.username or "")
        await stop.wait()
    finally:
        await bot.session.close()
