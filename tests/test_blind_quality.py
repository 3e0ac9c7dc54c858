"""The blind-set figures reported in the closing note are a floor: a change that answers
fewer of their questions right, or refuses fewer off-topic ones, by more than 2 points fails
here. Raise the figures when the knowledge base gets better; never tune on the questions."""

from __future__ import annotations

import pytest

from knowledge.retrieval import KnowledgeBase, load_knowledge_base
from tests.blind_eval import evaluate_blind, load_blindset

# What `make bench` printed for each blind set when these figures were last raised:
# (right entry, off-topic refused).
REPORTED = {
    "blindset.yaml": (0.973, 0.977),
    "blindset2.yaml": (0.922, 1.0),
    "blindset3.yaml": (0.981, 0.976),
}
SLACK = 0.02


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.mark.parametrize("name", sorted(REPORTED))
def test_blind_set_figures_hold(kb: KnowledgeBase, name: str) -> None:
    right_entry, refused = REPORTED[name]
    report = evaluate_blind(kb, load_blindset(name))
    assert report.answer_rate >= right_entry - SLACK, report.answer_rate
    assert report.refusal_rate >= refused - SLACK, report.refusal_rate
