"""Dialog state: one row per (chat, user), rewritten after every answer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DialogState


async def get_state(session: AsyncSession, chat_id: str, user_id: str) -> DialogState | None:
    query = select(DialogState).where(
        DialogState.chat_id == chat_id, DialogState.user_id == user_id
    )
    return (await session.execute(query)).scalar_one_or_none()


async def new_state(
    session: AsyncSession,
    chat_id: str,
    user_id: str,
    flow_id: str,
    step_id: str,
    answers: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
) -> DialogState:
    """Replaces whatever this user had running in this chat."""
    await drop_state(session, chat_id, user_id)
    state = DialogState(
        chat_id=chat_id,
        user_id=user_id,
        flow_id=flow_id,
        step_id=step_id,
        seq=0,
        answers=dict(answers or {}),
        history=[],
        context=dict(context or {}),
    )
    session.add(state)
    await session.flush()
    return state


async def drop_state(session: AsyncSession, chat_id: str, user_id: str) -> None:
    await session.execute(
        delete(DialogState).where(DialogState.chat_id == chat_id, DialogState.user_id == user_id)
    )
