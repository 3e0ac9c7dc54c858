"""Words a 工委 would correct (issue 15, item 6): each as the user meets it."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.attendance import reminder_text
from knowledge.content import load_content
from storage.attendance import ReminderView
from tests.chat import handler_services


def view(status: str) -> ReminderView:
    start = datetime(2026, 12, 15, 1, tzinfo=UTC)
    return ReminderView(1, status, start, "", None, None, None, "第一党支部", None, 0, 0, 3)


def test_a_moved_reminder_has_one_title_not_two() -> None:
    from bot.config import Settings

    core = handler_services(Settings(database_url="sqlite+aiosqlite:///:memory:")).core
    now = datetime(2026, 12, 12, 1, tzinfo=UTC)
    moved = reminder_text(view("moved"), core, now).text
    assert moved.startswith("【支部主题党日提醒·已改期】第一党支部")
    assert "】【" not in moved
    assert reminder_text(view("planned"), core, now).text.startswith("【支部主题党日提醒】")


def test_changes_say_their_unit() -> None:
    """Self-check areas are scored in 分; the standards check's sections in percent."""
    content = load_content()
    assert content.text("change_down", delta=-100) == "（比上次 -100分）"
    card = content.flows["standardize"]["card"]
    assert card["change_up"].format(delta=37) == "（比上次 +37个百分点）"


def test_the_innovation_card_gives_a_target_not_a_unit_menu() -> None:
    item = load_content().flows["innovate"]["card"]["item"]
    assert "项/次" not in item and "目标 {count}" in item


def test_no_sentence_ends_twice_in_the_exports() -> None:
    """Findings are sentences ending in 。; joined with ；, they must not read "。；"."""
    from zoneinfo import ZoneInfo

    from bot.rules.activity_check import Finding
    from bot.steps import activity, records
    from storage.models import Plan

    planned = activity.ThemeDayPlan(
        branch_name="第一党支部",
        event_id=1,
        date="2027-01-15",
        time="09:30",
        theme="组织党员去丽江旅游",
        contents=("党课",),
        arrangements=None,
        mode="线下集中",
        place="党员活动室",
        findings=(
            Finding(code="sightseeing", reason="主题党日不能游山玩水。"),
            Finding(code="no_study", reason="要有学习内容。"),
        ),
        emphases=(),
    )
    plan = Plan(id=1, kind="activity", created_by="1", content=records.dump(planned))
    plan.created_at = datetime(2026, 12, 1, tzinfo=UTC)
    (row,) = activity.sheet_rows(plan, load_content(), ZoneInfo("Asia/Shanghai"))
    assert "主题党日不能游山玩水；要有学习内容" in row
    assert not any("。；" in str(cell) for cell in row)


async def test_the_improvements_title_counts_what_it_lists(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.chat import Conversation, bot_services

    async with bot_services(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}") as services:
        chat = Conversation(services)
        await chat.say("/selfcheck", "1")
        result = await chat.say(*(["1"] * 9 + ["3"]))  # one answer short of full marks
        assert "最值得改进的一件事：" in result and "2." not in result.split("一件事：")[1]
