"""Fits the learned ranker (knowledge/ranker.py) on every entry's own phrasings and the labelled
dev and tuning sets; never on a blind set. `python -m tests.fit_decision` calls it and writes
both learned files; this module alone measures by cross-validation:

    .venv/bin/python -m tests.fit_ranker   # 5-fold: lexical, learned and blended top-1

scikit-learn fits it (multinomial logistic regression over sublinear TF-IDF): a well-kept
solver rather than a hand-written one. Weights below PRUNE are dropped, which keeps the shipped
file small (about a fifth of the features carry any weight) at no cost in cross-validation.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from knowledge.ranker import LearnedRanker, features_of
from knowledge.retrieval import KB_DIR, LEARNED, LEARNED_FLOOR, KnowledgeBase, bigrams

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = KB_DIR / "ranker.json"
C = 10.0  # inverse regularisation: best of 3, 10, 30 in cross-validation
PRUNE = 0.2
ROUND = 3
FOLDS = 5

# Everything the learned files depend on: content, normalisation, signals, labelled sets and
# the fitters. A change to any of them without a refit fails a test (the digest differs).
FITTED_ON = (
    *sorted(
        p
        for p in KB_DIR.iterdir()
        if p.suffix in (".yaml", ".txt") and p.name not in ("decision.yaml",)
    ),
    *sorted((ROOT / "knowledge").glob("*.py")),
    *(
        ROOT / "tests" / "data" / name
        for name in ("devset.yaml", "tuneset.yaml", "tuneset_long.yaml")
    ),
    ROOT / "tests" / "data" / "blind_answers.yaml",
    ROOT / "tests" / "fit_ranker.py",
    ROOT / "tests" / "fit_decision.py",
)

NONE = ""  # the class of off-topic questions: no entry answers them
Labelled = tuple[str, frozenset[str]]  # a question and the entries that answer it (none: off)


def inputs_digest() -> str:
    digest = hashlib.sha256()
    for path in FITTED_ON:
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def features(kb: KnowledgeBase, question: str) -> list[str]:
    """The features `KnowledgeBase.read` gives the ranker for this text."""
    text = kb.normaliser(question)
    return features_of(kb.segmenter.tokens(text), bigrams(text))


def phrasings(kb: KnowledgeBase) -> list[Labelled]:
    return [(t, frozenset({e.id})) for e in kb.entries for t in (e.title, *e.questions)]


def fold_of(number: int) -> int:
    """Neighbouring questions of a labelled set share a topic: numbering spreads them."""
    return number % FOLDS


def fit(kb: KnowledgeBase, labelled: Sequence[Labelled], inputs: str = "") -> LearnedRanker:
    """Trains on the entries' phrasings and the labelled questions, the off-topic ones as the
    class NONE. A question that several entries answer counts for each of them, weighted so
    that it counts once."""
    texts, labels, weights = [], [], []
    for question, accepted in [*phrasings(kb), *labelled]:
        for entry in sorted(accepted or {NONE}):
            texts.append(features(kb, question))
            labels.append(entry)
            weights.append(1 / max(len(accepted), 1))
    return learn(texts, labels, weights, inputs)


def learn(
    texts: list[list[str]],
    labels: list[str],
    weights: list[float],
    inputs: str = "",
    prune: float = PRUNE,
) -> LearnedRanker:
    """scikit-learn's fit, exported as plain weights for knowledge/ranker.py."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectoriser = TfidfVectorizer(analyzer=_given, sublinear_tf=True)
    matrix = vectoriser.fit_transform(texts)
    model = LogisticRegression(C=C, max_iter=1000)
    model.fit(matrix, labels, sample_weight=weights)
    names = vectoriser.get_feature_names_out()
    idf = {str(f): round(float(v), 6) for f, v in zip(names, vectoriser.idf_, strict=True)}
    kept: dict[str, list[tuple[int, float]]] = {}
    for number, row in enumerate(model.coef_):
        for column in (abs(row) >= prune).nonzero()[0]:
            kept.setdefault(str(names[column]), []).append(
                (number, round(float(row[column]), ROUND))
            )
    return LearnedRanker(
        classes=tuple(str(c) for c in model.classes_),
        intercepts=tuple(round(float(b), ROUND) for b in model.intercept_),
        idf=idf,
        weights={f: tuple(cw) for f, cw in sorted(kept.items())},
        inputs=inputs,
    )


def _given(features: list[str]) -> list[str]:
    return features


@contextmanager
def ranking_with(kb: KnowledgeBase, ranker: LearnedRanker | None) -> Iterator[None]:
    """The knowledge base answering with another ranker (a fold's), restored afterwards."""
    shipped = kb.ranker
    kb.ranker = ranker
    try:
        yield
    finally:
        kb.ranker = shipped


def cross_validate(kb: KnowledgeBase, labelled: list[Labelled]) -> None:
    """Top-1 on held-out folds of the in-scope questions: lexical score alone, the learned
    ranker alone, and their blend at several weights (LEARNED is the blend shipped)."""
    import knowledge.retrieval as retrieval

    asked = [(n, item) for n, item in enumerate(labelled) if item[1]]
    blends = (0.0, 0.1, 0.2, 0.3)
    right = {name: 0 for name in ("learned alone", *(f"blend {b}" for b in blends))}
    for fold in range(FOLDS):
        train = [item for n, item in asked if fold_of(n) != fold]
        ranker = fit(kb, train)
        held_out = [item for n, item in asked if fold_of(n) == fold]
        for question, accepted in held_out:
            probabilities = ranker.probabilities(features(kb, question))
            right["learned alone"] += max(probabilities, key=probabilities.__getitem__) in accepted
        with ranking_with(kb, ranker):
            for blend in blends:
                retrieval.LEARNED = blend
                for question, accepted in held_out:
                    answer = kb.ask(question)
                    right[f"blend {blend}"] += (
                        answer.entry is not None and answer.entry.id in accepted
                    )
        retrieval.LEARNED = LEARNED
    print(f"{FOLDS}-fold cross-validation on {len(asked)} in-scope questions (top-1):")
    for name, count in right.items():
        print(f"  {name}: {count / len(asked):.3f}")
    print(f"  (blend 0.0 is the lexical score alone; shipped: {LEARNED}, floor {LEARNED_FLOOR})")


def main() -> int:
    from knowledge.retrieval import load_knowledge_base
    from tests.fit_decision import labelled_questions

    kb = load_knowledge_base()
    cross_validate(kb, labelled_questions(kb))
    return 0


if __name__ == "__main__":
    sys.exit(main())
