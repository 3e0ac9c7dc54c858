"""What a new theme-day rule (or time zone) does to each coming event of the rule.

An event members have answered, or one the secretary moved by hand, is never dropped by a
rule change: it is kept and the secretary is told how to cancel it if that is what they want.
"""

from __future__ import annotations

from datetime import datetime

KEEP, MOVE, CANCEL, RESTORE, KEEP_AND_TELL = "keep", "move", "cancel", "restore", "keep_and_tell"


def on_rule_change(
    status: str, starts_at: datetime, wanted: datetime | None, now: datetime, has_replies: bool
) -> str:
    """`wanted`: where the new rule puts this event's date (None: the rule drops the date)."""
    dropped = wanted is None or wanted <= now
    if status == "moved":  # a date moved by hand stays where it was put
        return KEEP_AND_TELL if dropped else KEEP
    if dropped:
        if status == "cancelled":
            return KEEP
        return KEEP_AND_TELL if has_replies else CANCEL
    if status == "cancelled":
        return RESTORE
    return MOVE if starts_at != wanted else KEEP
