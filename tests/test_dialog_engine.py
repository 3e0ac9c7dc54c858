"""The dialog on a flow of every input kind (multi-choice, date, time, yes/no, optional,
an option that asks an earlier question again). The machine's transitions are a table with
no database; one walk through the engine proves the store saves and resumes them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.contract import AnswerButton, Chat, EditText, Event, SendText, User
from bot.dialog.engine import DialogEngine
from bot.dialog.flows import parse_flow
from bot.dialog.machine import (
    Back,
    DialogButton,
    Done,
    Input,
    Machine,
    Press,
    Skip,
    Snapshot,
    Text,
)
from knowledge.content import load_content
from storage import dialogs
from storage.db import Database

FLOW = {
    "id": "kinds",
    "title": "测试",
    "intro": "",
    "on_complete": "done",
    "steps": [
        {
            "id": "items",
            "kind": "multi",
            "prompt": "选内容",
            "options": ["党费收缴", "党性教育", "志愿服务"],
        },
        {"id": "day", "kind": "date", "prompt": "哪天"},
        {"id": "at", "kind": "time", "prompt": "几点"},
        {"id": "online", "kind": "yesno", "prompt": "线上吗"},
        {
            "id": "link",
            "kind": "text",
            "prompt": "链接",
            "optional": True,
            "when": {"online": True},
        },
        {
            "id": "confirm",
            "kind": "choice",
            "prompt": "确认吗",
            "options": ["确认", "修改日期"],
            "goto": {"修改日期": "day"},
        },
    ],
}
TODAY = date(2026, 11, 26)
CONTENT = load_content()
MACHINE = Machine(CONTENT, {"kinds": parse_flow(FLOW)}, {}, {})
DAY = {"items": ["志愿服务"], "day": "2026-12-05"}
FILLED = {**DAY, "at": "19:30", "online": False}


def at(step: str, answers: dict[str, Any] | None = None, **fields: Any) -> Snapshot:
    """Dialog 7 at `step`; `seq` and `history` follow the answers unless given."""
    answers = answers or {}
    fields.setdefault("seq", len(answers))
    fields.setdefault("history", tuple(answers))
    return Snapshot(7, "kinds", step, answers=answers, **fields)


def press(choice: int | None, seq: int = 0, state_id: int = 7) -> Press:
    return Press(DialogButton(state_id, seq, choice), "cb", message_id=9)


@dataclass(frozen=True)
class Row:
    name: str
    before: Snapshot
    given: Input
    step: str | None  # where the dialog is afterwards; None: finished
    says: str = ""  # in the last thing shown (a question, a notice or a button answer)
    answers: dict[str, Any] = field(default_factory=dict)  # afterwards (or the finished ones)
    unchanged: bool = False
    context: dict[str, Any] | None = None


ROWS = [
    Row("a toggle ticks the option", at("items"), press(0), "items", "选内容",
        context={"chosen": [0]}),
    Row("a second toggle unticks it", at("items", context={"chosen": [0, 2]}), press(0),
        "items", "选内容", context={"chosen": [2]}),
    Row("done with nothing ticked", at("items"), press(None), "items", "请至少选择一项",
        unchanged=True),
    Row("done with a tick answers", at("items", context={"chosen": [2]}), press(None), "day",
        "哪天", answers={"items": ["志愿服务"]}, context={}),
    Row("a stale button", at("day", {"items": ["志愿服务"]}), press(0, seq=0), "day",
        "已过期", answers={"items": ["志愿服务"]}, unchanged=True),
    Row("another dialog's button", at("items"), press(0, state_id=6), "items", "已过期",
        unchanged=True),
    Row("a forged option number", at("items"), press(5), "items", "无法识别", unchanged=True),
    Row("a date in words it cannot read", at("day", {"items": ["志愿服务"]}), Text("下个月"),
        "day", "没看懂这个日期", answers={"items": ["志愿服务"]}, unchanged=True),
    Row("a date without a year", at("day", {"items": ["志愿服务"]}), Text("12月5日"), "at",
        "几点", answers=DAY),
    Row("an impossible time", at("at", DAY), Text("25点"), "at", "“25点”不是一个有效的时间",
        answers=DAY, unchanged=True),
    Row("a time in words", at("at", DAY), Text("19点半"), "online", "线上吗",
        answers={**DAY, "at": "19:30"}),
    Row("yes opens the optional step", at("online", {**DAY, "at": "19:30"}), Text("是"),
        "link", "可发送 /skip", answers={**DAY, "at": "19:30", "online": True}),
    Row("skip of a required step", at("at", DAY), Skip(), "at", "不能跳过", answers=DAY,
        unchanged=True),
    Row("skip of the optional step", at("link", {**FILLED, "online": True}), Skip(),
        "confirm", "确认吗", answers={**FILLED, "online": True, "link": None}),
    Row("back at the first question", at("items"), Back(), "items", "已经是第一个问题",
        unchanged=True),
    Row("back goes to the previous step", at("at", DAY), Back(), "day", "哪天", answers=DAY),
    Row("an option that asks again", at("confirm", FILLED), Text("修改日期"), "day", "哪天",
        answers=FILLED, context={"revisit": True}),  # the date stays until replaced
    Row("after the revisit, back to where it was",
        at("day", {k: v for k, v in FILLED.items() if k != "day"}, context={"revisit": True}),
        Text("12月6日"), "confirm", "确认吗", answers={**FILLED, "day": "2026-12-06"},
        context={"revisit": True}),
    Row("the last answer finishes", at("confirm", FILLED), Text("确认"), None,
        answers={**FILLED, "confirm": "确认"}),
    Row("a finished flow keeps no answer of a step that no longer applies",
        at("confirm", {**FILLED, "link": "旧链接"}), press(0, seq=5), None,
        answers={**FILLED, "confirm": "确认"}),
]  # fmt: skip


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_the_machine(row: Row) -> None:
    after, actions = MACHINE.step(row.before, row.given, TODAY)
    if row.step is None:
        assert isinstance(after, Done)
        assert after.answers == row.answers
        return
    assert isinstance(after, Snapshot)
    assert after.step_id == row.step
    assert dict(after.answers) == row.answers
    if row.unchanged:
        assert after == row.before
    else:
        assert after.seq > row.before.seq or after.context != row.before.context
    if row.context is not None:
        assert dict(after.context) == row.context
    last = actions[-1]
    shown = last.text if isinstance(last, SendText | EditText | AnswerButton) else ""
    assert row.says in (shown or "")


def test_a_question_buttons_carry_the_dialog_and_its_step() -> None:
    """Buttons name the dialog and the change they belong to: an older one is refused."""
    (question,) = MACHINE.ask(at("online", {**DAY, "at": "19:30"}, seq=3))
    assert isinstance(question, SendText)
    pressed = [DialogButton.parse(b.data) for row in question.buttons for b in row]
    assert pressed == [DialogButton(7, 3, 0), DialogButton(7, 3, 1)]


async def test_the_engine_saves_each_step_and_completes_after_the_save(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'e.db'}")
    await db.migrate()
    content = replace(CONTENT, flows={"kinds": FLOW})
    finished: list[dict[str, Any]] = []

    async def done(session, event, snapshot, answers):  # type: ignore[no-untyped-def]
        # Runs after the machine finished: the dialog is already gone from the store.
        assert await dialogs.get_state(session, event.chat.id, event.user.id) is None
        finished.append(answers)
        return [SendText("完成")]

    engine = DialogEngine(content, {}, {"done": done, "survey": done}, today=lambda: TODAY)
    user, chat = User("1", "书记"), Chat("1")

    async def say(text: str | None = None, data: str | None = None) -> list[Any]:
        async with db.session() as session:  # each message its own unit of work
            event = Event(chat, user, text=text, button_data=data, callback_id="c", message_id=9)
            if text == "__start__":
                return await engine.start(session, event, "kinds")
            snapshot = await engine.current(session, "1", "1")
            if data is not None:
                button = DialogButton.parse(data)
                assert button is not None
                return await engine.press(session, event, snapshot, button)
            assert snapshot is not None
            if text == "/skip":
                return await engine.skip(session, event, snapshot)
            return await engine.answer_text(session, event, snapshot)

    first = await say("__start__")
    toggles = [b.data for row in first[-1].buttons for b in row]
    edited = await say(data=toggles[0])
    assert isinstance(edited[-1], EditText) and "✅ 党费收缴" in str(edited[-1].buttons)
    await say(data=toggles[2])
    await say(data=toggles[0])  # pressing again unselects: the ticks were saved in between
    assert "哪天" in (await say(data=toggles[-1]))[-1].text
    assert "已过期" in (await say(data=toggles[-1]))[-1].text  # the done button, again
    assert "几点" in (await say("12月5日"))[-1].text
    assert "线上吗" in (await say("19点半"))[-1].text
    assert "可发送 /skip" in (await say("是"))[-1].text
    await say("/skip")
    assert (await say("确认"))[-1].text == "完成"
    assert finished == [
        {
            "items": ["志愿服务"],
            "day": "2026-12-05",
            "at": "19:30",
            "online": True,
            "link": None,
            "confirm": "确认",
        }
    ]
    await db.close()
