"""Reads the YAML content shipped in this package; the bot never reads `../shared`."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

KNOWLEDGE_DIR = Path(__file__).parent


# libyaml's parser is about ten times faster than the pure-Python one: it matters at start-up.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_Loader)


@dataclass(frozen=True)
class Content:
    messages: dict[str, Any]
    steps: list[dict[str, Any]]
    places: dict[str, Any]
    flows: dict[str, dict[str, Any]]
    selfchecks: dict[str, dict[str, Any]] = field(default_factory=dict)
    organisational_life: dict[str, Any] = field(default_factory=dict)

    def text(self, key: str, **values: Any) -> str:
        """A message by dotted key, with placeholders filled."""
        node: Any = self.messages
        for part in key.split("."):
            node = node[part]
        return str(node).format(**values) if values else str(node)

    @property
    def counties(self) -> list[str]:
        return [county["name"] for county in self.places["counties"]]

    def parks(self, county: str) -> list[str]:
        for entry in self.places["counties"]:
            if entry["name"] == county:
                return list(entry.get("parks") or [])
        return []

    def step(self, code: str) -> dict[str, Any] | None:
        return next((s for s in self.steps if s["code"] == code), None)


SELFCHECK_FLOW_PREFIX = "selfcheck_"


def selfcheck_flow(questionnaire: dict[str, Any]) -> dict[str, Any]:
    """A questionnaire is asked by the dialog engine like any flow: one choice per question."""
    return {
        "id": SELFCHECK_FLOW_PREFIX + questionnaire["id"],
        "title": questionnaire["title"],
        "intro": questionnaire.get("intro", ""),
        "on_complete": "selfcheck",
        "steps": [
            {
                "id": question["id"],
                "label": question["text"],
                "kind": "choice",
                "prompt": f"{question['area']}｜{question['text']}",
                "options": [option["label"] for option in question["options"]],
            }
            for question in questionnaire["questions"]
        ],
    }


@cache
def load_content(root: Path = KNOWLEDGE_DIR) -> Content:
    flows = {}
    for path in sorted((root / "flows").glob("*.yaml")):
        flow = read_yaml(path)
        flows[flow["id"]] = flow
    selfchecks = {}
    for path in sorted((root / "selfcheck").glob("*.yaml")):
        questionnaire = read_yaml(path)
        selfchecks[questionnaire["id"]] = questionnaire
        flows[SELFCHECK_FLOW_PREFIX + questionnaire["id"]] = selfcheck_flow(questionnaire)
    return Content(
        messages=read_yaml(root / "messages.yaml"),
        steps=read_yaml(root / "steps.yaml")["steps"],
        places=read_yaml(root / "places.yaml"),
        flows=flows,
        selfchecks=selfchecks,
        organisational_life=read_yaml(root / "organisational_life.yaml"),
    )
