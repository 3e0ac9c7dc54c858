"""What the server keeps per chat and per pending button press."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tests.telegram_server.wire import Files, Json


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
