"""The schema of a flow file, checked when content loads so a typo fails at start, not mid-chat."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

KINDS = frozenset({"text", "integer", "choice", "multi", "yesno", "date", "time"})
CHOICE_KINDS = frozenset({"choice", "multi"})
ANSWERED = "*"


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
    future: bool = False  # a date that may not lie in the past
    needs_number: bool = False  # a text answer must contain a figure (e.g. results)
    max_choices: int | None = None
    goto: dict[str, str] = field(default_factory=dict)  # option -> step asked again
    check: str | None = None  # names code that asks back when answers contradict each other
    finish: tuple[str, ...] = ()  # options that end the flow at once (its completion decides)
    aside: bool = False  # a question only some answers raise: outside the progress count

    def may_apply(self, answers: dict[str, Any], pending: set[str]) -> bool:
        """Whether the step could still be asked: conditions on `pending` steps (not asked
        yet) may go either way; the others must hold. The progress counter counts these, so
        it never shows a question as the last when more may follow."""
        known = {name: value for name, value in self.when.items() if name not in pending}
        return Step.applies(replace(self, when=known), answers)

    def applies(self, answers: dict[str, Any]) -> bool:
        """Asked only if every `when` condition holds for the answers given so far.

        A condition is a value or a list of values; `"*"` means "answered"; a multi-choice
        answer (a list) meets the condition when it contains one of the wanted values.
        """
        for name, expected in self.when.items():
            given = answers.get(name)
            if expected == ANSWERED:
                if given is None:
                    return False
                continue
            wanted = expected if isinstance(expected, list) else [expected]
            if isinstance(given, list):
                if not any(value in wanted for value in given):
                    return False
            elif given not in wanted:
                return False
        return True


@dataclass(frozen=True, slots=True)
class Flow:
    id: str
    title: str
    intro: str
    steps: tuple[Step, ...]
    on_complete: str | None = None
    derive: str | None = None  # names code that computes values prompts and `when` may use
    prepare: str | None = None  # names code that loads what the options need at start
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


def _fill_item(node: Any, item: dict[str, Any]) -> Any:
    """`[[key]]` in a repeated step takes the item's value; `{answer}` placeholders stay."""
    if isinstance(node, str):
        whole = re.fullmatch(r"\[\[(\w+)\]\]", node)
        if whole:
            return item[whole.group(1)]
        return re.sub(r"\[\[(\w+)\]\]", lambda m: str(item[m.group(1)]), node)
    if isinstance(node, list):
        return [_fill_item(value, item) for value in node]
    if isinstance(node, dict):
        return {key: _fill_item(value, item) for key, value in node.items()}
    return node


def expand_steps(raw_steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`{repeat: [items], steps: [templates]}` becomes the templates once per item, in order,
    so a checklist of twenty items is written as one template and a table of items."""
    expanded: list[dict[str, Any]] = []
    for item in raw_steps:
        if "repeat" in item:
            for entry in item["repeat"]:
                expanded += [_fill_item(template, entry) for template in item["steps"]]
        else:
            expanded.append(item)
    return expanded


def parse_flow(raw: dict[str, Any]) -> Flow:
    steps: list[Step] = []
    seen: set[str] = set()
    derived = set(raw.get("derived", ()))  # values the flow's deriver computes
    for item in expand_steps(raw["steps"]):
        step_id, kind = item["id"], item["kind"]
        if kind not in KINDS:
            raise ValueError(f"flow {raw['id']}: step {step_id} has unknown kind {kind}")
        if step_id in seen:
            raise ValueError(f"flow {raw['id']}: step {step_id} appears twice")
        unknown = set(item.get("when", {})) - seen - derived
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
                future=bool(item.get("future", False)),
                needs_number=bool(item.get("needs_number", False)),
                max_choices=item.get("max_choices"),
                goto=dict(item.get("goto", {})),
                check=item.get("check"),
                finish=tuple(item.get("finish", ())),
                aside=bool(item.get("aside", False)),
            )
        )
        seen.add(step_id)
    for step in steps:
        missing = set(step.goto.values()) - seen
        if missing or not set(step.goto) <= set(step.options):
            raise ValueError(f"flow {raw['id']}: step {step.id} has a bad goto")
        if step.finish and step.kind != "choice":
            raise ValueError(f"flow {raw['id']}: step {step.id} finishes but is no choice")
    known = {"id", "title", "intro", "steps", "on_complete", "derive", "prepare", "derived"}
    return Flow(
        id=raw["id"],
        title=raw["title"],
        intro=raw.get("intro", ""),
        steps=tuple(steps),
        on_complete=raw.get("on_complete"),
        derive=raw.get("derive"),
        prepare=raw.get("prepare"),
        extra={k: v for k, v in raw.items() if k not in known},
    )
