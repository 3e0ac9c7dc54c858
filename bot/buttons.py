"""What a button carries: one small class per kind, with its prefix and typed fields. A button
is made with `Kind(...).pack()` and read back with `unpack`, which turns away anything forged
(a wrong prefix, a missing or extra part, a non-number where an id belongs, a value outside a
fixed set); the router dispatches on the class, so no handler splits strings.

The packed form is what Telegram stores under a message, at most 64 bytes: `prefix:field:…`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import cache
from typing import Any, ClassVar, Literal, Self, get_args, get_origin, get_type_hints

from bot.contract import MAX_BUTTON_DATA_BYTES, button_id


class ButtonData:
    """Base of every kind. `PREFIX` may hold a colon ("l:v"): the longest prefix is tried
    first. `REST`: the last field takes the rest of the data, colons and all (a button that
    carries another button)."""

    PREFIX: ClassVar[str]
    REST: ClassVar[bool] = False

    def pack(self) -> str:
        parts = [self.PREFIX, *(str(getattr(self, name)) for name in _names(type(self)))]
        data = ":".join(parts)
        if len(data.encode()) > MAX_BUTTON_DATA_BYTES:
            raise ValueError(f"button data over {MAX_BUTTON_DATA_BYTES} bytes: {data!r}")
        return data

    @classmethod
    def unpack(cls, data: str) -> Self | None:
        names = _names(cls)
        if not names:
            return cls() if data == cls.PREFIX else None
        if not data.startswith(cls.PREFIX + ":"):
            return None
        rest = data[len(cls.PREFIX) + 1 :]
        parts = rest.split(":", len(names) - 1) if cls.REST else rest.split(":")
        if len(parts) != len(names):
            return None
        values = [read(part) for read, part in zip(_readers(cls), parts, strict=True)]
        if any(value is None for value in values):
            return None
        return cls(*values)


@cache
def _names(kind: type) -> tuple[str, ...]:
    """The fields' names, once per kind (`fields` walks the class at every call)."""
    return tuple(f.name for f in fields(kind))  # type: ignore[arg-type]


@cache
def _readers(kind: type) -> tuple[Callable[[str], Any], ...]:
    """How each field is read, worked out once per kind: every press is read with them."""
    hints = get_type_hints(kind)
    return tuple(_reader(hints[name]) for name in _names(kind))


def _reader(kind: Any) -> Callable[[str], Any]:
    """A part as its field's type, or None: ids are ASCII digits (`button_id`), a Literal
    field takes one of its values, text is non-empty."""
    if kind is int:
        return button_id
    if get_origin(kind) is Literal:
        allowed = frozenset(get_args(kind))
        return lambda part: part if part in allowed else None
    return lambda part: part or None


def unpack(data: str, kinds: tuple[type[ButtonData], ...]) -> ButtonData | None:
    """The first kind, longest prefix first, that reads `data`; None when none does. Only
    kinds whose prefix the data starts with are asked: a prefix is one or two parts, so two
    dictionary look-ups find them (a press is read once per kind)."""
    by_prefix = _by_prefix(kinds)
    parts = data.split(":", 2)
    for prefix in (":".join(parts[:2]), parts[0]) if len(parts) > 1 else (parts[0],):
        for kind in by_prefix.get(prefix, ()):
            button = kind.unpack(data)
            if button is not None:
                return button
    return None


@cache
def _by_prefix(kinds: tuple[type[ButtonData], ...]) -> dict[str, tuple[type[ButtonData], ...]]:
    found: dict[str, tuple[type[ButtonData], ...]] = {}
    for kind in kinds:
        found[kind.PREFIX] = (*found.get(kind.PREFIX, ()), kind)
    return found


@dataclass(frozen=True, slots=True)
class DialogPress(ButtonData):
    """An option of a dialog's question; `choice` is its number, or "ok" ending a multi-choice."""

    PREFIX: ClassVar[str] = "d"
    state_id: int
    seq: int
    choice: str


@dataclass(frozen=True, slots=True)
class MenuStep(ButtonData):
    PREFIX: ClassVar[str] = "m"
    code: str


@dataclass(frozen=True, slots=True)
class ResumeRunning(ButtonData):
    PREFIX: ClassVar[str] = "r:c"


@dataclass(frozen=True, slots=True)
class RestartWith(ButtonData):
    """Drop the running dialog and press `origin` (another button's data) again."""

    PREFIX: ClassVar[str] = "r:n"
    REST: ClassVar[bool] = True
    origin: str


@dataclass(frozen=True, slots=True)
class LedgerList(ButtonData):
    PREFIX: ClassVar[str] = "l:list"


