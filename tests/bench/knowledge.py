"""Knowledge-base figures: quality on the dev, tuning and blind sets, latency, cold start, index
build, scale."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from knowledge.retrieval import KnowledgeBase, load_entries, load_knowledge_base
from tests.blind_eval import evaluate_baseline, evaluate_blind, load_blindset, load_tuneset
from tests.knowledge_eval import evaluate, load_devset, synthetic_entries


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def latencies(kb: KnowledgeBase, questions: list[str], rounds: int = 5) -> list[float]:
    timings = []
    for _ in range(rounds):
        for question in questions:
            started = time.perf_counter()
            kb.ask(question)
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def cold_start(runs: int = 5) -> list[float]:
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bot.cli", "ask", "六步工作法是哪六步"],
            check=True,
            capture_output=True,
        )
        walls.append(time.perf_counter() - started)
    return walls


def print_set(kb: KnowledgeBase, name: str, items: list[dict]) -> None:
    """One labelled set, ours beside a plain BM25 baseline at its most favourable threshold
    on the same questions."""
    ours = evaluate_blind(kb, items)
    baseline, threshold = evaluate_baseline(kb, items)
    print(
        f"  {name} ({ours.in_domain} in domain, {ours.uncovered} of them on topics no entry "
        f"covers yet; {ours.off_topic} off-topic or small talk):"
    )
    # Short natural questions ("五个清", "什么是两新组织？") are sometimes word for word one of
    # an entry's own questions, by coincidence; the figure without them is printed too.
    own = {q for entry in kb.entries for q in (entry.title, *entry.questions)}
    unseen = [item for item in items if item["q"] not in own]
    fresh = evaluate_blind(kb, unseen)
    for label, r in (
        ("ours", ours),
        (f"ours on the {len(unseen)} not word for word an entry's question", fresh),
        (f"plain BM25 (threshold {threshold:.2f})", baseline),
    ):
        print(
            f"    {label}: right entry {r.answer_rate:.3f}, off-topic refused "
            f"{r.refusal_rate:.3f}, (right answers + right refusals) / all {r.overall:.3f}"
        )


def main() -> None:
    devset = load_devset()
    questions = [str(item["q"]) for item in devset]
    kb = load_knowledge_base()
    report = evaluate(kb, devset)
    print(
        f"knowledge: {len(kb.entries)} entries; dev set {report.in_domain} in domain, "
        f"{report.out_of_domain} out of domain"
    )
    print(f"  top-1 accuracy {report.top1:.3f}, MRR {report.mrr:.3f}, refusal {report.refusal:.3f}")
    for miss in report.misses:
        print(f"    {miss}")
    tuning = load_tuneset()
    print_set(kb, "tuning set (calibrated and tuned on)", tuning)
    long_messages = load_tuneset("tuneset_long.yaml")
    print_set(kb, "long-message tuning set (calibrated and tuned on)", long_messages)
    blind = load_blindset()
    print_set(kb, "blind set (frozen, never tuned on)", blind)
    second = load_blindset("blindset2.yaml")
    print_set(kb, "second blind set (frozen later, never tuned on or looked into)", second)
    third = load_blindset("blindset3.yaml")
    print_set(kb, "third blind set (frozen before the learned ranker)", third)
    print_set(kb, "the three blind sets pooled", blind + second + third)
    every = questions + [str(item["q"]) for item in tuning + long_messages + blind + second + third]
    timings = latencies(kb, every)
    p50, p99 = statistics.median(timings), percentile(timings, 0.99)
    print(f"  per question ({len(every)} questions): p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    walls = cold_start()
    median = statistics.median(walls)
    print(f"  cold start `branchbot ask`: median {median:.2f} s, max {max(walls):.2f} s")
    entries = load_entries()
    started = time.perf_counter()
    KnowledgeBase(entries, kb.normaliser, kb.segmenter, kb.model, ranker=kb.ranker)
    build = time.perf_counter() - started
    print(f"  index build ({len(entries)} entries, jieba already loaded): {build:.3f} s")
    big = entries + synthetic_entries(entries, 10_000)
    started = time.perf_counter()
    large = KnowledgeBase(big, kb.normaliser, kb.segmenter, kb.model, ranker=kb.ranker)
    build = time.perf_counter() - started
    timings = latencies(large, questions, rounds=1)
    print(
        f"  scale {len(big)} entries: build {build:.2f} s, per question p50 "
        f"{statistics.median(timings):.2f} ms, p99 {percentile(timings, 0.99):.2f} ms"
    )
    large_report = evaluate(large, devset)
    print(f"  scale quality: top-1 {large_report.top1:.3f}, refusal {large_report.refusal:.3f}")


if __name__ == "__main__":
    main()
