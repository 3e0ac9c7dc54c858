"""Scores the knowledge base on the labelled dev set (shared by the test and `make bench`)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.content import read_yaml
from knowledge.retrieval import Entry, KnowledgeBase

DEVSET = Path(__file__).parent / "data" / "devset.yaml"


@dataclass
class Report:
    in_domain: int = 0
    correct: int = 0
    reciprocal_ranks: float = 0.0
    out_of_domain: int = 0
    refused: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def top1(self) -> float:
        return self.correct / max(self.in_domain, 1)

    @property
    def mrr(self) -> float:
        return self.reciprocal_ranks / max(self.in_domain, 1)

    @property
    def refusal(self) -> float:
        return self.refused / max(self.out_of_domain, 1)


def load_devset() -> list[dict]:
    return read_yaml(DEVSET)["questions"]


def evaluate(kb: KnowledgeBase, devset: list[dict]) -> Report:
    report = Report()
    for item in devset:
        question, label = str(item["q"]), item["id"]
        answer = kb.ask(question)
        if label is None:
            report.out_of_domain += 1
            if answer.found:
                report.misses.append(
                    f"OOD answered: {question} -> {answer.entry.id} {answer.score:.2f}"
                )  # type: ignore[union-attr]
            else:
                report.refused += 1
            continue
        accepted = {label, *item.get("also", [])}
        report.in_domain += 1
        ranked = [kb.entries[i].id for _, i in kb.rank(question)]
        rank = next((n for n, entry_id in enumerate(ranked, 1) if entry_id in accepted), None)
        report.reciprocal_ranks += 1 / rank if rank else 0.0
        if answer.found and answer.entry is not None and answer.entry.id in accepted:
            report.correct += 1
        else:
            got = (
                f"{answer.entry.id} {answer.score:.2f} found={answer.found}"
                if answer.entry
                else "nothing"
            )
            report.misses.append(f"wrong: {question} -> {got} (want {label})")
    return report


def synthetic_entries(base: list[Entry], count: int, seed: int = 7) -> list[Entry]:
    """Plausible filler: real entries' words recombined, so the index has realistic postings."""
    rng = random.Random(seed)
    vocabulary = sorted(
        {ch for e in base for q in e.questions for ch in q if "\u4e00" <= ch <= "\u9fff"}
    )
    entries = []
    for i in range(count):
        model = rng.choice(base)

        def noise(text: str) -> str:
            chars = list(text)
            for _ in range(3):
                chars.insert(rng.randrange(len(chars) + 1), rng.choice(vocabulary))
            return "".join(chars)

        entries.append(
            Entry(
                id=f"synthetic-{i}",
                title=noise(model.title),
                answer=noise(model.answer),
                questions=tuple(
                    noise(q) for q in rng.sample(model.questions, min(5, len(model.questions)))
                ),
                keywords=model.keywords,
                source="synthetic",
            )
        )
    return entries
