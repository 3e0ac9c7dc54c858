"""Questions to the knowledge base: `/ask 问题`, free text in a private chat, and in a group a
reply to the bot or a mention. Answers carry their source and buttons to related topics."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot import dues
from bot.buttons import KnowledgeEntry, KnowledgeOfStep
from bot.contract import Action, AnswerButton, Button, Event, Keyboard, SendText
from bot.rules.smalltalk import small_talk
from knowledge.content import Content
from knowledge.decision import TOO_BROAD
from knowledge.retrieval import Answer, Entry

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    # services import the steps, whose cards use the button below
    from bot.services import Services

MAX_BUTTON_LABEL = 24


def _buttons(entries: list[Entry] | tuple[Entry, ...]) -> Keyboard:
    return tuple(
        (Button(e.title[:MAX_BUTTON_LABEL], KnowledgeEntry(e.id).pack()),) for e in entries
    )


def render_entry(entry: Entry, services: Services) -> SendText:
    """The answer, its source, and the related topics as buttons."""
    text = services.content.text(
        "ask_answer", title=entry.title, answer=entry.answer, source=entry.source
    )
    related = [services.knowledge.by_id[r] for r in entry.related if r in services.knowledge.by_id]
    return SendText(text, _buttons(related[:3]))


def not_found_text(answer: Answer, content: Content) -> str:
    """A bare word asks the user to pick; an unsure answer offers the closest topics; else no."""
    if answer.suggestions and answer.why == TOO_BROAD:
        return content.text("ask_too_broad", term=answer.question.strip()[:MAX_BUTTON_LABEL])
    return content.text("ask_not_found" if answer.suggestions else "ask_not_found_nothing")


def render_answer(answer: Answer, services: Services) -> SendText:
    if answer.found and answer.entry is not None:
        return render_entry(answer.entry, services)
    return SendText(not_found_text(answer, services.content), _buttons(answer.suggestions))


async def ask_command(
    session: AsyncSession, event: Event, services: Services, question: str
) -> list[Action]:
    if not question.strip():
        return [SendText(services.content.text("ask_usage"))]
    if dues.is_dues_question(question):
        return [SendText(dues.answer(question, services))]
    return [render_answer(services.knowledge.ask(question), services)]


def answer_text(event: Event, services: Services) -> list[Action]:
    """Free text, or in a group a reply to the bot or a mention (the @name is not the question)."""
    text = event.text or ""
    if services.directory.bot_username:
        text = re.sub(f"@{re.escape(services.directory.bot_username)}", " ", text, flags=re.I)
    if dues.is_dues_question(text):
        return [SendText(dues.answer(text, services))]
    table = services.content.messages["smalltalk"]
    if (kind := small_talk(text, table)) is not None:
        return [SendText(str(table[kind]["reply"]))]
    return [render_answer(services.knowledge.ask(text), services)]


async def on_button(
    session: AsyncSession,
    event: Event,
    services: Services,
    button: KnowledgeEntry | KnowledgeOfStep,
) -> list[Action]:
    """Shows an entry, or lists the entries of one step."""
    kb = services.knowledge
    if isinstance(button, KnowledgeOfStep):
        step = services.content.step(button.step)
        entries = kb.entries_of_step(button.step) if step else []
        if not entries:
            return [AnswerButton(event.callback_id or "", services.content.text("button_invalid"))]
        title = step["title"] if step else ""
        return [SendText(services.content.text("ask_step_entries", title=title), _buttons(entries))]
    entry = kb.by_id.get(button.entry)
    if entry is None:
        return [AnswerButton(event.callback_id or "", services.content.text("button_invalid"))]
    return [render_entry(entry, services)]


def step_knowledge_button(content: Content, step_code: str) -> Button:
    """The "📖 …相关知识" button of a step's card or description (every step has entries)."""
    step = content.step(step_code)
    title = step["title"] if step else ""
    return Button(
        content.text("ask_knowledge_button", title=title), KnowledgeOfStep(step_code).pack()
    )
