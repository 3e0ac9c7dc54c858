"""What the bot did, as the tests read it: every call and every message sent."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable
from typing import Any

from tests.telegram_server.wire import SEND_METHODS, Json, _words


class Records:
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
