"""Whether to answer: a small logistic model over the signals retrieval already computes,
fitted on the labelled dev and tuning sets (tests/fit_decision.py), never on the blind set.

A fixed cut-off on one combined score threw away right answers whose score was modest but
far ahead of the runner-up, and let through near-domain questions that merely shared words.
The model weighs those signals against each other; its weights live in knowledge/kb/
decision.yaml, so `ask --json` can say how each signal moved the confidence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge.content import read_yaml

FEATURES = (
    "score",  # combined ranking score of the best entry
    "margin",  # how far the best entry is ahead of the runner-up
    "word_cover",  # IDF share of the question's words that the best entry has
    "pair_cover",  # IDF share of the question's character pairs that the best entry has
    "fuzzy",  # closest whole-phrase similarity to one of the entry's questions
    "unknown",  # IDF share of the question's words that no entry uses at all
    "short",  # 1 for a question of one or two words ("党委", "换届 时间")
    "foreign",  # 1 when the question names another field's business (工会, 团支部, 社保)
    "learned",  # the learned ranker's probability for the best entry (knowledge/ranker.py)
)

# Why a question was not answered, as `ask --json` reports it.
NO_MATCH = "no_match"  # no entry shares an informative word with the question
OFF_DOMAIN = "off_domain"  # no term of the domain in the question
LOW_CONFIDENCE = "low_confidence"  # the model's confidence is below the threshold
TOO_BROAD = "too_broad"  # a bare word many entries are about ("党费"): the user picks one


@dataclass(frozen=True)
class Signals:
    score: float
    margin: float
    word_cover: float
    pair_cover: float
    fuzzy: float
    unknown: float
    short: bool
    foreign: bool
    in_domain: bool  # a hard gate, not a feature: see decide()
    broad: bool = False  # the question is one bare word that many entries are about
    learned: float = 0.0

    def vector(self) -> list[float]:
        return [float(getattr(self, name)) for name in FEATURES]


@dataclass(frozen=True)
class Model:
    bias: float
    weights: tuple[float, ...]
    threshold: float

    @classmethod
    def load(cls, path: Path) -> Model:
        raw = read_yaml(path)
        weights = raw["weights"]
        return cls(
            bias=float(raw["bias"]),
            # A model fitted before a signal existed gives it no weight.
            weights=tuple(float(weights.get(name, 0.0)) for name in FEATURES),
            threshold=float(raw["threshold"]),
        )

    def logit(self, signals: Signals) -> float:
        return self.bias + sum(w * x for w, x in zip(self.weights, signals.vector(), strict=True))

    def confidence(self, signals: Signals) -> float:
        return _sigmoid(self.logit(signals))

    def explain(self, signals: Signals) -> dict[str, Any]:
        """Each signal's value and what it added to the log-odds: the "why" of a decision."""
        return {
            name: {"value": round(x, 4), "effect": round(w * x, 3)}
            for name, w, x in zip(FEATURES, self.weights, signals.vector(), strict=True)
        } | {"bias": round(self.bias, 3), "threshold": self.threshold}


def decide(signals: Signals, model: Model) -> tuple[bool, float, str | None]:
    """(answer it?, confidence, why not). The domain check stays a hard gate: a question that
    names nothing of the domain is never answered from it, however well its words overlap."""
    confidence = model.confidence(signals)
    if not signals.in_domain:
        return False, confidence, OFF_DOMAIN
    if signals.broad:
        return False, confidence, TOO_BROAD
    if confidence < model.threshold:
        return False, confidence, LOW_CONFIDENCE
    return True, confidence, None


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1 / (1 + math.exp(-x))
    z = math.exp(x)
    return z / (1 + z)
