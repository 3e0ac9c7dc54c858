"""Button data as typed kinds: what each packs to, what each reads back, and the forged data
every kind turns away (the router then answers "button_invalid")."""

from __future__ import annotations

import pytest

from bot import buttons
from bot.buttons import (
    AttendancePress,
    ButtonData,
    ConfirmAttendance,
    ConfirmMember,
    DialogPress,
    JoinCategory,
    KnowledgeEntry,
    KnowledgeOfStep,
    LedgerField,
    LedgerList,
    MenuStep,
    RestartWith,
    unpack,
)
from bot.router import KINDS

EVERY_KIND = KINDS  # what the router reads a press as


@pytest.mark.parametrize(
    ("button", "data"),
    [
        (MenuStep("s3"), "m:s3"),
        (LedgerList(), "l:list"),
        (LedgerField(12, "employees"), "l:f:12:employees"),
        (KnowledgeEntry("dues-rates"), "k:dues-rates"),
        (KnowledgeOfStep("s2"), "k:s:s2"),
        (JoinCategory(3, "p"), "j:3:p"),
        (AttendancePress(41, "y"), "a:41:y"),
        (ConfirmAttendance(41, "open"), "c:41:open"),
        (ConfirmMember(41, 7), "c:41:7"),
        (DialogPress(5, 2, "ok"), "d:5:2:ok"),
        (RestartWith("l:f:12:employees"), "r:n:l:f:12:employees"),
    ],
)
def test_a_button_packs_and_reads_back_as_itself(button: ButtonData, data: str) -> None:
    assert button.pack() == data
    assert unpack(data, EVERY_KIND) == button


@pytest.mark.parametrize(
    "data",
    [
        "",
        "x:1",  # no such kind
        "a:41",  # a part missing
        "a:41:y:extra",  # a part too many
        "a:41:maybe",  # outside the fixed set
        "a:²:y",  # a digit `int` refuses
        "a:-1:y",
        "a:1234567890123:y",  # longer than any id
        "j:3:x",
        "c:41:close",
        "l:v:abc",
        "l:f:12",
        "m:",  # empty text
        "k:s:",
        "k:a:b",  # an entry id has no colon
        "d:5:2:",
        "l:list:1",
    ],
)
def test_forged_data_reads_as_nothing(data: str) -> None:
    assert unpack(data, EVERY_KIND) is None


def test_button_data_over_64_bytes_is_refused_when_packed() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        MenuStep("步" * 30).pack()


def test_every_kind_of_button_has_a_handler() -> None:
    kinds = {
        value
        for value in vars(buttons).values()
        if isinstance(value, type) and issubclass(value, ButtonData) and value is not ButtonData
    }
    assert kinds == set(EVERY_KIND)
