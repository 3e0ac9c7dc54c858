"""The learned ranker is fitted by scikit-learn and applied in plain Python: both must compute
the same probabilities, or the shipped weights mean something else at answer time."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.ranker import LearnedRanker
from knowledge.retrieval import KnowledgeBase, load_knowledge_base
from tests.fit_ranker import NONE, _given, learn

TEXTS = [
    ["w:党费", "w:退休", "b:党费", "b:退休"],
    ["w:党费", "w:工资", "b:党费", "b:工资"],
    ["w:党费", "w:工资", "w:多少", "b:工资", "b:多少"],
    ["w:支部", "w:成立", "b:支部", "b:成立"],
    ["w:成立", "w:党员", "w:3", "b:成立"],
    ["w:退休", "w:党员", "b:退休", "b:党员"],
]
LABELS = ["retiree", "wage", "wage", "found", "found", "retiree"]


@pytest.mark.parametrize(
    "question",
    [
        ["w:党费", "w:退休"],
        ["w:工资", "w:工资", "w:工资", "w:退休"],  # a repeated feature: sublinear term frequency
        ["w:成立", "w:从没见过"],  # a feature outside the vocabulary is ignored
        ["w:从没见过"],  # nothing known: the intercepts alone
    ],
)
def test_plain_python_gives_scikit_learns_probabilities(question: list[str]) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    ranker = learn(TEXTS, LABELS, [1.0] * len(TEXTS), prune=0.0)
    vectoriser = TfidfVectorizer(analyzer=_given, sublinear_tf=True)
    model = LogisticRegression(C=10.0, max_iter=1000).fit(vectoriser.fit_transform(TEXTS), LABELS)
    expected = dict(
        zip(model.classes_, model.predict_proba(vectoriser.transform([question]))[0], strict=True)
    )
    ours = ranker.probabilities(question)
    assert set(ours) == set(expected)
    for entry, probability in expected.items():
        assert ours[entry] == pytest.approx(probability, abs=0.002)


def test_the_round_trip_through_the_shipped_format_keeps_the_model(tmp_path: Path) -> None:
    ranker = learn(TEXTS, LABELS, [1.0] * len(TEXTS))
    path = tmp_path / "ranker.json"
    path.write_text(ranker.as_json(), encoding="utf-8")
    loaded = LearnedRanker.load(path)
    assert loaded is not None
    assert loaded.probabilities(["w:党费", "w:退休"]) == ranker.probabilities(["w:党费", "w:退休"])
    assert LearnedRanker.load(tmp_path / "absent.json") is None


def test_the_shipped_ranker_knows_every_entry_and_ranks_with_the_base() -> None:
    kb: KnowledgeBase = load_knowledge_base()
    assert kb.ranker is not None
    # Every entry, and one class for the off-topic questions it was shown.
    assert set(kb.ranker.classes) == {e.id for e in kb.entries} | {NONE}
    # Without its ranker the base still answers, on the lexical score alone.
    shipped = kb.ranker
    try:
        kb.ranker = None
        assert kb.ask("党费按什么比例交").entry is not None
    finally:
        kb.ranker = shipped
