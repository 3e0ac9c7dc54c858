"""Greetings, thanks and "你是谁": a short friendly reply instead of "答不上来". Only a message
that is nothing but small talk counts ("你好，党费怎么交" is a question), so the phrases are
matched whole, after the particles and punctuation people add are taken off."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

# Particles people add to small talk: 你好呀 谢谢啦 好的哦 (marks and emoji go first).
_PARTICLES = re.compile(r"[呀啊哦噢嘛噶咯啦吧呢哈嗯喔哇]+$")


def _bare(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")
    return _PARTICLES.sub("", text)


def small_talk(text: str, table: Mapping[str, Mapping[str, object]]) -> str | None:
    """The kind of small talk (a key of `table`), or None when the text asks something."""
    bare = _bare(text)
    if not bare or len(bare) > 12:
        return None
    for kind, spec in table.items():
        phrases = spec.get("phrases") or []
        if any(bare == _bare(str(phrase)) for phrase in phrases):  # type: ignore[union-attr]
            return kind
    return None
