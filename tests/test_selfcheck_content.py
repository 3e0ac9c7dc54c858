"""Self-check questionnaires are data: every knowledge/selfcheck/*.yaml follows the schema."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SELFCHECK_DIR = ROOT / "knowledge" / "selfcheck"
KB_DIR = ROOT / "knowledge" / "kb"

BASIC_AREAS = ["基本组织", "基本队伍", "基本活动", "基本制度", "基本保障"]
# file stem -> expected `step` value and allowed number of questions (inclusive)
EXPECTED: dict[str, tuple[str | None, int, int]] = {
    "basic": (None, 1, 10),
    "survey": ("survey", 5, 8),
    "organize": ("organize", 5, 8),
    "standardize": ("standardize", 5, 8),
    "activity": ("activity", 5, 8),
    "innovate": ("innovate", 5, 8),
    "brand": ("brand", 5, 8),
}
QUESTION_KEYS = {"id", "area", "text", "options", "improve", "kb"}
ID_PATTERN = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
MAX_TITLE = 14
MAX_TEXT = 40
MAX_IMPROVE = 60
MAX_LABEL = 8


def _load(stem: str) -> dict[str, Any]:
    path = SELFCHECK_DIR / f"{stem}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    return data


def _kb_ids() -> set[str]:
    ids: set[str] = set()
    for path in sorted(KB_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("entries"), list):
            ids |= {entry["id"] for entry in data["entries"]}
    return ids


KB_IDS = _kb_ids()


def test_exactly_the_seven_questionnaires_exist() -> None:
    stems = {path.stem for path in SELFCHECK_DIR.glob("*.yaml")}
    assert stems == set(EXPECTED)


def test_knowledge_base_ids_were_found() -> None:
    assert len(KB_IDS) > 20


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_header(stem: str) -> None:
    data = _load(stem)
    step, low, high = EXPECTED[stem]
    assert data["id"] == stem
    assert data["step"] == step
    title = data["title"]
    assert isinstance(title, str) and 0 < len(title) <= MAX_TITLE, title
    intro = data["intro"]
    assert isinstance(intro, str) and intro.strip(), stem
    assert len(intro.strip().splitlines()) <= 2, intro
    areas = data["areas"]
    assert isinstance(areas, list) and all(isinstance(a, str) and a for a in areas)
    assert len(areas) == len(set(areas)), areas
    questions = data["questions"]
    assert isinstance(questions, list)
    assert low <= len(questions) <= high, (stem, len(questions))
    # an intro that states the number of questions must state it correctly
    stated = re.search(r"共(\d+)题", intro)
    if stated:
        assert int(stated.group(1)) == len(questions), intro


def test_basic_covers_the_five_areas_two_each() -> None:
    data = _load("basic")
    assert data["areas"] == BASIC_AREAS
    assert len(data["questions"]) <= 10
    for area in BASIC_AREAS:
        assert sum(q["area"] == area for q in data["questions"]) == 2, area


@pytest.mark.parametrize("stem", sorted(k for k, v in EXPECTED.items() if v[0] is not None))
def test_step_questionnaire_has_two_to_four_areas(stem: str) -> None:
    assert 2 <= len(_load(stem)["areas"]) <= 4


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_every_area_is_used_and_every_question_in_an_area(stem: str) -> None:
    data = _load(stem)
    used = [q["area"] for q in data["questions"]]
    assert set(used) <= set(data["areas"]), set(used) - set(data["areas"])
    assert set(data["areas"]) <= set(used), set(data["areas"]) - set(used)


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_question_ids_are_unique_snake_case(stem: str) -> None:
    ids = [q["id"] for q in _load(stem)["questions"]]
    assert len(ids) == len(set(ids)), ids
    for qid in ids:
        assert isinstance(qid, str) and ID_PATTERN.match(qid), qid


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_question_fields(stem: str) -> None:
    for q in _load(stem)["questions"]:
        assert set(q) == QUESTION_KEYS, (q.get("id"), set(q) ^ QUESTION_KEYS)
        text, improve = q["text"], q["improve"]
        assert isinstance(text, str) and 0 < len(text) <= MAX_TEXT, (q["id"], len(text))
        assert isinstance(improve, str) and 0 < len(improve) <= MAX_IMPROVE, (
            q["id"],
            len(improve),
        )
        assert "\n" not in text and "\n" not in improve, q["id"]
        assert improve.endswith("。"), q["id"]  # one full sentence


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_options(stem: str) -> None:
    for q in _load(stem)["questions"]:
        options = q["options"]
        assert isinstance(options, list) and 2 <= len(options) <= 4, q["id"]
        assert set().union(*(set(o) for o in options)) == {"label", "points"}, q["id"]
        labels = [o["label"] for o in options]
        assert all(isinstance(x, str) and 0 < len(x) <= MAX_LABEL for x in labels), labels
        assert len(labels) == len(set(labels)), labels
        points = [o["points"] for o in options]
        assert all(type(p) is int and p >= 0 for p in points), (q["id"], points)
        assert points[0] == max(points) > 0, (q["id"], points)
        assert min(points) < max(points), (q["id"], points)


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_every_question_links_an_existing_kb_entry(stem: str) -> None:
    for q in _load(stem)["questions"]:
        assert q["kb"] in KB_IDS, (q["id"], q["kb"])