@dataclass(frozen=True, slots=True)
class LedgerCard(ButtonData):
    PREFIX: ClassVar[str] = "l:v"
    org_id: int


@dataclass(frozen=True, slots=True)
class LedgerEdit(ButtonData):
    PREFIX: ClassVar[str] = "l:e"
    org_id: int


@dataclass(frozen=True, slots=True)
class LedgerField(ButtonData):
    PREFIX: ClassVar[str] = "l:f"
    org_id: int
    step: str


@dataclass(frozen=True, slots=True)
class KnowledgeEntry(ButtonData):
    PREFIX: ClassVar[str] = "k"
    entry: str


@dataclass(frozen=True, slots=True)
class KnowledgeOfStep(ButtonData):
    PREFIX: ClassVar[str] = "k:s"
    step: str


@dataclass(frozen=True, slots=True)
class JoinCategory(ButtonData):
    """A new member's own category: f (正式党员) or p (预备党员)."""

    PREFIX: ClassVar[str] = "j"
    branch_id: int
    category: Literal["f", "p"]


@dataclass(frozen=True, slots=True)
class PlansList(ButtonData):
    PREFIX: ClassVar[str] = "p:list"


@dataclass(frozen=True, slots=True)
class PlanCard(ButtonData):
    PREFIX: ClassVar[str] = "p:v"
    plan_id: int


@dataclass(frozen=True, slots=True)
class SelfCheckStart(ButtonData):
    """A questionnaire's id, or "menu" for the list of them."""

    PREFIX: ClassVar[str] = "s"
    questionnaire: str


@dataclass(frozen=True, slots=True)
class BindBranch(ButtonData):
    """Under /bind: which of the sender's branches this group is (0: a new one named after
    the group). Only `user_id`, the admin who sent /bind, may press it."""

    PREFIX: ClassVar[str] = "b"
    REST: ClassVar[bool] = True
    branch_id: int
    user_id: str


@dataclass(frozen=True, slots=True)
class BranchPick(ButtonData):
    """In private, for a secretary of several branches: run `command` for this branch."""

    PREFIX: ClassVar[str] = "bp"
    branch_id: int
    command: Literal["themeday", "roster", "meetings", "records"]


@dataclass(frozen=True, slots=True)
class AttendancePress(ButtonData):
    """Under a theme-day reminder in the group: y (参加) or n (请假)."""

    PREFIX: ClassVar[str] = "a"
    event_id: int
    answer: Literal["y", "n"]


@dataclass(frozen=True, slots=True)
class AttendanceOwn(ButtonData):
    """Under the bot's answer to one member's text reply (its confirmation, or the question
    back when the reply was unclear): only `user_id` may press it."""

    PREFIX: ClassVar[str] = "ao"
    REST: ClassVar[bool] = True  # an opaque user id may hold colons ("wx:alice")
    event_id: int
    answer: Literal["y", "n"]
    user_id: str


@dataclass(frozen=True, slots=True)
class AttendanceView(ButtonData):
    PREFIX: ClassVar[str] = "v"
    event_id: int


@dataclass(frozen=True, slots=True)
class Nudge(ButtonData):
    PREFIX: ClassVar[str] = "n"
    event_id: int


@dataclass(frozen=True, slots=True)
class ConfirmAttendance(ButtonData):
    """The secretary's check after the event: "open" shows the list, "ok" saves it."""

    PREFIX: ClassVar[str] = "c"
    event_id: int
    target: Literal["ok", "open"]


@dataclass(frozen=True, slots=True)
class ConfirmMember(ButtonData):
    """In that check, one member's 到会/未到 toggled."""

    PREFIX: ClassVar[str] = "c"
    event_id: int
    member_id: int


@dataclass(frozen=True, slots=True)
class MergeAsk(ButtonData):
    """An admin picks a pair of records to merge: shows both and asks to confirm."""

    PREFIX: ClassVar[str] = "l:ma"
    kept_id: int
    merged_id: int


@dataclass(frozen=True, slots=True)
class MergeConfirm(ButtonData):
    PREFIX: ClassVar[str] = "l:mc"
    kept_id: int
    merged_id: int


@dataclass(frozen=True, slots=True)
class MeetingsConfirm(ButtonData):
    """The secretary keeps the branch's calendar of organisational life as shown."""

    PREFIX: ClassVar[str] = "mt:ok"
    branch_id: int


MeetingKindCode = Literal[
    "party_meeting", "committee", "group", "lecture", "life_meeting", "review"
]


@dataclass(frozen=True, slots=True)
class RecordStart(ButtonData):
    """The secretary writes (or writes again) the record of one meeting of one event."""

    PREFIX: ClassVar[str] = "rc:s"
    event_id: int
    kind: MeetingKindCode
