"""A long message is mostly background ("我们公司有5个党员，老板也是……"); its point is the
sentence that asks. Retrieval looks at that sentence, so the story does not drown the question.
"""

from __future__ import annotations

import re

# Below this many characters a message is taken whole: short questions have no background.
LONG_FROM = 40
# A point shorter than this ("请问怎么办？") leans on the sentence before it for its subject.
SHORT_POINT = 12
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")
_CLAUSE_END = re.compile(r"(?<=[，,、：:])")
# Words that make a sentence a question, standard and 云南 colloquial alike.
_ASKING = re.compile(
    "[?？]|吗|嘛|么|噶|咯|呢|怎么|咋|如何|什么|啥|哪样|哪些|哪个|哪里|几|多少|好多|多久|多长|"
    "能不能|能否|可不可以|可以不|可否|是否|是不是|要不要|有没有|得不得|行不行|算不算|请问|想问"
)
# A question tacked on after the main one ("另外党费能不能也在上面交？") is not the point.
_BY_THE_WAY = re.compile("^(另外|顺便|还有|再问|再请问|对了|此外|还想问|以及)|次要")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def point_of(text: str) -> str:
    """The asking part of a long message: its last asking sentence that is not a by-the-way,
    with the sentence before it when that sentence alone is too short to name its subject.
    Short messages come back whole."""
    text = text.strip()
    if len(text) < LONG_FROM:
        return text
    parts = sentences(text)
    if len(parts) == 1:
        parts = [c.strip() for c in _CLAUSE_END.split(text) if c.strip()]
    asking = [n for n, part in enumerate(parts) if _ASKING.search(part)]
    if not asking:
        return text
    main = [n for n in asking if not _BY_THE_WAY.search(parts[n])] or asking
    last = main[-1]
    point = parts[last]
    start = last
    while len(point) < SHORT_POINT and start > 0:
        start -= 1
        point = parts[start] + point
    return point
