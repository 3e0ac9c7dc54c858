"""The Bot API's wire format: parameters as Telegram reads them, the errors it answers with,
and the checks it makes on text, captions, buttons and uploads."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, MultipartReader, web


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


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
