"""The schema of a flow file, checked when content loads so a typo fails at start, not mid-chat."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KINDS = frozenset({"text", "integer", "choice", "multi", "yesno", "date", "time"})
CHOICE_KINDS = frozenset({"choice", "multi"})


@dataclass(frozen=True, slots=True)
class AtMost:
    answer: str
    minus: tuple[str, ...]
    message: str


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    kind: str
    prompt: str
    label: str = ""
    when: dict[str, Any] = field(default_factory=dict)
    optional: bool = False
    options: tuple[str, ...] = ()
    options_from: str | None = None
    min: int | None = None
    max: int | None = None
    min_length: int = 1
    max_length: int = 200
    at_most: AtMost | None = None

    def applies(self, answers: dict[str, Any]) -> bool:
        """Asked only if every `when` condition holds for the answers given so far."""
        for name, expected in self.when.items():
            wanted = expected if isinstance(expected, list) else [expected]
            if answers.get(name) not in wanted:
                return False
        return True


@dataclass(frozen=True, slots=True)
class Flow:
    id: str
    title: str
    intro: str
    steps: tuple[Step, ...]
    on_complete: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def next_step(self, answers: dict[str, Any], after: str | None = None) -> Step | None:
        """The first applicable step after `after` (from the start when None)."""
        ids = [s.id for s in self.steps]
        start = 0 if after is None else ids.index(after) + 1
        return next((s for s in self.steps[start:] if s.applies(answers)), None)

    def first_unanswered(self, answers: dict[str, Any]) -> Step | None:
        """Used when editing: the first applicable step that has no answer yet."""
        return next(
            (s for s in self.steps if s.applies(answers) and not _answered(s, answers)), None
        )

    def applicable(self, answers: dict[str, Any]) -> list[Step]:
        return [s for s in self.steps if s.applies(answers)]

    def prune(self, answers: dict[str, Any]) -> dict[str, Any]:
        """Drop answers of steps that no longer apply (e.g. a park after switching kind)."""
        kept = dict(answers)
        for step in self.steps:
            if step.id in kept and not step.applies(kept):
                del kept[step.id]
        return kept


def _answered(step: Step, answers: dict[str, Any]) -> bool:
    """None counts as an answer only for an optional step (it was skipped)."""
    return answers.get(step.id) is not None or (step.optional and step.id in answers)


def parse_flow(raw: dict[str, Any]) -> Flow:
    steps: list[Step] = []
    seen: set[str] = set()
    for item in raw["steps"]:
        step_id, kind = item["id"], item["kind"]
        if kind not in KINDS:
            raise ValueError(f"flow {raw['id']}: step {step_id} has unknown kind {kind}")
        unknown = set(item.get("when", {})) - seen
        if unknown:
            raise ValueError(f"flow {raw['id']}: step {step_id} depends on later {unknown}")
        if kind in CHOICE_KINDS and not (item.get("options") or item.get("options_from")):
            raise ValueError(f"flow {raw['id']}: step {step_id} has no options")
        at_most = item.get("at_most")
        steps.append(
            Step(
                id=step_id,
                kind=kind,
                prompt=item["prompt"],
                label=item.get("label", step_id),
                when=dict(item.get("when", {})),
                optional=bool(item.get("optional", False)),
                options=tuple(item.get("options", ())),
                options_from=item.get("options_from"),
                min=item.get("min"),
                max=item.get("max"),
                min_length=int(item.get("min_length", 1)),
                max_length=int(item.get("max_length", 200)),
                at_most=AtMost(
                    at_most["answer"], tuple(at_most.get("minus", ())), at_most["message"]
                )
                if at_most
                else None,
            )
        )
        seen.add(step_id)
    known = {"id", "title", "intro", "steps", "on_complete"}
    return Flow(
        id=raw["id"],
        title=raw["title"],
        intro=raw.get("intro", ""),
        steps=tuple(steps),
        on_complete=raw.get("on_complete"),
        extra={k: v for k, v in raw.items() if k not in known},
    )
