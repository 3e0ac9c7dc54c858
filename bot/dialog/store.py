"""Where snapshots live between two messages: one database row per (chat, user), rewritten
after every change, so a restart resumes at the same question with every answer kept."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialog.machine import Snapshot
from storage import dialogs
from storage.models import DialogState


def _snapshot(row: DialogState) -> Snapshot:
    return Snapshot(
        row.id,
        row.flow_id,
        row.step_id,
        row.seq,
        dict(row.answers or {}),
        dict(row.context or {}),
        tuple(row.history or ()),
    )


async def get(session: AsyncSession, chat_id: str, user_id: str) -> Snapshot | None:
    row = await dialogs.get_state(session, chat_id, user_id)
    return None if row is None else _snapshot(row)


async def create(session: AsyncSession, chat_id: str, user_id: str, begun: Snapshot) -> Snapshot:
    """Replaces whatever this user had running in this chat; the new dialog gets its id."""
    row = await dialogs.new_state(
        session, chat_id, user_id, begun.flow_id, begun.step_id, dict(begun.answers),
        dict(begun.context),
    )  # fmt: skip
    return _snapshot(row)


async def save(session: AsyncSession, snapshot: Snapshot) -> None:
    row = await session.get(DialogState, snapshot.id)  # loaded by `get`: no second query
    if row is None:  # dropped meanwhile (/cancel in another process): nothing to resume
        return
    row.step_id = snapshot.step_id
    row.seq = snapshot.seq
    row.answers = dict(snapshot.answers)
    row.context = dict(snapshot.context)
    row.history = list(snapshot.history)
    await session.flush()


async def drop(session: AsyncSession, chat_id: str, user_id: str) -> None:
    await dialogs.drop_state(session, chat_id, user_id)
