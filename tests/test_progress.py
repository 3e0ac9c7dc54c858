"""The progress counter never claims the last question early: "12/12" followed by "13/14"
told a secretary they were done when they were not."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from tests.chat import Conversation, bot_services
from tests.flow_scripts import ENTERPRISE_ANSWERS, SCRIPTS, Script

MARK = re.compile(r"【[^】]* (\d+)/(\d+)】")


async def counters(chat: Conversation, opening: list[str], answers: list[str]) -> list[tuple]:
    seen = []
    for line in [*opening, *answers]:
        seen += [(int(i), int(n)) for i, n in MARK.findall(await chat.say(line))]
    return seen


def check(seen: list[tuple[int, int]]) -> None:
    assert seen, "no progress shown"
    for (index, total), (after, _) in itertools.pairwise(seen):
        assert index <= total
        if index == total:  # "the last question" ...
            assert after <= index, f"{index}/{total} was not the last: {seen}"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.flow)
async def test_no_flow_announces_its_last_question_early(tmp_path: Path, script: Script) -> None:
    async with bot_services(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}") as services:
        chat = Conversation(services)
        if script.flow != "selfcheck":
            await chat.say("/menu", "1", *ENTERPRISE_ANSWERS)  # a ledger record to pick
        check(await counters(chat, [script.command, script.button], script.answers))


async def test_the_survey_with_a_skipped_leader_ends_on_its_last_number(tmp_path: Path) -> None:
    async with bot_services(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}") as services:
        chat = Conversation(services)
        answers = [*ENTERPRISE_ANSWERS[:8], "/skip", *ENTERPRISE_ANSWERS[10:]]
        seen = await counters(chat, ["/menu", "1"], answers)
        check(seen)
        assert seen[-1][0] == seen[-1][1]  # and the last question says so


async def test_the_already_registered_question_leaves_the_count_alone(tmp_path: Path) -> None:
    """ "台账里已有…" is raised by the county just answered: counted, it made "3/15" → "4/16"."""
    async with bot_services(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}") as services:
        chat = Conversation(services)
        await chat.say("/menu", "1", *ENTERPRISE_ANSWERS)
        answers = [*ENTERPRISE_ANSWERS[:3], "不是同一家，继续登记", *ENTERPRISE_ANSWERS[3:]]
        seen = await counters(chat, ["/menu", "1"], answers)
        check(seen)
        totals = [total for _, total in seen]
        assert all(a >= b for a, b in itertools.pairwise(totals)), seen
        assert [index for index, _ in seen] == list(range(1, len(seen) + 1))
        assert seen[-1][0] == seen[-1][1]
