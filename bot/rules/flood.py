"""How many messages one person may have answered in a chat before the bot stops answering.

The group's outgoing budget (Telegram allows about 20 messages a minute per group) is shared
by everybody in it: one member sending /help thirty times would otherwise queue thirty
replies and hold back every other member's for over a minute. Each person has a bucket of
`burst` answers that refills one every `refill_seconds`; what comes past it is ignored.
Button presses are not counted: answering them costs no group message.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Allowance:
    burst: int
    refill_seconds: float


GROUP = Allowance(burst=5, refill_seconds=12.0)  # 5 at once, then 5 a minute
PRIVATE = Allowance(burst=20, refill_seconds=0.5)  # typing answers quickly is fine


@dataclass(frozen=True, slots=True)
class Bucket:
    tokens: float
    at: float


def admit(bucket: Bucket | None, now: float, allowance: Allowance) -> tuple[bool, Bucket]:
    """Whether this message is answered, and the bucket after it."""
    if bucket is None:
        tokens = float(allowance.burst)
    else:
        refilled = max(0.0, now - bucket.at) / allowance.refill_seconds
        tokens = min(float(allowance.burst), bucket.tokens + refilled)
    if tokens >= 1.0:
        return True, Bucket(tokens - 1.0, now)
    return False, Bucket(tokens, now)


def full_again(bucket: Bucket, now: float, allowance: Allowance) -> bool:
    """A bucket that has refilled completely holds nothing worth remembering."""
    return bucket.tokens + (now - bucket.at) / allowance.refill_seconds >= allowance.burst
