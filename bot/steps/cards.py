"""The button rows every step card ends with: its knowledge entry, all plans, the next step."""

from __future__ import annotations

from bot.contract import Button, Keyboard, keyboard


def card_buttons(labels: dict[str, str], entry: str, next_step: str | None = None) -> Keyboard:
    """`labels` is the card's `buttons` section in its flow file (knowledge, plans, next)."""
    last = [Button(labels["plans"], "p:list")]
    if next_step:
        last.append(Button(labels["next"], f"m:{next_step}"))
    return keyboard([Button(labels["knowledge"], f"k:{entry}")], last)
