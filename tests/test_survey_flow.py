"""The 抓摸底 flow end to end through the console transport, on a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import ledger
from tests.chat import Conversation, bot_services
from tests.flow_scripts import ENTERPRISE_ANSWERS

# The acceptance conversation: an enterprise in 楚雄市, 120 employees, 2 formal + 1 probationary.


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"


async def test_enterprise_survey_ends_with_unmet_target_and_joint_organisation(db_url: str) -> None:
    async with bot_services(db_url) as services:
        chat = Conversation(services)
        assert "六步工作法" in await chat.say("/start")
        menu = await chat.say("/menu")
        assert "[1] 1. 抓摸底" in menu
        intro = await chat.say("1")
        assert "五个清" in intro and "请输入组织全称" in intro
        *_, last = ENTERPRISE_ANSWERS
        for answer in ENTERPRISE_ANSWERS[:-1]:
            reply = await chat.say(answer)
            assert "请重新输入" not in reply and "请点击" not in reply, (answer, reply)
        card = await chat.say(last)
        assert "【摸底台账 #1】楚雄某某科技有限公司" in card
        assert "❌ 职工100人以上的非公企业要有党组织（未达到）" in card
        assert "✅ 职工50人以上的非公企业要有党员" in card
        assert "联合党组织" in card
        assert "正式党员 2 名，预备党员 1 名" in card
        assert "下一步：抓组建" in card
        async with services.db.session() as session:
            (org,) = await ledger.list_organisations(session)
            assert (org.county, org.park, org.employees, org.formal_members) == (
                "楚雄市",
                None,
                120,
                2,
            )
            assert (org.probationary_members, org.registered_by, org.no_org_note) == (1, "1", None)


async def test_social_organisation_asks_only_what_applies(db_url: str) -> None:
    async with bot_services(db_url) as services:
        chat = Conversation(services)
        await chat.say("/menu", "1", "楚雄州某某商会")
        asked = await chat.say("社会组织")
        assert "是哪一种社会组织" in asked
        assert "州级以上" in await chat.say("社会团体")
        assert "所在县（市）" in await chat.say("是")
        reply = await chat.say("双柏县")
        assert "园区" not in reply and "由哪一类单位管理" in reply
        assert "具体是哪个单位" in await chat.say("行业主管部门")
        assert "经营运行情况" in await chat.say("民政部门")
        await chat.say("正常经营（运行）", "12", "3", "0", "/skip")  # no 负责人: nothing to ask
        card = await chat.say("是")  # already has a party organisation: no reason asked
        assert "州级以上社会团体要有党组织" in card and "✅" in card
        assert "抓规范" in card
        assert "双柏县｜行业主管部门｜民政部门" in card
        assert "下一步：抓规范" in card


async def test_wrong_input_at_every_step_gets_chinese_help_and_the_same_question(
    db_url: str,
) -> None:
    async with bot_services(db_url) as services:
        chat = Conversation(services)
        await chat.say("/menu", "1")
        cases = [
            ("😀😀", "请用文字回答", "请输入组织全称"),
            ("长" * 5000, "内容太长", "请输入组织全称"),
            (None, None, None),
            ("企业吧", "请点击下面的按钮", "属于哪一类"),
            (None, None, None),
            ("云南省", "请点击下面的按钮", "所在县（市）"),
            (None, None, None),
            ("99", "请点击下面的按钮", "所在园区"),
            (None, None, None),
            ("🙂", "请点击下面的按钮", "经营运行情况"),
            (None, None, None),
            ("一百二十多", "请输入一个整数", "现有职工"),
            ("-3", "不能小于 0", "现有职工"),
            ("abc", "请输入一个整数", "现有职工"),
            (None, None, None),
            ("121", "党员人数不能超过职工人数（120 人）", "正式党员多少名"),
            ("-1", "不能小于 0", "正式党员多少名"),
            (None, None, None),
            ("119", "合计不能超过职工人数（120 人）", "预备党员多少名"),
            (None, None, None),
            ("👍", "请用文字回答", "负责人）姓名"),
            ("张" * 300, "内容太长", "负责人）姓名"),
            (None, None, None),
            ("也许吧", "请回答“是”或“否”", "是不是党员"),
            (None, None, None),
            ("不知道", "请回答“是”或“否”", "是否已建立党组织"),
            (None, None, None),
            ("7", "请点击下面的按钮", "未建党组织的原因"),
            (None, None, None),
            ("😀" * 10, "请用文字回答", "补充说明"),
        ]
        good = iter(ENTERPRISE_ANSWERS)
        for bad, error, question in cases:
            if bad is None:
                await chat.say(next(good))
                continue
            reply = await chat.say(bad)
            assert error in reply and question in reply, (bad[:10], reply[:300])
        card = await chat.say("/skip")
        assert "【摸底台账 #1】" in card  # nothing typed earlier was lost
        assert "正式党员 2 名，预备党员 1 名" in card


async def test_back_skip_and_cancel(db_url: str) -> None:
    async with bot_services(db_url) as services:
        chat = Conversation(services)
        assert "当前没有正在填写的内容" in await chat.say("/back")
        await chat.say("/menu", "1")
        assert "已经是第一个问题了" in await chat.say("/back")
        assert "不能跳过" in await chat.say("/skip")
        await chat.say("甲单位", "非公企业")
        back = await chat.say("/back")
        assert "属于哪一类" in back
        assert "是哪一种社会组织" in await chat.say("社会组织")
        assert "已取消" in await chat.say("/cancel")
        assert "/menu" in await chat.say("随便说点什么")


async def test_stale_and_forged_buttons_change_nothing(db_url: str) -> None:
    async with bot_services(db_url) as services:
        from bot.contract import Chat, Event, User
        from bot.router import handle_event

        chat = Conversation(services)
        await chat.say("/menu", "1", "甲单位")
        user, here = User("1", "书记"), Chat("1")
        for data in (
            "d:999:0:0",
            "d:1:0:0",
            "d:x:y:z",
            "d:1:1:99",
            "l:v:999",
            "l:f:1:../../",
            "zz",
            "",
            "m:nope",
        ):
            actions = await handle_event(
                Event(here, user, button_data=data, callback_id="c"), services
            )
            assert all(type(a).__name__ in ("AnswerButton", "SendText") for a in actions), data
        # Another user pressing this user's question button: expired for them, nothing saved.
        other = await handle_event(
            Event(here, User("2", "别人"), button_data="d:1:1:0", callback_id="c"), services
        )
        assert "过期" in other[0].text  # type: ignore[union-attr]
        assert "属于哪一类" in await chat.say("/start")
        # The real button still works exactly once: a double tap is ignored.
        first = await handle_event(
            Event(here, user, button_data="d:1:1:0", callback_id="c", message_id=5), services
        )
        second = await handle_event(
            Event(here, user, button_data="d:1:1:0", callback_id="c", message_id=5), services
        )
        assert any("所在县（市）" in getattr(a, "text", "") for a in first)
        assert "过期" in second[0].text  # type: ignore[union-attr]


async def test_starting_again_asks_before_dropping_answers(db_url: str) -> None:
    async with bot_services(db_url) as services:
        chat = Conversation(services)
        await chat.say("/menu", "1", "甲单位")
        asked = await chat.say("/menu", "1")
        assert "您有一份未完成的“抓摸底”" in asked
        assert "属于哪一类" in await chat.say("继续填写")
        await chat.say("/menu", "1")
        assert "请输入组织全称" in await chat.say("放弃并重新开始")


async def test_edit_a_saved_record_revalidates_dependent_numbers(db_url: str) -> None:
    async with bot_services(db_url) as services:
        chat = Conversation(services)
        await chat.say("/menu", "1", *ENTERPRISE_ANSWERS)
        listing = await chat.say("/ledger")
        assert "■ 楚雄市" in listing and "#1 楚雄某某科技有限公司" in listing
        await chat.say("#1 楚雄某某科技有限公司")
        fields = await chat.say("修改")
        assert "职工人数：120" in fields
        assert "现有职工" in await chat.say("职工人数：120")
        # Fewer employees than members: the member count is asked again before saving.
        assert "正式党员多少名" in await chat.say("1")
        assert "预备党员多少名" in await chat.say("1")
        card = await chat.say("0")
        assert "已更新" in card and "二清 职工队伍：1 人" in card
        async with services.db.session() as session:
            (org,) = await ledger.list_organisations(session)
            assert (org.employees, org.formal_members, org.probationary_members) == (1, 1, 0)
            assert org.name == "楚雄某某科技有限公司"  # untouched fields kept


async def test_ledger_is_private_to_its_registrant_and_admins(db_url: str) -> None:
    async with bot_services(db_url, admins=frozenset({"99"})) as services:
        await Conversation(services).say("/menu", "1", *ENTERPRISE_ANSWERS)
        stranger = Conversation(services, user_id=2, name="别人")
        assert "还没有您登记的组织" in await stranger.say("/ledger")
        from bot.contract import Chat, Event, User
        from bot.router import handle_event

        for data in ("l:v:1", "l:e:1", "l:f:1:employees"):
            actions = await handle_event(
                Event(Chat("2"), User("2"), button_data=data, callback_id="c"), services
            )
            assert [getattr(a, "text", "") for a in actions] == ["您没有查看这条记录的权限。"], data
        admin = Conversation(services, user_id=99, name="工委")
        assert "#1 楚雄某某科技有限公司" in await admin.say("/ledger")
        group = Conversation(services, group=True)
        assert "台账含个人信息，请在与我的私聊中查看" in await group.say("/ledger")
        assert "私聊" in await group.say("/menu", "1")
        assert await group.say("随便聊聊") == ""  # group chatter is not answered


async def test_editing_the_kind_asks_the_questions_the_new_kind_needs(db_url: str) -> None:
    async with bot_services(db_url) as services:
        chat = Conversation(services)
        await chat.say("/menu", "1", *ENTERPRISE_ANSWERS)
        await chat.say("/ledger", "#1 楚雄某某科技有限公司", "修改")
        assert "属于哪一类" in await chat.say("类别：非公企业")
        assert "是哪一种社会组织" in await chat.say("社会组织")
        assert "由哪一类单位管理" in await chat.say("民办学校")
        assert "具体是哪个单位" in await chat.say("行业主管部门")
        card = await chat.say("教育部门")
        assert "已更新" in card and "从业人员30人以上的实体性社会组织要有党组织" in card
        async with services.db.session() as session:
            (org,) = await ledger.list_organisations(session)
            assert (org.kind, org.subtype, org.park, org.supervisor) == (
                "社会组织",
                "民办学校",
                None,
                "教育部门",
            )


async def test_questions_in_chat_private_group_and_buttons(db_url: str) -> None:
    async with bot_services(db_url) as services:
        chat = Conversation(services)
        answer = await chat.say("党员活动室要达到什么标准")
        assert "六有" in answer and "来源：" in answer
        assert "六有" in await chat.say("/ask 活动室六有标准")
        assert "请在 /ask 后面写上问题" in await chat.say("/ask")
        refused = await chat.say("/ask 今天楚雄天气怎么样")
        assert "答不上来" in refused
        steps = await chat.say("/menu", "2")  # the intro of 抓组建 offers its knowledge
        assert "[1] 📖 抓组建相关知识" in steps and "摸底台账里还没有组织" in steps
        await chat.say("/cancel")
        from bot.contract import Chat, Event, User
        from bot.router import handle_event

        pressed = Event(
            Chat("1", "private"), User("1"), button_data="k:s:organize", callback_id="k"
        )
        listing = await handle_event(pressed, services)
        assert "【抓组建】相关知识" in listing[-1].text  # type: ignore[union-attr]
        group = Conversation(services, user_id=5, group=True)
        assert await group.say("活动室六有标准是什么") == ""  # not addressed to the bot
        assert "六有" in await group.say("/ask@branch_bot 活动室六有标准是什么")

        from bot.contract import Chat, Event, User
        from bot.router import handle_event

        replied = await handle_event(
            Event(Chat("-5", "group"), User("5"), text="六有标准是啥", reply_to_bot=True), services
        )
        assert "六有" in replied[0].text  # type: ignore[union-attr]
        for forged in ("k:nope", "k:s:nope", "k:", "k:s:", "k:" + "x" * 60):
            actions = await handle_event(
                Event(Chat("1"), User("1"), button_data=forged, callback_id="c"), services
            )
            assert [type(a).__name__ for a in actions] == ["AnswerButton"], forged


async def test_group_bind_join_and_membership_in_private(db_url: str) -> None:
    async with bot_services(db_url) as services:
        member = Conversation(services, user_id=5, name="李四", group=True)
        assert "还没有绑定支部" in await member.say("/join")
        assert "只有群主或群管理员" in await member.say("/bind")
        creator = Conversation(services, user_id=1, name="书记", group=True)
        assert "已将本群绑定" in await creator.say("/bind@branch_bot")
        assert "已绑定到" in await creator.say("/bind")
        assert "李四 已加入" in await member.say("/join")
        assert "已在" in await member.say("/join")
        private = Conversation(services, user_id=5, name="李四")
        asked = await private.say("/start join-1")
        assert "党员类别" in asked
        assert "已记录：预备党员" in await private.say("预备党员")
        stranger = Conversation(services, user_id=6, name="王五")
        assert "请先在支部群里发送 /join" in await stranger.say("/start join-1")
        from bot.contract import Chat, Event, User
        from bot.router import handle_event

        forged = await handle_event(
            Event(Chat("6"), User("6"), button_data="j:1:f", callback_id="c"), services
        )
        assert "请先在支部群里发送 /join" in forged[-1].text  # type: ignore[union-attr]
        async with services.db.session() as session:
            from storage import groups

            row = await groups.find_member(session, 1, 5)
            assert row is not None and row.membership == "probationary"


async def test_skipping_the_leader_skips_whether_they_are_a_member(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.chat import Conversation, bot_services
    from tests.flow_scripts import ENTERPRISE_ANSWERS

    async with bot_services(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}") as services:
        chat = Conversation(services)
        await chat.say("/menu", "1", *ENTERPRISE_ANSWERS[:8])
        after_skip = await chat.say("/skip")  # no 负责人 name
        assert "是不是党员" not in after_skip and "建立党组织" in after_skip
        done = await chat.say(*ENTERPRISE_ANSWERS[10:])
        assert "四清 出资人（负责人）：未填写姓名" in done
