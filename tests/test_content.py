"""Content is data: every flow parses, and every message key the code uses exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.app import build_core
from bot.config import Settings
from bot.dialog.flows import parse_flow
from knowledge.content import load_content

ROOT = Path(__file__).resolve().parents[1]


def test_every_flow_parses_and_the_engine_accepts_it() -> None:
    content = load_content()
    assert "survey" in content.flows
    for raw in content.flows.values():
        parse_flow(raw)
    build_core(Settings(database_url="sqlite+aiosqlite:///:memory:"))


def test_every_message_key_used_in_code_exists() -> None:
    content = load_content()
    used = set()
    for path in (ROOT / "bot").rglob("*.py"):
        used |= set(re.findall(r'\.text\(\s*f?"([a-z_.]+)"', path.read_text(encoding="utf-8")))
    assert len(used) > 20
    for key in sorted(used):
        node = content.messages
        for part in key.split("."):
            assert part in node, key
            node = node[part]


def test_no_text_is_cut_short_by_a_yaml_comment() -> None:
    """In plain YAML, " #" starts a comment: `do: 保留 #{kept}` would say only "保留"."""
    cut = re.compile(r"""^\s*(?:- )?[\w-]+: (?!["'|>]).*\s#\{""")
    found = [
        f"{path.name}:{number}"
        for path in (ROOT / "knowledge").rglob("*.yaml")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if cut.match(line)
    ]
    assert found == []


def test_counties_are_the_ten_of_chuxiong() -> None:
    assert load_content().counties == [
        "楚雄市",
        "禄丰市",
        "双柏县",
        "牟定县",
        "南华县",
        "姚安县",
        "大姚县",
        "永仁县",
        "元谋县",
        "武定县",
    ]


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (
            {"id": "x", "title": "t", "steps": [{"id": "a", "kind": "essay", "prompt": "?"}]},
            "unknown kind",
        ),
        (
            {"id": "x", "title": "t", "steps": [{"id": "a", "kind": "choice", "prompt": "?"}]},
            "no options",
        ),
        (
            {
                "id": "x",
                "title": "t",
                "steps": [{"id": "a", "kind": "text", "prompt": "?", "when": {"b": 1}}],
            },
            "depends on later",
        ),
    ],
)
def test_broken_flows_fail_at_load(raw: dict, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        parse_flow(raw)


def test_every_advertised_command_exists_and_every_step_has_its_flow() -> None:
    from bot.router import COMMANDS

    content = load_content()
    assert set(content.messages["commands"]) <= set(COMMANDS)
    for step in content.steps:
        assert step["flow"] in content.flows, step["code"]
    for name in ("plans", "selfcheck"):
        assert f"/{name}" in content.text("help")
