"""Reading a member's text reply to a reminder: coming, on leave (with the reason), not sure
(the bot asks back with the two buttons), or not an answer at all (the bot stays quiet).

A wrong 参加 or 请假 is worse than asking, so anything short of a plain answer for oneself is
`UNSURE`: a hedge (可能, 看情况), an open condition (如果不加班就来), a question about coming
(可以不参加吗), a reply for someone else (我替老王请个假), or two answers with nothing that
settles them. The reply is read clause by clause: a clause about an earlier meeting (上次请假了)
or an intention given up (本来想参加) says nothing about this one, and the last plain answer
wins only when something settles the earlier one (但是, 还是, 这次).

Phrases are data (`knowledge/attendance.yaml`); `Lexicon.of` compiles them once.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from knowledge.textnorm import normalise

ATTEND, LEAVE, UNSURE, NONE = "attend", "leave", "unsure", "none"
MAX_REASON = 200
MAX_READ = 2000  # a reply longer than this is read from its start
_BREAKS = r"，,。.!！?？;；、~～…\s()（）【】\[\]“”\"'《》/|"
_CHUNK = re.compile(rf"([^{_BREAKS}]+)([?？]?)")  # a clause, and whether it asks
_CONJUNCTIONS = re.compile(r"(?=但是|但|不过|可是|然而|还是|只能)")
_ZERO_WIDTH = {"\u200d", "\ufe0f", "\ufe0e"}


def _alternation(phrases: list[str]) -> re.Pattern[str]:
    """Longest first, so "参加不了" wins over "参加" where both start."""
    ordered = sorted({p.lower() for p in phrases}, key=len, reverse=True)
    return re.compile("|".join(re.escape(p) for p in ordered))


def _is_emoji(ch: str) -> bool:
    return (
        ch in _ZERO_WIDTH
        or unicodedata.category(ch) in ("So", "Sk", "Cs")
        or (0x1F3FB <= ord(ch) <= 0x1F3FF)
    )


def without_emoji(text: str) -> str:
    return "".join(ch for ch in text if not _is_emoji(ch))


@dataclass(frozen=True)
class Lexicon:
    typos: re.Pattern[str]
    typo_map: dict[str, str]
    polarity: re.Pattern[str]  # every answer phrase; `kinds` says which answer each gives
    kinds: dict[str, str]  # phrase -> attend / leave / request / reason / late
    patterns: tuple[tuple[re.Pattern[str], str], ...]  # answers as patterns, with their kind
    alone: dict[str, str]  # a clause of only this word (repeated): its answer
    acknowledge: re.Pattern[str]
    acknowledge_filler: re.Pattern[str]
    hedge: re.Pattern[str]
    hedge_pattern: re.Pattern[str]
    time: re.Pattern[str]
    correction: re.Pattern[str]
    condition: re.Pattern[str]
    condition_met: re.Pattern[str]
    condition_pattern: re.Pattern[str]
    obligation: re.Pattern[str]
    unless: re.Pattern[str]
    otherwise: re.Pattern[str]
    past: re.Pattern[str]
    resolve: re.Pattern[str]
    third_person: re.Pattern[str]
    together: re.Pattern[str]
    relay: re.Pattern[str]
    question_ends: tuple[str, ...]
    filler: re.Pattern[str]
    reason_strong: re.Pattern[str]
    reason_weak: re.Pattern[str]
    not_reason: re.Pattern[str]
    join_max: int

    @staticmethod
    def of(raw: dict[str, Any]) -> Lexicon:
        kinds: dict[str, str] = {}
        # Later groups do not overwrite earlier ones: a phrase is read as its first kind.
        for key, kind in (
            ("neutral", "neutral"),
            ("attend_negated_leave", ATTEND),
            ("leave_requests", "request"),
            ("leave", LEAVE),
            ("attend", ATTEND),
            ("leave_reasons", "reason"),
        ):
            for phrase in raw[key]:
                kinds.setdefault(phrase.lower(), kind)
        for phrase in ("晚点到", "晚到", "迟到", "迟一点", "晚一点"):
            if kinds.get(phrase) == ATTEND:
                kinds[phrase] = "late"
        surnames = raw["surnames"]
        people = (
            "|".join(re.escape(p) for p in raw["third_person"])
            + f"|[老小][{surnames}](?![师家人伴地方板乡表])"
            + f"|[{surnames}]({'|'.join(raw['person_titles'])})"
        )
        edge = raw["reason_edge_time"]
        fillers = "|".join(re.escape(f) for f in sorted(raw["filler"], key=len, reverse=True))
        return Lexicon(
            typos=_alternation(list(raw["typos"])),
            typo_map={k.lower(): v for k, v in raw["typos"].items()},
            polarity=_alternation(list(kinds)),
            kinds=kinds,
            patterns=tuple(
                (re.compile("|".join(f"(?:{p})" for p in raw[key])), kind)
                for key, kind in (
                    ("attend_patterns", ATTEND),
                    ("late_patterns", "late"),
                    ("request_patterns", "request"),
                    ("reason_patterns", "reason"),
                )
            ),
            alone={
                **{word: ATTEND for word in raw["attend_alone"]},
                **{word: LEAVE for word in raw["leave_alone"]},
            },
            acknowledge=_alternation(raw["acknowledge"]),
            acknowledge_filler=_alternation(raw["acknowledge_filler"]),
            hedge=_alternation(raw["hedge"]),
            hedge_pattern=re.compile(raw["hedge_pattern"]),
            time=re.compile(raw["time_pattern"]),
            correction=_alternation(raw["correction"]),
            condition=_alternation(raw["condition"]),
            condition_met=re.compile(raw["condition_met_time"]),
            condition_pattern=re.compile(raw["condition_pattern"]),
            obligation=re.compile(raw["obligation_pattern"]),
            unless=_alternation(raw["unless"]),
            otherwise=_alternation(raw["otherwise"]),
            past=_alternation(raw["past"]),
            resolve=_alternation(raw["resolve"]),
            third_person=re.compile(people),
            together=_alternation(raw["together"]),
            relay=_alternation(raw["relay"]),
            question_ends=tuple(raw["question_ends"]),
            filler=re.compile(f"^(?:{fillers}|{edge})+|(?:{fillers}|{edge})+$"),
            reason_strong=_alternation(raw["reason_words_strong"]),
            reason_weak=_alternation(raw["reason_words_weak"]),
            not_reason=_alternation(raw["not_reason"]),
            join_max=int(raw["reason_join_max"]),
        )


@dataclass(frozen=True, slots=True)
class Reply:
    kind: str  # ATTEND / LEAVE / UNSURE / NONE
    reason: str | None = None

    @property
    def response(self) -> str | None:
        """What is recorded: attend or leave; None when nothing is."""
        return self.kind if self.kind in (ATTEND, LEAVE) else None


@dataclass
class Clause:
    text: str
    answer: str | None = None  # attend / leave / reason (leave, weakly)
    late_only: bool = False  # coming, said only as "晚点到"
    request: bool = False  # asks for leave ("请个假可以吗"): an answer, not a question
    hedged: bool = False
    conditional: bool = False
    question: bool = False
    ignored: bool = False  # an earlier meeting, an intention given up, or "除非 …"
    other_person: bool = False
    settles: bool = False
    corrects: bool = False  # "不对", "算了": what follows is the answer
    acknowledges: bool = False
    leave_spans: list[tuple[int, int]] = field(default_factory=list)

    @property
    def doubtful(self) -> bool:
        hedge = self.hedged and not self.late_only
        asks = self.question and self.answer in (ATTEND, LEAVE) and not self.late_only
        return hedge or self.conditional or asks

    @property
    def counts(self) -> bool:
        return not self.ignored and not self.other_person


PRIORITY = {"neutral": 0, LEAVE: 1, "request": 1, ATTEND: 2, "late": 2, "reason": 3}


def _answers(text: str, lex: Lexicon) -> list[tuple[int, int, str]]:
    """The answer phrases of a clause, overlaps settled by length and then leave first:
    "我来不了" is 来不了 (not 我来), "不参加" is not 参加."""
    candidates = []
    for start in range(len(text)):
        match = lex.polarity.match(text, start)
        if match:
            kind = lex.kinds[match.group(0)]
            candidates.append((start, match.end(), kind))
    for pattern, kind in lex.patterns:
        candidates += [(m.start(), m.end(), kind) for m in pattern.finditer(text) if m.group(0)]
    candidates.sort(key=lambda c: (c[0] - c[1], PRIORITY[c[2]], c[0]))
    taken: list[tuple[int, int, str]] = []
    for start, end, kind in candidates:
        if all(end <= s or start >= e for s, e, _ in taken):
            taken.append((start, end, kind))
    return sorted(taken)


def _read_clause(text: str, raw_end: str, lex: Lexicon) -> Clause:
    clause = Clause(text)
    found = _answers(text, lex)
    answers = {kind for _, _, kind in found}
    clause.request = "request" in answers
    strong = {ATTEND if k == "late" else LEAVE if k == "request" else k for k in answers}
    strong -= {"reason", "neutral"}
    if len(strong) == 1:
        clause.answer = strong.pop()
        clause.late_only = answers == {"late"}
    elif strong:  # both in one clause with nothing between: not a plain answer
        clause.answer, clause.hedged = LEAVE, True
    elif "reason" in answers:
        clause.answer = "reason"
    else:
        bare = re.sub(r"\W", "", without_emoji(text))
        for word, answer in lex.alone.items():
            if bare and bare == word * (len(bare) // len(word)):
                clause.answer = answer
    clause.leave_spans = [(s, e) for s, e, k in found if k in (LEAVE, "request")]
    rest = text  # hedges are looked for outside the answers ("不去是不可能的" hedges nothing)
    for start, end, _ in reversed(found):
        rest = rest[:start] + " " + rest[end:]
    hedge = lex.hedge.search(rest) or lex.hedge_pattern.search(rest)
    about_time = lex.time.search(text)  # "大概十点到": when, not whether
    clause.hedged = clause.hedged or bool(hedge and not about_time and not clause.request)
    met = lex.condition_met.search(text)
    open_condition = lex.condition.search(text) or lex.condition_pattern.search(text)
    clause.conditional = bool(open_condition) and not met
    clause.question = raw_end in ("?", "？") or text.endswith(lex.question_ends)
    if clause.question and lex.obligation.search(text):
        clause.hedged = True  # "必须去吗": asks whether to come
    if clause.request:
        clause.question = False
    clause.ignored = bool(lex.past.search(text) or lex.unless.search(text))
    someone = lex.third_person.search(text)
    with_me = lex.together.search(text) and not lex.relay.search(text)
    clause.other_person = bool(someone) and not with_me
    clause.corrects = bool(lex.correction.search(text))
    settle = lex.resolve.search(text) or lex.otherwise.search(text)
    clause.settles = bool(settle) or clause.corrects
    bare = lex.acknowledge_filler.sub("", lex.acknowledge.sub("", without_emoji(text)))
    clause.acknowledges = not bare.strip() and bool(lex.acknowledge.search(text))
    return clause


def read_reply(text: str, lex: Lexicon) -> Reply:
    cleaned = normalise((text or "")[:MAX_READ]).lower()
    cleaned = lex.typos.sub(lambda m: lex.typo_map[m.group(0)], cleaned)
    if not without_emoji(cleaned).strip() and not lex.acknowledge.search(cleaned):
        return Reply(NONE)
    clauses = []
    for match in _CHUNK.finditer(cleaned):
        parts = [p for p in _CONJUNCTIONS.split(match.group(1)) if p]
        for i, part in enumerate(parts):
            end = match.group(2) if i == len(parts) - 1 else ""
            clauses.append(_read_clause(part, end, lex))
    own = [c for c in clauses if c.counts]
    answered = [c for c in own if c.answer in (ATTEND, LEAVE)]
    for_others = any(c.other_person and c.answer for c in clauses)
    if not answered:
        reasons = [c for c in own if c.answer == "reason"]
        if reasons and not any(c.doubtful or c.hedged or c.question for c in own):
            return Reply(LEAVE, _reason(clauses, lex))
        if any(c.doubtful or c.hedged or c.acknowledges for c in own) or for_others:
            return Reply(UNSURE)
        if any(c.question and c.answer in (ATTEND, LEAVE) for c in clauses):
            return Reply(UNSURE)
        return Reply(NONE)
    last = answered[-1]
    at = own.index(last)
    after_last = own[at:]
    if last.doubtful or any(c.doubtful or (c.hedged and not c.late_only) for c in after_last):
        return Reply(UNSURE)
    if any(c.corrects for c in own[at + 1 :]):
        return Reply(UNSURE)  # corrected, and no answer after the correction
    doubts = [i for i, c in enumerate(own[:at]) if c.doubtful]
    if doubts and not any(c.settles for c in own[doubts[-1] + 1 : at + 1]):
        return Reply(UNSURE)
    if {c.answer for c in answered} != {last.answer}:
        since = own[own.index(answered[-2]) + 1 : at + 1]
        settled = any(c.settles for c in since) or any(c.corrects for c in own[:at])
        if not settled:
            return Reply(UNSURE)
    if last.answer == LEAVE:
        return Reply(LEAVE, _reason(clauses, lex))
    return Reply(ATTEND)


def _reason(clauses: list[Clause], lex: Lexicon) -> str | None:
    """What the member gave as the reason, in their words: "来不了，家里有事" -> "家里有事".

    Clauses of one's own that are not only the leave itself, politeness or a promise for
    later; a long reply keeps the clause nearest before the leave that sounds like a reason.
    """
    candidates: list[tuple[int, str]] = []
    first_leave = None
    for index, clause in enumerate(clauses):
        if clause.answer == LEAVE and first_leave is None:
            first_leave = index
        if (
            not clause.counts
            or clause.question
            or lex.not_reason.search(clause.text)
            or lex.condition_met.search(clause.text)
            or lex.together.search(clause.text)
        ):
            continue
        kept = clause.text
        for start, end in reversed(clause.leave_spans):
            kept = kept[:start] + " " + kept[end:]
        kept = "".join(_strip_edges(part, lex) for part in kept.split())
        kept = without_emoji(kept).strip()
        if len(kept.replace("了", "")) > 1 and not lex.acknowledge.fullmatch(kept):
            candidates.append((index, kept))
    if not candidates:
        return None
    joined = "".join(text for _, text in candidates)
    if len(joined) <= lex.join_max:
        return joined[:MAX_REASON]
    leave_at = first_leave if first_leave is not None else len(clauses)
    for words in (lex.reason_strong, lex.reason_weak):
        before = [t for i, t in candidates if i < leave_at and words.search(t)]
        if before:
            return before[-1][:MAX_REASON]
    after = [t for i, t in candidates if i > leave_at]
    return (after[0] if after else candidates[0][1])[:MAX_REASON]


def _strip_edges(text: str, lex: Lexicon) -> str:
    previous = None
    while previous != text:
        previous, text = text, lex.filler.sub("", text)
    return text
