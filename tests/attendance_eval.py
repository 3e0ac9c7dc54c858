"""How well the reply reader reads the labelled tables (tests/data/attendance_replies*.yaml):
the share read as labelled, the 参加↔请假 flips (must be none), and the leave reasons kept."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

DATA = Path(__file__).parent / "data"
TUNING = "attendance_replies.yaml"  # written before the reader changed; tuned on
BLIND = "attendance_replies_blind.yaml"  # written from tests/data/attendance_labels.md alone
Read = Callable[[str], tuple[str, str | None]]  # text -> (label, reason)
FLIPS = {("attend", "leave"), ("leave", "attend")}


def load(name: str) -> list[dict]:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


@dataclass
class Report:
    total: int = 0
    right: int = 0
    flips: list[tuple[str, str, str]] = field(default_factory=list)
    leaves: int = 0  # labelled leave and read as leave
    reasons_right: int = 0
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # text, wanted, got
    reason_misses: list[tuple[str, str | None, str | None]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.right / self.total

    @property
    def reason_accuracy(self) -> float:
        return self.reasons_right / self.leaves if self.leaves else 1.0


def reason_kept(wanted: str | None, got: str | None) -> bool:
    """No reason given: none recorded. A reason given: the recorded one holds it, with at
    most a few characters more ("家里有事" for "家里临时有事" would be a miss)."""
    if wanted is None or got is None:
        return wanted is None and got is None
    return wanted in got and len(got) <= len(wanted) + 4


def evaluate(items: list[dict], read: Read) -> Report:
    report = Report()
    for item in items:
        label, reason = read(item["text"])
        report.total += 1
        if label == item["label"]:
            report.right += 1
        else:
            report.misses.append((item["text"], item["label"], label))
        if (item["label"], label) in FLIPS:
            report.flips.append((item["text"], item["label"], label))
        if item["label"] == "leave" and label == "leave":
            report.leaves += 1
            if reason_kept(item["reason"], reason):
                report.reasons_right += 1
            else:
                report.reason_misses.append((item["text"], item["reason"], reason))
    return report
