"""The transport-agnostic contract between chat transports and the conversation core.

Handlers are plain async functions of (event, services) -> actions; they never see a
framework object, so the console, python-telegram-bot and aiogram all drive the same core.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

ChatKind = Literal["private", "group"]
# Opaque to the core: each messenger writes its own ids as text (Telegram's numbers, the
# console's names). The core compares them for equality only; what a number's sign means is
# the transport's business.
ChatId = str
UserId = str

# Telegram limits the callback data of an inline button to 64 bytes.
MAX_BUTTON_DATA_BYTES = 64


def button_id(part: str) -> int | None:
    """A database id carried in button data, or None when the part is not one. ASCII digits
    only: `str.isdigit` also takes "²", which `int` then refuses, so forged data would crash
    the handler instead of being turned away; at most 12 of them."""
    return int(part) if part.isascii() and part.isdigit() and len(part) <= 12 else None


@dataclass(frozen=True, slots=True)
class Chat:
    id: ChatId
    kind: ChatKind = "private"
    title: str = ""

    def __post_init__(self) -> None:
        _opaque(self.id)


@dataclass(frozen=True, slots=True)
class User:
    id: UserId
    name: str = ""

    def __post_init__(self) -> None:
        _opaque(self.id)


def _opaque(value: object) -> None:
    """A number where text is due would be stored as a number by one database and refused
    by another: caught where the id enters the core."""
    if not isinstance(value, str) or not value:
        raise TypeError(f"chat and user ids are non-empty text, not {type(value).__name__}")


@dataclass(frozen=True, slots=True)
class Event:
    """One thing a user did: sent text (commands included) or pressed a button."""

    chat: Chat
    user: User
    text: str | None = None
    button_data: str | None = None
    # Identifies the button press so the transport can answer it (spinner stops).
    callback_id: str | None = None
    # The message the button was attached to, or the message this text replies to.
    message_id: int | None = None
    reply_to_message_id: int | None = None
    reply_to_bot: bool = False
    mentions_bot: bool = False  # the text @-mentions the bot (groups, privacy mode on)
    # "joined" / "left": Telegram reported the user joining or leaving the group (bot is admin)
    member_change: str | None = None
    # A message with no text (sticker, photo, voice, file...): its kind, so the core can say
    # what it expects instead of staying silent.
    attachment: str | None = None

    @property
    def is_button(self) -> bool:
        return self.button_data is not None


@dataclass(frozen=True, slots=True)
class Button:
    """A button sending `data` back when pressed, or a link (`url`, e.g. a deep link)."""

    label: str
    data: str = ""
    url: str = ""

    def __post_init__(self) -> None:
        if bool(self.data) == bool(self.url):
            raise ValueError("a button has either data or a url")
        if len(self.data.encode()) > MAX_BUTTON_DATA_BYTES:
            raise ValueError(f"button data over {MAX_BUTTON_DATA_BYTES} bytes: {self.data!r}")


Keyboard = tuple[tuple[Button, ...], ...]


def keyboard(*rows: list[Button] | tuple[Button, ...]) -> Keyboard:
    return tuple(tuple(row) for row in rows if row)


@dataclass(frozen=True, slots=True)
class Mention:
    """A name in the text that notifies its user (Telegram's text_mention, for users without
    a username). Offsets count UTF-16 code units, as Telegram does."""

    offset: int
    length: int
    user_id: UserId
    name: str


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def with_mentions(parts: list[str | tuple[UserId, str]]) -> tuple[str, tuple[Mention, ...]]:
    """Joins plain strings and (user id, name) pairs into text with the names as mentions."""
    text, mentions = "", []
    for part in parts:
        if isinstance(part, tuple):
            user_id, name = part
            mentions.append(Mention(utf16_length(text), utf16_length(name), user_id, name))
            text += name
        else:
            text += part
    return text, tuple(mentions)


@dataclass(frozen=True, slots=True)
class SendText:
    text: str
    buttons: Keyboard = ()
    chat_id: ChatId | None = None  # None: the chat the event came from
    mentions: tuple[Mention, ...] = ()


@dataclass(frozen=True, slots=True)
class EditText:
    """Replace the text (and buttons) of the message a button was pressed on."""

    message_id: int
    text: str
    buttons: Keyboard = ()
    chat_id: ChatId | None = None


@dataclass(frozen=True, slots=True)
class AnswerButton:
    """Acknowledge a button press; a non-empty text shows as a short notice."""

    callback_id: str
    text: str = ""
    alert: bool = False


@dataclass(frozen=True, slots=True)
class SendFile:
    filename: str
    content: bytes
    caption: str = ""
    chat_id: ChatId | None = None


@dataclass(frozen=True, slots=True)
class SendPicture:
    content: bytes
    caption: str = ""
    chat_id: ChatId | None = None


Action = SendText | EditText | AnswerButton | SendFile | SendPicture


class ChatDirectory(Protocol):
    """What the core may ask the chat platform (Telegram, or the console standing in for it)."""

    bot_username: str

    async def member_status(self, chat_id: ChatId, user_id: UserId) -> str:
        """creator / administrator / member / left / kicked (Telegram's getChatMember)."""
        ...

    def deep_link(self, payload: str) -> str | None:
        """A link that opens the private chat with the bot and starts it with `payload`
        (at most 64 characters); None where the platform has no such link (the console)."""
        ...


class Messenger(Protocol):
    """Outbound delivery outside a request (reminders, nudges); each transport implements it."""

    async def send(self, chat_id: ChatId, action: Action) -> int | None:
        """Deliver one action to a chat; returns the new message id when there is one."""
        ...
