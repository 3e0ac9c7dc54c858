"""Reading a member's text reply to a reminder: coming, on leave (with the reason), or unclear.

Matching runs on normalised text with the phrases of `knowledge/attendance.yaml`; leave
phrases win because they often contain an attend word ("参加不了"). jieba splits what is left
into words, so a reason like "家里有事" survives while filler ("我", "了") is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from knowledge.textnorm import normalise

Cut = Callable[[str], list[str]]  # the knowledge base's jieba (initialised once), `lcut`

ATTEND, LEAVE = "attend", "leave"
MAX_REASON = 200


@dataclass(frozen=True, slots=True)
class Reply:
    response: str | None  # attend / leave / None (unclear)
    reason: str | None = None


def read_reply(text: str, lexicon: dict[str, Any], cut: Cut) -> Reply:
    cleaned = normalise(text or "").strip()
    if not cleaned:
        return Reply(None)
    if any(p in cleaned for p in (*lexicon["leave"], *lexicon["leave_reasons"])):
        return Reply(LEAVE, _reason(cleaned, lexicon, cut))
    if any(phrase in cleaned for phrase in lexicon["attend"]):
        return Reply(ATTEND)
    return Reply(None)


def _reason(text: str, lexicon: dict[str, Any], cut: Cut) -> str | None:
    """What the member said besides asking for leave: "来不了，家里有事" -> "家里有事"."""
    for phrase in sorted(lexicon["leave"], key=len, reverse=True):
        text = text.replace(phrase, " ")
    words = cut(re.sub(r"[，,。.!！?？;；:：、~～\s]+", " ", text))
    kept = [w for w in words if w.strip() and w not in lexicon["filler"]]
    return "".join(kept)[:MAX_REASON] or None
