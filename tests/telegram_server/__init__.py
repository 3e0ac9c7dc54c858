"""A local Telegram Bot API server for end-to-end tests.

Unpatched python-telegram-bot and aiogram clients talk to it, so it answers with the shapes they
validate (`is_bot`, dates in Unix seconds, `chat_instance`, the member rights aiogram requires)
and behaves like Telegram exactly where bots tend to go wrong: long polling and offset
confirmation, webhook retries, flood limits, "message is not modified", blocked users and kicked
bots. Everything the bot does is recorded in `sent` and `calls` for the tests to assert on.
"""

from tests.telegram_server.server import FakeTelegram
from tests.telegram_server.wire import BOT_ID, NOT_MODIFIED, SECRET_HEADER, text_entities

__all__ = ["BOT_ID", "NOT_MODIFIED", "SECRET_HEADER", "FakeTelegram", "text_entities"]
