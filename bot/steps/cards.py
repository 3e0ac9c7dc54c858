"""The button rows every step card ends with: its knowledge entry, all plans, the next step."""

from __future__ import annotations

from bot.buttons import KnowledgeEntry, MenuStep, PlansList
from bot.contract import Button, Keyboard, keyboard


def card_buttons(labels: dict[str, str], entry: str, next_step: str | None = None) -> Keyboard:
    """`labels` is the card's `buttons` section in its flow file (knowledge, plans, next)."""
    last = [Button(labels["plans"], PlansList().pack())]
    if next_step:
        last.append(Button(labels["next"], MenuStep(next_step).pack()))
    return keyboard([Button(labels["knowledge"], KnowledgeEntry(entry).pack())], last)
