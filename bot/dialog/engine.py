"""Runs a flow for one user: loads the snapshot from the store, lets the pure machine
(`bot.dialog.machine`) decide, saves what it returns, and only after that runs the flow's
completion, so a completion that fails leaves no half-advanced dialog behind it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.contract import Action, AnswerButton, Event, SendText
from bot.dialog import store
from bot.dialog.flows import Flow, parse_flow
from bot.dialog.machine import (
    Back,
    Check,
    Deriver,
    DialogButton,
    Done,
    Input,
    Machine,
    OptionSource,
    Press,
    Skip,
    Snapshot,
    Text,
)
from knowledge.content import Content


@dataclass(frozen=True, slots=True)
class Handover:
    """What a completion returns to start another flow at once: 抓组建's "register it first"
    runs the 抓摸底 survey, which then hands back to 抓组建."""

    flow_id: str
    context: dict[str, Any] = field(default_factory=dict)


Preparer = Callable[[AsyncSession, Event], Awaitable[dict[str, Any]]]
Completion = Callable[
    [AsyncSession, Event, Snapshot, dict[str, Any]], Awaitable[Sequence[Action | Handover]]
]


class DialogEngine:
    def __init__(
        self,
        content: Content,
        option_sources: dict[str, OptionSource],
        completions: dict[str, Completion],
        today: Callable[[], date] = date.today,
        derivers: dict[str, Deriver] | None = None,
        preparers: dict[str, Preparer] | None = None,
        checks: dict[str, Check] | None = None,
    ) -> None:
        self.content = content
        self.flows = {flow_id: parse_flow(raw) for flow_id, raw in content.flows.items()}
        self.completions = completions
        self.preparers = preparers or {}
        self.today = today
        self.machine = Machine(content, self.flows, option_sources, derivers or {}, checks)
        _check_wiring(
            self.flows, option_sources, completions, derivers or {}, self.preparers, checks or {}
        )

    # ----- starting and resuming -------------------------------------------------------------

    async def start(
        self,
        session: AsyncSession,
        event: Event,
        flow_id: str,
        answers: dict[str, Any] | None = None,
        context: dict[str, Any] | None = None,
        first_step: str | None = None,
        intro: bool = True,
    ) -> list[Action]:
        """Begin a flow (or, with `first_step`, edit one answer of a saved record); without
        its intro when another flow handed over to it (the user has read it already)."""
        flow = self.flows[flow_id]
        if flow.prepare:
            context = {**await self.preparers[flow.prepare](session, event), **(context or {})}
        begun = self.machine.begin(flow_id, answers, context, first_step)
        snapshot = await store.create(session, event.chat.id, event.user.id, begun)
        shown = [] if first_step or not intro or not flow.intro else [SendText(flow.intro)]
        return shown + self.ask(snapshot)

    async def current(self, session: AsyncSession, chat_id: str, user_id: str) -> Snapshot | None:
        """The dialog this user has running in this chat, if any."""
        return await store.get(session, chat_id, user_id)

    async def drop(self, session: AsyncSession, chat_id: str, user_id: str) -> None:
        await store.drop(session, chat_id, user_id)

    def ask(self, snapshot: Snapshot, notice: str | None = None) -> list[Action]:
        return self.machine.ask(snapshot, notice)

    def flow_of(self, snapshot: Snapshot) -> Flow:
        return self.flows[snapshot.flow_id]

    # ----- inputs ------------------------------------------------------------------------------

    async def answer_text(
        self, session: AsyncSession, event: Event, snapshot: Snapshot
    ) -> list[Action]:
        return await self._run(session, event, snapshot, Text(event.text or ""))

    async def press(
        self, session: AsyncSession, event: Event, snapshot: Snapshot | None, button: DialogButton
    ) -> list[Action]:
        """A button of a question; with no dialog running, every button of one has expired."""
        callback = event.callback_id or ""
        if snapshot is None:
            return [AnswerButton(callback, self.content.text("button_expired"))]
        return await self._run(session, event, snapshot, Press(button, callback, event.message_id))

    async def back(self, session: AsyncSession, event: Event, snapshot: Snapshot) -> list[Action]:
        return await self._run(session, event, snapshot, Back())

    async def skip(self, session: AsyncSession, event: Event, snapshot: Snapshot) -> list[Action]:
        return await self._run(session, event, snapshot, Skip())

    async def _run(
        self, session: AsyncSession, event: Event, snapshot: Snapshot, given: Input
    ) -> list[Action]:
        after, actions = self.machine.step(snapshot, given, self.today())
        if isinstance(after, Done):
            await store.drop(session, event.chat.id, event.user.id)
            completion = self.flows[snapshot.flow_id].on_complete
            if completion is None:
                return actions
            done = await self.completions[completion](session, event, after.snapshot, after.answers)
            for action in done:
                if isinstance(action, Handover):
                    actions += await self.start(
                        session, event, action.flow_id, None, action.context, intro=False
                    )
                else:
                    actions.append(action)
            return actions
        if after != snapshot:
            await store.save(session, after)
        return actions


def _check_wiring(
    flows: Mapping[str, Flow],
    option_sources: Mapping[str, OptionSource],
    completions: Mapping[str, Completion],
    derivers: Mapping[str, Deriver],
    preparers: Mapping[str, Preparer],
    checks: Mapping[str, Check],
) -> None:
    """A flow that names code nobody wired fails at start, not in a user's chat."""
    for flow in flows.values():
        if flow.on_complete and flow.on_complete not in completions:
            raise ValueError(f"flow {flow.id}: no completion named {flow.on_complete}")
        if flow.derive and flow.derive not in derivers:
            raise ValueError(f"flow {flow.id}: no deriver named {flow.derive}")
        if flow.prepare and flow.prepare not in preparers:
            raise ValueError(f"flow {flow.id}: no preparer named {flow.prepare}")
        for step in flow.steps:
            if step.options_from and step.options_from not in option_sources:
                raise ValueError(f"flow {flow.id}: no option source {step.options_from}")
            if step.check and step.check not in checks:
                raise ValueError(f"flow {flow.id}: no check named {step.check}")
