"""Scores the knowledge base on the frozen blind set (tests/data/blindset.yaml), beside a plain
BM25 baseline on the same questions; shared by its test and `make bench`.

The blind set names topics, not entries: it was written from the topic list alone. Which
entries answer a topic is written down separately (tests/data/blind_answers.yaml), from the
entries, without looking at the questions; a topic no entry covers yet counts as a miss.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.content import read_yaml
from knowledge.retrieval import KnowledgeBase

DATA = Path(__file__).parent / "data"


@dataclass
class BlindReport:
    in_domain: int = 0
    answered_right: int = 0
    uncovered: int = 0  # in-domain questions whose topic no entry answers yet
    off_topic: int = 0
    refused_right: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def answer_rate(self) -> float:
        return self.answered_right / max(self.in_domain, 1)

    @property
    def refusal_rate(self) -> float:
        return self.refused_right / max(self.off_topic, 1)

    @property
    def overall(self) -> float:
        return (self.answered_right + self.refused_right) / max(self.in_domain + self.off_topic, 1)


def load_blindset(name: str = "blindset.yaml") -> list[dict]:
    """The first blind set, or by name the second (blindset2.yaml, written and frozen after
    the first had been looked at during tuning, so it measures afresh)."""
    return read_yaml(DATA / name)["questions"]


def load_tuneset(name: str = "tuneset.yaml") -> list[dict]:
    """Written like the blind set, from the topic list alone, but used to calibrate and tune;
    tuneset_long.yaml holds long messages with background."""
    return read_yaml(DATA / name)["questions"]


def answers_of_topics(kb: KnowledgeBase) -> dict[str, set[str]]:
    """A topic is answered by the entry of the same id, and by the entries listed for it."""
    listed = read_yaml(DATA / "blind_answers.yaml") or {}
    topics: dict[str, set[str]] = {entry.id: {entry.id} for entry in kb.entries}
    for topic, entries in listed.items():
        topics.setdefault(topic, set()).update(entries or [])
    return topics


def _score(report: BlindReport, item: dict, found: str | None, topics: dict[str, set[str]]):  # type: ignore[no-untyped-def]
    topic, question = item["topic"], item["q"]
    if topic in ("off", "greeting"):
        report.off_topic += 1
        if found is None:
            report.refused_right += 1
        else:
            report.misses.append(f"answered off-topic: {question} -> {found}")
        return
    report.in_domain += 1
    accepted = topics.get(topic, set())
    if not accepted:
        report.uncovered += 1
    if found is not None and found in accepted:
        report.answered_right += 1
    else:
        report.misses.append(f"wrong: {question} -> {found} (want {topic})")


def evaluate_blind(kb: KnowledgeBase, items: list[dict]) -> BlindReport:
    topics = answers_of_topics(kb)
    report = BlindReport()
    for item in items:
        answer = kb.ask(str(item["q"]))
        found = answer.entry.id if answer.found and answer.entry is not None else None
        _score(report, item, found, topics)
    return report


class PlainBM25:
    """The baseline: jieba tokens over each entry's title and questions, Okapi BM25."""

    def __init__(self, kb: KnowledgeBase, k1: float = 1.5, b: float = 0.75) -> None:
        self.kb, self.k1, self.b = kb, k1, b
        self.docs = [Counter(self._tokens(" ".join([e.title, *e.questions]))) for e in kb.entries]
        self.lengths = [sum(doc.values()) for doc in self.docs]
        self.average = sum(self.lengths) / len(self.lengths)
        frequency = Counter(term for doc in self.docs for term in doc)
        n = len(self.docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in frequency.items()}

    def _tokens(self, text: str) -> list[str]:
        return [
            w for w in self.kb.segmenter.jieba.lcut(text, HMM=False) if w.strip() and w.isalnum()
        ]

    def best(self, question: str) -> tuple[float, str]:
        terms = self._tokens(question)
        best_score, best_id = 0.0, ""
        for doc, length, entry in zip(self.docs, self.lengths, self.kb.entries, strict=True):
            score = 0.0
            for term in terms:
                tf = doc.get(term, 0)
                if tf:
                    norm = tf + self.k1 * (1 - self.b + self.b * length / self.average)
                    score += self.idf[term] * tf * (self.k1 + 1) / norm
            if score > best_score:
                best_score, best_id = score, entry.id
        return best_score, best_id


def evaluate_baseline(kb: KnowledgeBase, items: list[dict]) -> tuple[BlindReport, float]:
    """The baseline at its most favourable threshold on these very questions."""
    bm25 = PlainBM25(kb)
    topics = answers_of_topics(kb)
    scored = [(item, *bm25.best(str(item["q"]))) for item in items]
    best: tuple[BlindReport, float] | None = None
    for threshold in sorted({round(score, 3) for _, score, _ in scored} | {0.0}):
        report = BlindReport()
        for item, score, entry_id in scored:
            _score(report, item, entry_id if score > threshold else None, topics)
        if best is None or report.overall > best[0].overall:
            best = (report, threshold)
    assert best is not None
    return best
