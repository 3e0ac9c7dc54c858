"""Interprets a flow: asks the current step, validates the answer, saves, moves on.

State is written to the database in the same unit of work as the answer, so a crash or a
restart between two messages resumes at the same question with every earlier answer kept.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.buttons import DialogPress
from bot.contract import (
    Action,
    AnswerButton,
    Button,
    EditText,
    Event,
    Keyboard,
    SendText,
    button_id,
)
from bot.dialog.flows import Flow, Step, parse_flow
from bot.dialog.inputs import Invalid, validate
from bot.rules.text_safety import clean_answers
from knowledge.content import Content
from storage import dialogs
from storage.models import DialogState

# Option sources and derivers see the answers so far and the context loaded at start.
OptionSource = Callable[[dict[str, Any], dict[str, Any]], list[str]]
Deriver = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]
Preparer = Callable[[AsyncSession, Event], Awaitable[dict[str, Any]]]
Completion = Callable[[AsyncSession, Event, DialogState, dict[str, Any]], Awaitable[list[Action]]]

MAX_CHOICE = 999  # options of one question; a larger number is forged
DONE = "ok"


@dataclass(frozen=True, slots=True)
class DialogButton:
    """A dialog option as the engine uses it (bot.buttons.DialogPress, with its choice read)."""

    state_id: int
    seq: int
    choice: int | None  # None: the multi-choice "done" button

    @classmethod
    def of(cls, press: DialogPress) -> DialogButton | None:
        if press.choice == DONE:
            return cls(press.state_id, press.seq, None)
        choice = button_id(press.choice)
        if choice is None or choice > MAX_CHOICE:
            return None
        return cls(press.state_id, press.seq, choice)

    @classmethod
    def parse(cls, data: str) -> DialogButton | None:
        press = DialogPress.unpack(data)
        return None if press is None else cls.of(press)


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def fill(template: str, answers: dict[str, Any]) -> str:
    """Put earlier answers into a prompt; unknown placeholders become empty, never an error."""
    shown = _Blank({k: v for k, v in answers.items() if v is not None})
    return template.format_map(shown)


class DialogEngine:
    def __init__(
        self,
        content: Content,
        option_sources: dict[str, OptionSource],
        completions: dict[str, Completion],
        today: Callable[[], date] = date.today,
        derivers: dict[str, Deriver] | None = None,
        preparers: dict[str, Preparer] | None = None,
    ) -> None:
        self.content = content
        self.flows = {flow_id: parse_flow(raw) for flow_id, raw in content.flows.items()}
        self.option_sources = option_sources
        self.completions = completions
        self.derivers = derivers or {}
        self.preparers = preparers or {}
        self.today = today
        for flow in self.flows.values():
            if flow.on_complete and flow.on_complete not in completions:
                raise ValueError(f"flow {flow.id}: no completion named {flow.on_complete}")
            if flow.derive and flow.derive not in self.derivers:
                raise ValueError(f"flow {flow.id}: no deriver named {flow.derive}")
            if flow.prepare and flow.prepare not in self.preparers:
                raise ValueError(f"flow {flow.id}: no preparer named {flow.prepare}")
            for step in flow.steps:
                if step.options_from and step.options_from not in option_sources:
                    raise ValueError(f"flow {flow.id}: no option source {step.options_from}")

    # ----- starting and resuming -------------------------------------------------------------

    async def start(
        self,
        session: AsyncSession,
        event: Event,
        flow_id: str,
        answers: dict[str, Any] | None = None,
        context: dict[str, Any] | None = None,
        first_step: str | None = None,
    ) -> list[Action]:
        """Begin a flow (or, with `first_step`, edit one answer of a saved record)."""
        flow = self.flows[flow_id]
        if flow.prepare:
            context = {**await self.preparers[flow.prepare](session, event), **(context or {})}
        view = self._view(flow, answers or {}, context or {})
        step = flow.step(first_step) if first_step else flow.next_step(view)
        if step is None:
            raise ValueError(f"flow {flow_id} has no applicable step")
        state = await dialogs.new_state(
            session, event.chat.id, event.user.id, flow_id, step.id, answers, context
        )
        intro = [] if first_step or not flow.intro else [SendText(flow.intro)]
        return intro + self.ask(state)

    def ask(self, state: DialogState, notice: str | None = None) -> list[Action]:
        """The current question with its buttons, optionally after a one-line notice."""
        flow = self.flows[state.flow_id]
        step = flow.step(state.step_id)
        view = self.view(state)
        lines = [notice] if notice else []
        lines.append(self._progress(flow, step, view) + fill(step.prompt, view))
        options = self.options(step, view, state.context)
        if step.kind == "multi":
            chosen = set(state.context.get("chosen", []))
            lines.append(self.content.text("validation.multi"))
            buttons = self._multi_buttons(state, options, chosen)
        else:
            buttons = self._choice_buttons(state, step, options)
        if step.optional:
            lines.append(self.content.text("skip_hint"))
        return [SendText("\n".join(lines), buttons)]

    def flow_of(self, state: DialogState) -> Flow:
        return self.flows[state.flow_id]

    def view(self, state: DialogState) -> dict[str, Any]:
        """The answers plus what the flow's deriver computes from them (advice, checks)."""
        return self._view(self.flow_of(state), state.answers, state.context)

    def _view(self, flow: Flow, answers: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
        if not flow.derive:
            return dict(answers)
        return {**self.derivers[flow.derive](answers, context), **answers}

    def options(
        self, step: Step, answers: dict[str, Any], context: dict[str, Any] | None = None
    ) -> list[str]:
        if step.kind == "yesno":
            return [self.content.text("answer_yes"), self.content.text("answer_no")]
        if step.options_from:
            return self.option_sources[step.options_from](answers, context or {})
        return list(step.options)

    # ----- answers -----------------------------------------------------------------------------

    async def answer_text(
        self, session: AsyncSession, event: Event, state: DialogState
    ) -> list[Action]:
        step = self.flow_of(state).step(state.step_id)
        view = self.view(state)
        options = self.options(step, view, state.context)
        value = validate(step, event.text or "", view, options, self.today())
        if isinstance(value, Invalid):
            return self.ask(state, notice=self._message(value))
        if step.kind == "multi" and not value:
            return self.ask(state, notice=self.content.text("validation.multi_empty"))
        return await self._accept(session, event, state, step, value)

    async def press(
        self, session: AsyncSession, event: Event, state: DialogState | None, button: DialogButton
    ) -> list[Action]:
        """A button of a question. Stale, foreign or forged presses change nothing."""
        callback = event.callback_id or ""
        if state is None or state.id != button.state_id or state.user_id != event.user.id:
            return [AnswerButton(callback, self.content.text("button_expired"))]
        if state.seq != button.seq:
            return [AnswerButton(callback, self.content.text("button_expired"))]
        step = self.flow_of(state).step(state.step_id)
        view = self.view(state)
        options = self.options(step, view, state.context)
        if step.kind == "multi":
            return await self._press_multi(session, event, state, step, options, button.choice)
        if step.kind not in ("choice", "yesno", "date") or button.choice is None:
            return [AnswerButton(callback, self.content.text("button_invalid"))]
        if not 0 <= button.choice < len(options):
            return [AnswerButton(callback, self.content.text("button_invalid"))]
        label = options[button.choice]
        value: Any = button.choice == 0 if step.kind == "yesno" else label
        if step.kind == "date":
            value = validate(step, label, view, options, self.today())
            if isinstance(value, Invalid):  # a suggested date that has passed since
                return [AnswerButton(callback, self._message(value))]
        actions: list[Action] = [AnswerButton(callback)]
        if event.message_id is not None:
            shown = self.content.text("choice_made", prompt=fill(step.prompt, view), answer=label)
            actions.append(EditText(event.message_id, shown))
        return actions + await self._accept(session, event, state, step, value)

    async def _press_multi(
        self,
        session: AsyncSession,
        event: Event,
        state: DialogState,
        step: Step,
        options: list[str],
        choice: int | None,
    ) -> list[Action]:
        callback = event.callback_id or ""
        chosen: list[int] = list(state.context.get("chosen", []))
        if choice is None:
            if not chosen:
                return [AnswerButton(callback, self.content.text("validation.multi_empty"))]
            value = [options[i] for i in sorted(chosen) if i < len(options)]
            if step.max_choices is not None and len(value) > step.max_choices:
                text = self.content.text("validation.multi_too_many", max=step.max_choices)
                return [AnswerButton(callback, text)]
            state.context = {k: v for k, v in state.context.items() if k != "chosen"}
            return [AnswerButton(callback)] + await self._accept(session, event, state, step, value)
        if not 0 <= choice < len(options):
            return [AnswerButton(callback, self.content.text("button_invalid"))]
        chosen = sorted(set(chosen) ^ {choice})
        state.context = {**state.context, "chosen": chosen}
        actions: list[Action] = [AnswerButton(callback)]
        if event.message_id is not None:
            text = self.ask(state)[0]
            assert isinstance(text, SendText)
            actions.append(EditText(event.message_id, text.text, text.buttons))
        return actions

    async def _accept(
        self, session: AsyncSession, event: Event, state: DialogState, step: Step, value: Any
    ) -> list[Action]:
        flow = self.flow_of(state)
        target = step.goto.get(value) if isinstance(value, str) else None
        if target is not None:
            return await self._revisit(session, state, step, target)
        answers = {**state.answers, step.id: value}
        state.answers = answers
        state.history = [*state.history, step.id]
        state.seq += 1
        following = self._following(flow, state, step)
        if following is None:
            return await self._complete(session, event, state)
        state.step_id = following.id
        await session.flush()
        return self.ask(state)

    async def _revisit(
        self, session: AsyncSession, state: DialogState, step: Step, target: str
    ) -> list[Action]:
        """An option like "修改主题": ask that earlier step again, then come back to this one.

        Both answers are dropped; every other answer is kept, and the flow then goes on to
        the first unanswered step, which is this one again.
        """
        state.answers = {k: v for k, v in state.answers.items() if k not in (target, step.id)}
        state.history = [*state.history, step.id]
        state.context = {**state.context, "revisit": True}
        state.step_id = target
        state.seq += 1
        await session.flush()
        return self.ask(state)

    def _following(self, flow: Flow, state: DialogState, step: Step) -> Step | None:
        """Next step: in order, or when editing one field only what the change now requires."""
        view = self.view(state)
        if not (state.context.get("edit") or state.context.get("revisit")):
            return flow.next_step(view, after=step.id)
        pruned = flow.prune(view)  # derived values are not steps: they stay
        for candidate in flow.applicable(pruned):
            if candidate.id in pruned and candidate.kind == "integer" and candidate.at_most:
                check = validate(candidate, str(pruned[candidate.id]), pruned, [], self.today())
                if isinstance(check, Invalid):
                    return candidate
        return flow.first_unanswered(pruned)

    async def _complete(
        self, session: AsyncSession, event: Event, state: DialogState
    ) -> list[Action]:
        flow = self.flow_of(state)
        answers = {k: v for k, v in flow.prune(self.view(state)).items() if k in state.answers}
        # New answers arrive clean; a state saved before that may hold a NUL, which the
        # record's columns refuse, and the same failure would then come back at every try.
        answers = clean_answers(answers)
        await dialogs.drop_state(session, state.chat_id, state.user_id)
        if flow.on_complete is None:
            return []
        return await self.completions[flow.on_complete](session, event, state, answers)

    # ----- navigation --------------------------------------------------------------------------

    async def back(self, session: AsyncSession, state: DialogState) -> list[Action]:
        if not state.history:
            return self.ask(state, notice=self.content.text("nothing_to_go_back"))
        *rest, previous = state.history
        state.history = rest
        state.step_id = previous
        state.seq += 1
        state.context = {k: v for k, v in state.context.items() if k != "chosen"}
        await session.flush()
        return self.ask(state)

    async def skip(self, session: AsyncSession, event: Event, state: DialogState) -> list[Action]:
        step = self.flow_of(state).step(state.step_id)
        if not step.optional:
            return self.ask(state, notice=self.content.text("skip_not_allowed"))
        return await self._accept(session, event, state, step, None)

    # ----- rendering ---------------------------------------------------------------------------

    def _message(self, invalid: Invalid) -> str:
        if invalid.text:
            return fill(invalid.text, invalid.values)
        return self.content.text(f"validation.{invalid.key}", **invalid.values)

    def _progress(self, flow: Flow, step: Step, answers: dict[str, Any]) -> str:
        steps = flow.applicable(answers)
        index = next((i for i, s in enumerate(steps) if s.id == step.id), len(steps) - 1) + 1
        return self.content.text("progress", title=flow.title, index=index, total=len(steps)) + "\n"

    def _choice_buttons(self, state: DialogState, step: Step, options: list[str]) -> Keyboard:
        if step.kind not in ("choice", "yesno", "date"):
            return ()
        buttons = [
            Button(label, DialogPress(state.id, state.seq, str(i)).pack())
            for i, label in enumerate(options)
        ]
        return _rows(buttons)

    def _multi_buttons(self, state: DialogState, options: list[str], chosen: set[int]) -> Keyboard:
        buttons = [
            Button(
                ("✅ " if i in chosen else "") + label,
                DialogPress(state.id, state.seq, str(i)).pack(),
            )
            for i, label in enumerate(options)
        ]
        done = Button(self.content.text("done"), DialogPress(state.id, state.seq, DONE).pack())
        return (*_rows(buttons), (done,))


def _rows(buttons: list[Button]) -> Keyboard:
    """Short labels two to a row so they fit a phone screen; long ones one per row."""
    if all(len(b.label) <= 6 for b in buttons):
        return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
    return tuple((b,) for b in buttons)
