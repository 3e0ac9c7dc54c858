"""Fits the answer-or-refuse model (knowledge/decision.py) on the dev set and the two tuning
sets (tuneset.yaml, tuneset_long.yaml) and writes knowledge/kb/decision.yaml. Never reads the
blind sets: they only measure.

    .venv/bin/python -m tests.fit_decision          # fit both, print cross-checks, write them
    .venv/bin/python -m tests.fit_decision --check  # exit 1 when their inputs have changed since

It first fits the learned ranker (tests/fit_ranker.py) on everything and writes
knowledge/kb/ranker.json. The signals this model learns from are read with fold rankers that
never saw the question, so its trust in the ranker is what the ranker earns on new questions.

Each reading of a question (whole, and reduced to its asking sentence) is one example: label 1
when its best entry answers the question, 0 when the question is off-topic or the best entry is
wrong. Logistic regression by Newton's method with a small ridge: nine features and 1,500
questions need no library. Off-topic questions are weighted up to count as much as the rest,
and the threshold is the one with the best mean of the answer rate and the refusal rate on the
same data: the two figures the issue sets a target for.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass

import yaml

from knowledge.decision import FEATURES, Model, Signals
from knowledge.retrieval import KB_DIR, KnowledgeBase, load_knowledge_base
from tests.blind_eval import answers_of_topics, load_tuneset
from tests.fit_ranker import FOLDS, Labelled, fold_of, inputs_digest, ranking_with
from tests.fit_ranker import OUTPUT as RANKER_OUTPUT
from tests.fit_ranker import fit as fit_ranker
from tests.knowledge_eval import load_devset

OUTPUT = KB_DIR / "decision.yaml"
RIDGE = 1.0
ROUND = 3  # written weights are rounded so the file is stable and readable


@dataclass(frozen=True)
class Example:
    question: str
    accepted: frozenset[str]  # empty: off-topic
    readings: tuple[tuple[Signals, str], ...]  # signals and best entry id of each reading


def labelled_questions(kb: KnowledgeBase) -> list[Labelled]:
    """Dev set (labelled by entry) and tuning set (labelled by topic) together."""
    items = [
        (str(item["q"]), frozenset({item["id"], *item.get("also", [])} if item["id"] else ()))
        for item in load_devset()
    ]
    topics = answers_of_topics(kb)
    for item in load_tuneset() + load_tuneset("tuneset_long.yaml"):
        topic = item["topic"]
        accepted = frozenset() if topic in ("off", "greeting") else frozenset(topics.get(topic, ()))
        items.append((str(item["q"]), accepted))
    return items


def examples(kb: KnowledgeBase, labelled: list[Labelled]) -> list[Example]:
    """Each question read with a learned ranker that never saw it (fitted on the other folds):
    the model must learn how far to trust the ranker on questions it has not been taught."""
    result: list[Example | None] = [None] * len(labelled)
    for fold in range(FOLDS):
        taught = [item for n, item in enumerate(labelled) if fold_of(n) != fold]
        with ranking_with(kb, fit_ranker(kb, taught)):
            for n, (question, accepted) in enumerate(labelled):
                if fold_of(n) == fold:
                    result[n] = example(kb, question, accepted)
    return [e for e in result if e is not None]


def example(kb: KnowledgeBase, question: str, accepted: frozenset[str]) -> Example:
    readings = [
        (r.signals, kb.entries[r.ranked[0][1]].id)
        for r in kb.readings(question)
        if r.signals is not None and r.signals.in_domain
    ]
    return Example(question, accepted, tuple(readings))


def fit(rows: list[tuple[list[float], int, float]], ridge: float = RIDGE) -> list[float]:
    """Newton-Raphson for L2-regularised logistic regression; returns [bias, *weights]."""
    size = len(FEATURES) + 1
    w = [0.0] * size
    for _ in range(100):
        gradient = [0.0] * size
        hessian = [[0.0] * size for _ in range(size)]
        for features, label, weight in rows:
            x = [1.0, *features]
            logit = sum(a * b for a, b in zip(w, x, strict=True))
            p = 1 / (1 + math.exp(-max(-30.0, min(30.0, logit))))
            for i in range(size):
                gradient[i] += weight * (label - p) * x[i]
                for j in range(size):
                    hessian[i][j] += weight * p * (1 - p) * x[i] * x[j]
        for i in range(1, size):
            gradient[i] -= ridge * w[i]
            hessian[i][i] += ridge
        hessian[0][0] += 1e-9
        step = solve(hessian, gradient)
        w = [a + b for a, b in zip(w, step, strict=True)]
        if max(abs(s) for s in step) < 1e-7:
            break
    return w


def solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (the matrix is small and positive definite)."""
    n = len(vector)
    a = [[*row, vector[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(col + 1, n):
            factor = a[r][col] / a[col][col]
            for c in range(col, n + 1):
                a[r][c] -= factor * a[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (a[r][n] - sum(a[r][c] * x[c] for c in range(r + 1, n))) / a[r][r]
    return x


def model_of(w: list[float], threshold: float) -> Model:
    return Model(bias=w[0], weights=tuple(w[1:]), threshold=threshold)


def outcome(model: Model, example: Example) -> bool:
    """Right when it answers with an accepted entry, or refuses an off-topic question."""
    if not example.readings:
        return not example.accepted
    signals, entry = max(example.readings, key=lambda r: model.confidence(r[0]))
    answered = model.confidence(signals) >= model.threshold
    return (answered and entry in example.accepted) or (not answered and not example.accepted)


def accuracy(model: Model, data: list[Example]) -> float:
    return sum(outcome(model, e) for e in data) / max(len(data), 1)


def balanced(model: Model, data: list[Example]) -> float:
    """The mean of the answer rate (questions in scope) and the refusal rate (off-topic): the
    two targets weigh alike however many questions of each kind the sets hold."""
    asked = [e for e in data if e.accepted]
    other = [e for e in data if not e.accepted]
    return (accuracy(model, asked) + accuracy(model, other)) / 2


def best_threshold(w: list[float], data: list[Example]) -> float:
    """The cut-off with the best balanced accuracy; among equals, the one nearest 0.5."""
    grid = [round(0.05 * i, 2) for i in range(2, 19)]
    return max(grid, key=lambda t: (balanced(model_of(w, t), data), -abs(t - 0.5)))


def train(data: list[Example]) -> Model:
    # Off-topic questions are fewer: weighted up so both kinds count alike, as in `balanced`.
    off_topic = sum(not e.accepted for e in data) or 1
    up = (len(data) - off_topic) / off_topic
    rows = [
        (signals.vector(), int(entry in example.accepted), 1.0 if example.accepted else up)
        for example in data
        for signals, entry in example.readings
    ]
    w = [round(v, ROUND) for v in fit(rows)]
    return model_of(w, best_threshold(w, data))


def as_yaml(model: Model, inputs: str) -> str:
    header = (
        "# Written by `python -m tests.fit_decision` from the dev and tuning sets (never the\n"
        "# blind set). Log-odds that the best entry answers = bias + sum(weight * signal);\n"
        "# answer at or above `threshold` (a probability). Signals: knowledge/decision.py.\n"
        "# inputs: digest of what it was fitted on (tests/fit_ranker.py FITTED_ON).\n"
    )
    body = {
        "inputs": inputs,
        "bias": model.bias,
        "threshold": model.threshold,
        "weights": dict(zip(FEATURES, model.weights, strict=True)),
    }
    return header + yaml.safe_dump(body, sort_keys=False, allow_unicode=True)


def shipped_inputs() -> tuple[str, str]:
    """The digests the shipped ranker and decision model were fitted on."""
    import json

    ranker = json.loads(RANKER_OUTPUT.read_text(encoding="utf-8"))["inputs"]
    decision = yaml.safe_load(OUTPUT.read_text(encoding="utf-8"))["inputs"]
    return ranker, decision


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    digest = inputs_digest()
    if args.check:
        same = shipped_inputs() == (digest, digest)
        print("the learned files are up to date" if same else "refit: the inputs changed")
        return 0 if same else 1
    kb = load_knowledge_base()
    labelled = labelled_questions(kb)
    ranker = fit_ranker(kb, labelled, digest)
    data = examples(kb, labelled)
    dev_size = len(load_devset())
    dev, tune = data[:dev_size], data[dev_size:]
    model = train(data)
    print(f"fitted on {len(data)} questions: balanced accuracy {balanced(model, data):.3f}")
    for name, train_part, test_part in (("dev", dev, tune), ("tune", tune, dev)):
        crossed = train(train_part)
        print(
            f"  fitted on {name} only: on itself {balanced(crossed, train_part):.3f}, "
            f"on the other set {balanced(crossed, test_part):.3f}"
        )
    RANKER_OUTPUT.write_text(ranker.as_json(), encoding="utf-8")
    text = as_yaml(model, digest)
    OUTPUT.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
