"""The reply reader on the labelled tables: share read as labelled, 参加↔请假 flips, leave
reasons kept, and the time per reply. The blind table was never tuned on."""

from __future__ import annotations

import statistics
import time

from bot.attendance import LEXICON
from bot.rules.attendance_reply import read_reply
from tests.attendance_eval import BLIND, TUNING, evaluate, load

TABLES = [
    (TUNING, "first table (written before the reader changed; tuned on)"),
    ("attendance_replies2.yaml", "second table (hard cases; tuned on)"),
    (BLIND, "blind table (from the label rules alone; never tuned on)"),
]


def read(text: str) -> tuple[str, str | None]:
    reply = read_reply(text, LEXICON)
    return reply.kind, reply.reason


def main() -> None:
    print("Reading replies in words (tests/data/attendance_replies*.yaml):")
    texts: list[str] = []
    for name, title in TABLES:
        items = load(name)
        texts += [item["text"] for item in items]
        report = evaluate(items, read)
        print(
            f"  {title}: n={report.total} read as labelled {report.accuracy:.1%}, "
            f"参加↔请假 flips {len(report.flips)}, reasons kept {report.reason_accuracy:.1%} "
            f"of {report.leaves}"
        )
    took = []
    for text in texts * 5:
        began = time.perf_counter()
        read_reply(text, LEXICON)
        took.append((time.perf_counter() - began) * 1000)
    took.sort()
    print(
        f"  per reply ({len(took)} reads): p50 {statistics.median(took):.3f} ms, "
        f"p99 {took[int(0.99 * len(took))]:.3f} ms"
    )


if __name__ == "__main__":
    main()
