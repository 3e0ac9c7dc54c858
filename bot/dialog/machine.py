"""The dialog as a state machine: `step(snapshot, input)` gives the next snapshot (or the
finished answers) and what to say. Nothing here reads or writes the database, so a flow's
logic is tested as a table of inputs and outcomes; `bot.dialog.engine` loads the snapshot,
calls `step`, saves what it returns and only then runs the flow's completion."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from bot.buttons import DialogPress
from bot.contract import Action, AnswerButton, Button, EditText, Keyboard, SendText, button_id
from bot.dialog.flows import Flow, Step
from bot.dialog.inputs import Invalid, validate
from bot.rules.text_safety import clean_answers
from knowledge.content import Content


@dataclass(frozen=True, slots=True)
class Problem:
    """Answers that contradict each other: what to say, and the earlier answer to correct
    first when the user gives the contradicting one (None: ask the same question again)."""

    message: str
    correct_first: str | None = None


# Option sources, derivers and checks see the answers so far and the context loaded at start;
# a check is also told which step it guards.
OptionSource = Callable[[dict[str, Any], dict[str, Any]], list[str]]
Deriver = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]
Check = Callable[[str, dict[str, Any], dict[str, Any]], Problem | None]

MAX_CHOICE = 999  # options of one question; a larger number is forged
DONE = "ok"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Where one user is in one flow. `id` tells this dialog's buttons from an earlier
    one's; `seq` grows with every change, so a button of an older question is stale."""

    id: int
    flow_id: str
    step_id: str
    seq: int = 0
    answers: Mapping[str, Any] = field(default_factory=dict)
    context: Mapping[str, Any] = field(default_factory=dict)
    history: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Done:
    """The flow is finished: what it collected, and the snapshot it ended in (its context)."""

    snapshot: Snapshot
    answers: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DialogButton:
    """A dialog option as the machine uses it (bot.buttons.DialogPress, with its choice read)."""

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


# ----- inputs ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class Press:
    button: DialogButton
    callback_id: str = ""
    message_id: int | None = None  # the message the button is under, edited to show the answer


@dataclass(frozen=True, slots=True)
class Back:
    pass


@dataclass(frozen=True, slots=True)
class Skip:
    pass


Input = Text | Press | Back | Skip
Outcome = tuple[Snapshot | Done, list[Action]]


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def fill(template: str, answers: Mapping[str, Any]) -> str:
    """Put earlier answers into a prompt; unknown placeholders become empty, never an error."""
    shown = _Blank({k: v for k, v in answers.items() if v is not None})
    return template.format_map(shown)


