"""The knowledge base: content rules, retrieval quality on the dev set, and bad input."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.content import load_content
from knowledge.retrieval import KnowledgeBase, load_entries, load_knowledge_base
from tests.knowledge_eval import evaluate, load_devset
from tests.processes import BRANCHBOT, subprocess_env

STEPS = ("survey", "organize", "standardize", "activity", "innovate", "brand")


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


def test_entries_follow_the_content_rules() -> None:
    entries = load_entries()
    ids = [e.id for e in entries]
    assert len(ids) == len(set(ids)) and len(ids) >= 50
    for entry in entries:
        assert 0 < len(entry.answer) <= 300, entry.id
        assert len(entry.questions) >= 4, entry.id
        assert entry.keywords and entry.source and entry.title, entry.id
        assert set(entry.related) <= set(ids) and entry.id not in entry.related, entry.id
        assert entry.step in (None, *STEPS), entry.id
    for step in STEPS:
        assert any(e.step == step for e in entries), step
    assert {s["code"] for s in load_content().steps} == set(STEPS)


def test_dev_set_is_separate_from_the_entries_and_big_enough() -> None:
    devset = load_devset()
    own_questions = {q for e in load_entries() for q in e.questions}
    assert not [item["q"] for item in devset if item["q"] in own_questions]
    assert len(devset) >= 150
    assert sum(item["id"] is None for item in devset) >= 30
    ids = {e.id for e in load_entries()}
    for item in devset:
        assert item["id"] is None or {item["id"], *item.get("also", [])} <= ids, item


def test_dev_set_accuracy_and_refusal(kb: KnowledgeBase) -> None:
    report = evaluate(kb, load_devset())
    summary = f"top1={report.top1:.3f} refusal={report.refusal:.3f}\n" + "\n".join(report.misses)
    assert report.top1 >= 0.95, summary
    assert report.refusal >= 0.95, summary


@pytest.mark.parametrize(
    ("digits", "numerals"),
    [
        ("3会1课多久开1次", "三会一课多久开一次"),
        ("5个清是什么", "五个清是什么"),
        ("6有标准", "六有标准"),
    ],
)
def test_digits_and_chinese_numerals_match_alike(
    kb: KnowledgeBase, digits: str, numerals: str
) -> None:
    first, second = kb.ask(digits), kb.ask(numerals)
    assert first.found and second.found
    assert first.entry == second.entry


@pytest.mark.parametrize(
    "question",
    [
        "",
        "   ",
        "长" * 10_000,
        "😀😀😀",
        "How do I set up a party branch?",
        "？！。…",
        "'; DROP TABLE x;--",
        "党员activity室 🙂 ok?",
        "\x00\x01",
        "１２３",
        "@#$%^&*()",
    ],
)
def test_bad_input_gives_an_answer_or_found_false(kb: KnowledgeBase, question: str) -> None:
    answer = kb.ask(question)
    assert answer.found in (True, False)
    assert not answer.found or answer.entry is not None
    json.dumps(answer.as_json(), ensure_ascii=False)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_never_raises(question: str) -> None:
    answer = load_knowledge_base().ask(question)
    assert answer.found is False or answer.entry is not None


def test_ask_command_json_lines_on_stdin(tmp_path: Path) -> None:
    result = subprocess.run(
        [*BRANCHBOT, "ask", "--json"],
        input="六步工作法是哪六步\n今天天气怎么样\n",
        capture_output=True,
        text=True,
        env=subprocess_env(tmp_path),
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    keys = {"question", "found", "answer", "entry", "score", "source", "suggestions"}
    assert set(first) == set(second) == keys | {"why", "signals"}  # DESIGN.md's keys, and why
    assert first["found"] and first["entry"] == "six-steps" and "抓摸底" in first["answer"]
    assert first["source"]
    assert second["found"] is False and second["answer"] is None


def test_ask_command_single_question_in_plain_text(tmp_path: Path) -> None:
    result = subprocess.run(
        [*BRANCHBOT, "ask", "党员活动室要达到什么标准"],
        capture_output=True,
        text=True,
        env=subprocess_env(tmp_path),
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 0 and "六有" in result.stdout and "来源：" in result.stdout
    assert (tmp_path / "data" / "cache").is_dir()  # jieba's cache lives in the project's data dir
