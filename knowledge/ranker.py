"""A learned reading of which entry a question asks for: a linear softmax over the question's
words and character pairs, fitted on every entry's own phrasings and the tuning sets by
tests/fit_ranker.py (scikit-learn's LogisticRegression over TF-IDF, a dev-only dependency).
Off-topic questions of the tuning sets form one more class, with no entry: without it the
model spreads all its belief over the entries, and "最低工资标准是多少" looked like dues.

Lexical scores alone cannot learn that "好多钱" next to "退休" means the retiree's dues, or which
of two neighbouring entries a word speaks for; a model trained on thousands of labelled
phrasings can, and on held-out tuning questions it ranked the right entry first more often
than the hand-weighted score (tests/fit_ranker.py prints the cross-validation). Here the
fitted weights are applied in plain Python: NumPy and scikit-learn would cost the bot a second
of start-up and 100 MB for a sum over some fifty features.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path


def features_of(tokens: Iterable[str], pairs: Iterable[str]) -> list[str]:
    """What the model reads: the normalised question's words and its character pairs. The
    fitter calls this same function, so training and answering see identical features."""
    return [*(f"w:{t}" for t in tokens), *(f"b:{p}" for p in pairs)]


@dataclass(frozen=True)
class LearnedRanker:
    classes: tuple[str, ...]  # entry ids, in the order of `intercepts`
    intercepts: tuple[float, ...]
    idf: dict[str, float]  # the fitted vocabulary: a feature outside it is ignored
    weights: dict[str, Sequence[Sequence[float]]]  # feature -> [(class, weight)]; small ones cut
    inputs: str  # digest of what it was fitted on (tests/fit_ranker.py), to detect staleness

    @classmethod
    def load(cls, path: Path) -> LearnedRanker | None:
        """None when no model was shipped: retrieval then ranks on lexical scores alone."""
        if not path.exists():
            return None
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            classes=tuple(raw["classes"]),
            intercepts=tuple(raw["intercepts"]),
            idf=raw["idf"],
            weights=raw["weights"],  # as parsed: converting 60,000 pairs costs 40 ms of start
            inputs=raw["inputs"],
        )

    def probabilities(self, features: Iterable[str]) -> dict[str, float]:
        """Entry id -> probability. TF-IDF exactly as scikit-learn fitted it (sublinear term
        frequency, L2 norm over the known features), then the softmax of the linear scores."""
        counts: dict[str, int] = {}
        for feature in features:
            if feature in self.idf:
                counts[feature] = counts.get(feature, 0) + 1
        values = {f: (1 + math.log(n)) * self.idf[f] for f, n in counts.items()}
        norm = math.sqrt(sum(v * v for v in values.values())) or 1.0
        logits = list(self.intercepts)
        for feature, value in values.items():
            for number, weight in self.weights.get(feature, ()):
                logits[int(number)] += weight * value / norm
        top = max(logits)
        exps = [math.exp(z - top) for z in logits]
        total = sum(exps)
        return {entry: e / total for entry, e in zip(self.classes, exps, strict=True)}

    def as_json(self) -> str:
        return json.dumps(
            {
                "inputs": self.inputs,
                "classes": list(self.classes),
                "intercepts": list(self.intercepts),
                "idf": self.idf,
                "weights": {f: [list(cw) for cw in cws] for f, cws in self.weights.items()},
            },
            ensure_ascii=False,
            separators=(",", ":"),
            sort_keys=True,
        )
