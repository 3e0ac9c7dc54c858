"""How a question is understood before it is answered: its point, dialect words, bare domain
words, and the calibrated decision with its explanation."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.decision import (
    FEATURES,
    LOW_CONFIDENCE,
    NO_MATCH,
    OFF_DOMAIN,
    TOO_BROAD,
    Model,
    Signals,
    decide,
)
from knowledge.question_point import point_of
from knowledge.retrieval import KB_DIR, KnowledgeBase, load_knowledge_base
from tests.chat import Conversation, bot_services
from tests.processes import subprocess_env


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.mark.parametrize(
    ("message", "point"),
    [
        ("三会一课多久开一次", "三会一课多久开一次"),  # short: whole
        (
            "我们是一家做物流的民营企业，去年刚成立支部，现在有7个党员。我想问一下支部委员会要选几个人？",
            "我想问一下支部委员会要选几个人？",
        ),
        (
            "我们公司去年新招了一批大学生，其中有两个是党员，关系一直没转过来，"
            "现在在企业上班，请问怎么办？",
            "现在在企业上班，请问怎么办？",
        ),
        (  # a by-the-way question after the main one is not the point
            "我们律所支部刚成立，县里让我们在网上把支部建起来。想知道网上党支部的建立有什么要求？"
            "另外党费能不能也在上面交？",
            "想知道网上党支部的建立有什么要求？",
        ),
        (  # no asking sentence: the whole message
            "我们这边是一家做建材的小公司，员工八十多人，老板人很好，大家关系也处得不错。",
            "我们这边是一家做建材的小公司，员工八十多人，老板人很好，大家关系也处得不错。",
        ),
        (
            "支部今年换届，我是第一次组织选举，心里没底。上级说要差额选举。"
            "差额比例是好多噶？另外投票有啥子要求",
            "上级说要差额选举。差额比例是好多噶？",  # a short point keeps the sentence before
        ),
    ],
)
def test_point_of_a_long_message_is_its_asking_sentence(message: str, point: str) -> None:
    assert point_of(message) == point


MODEL = Model(bias=-4.0, weights=(8.0, 2.0, 0, 0, 0, -3.0, 0, -3.0, 0), threshold=0.5)


def signals(score: float, *, in_domain: bool = True, broad: bool = False) -> Signals:
    return Signals(score, 0.0, 0.0, 0.0, 0.0, 0.0, False, False, in_domain, broad)


@pytest.mark.parametrize(
    ("given", "found", "why"),
    [
        (signals(0.9), True, None),
        (signals(0.5), True, None),  # logit exactly 0: confidence 0.5 reaches the threshold
        (signals(0.4), False, LOW_CONFIDENCE),
        (signals(0.9, in_domain=False), False, OFF_DOMAIN),
        (signals(0.9, broad=True), False, TOO_BROAD),
    ],
)
def test_decide(given: Signals, found: bool, why: str | None) -> None:
    assert len(MODEL.weights) == len(FEATURES)
    answered, confidence, reason = decide(given, MODEL)
    assert (answered, reason) == (found, why)
    assert 0.0 <= confidence <= 1.0


# The questions the issue saw answered from the wrong entry or refused, and neighbours that
# must keep their own answer.
@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("支部人多了咋个升级成党委", "general-branch"),
        ("五六家小企业能不能合起来搞一个支部", "joint-organisation"),
        ("三个正式党员能成立支委会吗", "branch-committee"),
        ("党务台账要准备哪几个资料盒", "ledger-boxes"),
        ("几个支部能不能合在一起搞主题党日", "emphasis-branch"),
        ("党员多了能不能成立党委", "general-branch"),
    ],
)
def test_the_questions_the_issue_saw_go_to_their_entry(
    kb: KnowledgeBase, question: str, entry: str
) -> None:
    answer = kb.ask(question)
    assert answer.found and answer.entry is not None and answer.entry.id == entry, answer.why


@pytest.mark.parametrize("question", ["最低工资标准是多少", "工会会费交多少"])
def test_near_domain_questions_without_an_entry_are_not_answered(
    kb: KnowledgeBase, question: str
) -> None:
    assert not kb.ask(question).found


def test_the_shipped_model_has_every_signal_and_a_sane_threshold() -> None:
    model = Model.load(KB_DIR / "decision.yaml")
    assert len(model.weights) == len(FEATURES)
    assert 0.1 <= model.threshold <= 0.9
    # A better-matching entry must never lower the confidence.
    assert model.weights[FEATURES.index("score")] > 0


@pytest.mark.parametrize(
    ("dialect", "plain"),
    [
        ("党费交好多", "党费交多少"),
        ("好久开一次支委会", "多久开一次支委会"),
        ("不晓得组织关系咋个转", "不知道组织关系怎么转"),
        ("预备期咋个整", "预备期怎么办"),
    ],
)
def test_dialect_words_read_as_their_standard_form(
    kb: KnowledgeBase, dialect: str, plain: str
) -> None:
    assert kb.normaliser(dialect) == kb.normaliser(plain)


@pytest.mark.parametrize("word", ["党费", "支部", "党员", "入党"])
def test_a_bare_broad_word_offers_topics_to_pick(kb: KnowledgeBase, word: str) -> None:
    answer = kb.ask(word)
    assert not answer.found and answer.why == TOO_BROAD
    assert len(answer.suggestions) >= 3


@pytest.mark.parametrize(("word", "entry"), [("三会一课", "three-meetings-one-lesson")])
def test_a_bare_word_that_names_one_topic_is_answered(
    kb: KnowledgeBase, word: str, entry: str
) -> None:
    answer = kb.ask(word)
    assert answer.found and answer.entry is not None and answer.entry.id == entry


@pytest.mark.parametrize(
    ("question", "why"),
    [
        ("营业执照年报怎么填", OFF_DOMAIN),
        ("😀😀", NO_MATCH),
        ("党费", TOO_BROAD),
    ],
)
def test_json_says_why_it_refused(kb: KnowledgeBase, question: str, why: str) -> None:
    shown = kb.ask(question).as_json()
    assert shown["found"] is False and shown["why"] == why


def test_json_explains_the_confidence_by_signal(kb: KnowledgeBase) -> None:
    shown = kb.ask("三会一课多久开一次").as_json()
    assert shown["found"] is True and shown["why"] is None
    signals = shown["signals"]
    assert set(FEATURES) <= set(signals)
    logit = signals["bias"] + sum(signals[name]["effect"] for name in FEATURES)
    assert abs(1 / (1 + 2.718281828**-logit) - shown["score"]) < 0.01


async def test_in_chat_a_bare_word_offers_topics_and_a_press_answers(tmp_path: Path) -> None:
    async with bot_services(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}") as services:
        chat = Conversation(services)
        offered = await chat.say("党费")
        assert "“党费”涉及好几方面" in offered and "[5]" in offered
        shown = await chat.say("1")
        assert "来源：" in shown
        unsure = await chat.say("主题党日能不能请专家来讲课顺便参观一下企业展厅")
        assert ("来源：" in unsure) or ("没把握" in unsure and "[1]" in unsure)
        nothing = await chat.say("明天楚雄下不下雨")
        assert "答不上来" in nothing and "[1]" not in nothing


def test_the_learned_files_were_fitted_on_the_current_content() -> None:
    """Entries, synonyms, signals or labelled sets changed without a refit: run
    `python -m tests.fit_decision` (it refits the ranker and the decision model together)."""
    from tests.fit_decision import shipped_inputs
    from tests.fit_ranker import inputs_digest

    digest = inputs_digest()
    assert shipped_inputs() == (digest, digest)


def test_ask_loads_no_database_library(tmp_path: Path) -> None:
    """`branchbot ask` must start fast: the database layer (SQLAlchemy, 0.3 s) stays unloaded."""
    import subprocess
    import sys

    probe = (
        "import sys; from bot.cli import main; code = main(['ask', '党费']); "
        "assert 'sqlalchemy' not in sys.modules, 'sqlalchemy loaded'; sys.exit(code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=subprocess_env(tmp_path),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "党费" in done.stdout
