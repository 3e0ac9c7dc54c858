"""Whether a member's press (or text reply) on a theme-day reminder counts, and what is kept:
the one statement of the rule. The reply writer (storage/replies.py) only reads the rows this
needs, asks it, and writes what it returns."""

from __future__ import annotations

from dataclasses import dataclass

ATTEND, LEAVE = "attend", "leave"
CHANGED, SAME, OTHER_GROUP, CLOSED = "changed", "same", "other_group", "closed"


@dataclass(frozen=True, slots=True)
class Answer:
    response: str  # attend / leave
    reason: str | None = None  # only a leave has one


def decide(
    earlier: Answer | None, press: Answer, *, in_branch_group: bool, still_open: bool
) -> tuple[str, Answer | None]:
    """(outcome, the answer to keep). A press from a group not bound to the event's branch is
    OTHER_GROUP; once the event began or was cancelled, CLOSED; the same answer again (a
    double tap) is SAME. A leave keeps its earlier reason unless a new one is given; coming
    drops it."""
    if not in_branch_group:
        return OTHER_GROUP, None
    if not still_open:
        return CLOSED, None
    reason = press.reason or None
    if earlier is None:
        return CHANGED, Answer(press.response, reason if press.response == LEAVE else None)
    if earlier.response == press.response and reason in (None, earlier.reason):
        return SAME, earlier
    if press.response != LEAVE:
        return CHANGED, Answer(press.response)
    return CHANGED, Answer(LEAVE, reason or (earlier.reason if earlier.response == LEAVE else None))