class Machine:
    """The flows with their named option lists and derived values, and the texts to ask with."""

    def __init__(
        self,
        content: Content,
        flows: Mapping[str, Flow],
        option_sources: Mapping[str, OptionSource],
        derivers: Mapping[str, Deriver],
        checks: Mapping[str, Check] | None = None,
    ) -> None:
        self.content = content
        self.flows = flows
        self.option_sources = option_sources
        self.derivers = derivers
        self.checks = checks or {}

    # ----- the transition ----------------------------------------------------------------------

    def step(self, snapshot: Snapshot, given: Input, today: date) -> Outcome:
        """One input in one state. An input that changes nothing returns the same snapshot."""
        match given:
            case Text(text=text):
                return self._text(snapshot, text, today)
            case Press():
                return self._press(snapshot, given, today)
            case Back():
                return self._back(snapshot)
            case Skip():
                step = self.current(snapshot)
                if not step.optional:
                    return snapshot, self.ask(snapshot, self.content.text("skip_not_allowed"))
                return self._accept(snapshot, step, None, today)
        raise TypeError(given)

    def begin(
        self,
        flow_id: str,
        answers: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
        first_step: str | None = None,
    ) -> Snapshot:
        """A flow's first question (or, with `first_step`, one answer of a saved record to
        edit). The id is the store's to give: 0 until saved."""
        flow = self.flows[flow_id]
        view = self._view(flow, answers or {}, context or {})
        step = flow.step(first_step) if first_step else flow.next_step(view)
        if step is None:
            raise ValueError(f"flow {flow_id} has no applicable step")
        return Snapshot(0, flow_id, step.id, 0, dict(answers or {}), dict(context or {}))

    # ----- what the user sees ------------------------------------------------------------------

    def ask(self, snapshot: Snapshot, notice: str | None = None) -> list[Action]:
        """The current question with its buttons, optionally after a one-line notice."""
        flow = self.flows[snapshot.flow_id]
        step = flow.step(snapshot.step_id)
        view = self.view(snapshot)
        lines = [notice] if notice else []
        lines.append(self._progress(flow, step, view) + fill(step.prompt, view))
        options = self.options(step, view, snapshot.context)
        if step.kind == "multi":
            chosen = set(snapshot.context.get("chosen", []))
            lines.append(self.content.text("validation.multi"))
            buttons = self._multi_buttons(snapshot, options, chosen)
        else:
            buttons = self._choice_buttons(snapshot, step, options)
        if step.optional:
            lines.append(self.content.text("skip_hint"))
        return [SendText("\n".join(lines), buttons)]

    def current(self, snapshot: Snapshot) -> Step:
        return self.flows[snapshot.flow_id].step(snapshot.step_id)

    def view(self, snapshot: Snapshot) -> dict[str, Any]:
        """The answers plus what the flow's deriver computes from them (advice, checks)."""
        return self._view(self.flows[snapshot.flow_id], snapshot.answers, snapshot.context)

    def options(
        self, step: Step, answers: Mapping[str, Any], context: Mapping[str, Any] | None = None
    ) -> list[str]:
        if step.kind == "yesno":
            return [self.content.text("answer_yes"), self.content.text("answer_no")]
        if step.options_from:
            return self.option_sources[step.options_from](dict(answers), dict(context or {}))
        return list(step.options)

    # ----- transitions -------------------------------------------------------------------------

    def _text(self, snapshot: Snapshot, text: str, today: date) -> Outcome:
        step = self.current(snapshot)
        view = self.view(snapshot)
        options = self.options(step, view, snapshot.context)
        value = validate(step, text, view, options, today)
        if isinstance(value, Invalid):
            # "没有党员" typed where 5 members were given: say why, not only "use the buttons".
            problem = self._problem(step, {**view, step.id: text.strip()}, snapshot.context)
            notice = problem.message if problem else self._message(value)
            return snapshot, self.ask(snapshot, notice=notice)
        if step.kind == "multi" and not value:
            return snapshot, self.ask(snapshot, notice=self.content.text("validation.multi_empty"))
        return self._accept(snapshot, step, value, today)

    def _press(self, snapshot: Snapshot, press: Press, today: date) -> Outcome:
        """A button of a question. Stale, foreign or forged presses change nothing."""
        button, callback = press.button, press.callback_id
        if snapshot.id != button.state_id or snapshot.seq != button.seq:
            return snapshot, [AnswerButton(callback, self.content.text("button_expired"))]
        step = self.current(snapshot)
        view = self.view(snapshot)
        options = self.options(step, view, snapshot.context)
        if step.kind == "multi":
            return self._press_multi(snapshot, press, step, options, today)
        invalid = [AnswerButton(callback, self.content.text("button_invalid"))]
        if step.kind not in ("choice", "yesno", "date") or button.choice is None:
            return snapshot, invalid
        if not 0 <= button.choice < len(options):
            return snapshot, invalid
        label = options[button.choice]
        value: Any = button.choice == 0 if step.kind == "yesno" else label
        if step.kind == "date":
            value = validate(step, label, view, options, today)
            if isinstance(value, Invalid):  # a suggested date that has passed since
                return snapshot, [AnswerButton(callback, self._message(value))]
        actions: list[Action] = [AnswerButton(callback)]
        if press.message_id is not None:
            shown = self.content.text("choice_made", prompt=fill(step.prompt, view), answer=label)
            actions.append(EditText(press.message_id, shown))
        after, more = self._accept(snapshot, step, value, today)
        return after, actions + more

    def _press_multi(
        self, snapshot: Snapshot, press: Press, step: Step, options: list[str], today: date
    ) -> Outcome:
        callback, choice = press.callback_id, press.button.choice
        chosen: list[int] = list(snapshot.context.get("chosen", []))
        if choice is None:
            if not chosen:
                return snapshot, [
                    AnswerButton(callback, self.content.text("validation.multi_empty"))
                ]
            value = [options[i] for i in sorted(chosen) if i < len(options)]
            if step.max_choices is not None and len(value) > step.max_choices:
                text = self.content.text("validation.multi_too_many", max=step.max_choices)
                return snapshot, [AnswerButton(callback, text)]
            cleared = replace(snapshot, context=_without(snapshot.context, "chosen"))
            after, more = self._accept(cleared, step, value, today)
            return after, [AnswerButton(callback), *more]
        if not 0 <= choice < len(options):
            return snapshot, [AnswerButton(callback, self.content.text("button_invalid"))]
        toggled = sorted(set(chosen) ^ {choice})
        after = replace(snapshot, context={**snapshot.context, "chosen": toggled})
        actions: list[Action] = [AnswerButton(callback)]
        if press.message_id is not None:
            question = self.ask(after)[0]
            assert isinstance(question, SendText)
            actions.append(EditText(press.message_id, question.text, question.buttons))
        return after, actions

    def _accept(self, snapshot: Snapshot, step: Step, value: Any, today: date) -> Outcome:
        flow = self.flows[snapshot.flow_id]
        target = step.goto.get(value) if isinstance(value, str) else None
        if target is not None:
            return self._revisit(snapshot, step, target)
        problem = self._problem(step, {**self.view(snapshot), step.id: value}, snapshot.context)
        if problem is not None:
            first = problem.correct_first
            if first and flow.step(first).applies(self.view(snapshot)):
                return self._revisit(snapshot, step, first, problem.message)
            return snapshot, self.ask(snapshot, notice=problem.message)
        answered = replace(
            snapshot,
            answers={**snapshot.answers, step.id: value},
            history=(*snapshot.history, step.id),
            seq=snapshot.seq + 1,
        )
        if value in step.finish:  # "打开已有记录": nothing more to ask
            return self._done(answered), []
        following, notice = self._following(flow, answered, step, today)
        if following is None:
            return self._done(answered), []
        moved = replace(answered, step_id=following.id)
        return moved, self.ask(moved, notice)

    def _problem(
        self, step: Step, answers: dict[str, Any], context: Mapping[str, Any]
    ) -> Problem | None:
        if step.check is None or answers.get(step.id) is None:
            return None
        return self.checks[step.check](step.id, answers, dict(context))

    def _revisit(
        self, snapshot: Snapshot, step: Step, target: str, notice: str | None = None
    ) -> Outcome:
        """An option like "修改主题": ask that earlier step again, then come back to this one.

        This step's answer is dropped, so the flow comes back to it (the first unanswered
        step); the earlier answer stays until it is replaced, so /back from it returns to this
        question as it was, not to one whose text lost the answer it is built from.
        """
        dropped = {k: v for k, v in snapshot.answers.items() if k != step.id}
        after = replace(
            snapshot,
            answers=dropped,
            history=(*snapshot.history, step.id),
            context={**snapshot.context, "revisit": True},
            step_id=target,
            seq=snapshot.seq + 1,
        )
        revisited = self.flows[snapshot.flow_id].step(target)
        previous = snapshot.answers.get(target)
        if revisited.kind == "multi" and isinstance(previous, list):
            # 修改内容 starts from what was chosen, ticked, not from nothing.
            options = self.options(revisited, self.view(after), after.context)
            chosen = [i for i, option in enumerate(options) if option in previous]
            after = replace(after, context={**after.context, "chosen": chosen})
        return after, self.ask(after, notice)

    def _following(
        self, flow: Flow, snapshot: Snapshot, step: Step, today: date
    ) -> tuple[Step | None, str | None]:
        """Next step: in order, or when editing one field only what the change now requires,
        with why an earlier answer is asked again."""
        view = self.view(snapshot)
        if not (snapshot.context.get("edit") or snapshot.context.get("revisit")):
            return flow.next_step(view, after=step.id), None
        pruned = flow.prune(view)  # derived values are not steps: they stay
        for candidate in flow.applicable(pruned):
            if candidate.id not in pruned:
                continue
            problem = self._problem(candidate, pruned, snapshot.context)
            if problem is not None:  # "负责人是党员" once the members are set to 0
                return candidate, problem.message
            if candidate.kind == "integer" and candidate.at_most:
                check = validate(candidate, str(pruned[candidate.id]), pruned, [], today)
                if isinstance(check, Invalid):
                    return candidate, self._message(check)
            if candidate.kind == "choice" and candidate.options_from:
                # A choice the change has made wrong ("没有党员" once there are members).
                options = self.options(candidate, pruned, snapshot.context)
                if pruned[candidate.id] is not None and pruned[candidate.id] not in options:
                    return candidate, None
        return flow.first_unanswered(pruned), None

    def _done(self, snapshot: Snapshot) -> Done:
        flow = self.flows[snapshot.flow_id]
        kept = {k: v for k, v in flow.prune(self.view(snapshot)).items() if k in snapshot.answers}
        # New answers arrive clean; a state saved before that may hold a NUL, which the
        # record's columns refuse, and the same failure would then come back at every try.
        return Done(snapshot, clean_answers(kept))

    def _back(self, snapshot: Snapshot) -> Outcome:
        if not snapshot.history:
            return snapshot, self.ask(snapshot, notice=self.content.text("nothing_to_go_back"))
        *rest, previous = snapshot.history
        after = replace(
            snapshot,
            history=tuple(rest),
            step_id=previous,
            seq=snapshot.seq + 1,
            context=_without(snapshot.context, "chosen"),
        )
        return after, self.ask(after)

    # ----- rendering ---------------------------------------------------------------------------

    def _view(
        self, flow: Flow, answers: Mapping[str, Any], context: Mapping[str, Any]
    ) -> dict[str, Any]:
        if not flow.derive:
            return dict(answers)
        return {**self.derivers[flow.derive](dict(answers), dict(context)), **answers}

    def _message(self, invalid: Invalid) -> str:
        if invalid.text:
            return fill(invalid.text, invalid.values)
        return self.content.text(f"validation.{invalid.key}", **invalid.values)

    def _progress(self, flow: Flow, step: Step, answers: dict[str, Any]) -> str:
        """Questions before this one as they were asked; from here on, every question that
        may still come (counted until an answer rules it out, so "12/12" is the last). A
        question aside (“台账里已有…”) is neither counted nor numbered: raised by what was just
        answered, it would make the count jump up."""
        if step.aside:
            return ""
        at = next(i for i, s in enumerate(flow.steps) if s.id == step.id)
        pending = {s.id for s in flow.steps[at:] if s.id not in answers}
        asked = [s for s in flow.steps[:at] if s.applies(answers) and not s.aside]
        coming = [s for s in flow.steps[at + 1 :] if s.may_apply(answers, pending) and not s.aside]
        index, total = len(asked) + 1, len(asked) + 1 + len(coming)
        return self.content.text("progress", title=flow.title, index=index, total=total) + "\n"

    def _choice_buttons(self, snapshot: Snapshot, step: Step, options: list[str]) -> Keyboard:
        if step.kind not in ("choice", "yesno", "date"):
            return ()
        buttons = [
            Button(label, DialogPress(snapshot.id, snapshot.seq, str(i)).pack())
            for i, label in enumerate(options)
        ]
        return _rows(buttons)

    def _multi_buttons(self, snapshot: Snapshot, options: list[str], chosen: set[int]) -> Keyboard:
        buttons = [
            Button(
                ("✅ " if i in chosen else "") + label,
                DialogPress(snapshot.id, snapshot.seq, str(i)).pack(),
            )
            for i, label in enumerate(options)
        ]
        done = DialogPress(snapshot.id, snapshot.seq, DONE).pack()
        return (*_rows(buttons), (Button(self.content.text("done"), done),))


def _without(mapping: Mapping[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k != key}


def _rows(buttons: list[Button]) -> Keyboard:
    """Short labels two to a row so they fit a phone screen; long ones one per row."""
    if all(len(b.label) <= 6 for b in buttons):
        return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
    return tuple((b,) for b in buttons)
