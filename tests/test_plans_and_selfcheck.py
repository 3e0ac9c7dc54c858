"""What the step flows leave behind: /plans with its permissions, self-check history with the
change per area, 抓组建 from ledger records with partners, and the two new exports."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.contract import Chat, Event, User
from bot.router import handle_event
from storage import plans
from storage.db import Database
from tests.chat import Conversation, bot_services
from tests.flow_scripts import ENTERPRISE_ANSWERS, ORGANIZE, SCRIPTS, SELFCHECK, STANDARDIZE
from tests.processes import run_branchbot


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"


async def run_script(chat: Conversation, script) -> str:  # type: ignore[no-untyped-def]
    await chat.say(script.command, script.button)
    return await chat.say(*script.answers)


async def test_a_selfcheck_taken_twice_shows_the_change_per_area(db_url: str) -> None:
    async with bot_services(db_url) as services:
        chat = Conversation(services)
        first = await run_script(chat, SELFCHECK)
        assert "这是您第一次做这份自查" in first
        assert "📖 1." in first  # each improvement links to its knowledge-base entry
        await chat.say("/selfcheck", SELFCHECK.button)
        second = await chat.say(*["1"] * 10)
        assert "总分 100 分" in second and "第2次自查" in second
        for area in ("基本组织", "基本队伍", "基本活动", "基本制度", "基本保障"):
            assert (
                f"  {area}：100分（比上次 +" in second or f"  {area}：100分（与上次持平）" in second
            )
        assert "各项都已做到" in second
        listing = await chat.say("/selfcheck")
        assert "上次 100 分" in listing
        async with services.db.session() as session:
            history = await plans.selfcheck_history(session, 1, "basic")
        assert [r.scores["total"] for r in history][-1] == 100 and len(history) == 2


async def test_improvement_buttons_open_the_knowledge_base(db_url: str) -> None:
    async with bot_services(db_url) as services:
        chat = Conversation(services)
        result = await run_script(chat, SELFCHECK)
        assert "最值得改进的三件事" in result
        entry = await chat.say("📖 1." + result.split("📖 1.", 1)[1].split("\n", 1)[0])
        assert "来源：" in entry


async def test_plans_are_private_to_their_author_and_admins(db_url: str) -> None:
    async with bot_services(db_url, admins=frozenset({"9"})) as services:
        await run_script(Conversation(services), ORGANIZE)
        listing = await Conversation(services).say("/plans")
        assert "#1 组建方案｜楚雄某某食品有限公司" in listing
        assert "转入2名党员组织关系" in listing
        stranger = Conversation(services, user_id=2, name="别人")
        assert "还没有保存的方案" in await stranger.say("/plans")
        forged = Event(
            Chat("2", "private"), User("2", "别人"), button_data="p:v:1", callback_id="x"
        )
        (answer,) = await handle_event(forged, services)
        assert "没有查看这条记录的权限" in answer.text  # type: ignore[union-attr]
        admin = Conversation(services, user_id=9, name="工委")
        assert "【一企一策 #1】" in await admin.say("/plans", "#1 组建方案 楚雄某某食品有限公司")
        in_group = Event(Chat("-5", "group"), User("1", "书记"), text="/plans")
        (refusal,) = await handle_event(in_group, services)
        assert "私聊" in refusal.text  # type: ignore[union-attr]
        for data in ("p:v:999", "p:v:abc", "p:x", "p:v:1:2", "s:nope", "s:", "m:nothing"):
            event = Event(
                Chat("1", "private"), User("1", "书记"), button_data=data, callback_id="c"
            )
            actions = await handle_event(event, services)
            assert actions and "Traceback" not in str(actions)


async def test_organize_from_the_ledger_with_partner_organisations(db_url: str) -> None:
    soon = (date.today() + timedelta(days=30)).isoformat()
    async with bot_services(db_url) as services:
        chat = Conversation(services)
        await chat.say("/menu", "1", *ENTERPRISE_ANSWERS)  # #1: 120 employees, 2 formal + 1
        await chat.say("/menu", "1", "楚雄某某物流有限公司", "非公企业", "楚雄市", "不在园区")
        await chat.say(
            "正常经营（运行）", "40", "1", "0", "/skip", "否", "正式党员不足3名", "/skip"
        )
        picked = await chat.say("/menu", "2. 抓组建")
        assert "#1 楚雄某某科技有限公司" in picked and "#2 楚雄某某物流有限公司" in picked
        advice = await chat.say("#1 楚雄某某科技有限公司")
        assert "不足3名" in advice and "预备党员 1 名" in advice and "同业共建" in advice
        assert "❌ 职工100人以上的非公企业要有党组织" in advice
        partners = await chat.say("同业共建")
        assert "#2 楚雄某某物流有限公司" in partners and "#1 楚雄" not in partners
        await chat.say("#2 楚雄某某物流有限公司", "完成", "甲公司、乙公司、丙公司、丁公司")
        card = await chat.say("联合建立支部", "李四", "签订联建协议", soon, "/skip")
        assert "【一企一策 #1】楚雄某某科技有限公司" in card
        assert "联建单位：楚雄某某物流有限公司、甲公司、乙公司、丙公司、丁公司" in card
        assert "联合党支部一般不超过5个单位" in card
        async with services.db.session() as session:
            (plan,) = await plans.list_plans(session)
            assert plan.organisation_id == 1 and plan.content["partners"][0]["id"] == 2
            due = await plans.milestones_due(session, date.today() + timedelta(days=31))
            assert [m.title for m in due] == ["签订联建协议"]
            assert await plans.milestones_due(session, date.today()) == []


async def test_plans_and_milestones_on_every_backend(database: Database) -> None:
    async with database.session() as session:
        plan = await plans.add_plan(
            session,
            "formation",
            "7",
            {"org_name": "某公司"},
            responsible="张三",
            milestones=[("乙", date(2030, 2, 1)), ("甲", date(2030, 1, 1))],
        )
        assert plan.id
    async with database.session() as session:
        due = await plans.milestones_due(session, date(2030, 1, 15))
        assert [(m.title, m.plan.responsible) for m in due] == [("甲", "张三")]
        assert len(await plans.list_plans(session, created_by="7")) == 1
        assert await plans.list_plans(session, created_by="8") == []
        await plans.add_selfcheck(session, "7", "basic", {"q": "是"}, {"total": 50})
        await plans.add_selfcheck(session, "7", "basic", {"q": "是"}, {"total": 70})
    async with database.session() as session:
        history = await plans.selfcheck_history(session, "7", "basic")
        assert [r.scores["total"] for r in history] == [50, 70]


async def test_a_branchs_first_check_is_its_first_whatever_was_saved_before(db_url: str) -> None:
    """Its card said "#2" (another step's plan was #1) beside "the first check"."""
    async with bot_services(db_url) as services:
        chat = Conversation(services)
        await run_script(chat, ORGANIZE)  # plan #1
        card = await run_script(chat, STANDARDIZE)
        assert "【规范化自查·第1次】" in card and "这是本支部的第一次自查" in card
        assert "#2" not in card


async def test_second_standardisation_check_is_compared_with_the_first(db_url: str) -> None:
    async with bot_services(db_url) as services:
        chat = Conversation(services)
        await run_script(chat, STANDARDIZE)
        await chat.say("/menu", STANDARDIZE.button)
        branch = await chat.say("#1 楚雄某某科技有限公司党支部")  # the branch is offered now
        assert "哪个阶段" in branch
        card = await chat.say("第二年：全面规范强基础", *["有"] * 21)
        assert "【规范化自查·第2次】楚雄某某科技有限公司党支部" in card
        assert "党务台账资料盒：100%（比上次 +37个百分点）" in card
        assert "活动阵地“六有”：100%（与上次持平）" in card
        assert "各项均已达到" in card


def test_piped_console_runs_every_flow_and_exports_them(tmp_path: Path) -> None:
    """Each flow typed into its own `branchbot console` process, as a different secretary."""
    for user_id, script in enumerate(SCRIPTS, start=11):
        lines = ["/menu", script.command, script.button, *script.answers]
        result = run_branchbot(
            tmp_path, "console", "--user-id", str(user_id), stdin="\n".join(lines) + "\n"
        )
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stdout + result.stderr
        for fragment in script.card:
            assert fragment.split("#")[0] in result.stdout, fragment
    for what, sheet, expected in (
        ("plans", "组建方案", "楚雄某某食品有限公司"),
        ("selfcheck", "五个基本方面快速自查", 1),
    ):
        out = tmp_path / f"{what}.xlsx"
        done = run_branchbot(tmp_path, "export", what, "--out", str(out))
        assert done.returncode == 0, done.stderr
        rows = list(load_workbook(out)[sheet].iter_rows(min_row=2, values_only=True))
        assert rows and expected in rows[0]
    workbook = load_workbook(tmp_path / "plans.xlsx")
    assert workbook.sheetnames == [
        "组建方案",
        "进度节点",
        "规范化自查",
        "主题党日计划",
        "创新清单",
        "品牌案例",
    ]
    assert len(list(workbook["进度节点"].iter_rows(min_row=2))) == 4  # 2 formation + 2 innovation
