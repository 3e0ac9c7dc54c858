"""One organisation, entered twice: the survey warns before saving and opens the existing record,
a 工委 admin merges two records keeping what the other held, and nobody else may (issue 15,
item 2)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from storage.models import Organisation, OrganisationMerge, Plan
from tests.chat import Conversation, bot_services

FIRST = ["楚雄云岭新材料科技有限公司", "非公企业", "楚雄市"]
REST = ["不在园区", "正常经营（运行）", "120", "2", "0", "李明", "否", "否", "正式党员不足3名"]
ADMIN = "900"


def url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"


async def count(services) -> int:  # type: ignore[no-untyped-def]
    async with services.db.session() as session:
        query = select(func.count()).select_from(Organisation)
        return (await session.execute(query.where(Organisation.merged_into.is_(None)))).scalar_one()


async def test_another_secretary_is_warned_and_may_stop(tmp_path: Path) -> None:
    async with bot_services(url(tmp_path)) as services:
        first = Conversation(services, user_id=1, name="张丽")
        await first.say("/menu", "1", *FIRST, *REST, "/skip")
        second = Conversation(services, user_id=2, name="王强")
        warned = await second.say("/menu", "1", "楚雄市 云岭新材料科技有限责任公司", "非公企业")
        warned = await second.say("楚雄市")
        assert "台账里已有同名组织（#1，楚雄市），由其他同志登记" in warned
        assert "李明" not in warned and "张丽" not in warned  # another's record stays closed
        assert "打开已有记录" not in warned
        stopped = await second.say("是同一家，不登记了")
        assert "未重复登记" in stopped and "#1" in stopped
        assert await count(services) == 1
        listed = await second.say("/ledger")
        assert "还没有您登记的组织" in listed


async def test_the_same_secretary_opens_the_existing_record(tmp_path: Path) -> None:
    async with bot_services(url(tmp_path)) as services:
        chat = Conversation(services)
        await chat.say("/menu", "1", *FIRST, *REST, "/skip")
        warned = await chat.say("/menu", "1", "ＣＸ云岭新材料科技有限公司", "非公企业", "楚雄市")
        assert "台账里还" not in warned and "已有" not in warned  # ＣＸ: another name
        await chat.say("/cancel", "/menu", "1", "楚雄州云岭新材料科技有限公司", "非公企业")
        warned = await chat.say("楚雄市")
        assert "台账里已有“楚雄云岭新材料科技有限公司”（#1，楚雄市）" in warned
        card = await chat.say("打开已有记录")
        assert "【摸底台账 #1】楚雄云岭新材料科技有限公司" in card
        assert await count(services) == 1


async def test_the_same_name_in_another_county_is_another_organisation(tmp_path: Path) -> None:
    async with bot_services(url(tmp_path)) as services:
        chat = Conversation(services)
        await chat.say("/menu", "1", *FIRST, *REST, "/skip")
        asked = await chat.say("/menu", "1", FIRST[0], "非公企业", "禄丰市")
        assert "已有" not in asked and "所在园区" in asked


async def test_renaming_a_record_into_another_asks_and_an_admin_merges(tmp_path: Path) -> None:
    async with bot_services(url(tmp_path), admins=frozenset({ADMIN})) as services:
        first = Conversation(services, user_id=1, name="张丽")
        await first.say("/menu", "1", *FIRST, *REST, "/skip")
        second = Conversation(services, user_id=2, name="王强")
        await second.say("/menu", "1", "云岭新材", "非公企业", "楚雄市", *REST[:-4])
        await second.say("李明", "否", "否", "正式党员不足3名", "/skip")
        await second.say("/ledger", "1", "修改")
        asked = await second.say("组织名称：云岭新材", "楚雄云岭新材料科技有限责任公司")
        assert "台账里已有同名组织（#1，楚雄市）" in asked
        saved = await second.say("不是同一家，继续登记")
        assert "已更新" in saved
        assert await count(services) == 2

        admin = Conversation(services, user_id=ADMIN, name="工委")
        listed = await admin.say("/ledger")
        assert "疑似与#2重复" in listed and "疑似与#1重复" in listed and "/merge" in listed
        refused = await second.say("/merge 1 2")
        assert "只有工委管理员" in refused
        pairs = await admin.say("/merge")
        assert "#1 楚雄云岭新材料科技有限公司｜#2 楚雄云岭新材料科技有限责任公司" in pairs
        confirm = await admin.say("1")
        assert "保留 #1，把 #2 并入它" in confirm and "并入的记录" in confirm
        done = await admin.say("1")
        assert "已合并：#2（王强登记）并入 #1" in done
        again = await admin.say("/merge 1 2")
        assert "#2 已并入 #1" in again
        assert await count(services) == 1
        async with services.db.session() as session:
            merge = (await session.execute(select(OrganisationMerge))).scalar_one()
            merged = await session.get(Organisation, 2)
        assert (merge.kept_id, merge.merged_id, merge.merged_by) == (1, 2, ADMIN)
        assert merge.record["name"] == "楚雄云岭新材料科技有限责任公司"
        assert merged is not None and merged.merged_into == 1  # kept, out of the lists

        # Both secretaries still see the organisation; an old button of #2 opens #1.
        assert "#1 楚雄云岭新材料科技有限公司" in await second.say("/ledger")
        assert "#1 楚雄云岭新材料科技有限公司" in await first.say("/ledger")
        stranger = Conversation(services, user_id=3, name="路人")
        assert "还没有您登记的组织" in await stranger.say("/ledger")


async def test_an_organisation_described_in_organize_enters_the_ledger(tmp_path: Path) -> None:
    async with bot_services(url(tmp_path)) as services:
        chat = Conversation(services)
        asked = await chat.say("/menu", "2")
        assert "摸底台账里还没有组织" in asked and "现场登记一家新组织" in asked
        registered = await chat.say("现场登记一家新组织（先填摸底台账）", *FIRST, *REST, "/skip")
        assert "【摸底台账 #1】楚雄云岭新材料科技有限公司" in registered
        assert "为哪家组织制定组建方案" in registered.split("【摸底台账")[-1]  # back in 抓组建
        assert "#1 楚雄云岭新材料科技有限公司" in registered.split("【抓组建】")[-1]
        # A second one, described on the spot again, is the same organisation: found.
        await chat.say("/cancel", "/menu", "2", "现场登记一家新组织（先填摸底台账）")
        warned = await chat.say("云岭新材料科技有限责任公司", "非公企业", "楚雄市")
        assert "台账里已有“楚雄云岭新材料科技有限公司”（#1，楚雄市）" in warned
        reopened = await chat.say("打开已有记录")
        assert "【摸底台账 #1】" in reopened and "为哪家组织制定组建方案" in reopened
        card = await chat.say(
            "#1 楚雄云岭新材料科技有限公司",
            "片区联建",
            "/skip",
            "联系园区内企业联建",
            "张三 书记",
            "转入2名党员组织关系",
            "2099-03-31",
            "/skip",
        )
        assert "【一企一策 #1】楚雄云岭新材料科技有限公司" in card
        assert await count(services) == 1
        async with services.db.session() as session:
            plan = (await session.execute(select(Plan))).scalar_one()
        assert plan.organisation_id == 1
