"""What an outsider can type or send: invisible and control characters, attachments, forged
buttons, huge texts, and a save the database refuses. Nothing hostile is stored or shown back,
nothing crashes, no answer is lost, and the bot never says something false."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from sqlalchemy import select

from bot.contract import Action, AnswerButton, Chat, EditText, Event, SendText, User
from bot.router import MAX_TEXT, clean_event, handle_event
from bot.rules.text_safety import MAX_NAME_CHARS, clean_answers, clean_name, clean_text
from bot.services import Services
from storage import dialogs, ledger
from storage.models import Branch, Member
from tests.chat import Conversation, bot_services
from tests.flow_scripts import ENTERPRISE_ANSWERS
from tests.hostile import CLEAN_ORG, FORBIDDEN, HOSTILE_ORG, refused_once

HOSTILE_NAME = "\u202e李\x00书记\u200b\x1b"
CLEAN_NAME = "李书记"


# ----- the cleaning rule ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("楚雄某某科技有限公司", "楚雄某某科技有限公司"),
        ("", ""),
        ("楚雄\x00某某", "楚雄某某"),  # NUL: PostgreSQL refuses it in text
        ("\u202e公司名\u202c", "公司名"),  # right-to-left override and its pop
        ("a\u202ab\u202bc\u202dd", "abcd"),
        ("a\u2066b\u2067c\u2068d\u2069", "abcd"),  # isolates
        ("\u200e\u200f名\u061c", "名"),  # direction marks
        ("零\u200b宽\u200c字\u2060符\ufeff", "零宽字符"),  # zero-width and BOM
        ("张\u200d三", "张三"),  # a joiner between letters joins nothing
        ("\x07铃\x1b[31m红", "铃[31m红"),  # C0 controls (bell, escape)
        ("删\x7f除", "删除"),  # DEL
        ("c1\x80\x85\x9f", "c1"),  # C1 controls
        ("软\u00ad连字符", "软连字符"),  # soft hyphen: invisible
        ("\ud800孤\udfff", "孤"),  # lone surrogates cannot even be encoded
        ("第一行\n第二行\t列", "第一行\n第二行\t列"),  # newline and tab stay
        ("Windows\r\n换行", "Windows\n换行"),
        ("老式\r换行", "老式\n换行"),
        ("分\u2028行\u2029段", "分\n行\n段"),
        ("e\u0301", "é"),  # NFC
        ("e\u200b\u0301", "é"),  # composes once the invisible character is gone
        ("１２０人", "１２０人"),  # NFC, not NFKC: what the user typed stays as typed
        ("a" + "\u0301" * 40, unicodedata.normalize("NFC", "a" + "\u0301" * 4)),  # "zalgo"
        ("😀👍🏽", "😀👍🏽"),
        ("👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"),  # a family: one emoji, joiners kept
        ("🏳\ufe0f\u200d🌈", "🏳\ufe0f\u200d🌈"),  # after a variation selector
        ("👩🏽\u200d💻", "👩🏽\u200d💻"),  # after a skin tone
        ("❤\ufe0f\u200d🔥", "❤\ufe0f\u200d🔥"),
        ("😀\u200d", "😀"),  # a joiner with nothing to join
        ("\u200d😀", "😀"),
        ("😀\u200d张", "😀张"),
        ("1\ufe0f\u20e3", "1\ufe0f\u20e3"),  # keycap
        ("🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", "🏴"),  # tags
        ("\x00\u200b\u202e", ""),
    ],
)
def test_clean_text(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("李书记", "李书记"),
        (HOSTILE_NAME, CLEAN_NAME),
        ("李\n书记", "李 书记"),  # one line: a name sits inside a sentence or a list
        ("  李 \t 书记  ", "李 书记"),
        ("\u200b \u202e ", ""),  # the caller falls back to something
        ("长" * 200, "长" * MAX_NAME_CHARS),  # Telegram's first + last name reach 129
        ("长" * (MAX_NAME_CHARS - 1) + " 尾", "长" * (MAX_NAME_CHARS - 1)),  # no trailing space
        ("👨\u200d👩\u200d👧 一家", "👨\u200d👩\u200d👧 一家"),
    ],
)
def test_clean_name(raw: str, expected: str) -> None:
    assert clean_name(raw) == expected


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"name": "楚雄\x00公司", "employees": 120}, {"name": "楚雄公司", "employees": 120}),
        ({"ideas": ["党建\u202e品牌", "无"]}, {"ideas": ["党建品牌", "无"]}),
        ({"flag": True, "note": None}, {"flag": True, "note": None}),
        ({"nested": {"x": "\u200b甲"}}, {"nested": {"x": "甲"}}),
    ],
)
def test_clean_answers(answers: dict[str, Any], expected: dict[str, Any]) -> None:
    assert clean_answers(answers) == expected


UNNAMED = "用户7"


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (
            Event(Chat("1"), User("7", HOSTILE_NAME), text="\u202e/menu\x00"),
            Event(Chat("1"), User("7", CLEAN_NAME), text="/menu"),
        ),
        (
            Event(Chat("-5", "group", "某某\u202e支部\x00群"), User("7", "\u200b"), text="\u200b"),
            Event(Chat("-5", "group", "某某支部群"), User("7", UNNAMED), text=""),
        ),
        (  # text stays None (a button, an attachment); button data is never rewritten
            Event(Chat("1"), User("7", "王五"), button_data="m:1\x00", callback_id="x"),
            Event(Chat("1"), User("7", "王五"), button_data="m:1\x00", callback_id="x"),
        ),
        (
            Event(Chat("1"), User("7", "王五"), attachment="sticker"),
            Event(Chat("1"), User("7", "王五"), attachment="sticker"),
        ),
        (
            Event(Chat("1"), User("7", "王五"), text="长" * (MAX_TEXT + 5)),
            Event(Chat("1"), User("7", "王五"), text="长" * MAX_TEXT),
        ),
        (
            Event(Chat("-5", "group", "\u202e\u200b"), User("7", ""), text="好"),
            Event(Chat("-5", "group", ""), User("7", UNNAMED), text="好"),
        ),
    ],
)
def test_clean_event(event: Event, expected: Event) -> None:
    assert clean_event(event, UNNAMED) == expected


# ----- through the whole core, on SQLite and PostgreSQL ---------------------------------------


def shown(actions: list[Action]) -> str:
    return "\n".join(
        a.text for a in actions if isinstance(a, SendText | EditText | AnswerButton) and a.text
    )


async def send(services: Services, chat: Chat, user: User, text: str) -> str:
    return shown(await handle_event(Event(chat, user, text=text), services))


def assert_clean(text: str) -> None:
    assert not [ch for ch in FORBIDDEN if ch in text], repr(text)


async def test_a_hostile_organisation_and_user_name_are_saved_and_shown_clean(
    database_url: str,
) -> None:
    """Through the console transport (the same `handle_event` path as Telegram)."""
    async with bot_services(database_url) as services:
        chat = Conversation(services, name=HOSTILE_NAME)
        await chat.say("/menu", "1")
        asked = await chat.say(HOSTILE_ORG)
        assert f"“{CLEAN_ORG}”属于哪一类" in asked
        card = await chat.say(*ENTERPRISE_ANSWERS[1:])
        assert f"【摸底台账 #1】{CLEAN_ORG}" in card
        assert_clean(asked + card)
        async with services.db.session() as session:
            (org,) = await ledger.list_organisations(session)
            assert (org.name, org.registered_by_name) == (CLEAN_ORG, CLEAN_NAME)


async def test_a_group_with_hostile_title_and_member_names_keeps_a_clean_roster(
    database_url: str,
) -> None:
    async with bot_services(database_url) as services:
        group = Chat("-1001", "group", "某某\u202e支部\x00群\u200b")
        secretary, member = User("1", "群\u2066主\x00"), User("2", "王\u200b五\u202e\x7f")
        assert "已将本群绑定为“某某支部群”支部群" in await send(services, group, secretary, "/bind")
        joined = await send(services, group, member, "/join")
        assert "王五 已加入“某某支部群”名册" in joined
        added = await send(services, group, secretary, "/roster 添加 赵\x00六、钱\u202e七")
        assert "已添加 2 人：赵六、钱七" in added
        roster = await send(services, group, secretary, "/roster")
        assert "群主" in roster and "王五" in roster and "赵六" in roster and "钱七" in roster
        assert_clean(joined + added + roster)
        async with services.db.session() as session:
            names = set((await session.execute(select(Member.display_name))).scalars())
            assert names == {"群主", "王五", "赵六", "钱七"}
            assert set((await session.execute(select(Branch.name))).scalars()) == {"某某支部群"}


async def test_a_name_of_nothing_but_invisible_characters_falls_back_to_the_user_id(
    database_url: str,
) -> None:
    async with bot_services(database_url) as services:
        group = Chat("-1001", "group", "支部群")
        await send(services, group, User("1", "群主"), "/bind")
        assert "用户7 已加入" in await send(
            services, group, User("7", "\u202e\u200b\x00 "), "/join"
        )


async def test_telegrams_longest_names_fit_the_roster_and_the_ledger(database_url: str) -> None:
    """First and last name make up to 129 characters; the columns hold 100. On PostgreSQL the
    insert failed, and failed again at every later press or answer of that user."""
    long_name = "长" * 64 + " " + "名" * 64
    async with bot_services(database_url) as services:
        group = Chat("-1001", "group", "支部群")
        await send(services, group, User("1", long_name), "/bind")
        assert "已加入" in await send(services, group, User("2", long_name), "/join")
        chat = Conversation(services, user_id=3, name=long_name)
        card = await chat.say("/menu", "1", *ENTERPRISE_ANSWERS)
        assert "【摸底台账 #1】" in card
        async with services.db.session() as session:
            names = (await session.execute(select(Member.display_name))).scalars().all()
            assert names and all(len(name) <= MAX_NAME_CHARS for name in names)


@pytest.mark.parametrize("invisible", ["\u200b", "\x00\u202e", "\ufeff \u2066"])
async def test_a_text_empty_after_cleaning_is_an_empty_message(
    database_url: str, invisible: str
) -> None:
    async with bot_services(database_url) as services:
        private, user = Chat("1"), User("1", "书记")
        assert await send(services, private, user, invisible) == await send(
            services, private, user, ""
        )
        group = Chat("-1001", "group", "支部群")
        assert await handle_event(Event(group, user, text=invisible), services) == []
        chat = Conversation(services)
        await chat.say("/menu", "1")
        again = await chat.say(invisible)
        assert "请用文字回答" in again and "请输入组织全称" in again


async def test_invisible_characters_do_not_hide_a_command(database_url: str) -> None:
    async with bot_services(database_url) as services:
        chat = Conversation(services)
        await chat.say("/menu", "1")
        assert "已取消本次填写" in await chat.say("\u200b\u202e/cancel\x00")


# ----- attachments (stickers, photos, voice notes) --------------------------------------------


async def test_an_attachment_outside_a_dialog_gets_a_text_only_hint(database_url: str) -> None:
    async with bot_services(database_url) as services:
        for kind in ("sticker", "photo", "voice", "document", "location"):
            pressed = Event(Chat("1"), User("1", "书记"), attachment=kind)
            (reply,) = await handle_event(pressed, services)
            assert isinstance(reply, SendText)
            assert reply.text == services.content.text("attachment_hint")
            assert "文字" in reply.text and "/menu" in reply.text


async def test_an_attachment_in_a_dialog_asks_the_same_question_in_words(
    database_url: str,
) -> None:
    async with bot_services(database_url) as services:
        chat = Conversation(services)
        await chat.say("/menu", "1", ENTERPRISE_ANSWERS[0])
        before = await _state(services, Chat("1"), User("1"))
        actions = await handle_event(
            Event(Chat("1"), User("1", "书记"), attachment="photo"), services
        )
        (question,) = actions
        assert isinstance(question, SendText)
        assert question.text.startswith(services.content.text("attachment_in_dialog"))
        assert "属于哪一类" in question.text and question.buttons  # the buttons come again
        assert await _state(services, Chat("1"), User("1")) == before
        assert "所在县（市）" in await chat.say(ENTERPRISE_ANSWERS[1])  # the flow goes on


async def test_an_attachment_in_a_group_is_ignored(database_url: str) -> None:
    async with bot_services(database_url) as services:
        group, user = Chat("-1001", "group", "支部群"), User("1", "书记")
        async with services.db.session() as session:  # a dialog running in the group
            await dialogs.new_state(session, group.id, user.id, "survey", "name")
        before = await _state(services, group, user)
        for event in (
            Event(group, user, attachment="sticker"),
            Event(group, user, attachment="voice", reply_to_bot=True, reply_to_message_id=3),
            Event(group, User("2", "党员"), attachment="photo", mentions_bot=True),
        ):
            assert await handle_event(event, services) == []
        assert await _state(services, group, user) == before


async def _state(services: Services, chat: Chat, user: User) -> tuple[Any, ...] | None:
    async with services.db.session() as session:
        state = await dialogs.get_state(session, chat.id, user.id)
        if state is None:
            return None
        return state.step_id, state.seq, dict(state.answers), list(state.history)


# ----- a save that fails ----------------------------------------------------------------------


def test_the_apology_does_not_claim_the_failed_message_was_saved() -> None:
    from knowledge.content import load_content

    apology = load_content().text("handler_failed")
    assert "都已保存" not in apology and "可能没有保存" in apology
    assert len(apology) <= 60  # a phone screen, and a button's alert (at most 200)


async def test_a_refused_answer_is_not_kept_and_the_next_message_works(database_url: str) -> None:
    async with bot_services(database_url) as services:
        chat = Conversation(services)
        await chat.say("/menu", "1", *ENTERPRISE_ANSWERS[:5])
        before = await _state(services, Chat("1"), User("1"))
        with refused_once(services.db, "UPDATE DIALOG_STATES") as refused:
            assert "可能没有保存" in await chat.say("120")  # the user is told, truthfully
        assert refused
        assert await _state(services, Chat("1"), User("1")) == before  # rolled back, not half-saved
        assert "正式党员多少名" in await chat.say("120")  # the same answer, sent again
        card = await chat.say(*ENTERPRISE_ANSWERS[6:])
        assert "【摸底台账 #1】" in card


async def test_a_refused_record_leaves_the_last_question_open(database_url: str) -> None:
    async with bot_services(database_url) as services:
        chat = Conversation(services)
        await chat.say("/menu", "1", *ENTERPRISE_ANSWERS[:-1])
        with refused_once(services.db, "INSERT INTO ORGANISATIONS"):
            assert "可能没有保存" in await chat.say(ENTERPRISE_ANSWERS[-1])
        assert (await _state(services, Chat("1"), User("1")) or ("",))[0] == "no_org_note"
        assert "【摸底台账 #1】" in await chat.say(ENTERPRISE_ANSWERS[-1])


async def test_a_hostile_answer_saved_before_the_fix_does_not_block_the_record(
    database_url: str,
) -> None:
    """Dialog state is JSON, which took a NUL; the record's text column did not, so finishing
    failed at every try. Answers are cleaned again when the record is made."""
    async with bot_services(database_url) as services:
        chat = Conversation(services)
        await chat.say("/menu", "1", *ENTERPRISE_ANSWERS[:-1])
        async with services.db.session() as session:
            state = await dialogs.get_state(session, "1", "1")
            assert state is not None
            state.answers = {**state.answers, "name": HOSTILE_ORG, "leader_name": "张\x00三"}
        card = await chat.say(ENTERPRISE_ANSWERS[-1])
        assert f"【摸底台账 #1】{CLEAN_ORG}" in card
        assert_clean(card)
        async with services.db.session() as session:
            (org,) = await ledger.list_organisations(session)
            assert (org.name, org.leader_name) == (CLEAN_ORG, "张三")


# ----- forged buttons and huge texts ----------------------------------------------------------

PREFIXES = ["m:", "d:", "r:c", "r:n:m:", "k:", "k:s:", "s:", "l:v:", "p:v:", "j:", "a:", "v:"]
SUFFIXES = ["\x00", "1\x00", "\u202e1", "1\u200b", "😀", "\ud800", "x" * 10_000]


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_hostile_button_data_is_turned_away(database_url: str, prefix: str) -> None:
    async with bot_services(database_url) as services:
        refusals = {services.content.text(k) for k in ("button_invalid", "button_expired")}
        for chat in (Chat("1"), Chat("-1001", "group", "支部群")):
            for suffix in SUFFIXES:
                data = prefix + suffix
                pressed = Event(chat, User("1", "书记"), button_data=data, callback_id="x")
                actions = await handle_event(pressed, services)
                assert [type(a) for a in actions] == [AnswerButton], data
                assert actions[0].text in refusals, data  # type: ignore[union-attr]


async def test_a_huge_text_is_refused_politely_at_a_question(database_url: str) -> None:
    async with bot_services(database_url) as services:
        chat = Conversation(services)
        await chat.say("/menu", "1")
        again = await chat.say("长" * 50_000)
        assert f"内容太长（{MAX_TEXT} 字）" in again and "请输入组织全称" in again
        assert "属于哪一类" in await chat.say(ENTERPRISE_ANSWERS[0])


async def test_a_huge_question_is_answered(database_url: str) -> None:
    async with bot_services(database_url) as services:
        reply = await send(services, Chat("1"), User("1", "书记"), "党员活动室标准" * 5_000)
        assert reply.strip()
