"""The self-check questionnaires are data: their shape is checked here so a content edit that
breaks a button label, a score or a knowledge-base link fails in CI, not in a chat."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from knowledge.content import KNOWLEDGE_DIR, read_yaml

FILES = sorted((KNOWLEDGE_DIR / "selfcheck").glob("*.yaml"))
STEPS = {"survey", "organize", "standardize", "activity", "innovate", "brand"}
KB_IDS = {
    entry["id"]
    for path in (KNOWLEDGE_DIR / "kb").glob("*.yaml")
    for entry in read_yaml(path).get("entries", [])
}


def test_one_basic_questionnaire_and_one_per_step() -> None:
    assert {path.stem for path in FILES} == STEPS | {"basic"}


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_questionnaire_shape(path: Path) -> None:
    data: dict[str, Any] = read_yaml(path)
    questions = data["questions"]
    assert data["id"] == path.stem
    assert len(data["title"]) <= 14 and data["intro"]
    if data["id"] == "basic":
        assert data["step"] is None
        assert data["areas"] == ["基本组织", "基本队伍", "基本活动", "基本制度", "基本保障"]
        assert len(questions) <= 10  # two minutes on a phone
    else:
        assert data["step"] == data["id"]
        assert 5 <= len(questions) <= 8
    assert len({q["id"] for q in questions}) == len(questions)
    assert {q["area"] for q in questions} == set(data["areas"])
    for question in questions:
        assert question["id"].isascii() and len(question["text"]) <= 40
        assert len(question["improve"]) <= 60 and question["improve"].endswith("。")
        assert question["kb"] in KB_IDS, question["kb"]
        options = question["options"]
        assert 2 <= len(options) <= 4
        points = [o["points"] for o in options]
        assert all(isinstance(p, int) and p >= 0 for p in points)
        assert points[0] == max(points) > 0
        assert all(len(o["label"]) <= 8 for o in options)
