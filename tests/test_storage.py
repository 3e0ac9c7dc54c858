"""Storage on both backends: migrations, the ledger and dialog state."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from storage import dialogs, ledger
from storage.db import Database
from tests.ledger_records import ENTERPRISE


async def test_migrations_create_every_table_and_are_idempotent(database: Database) -> None:
    await database.migrate()
    async with database.engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {
        "organisations",
        "branches",
        "members",
        "group_bindings",
        "dialog_states",
        "events",
        "reminders",
        "attendance",
        "selfcheck_results",
        "plans",
        "plan_milestones",
    } <= tables


async def test_ledger_round_trip_and_visibility(database: Database) -> None:
    async with database.session() as session:
        mine = await ledger.add_organisation(session, ENTERPRISE, user_id="7", user_name="李书记")
        other = dict(ENTERPRISE, name="另一家公司", county="禄丰市")
        await ledger.add_organisation(session, other, user_id="8", user_name="王书记")
    async with database.session() as session:
        loaded = await ledger.get_organisation(session, mine.id)
        assert loaded is not None
        assert (loaded.name, loaded.employees, loaded.probationary_members) == (
            "楚雄某某科技有限公司",
            120,
            1,
        )
        assert loaded.registered_at.tzinfo is not None
        assert abs((datetime.now(UTC) - loaded.registered_at).total_seconds()) < 60
        assert [o.name for o in await ledger.list_organisations(session, registered_by="7")] == [
            "楚雄某某科技有限公司"
        ]
        assert len(await ledger.list_organisations(session)) == 2
        await ledger.update_organisation(session, loaded, dict(ENTERPRISE, employees=130))
    async with database.session() as session:
        again = await ledger.get_organisation(session, mine.id)
        assert again is not None and again.employees == 130


async def test_dialog_state_survives_a_new_engine(database: Database) -> None:
    async with database.session() as session:
        state = await dialogs.new_state(session, "1", "2", "survey", "name")
        state.answers = {"name": "测试单位", "employees": 12}
        state.step_id = "kind"
        state.seq = 1
    reopened = Database(database.url)
    try:
        async with reopened.session() as session:
            loaded = await dialogs.get_state(session, "1", "2")
            assert loaded is not None
            assert (loaded.step_id, loaded.seq, loaded.answers["employees"]) == ("kind", 1, 12)
            await dialogs.drop_state(session, "1", "2")
        async with reopened.session() as session:
            assert await dialogs.get_state(session, "1", "2") is None
    finally:
        await reopened.close()


async def test_new_state_replaces_the_running_one(database: Database) -> None:
    async with database.session() as session:
        first = await dialogs.new_state(session, "1", "2", "survey", "name")
        second = await dialogs.new_state(session, "1", "2", "survey", "kind")
        assert second.id != first.id
    async with database.session() as session:
        loaded = await dialogs.get_state(session, "1", "2")
        assert loaded is not None and loaded.step_id == "kind"


async def test_head_revision_constant_matches_alembic(database: Database) -> None:
    from alembic.script import ScriptDirectory

    from storage.db import HEAD_REVISION, alembic_config

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD_REVISION
    assert await database.current_revision() == HEAD_REVISION


def downgrade_to(connection: Connection, revision: str) -> None:
    """The schema as an earlier version left it, to write rows as that version did."""
    from alembic import command

    from storage.db import alembic_config

    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def test_reminders_written_before_kinds_are_labelled_by_the_old_reading(
    database: Database,
) -> None:
    """Migration 0004 names each existing reminder's kind: a negative chat is a group, a
    private reminder after the start is the confirmation, one before it the digest."""
    from sqlalchemy import text

    async with database.engine.begin() as connection:
        await connection.run_sync(downgrade_to, "0003")
        await connection.execute(
            text(
                "INSERT INTO branches (id, name, timezone, created_at) "
                "VALUES (1, '支部', 'Asia/Shanghai', :now)"
            ),
            {"now": datetime(2026, 12, 1, tzinfo=UTC)},
        )
        await connection.execute(
            text(
                "INSERT INTO events (id, branch_id, source, theme, starts_at, status, created_at)"
                " VALUES (1, 1, 'rule', '', :now, 'planned', :now)"
            ),
            {"now": datetime(2026, 12, 15, tzinfo=UTC)},
        )
        for number, (chat_id, minutes) in enumerate(((-100, 120), (7, 1440), (7, -120)), 1):
            await connection.execute(
                text(
                    "INSERT INTO reminders (id, event_id, chat_id, offset_minutes, due_at, status)"
                    " VALUES (:id, 1, :chat, :minutes, :due, 'pending')"
                ),
                {
                    "id": number,
                    "chat": chat_id,
                    "minutes": minutes,
                    "due": datetime(2026, 12, 14, tzinfo=UTC),
                },
            )
    await database.migrate()
    async with database.engine.connect() as connection:
        kinds = (await connection.execute(text("SELECT id, kind FROM reminders"))).all()
        # Migration 0007: an event written before meetings existed is a theme day.
        event = (await connection.execute(text("SELECT kind, meetings FROM events"))).one()
    assert sorted(kinds) == [(1, "group"), (2, "digest"), (3, "confirm")]
    assert tuple(event) == ("theme_day", None)


async def test_a_meeting_may_share_its_date_with_the_theme_day(database: Database) -> None:
    """Migration 0007: the rule date is unique per branch and kind, not per branch."""
    from sqlalchemy.exc import IntegrityError

    from storage.models import Branch, Event

    day, at = date(2027, 1, 15), datetime(2027, 1, 15, 1, tzinfo=UTC)
    async with database.session() as session:
        session.add(Branch(id=1, name="支部", timezone="Asia/Shanghai"))
        session.add(Event(branch_id=1, starts_at=at, occurrence_date=day))
        session.add(Event(branch_id=1, kind="committee", starts_at=at, meeting_date=day))
    with pytest.raises(IntegrityError):
        async with database.session() as session:
            session.add(Event(branch_id=1, kind="committee", starts_at=at, meeting_date=day))


async def test_the_migrated_schema_is_the_models(database: Database) -> None:
    """What the migrations build is what the models declare (types, indexes, constraints):
    a model changed without its migration, or the reverse, shows here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.models import Base

    async with database.engine.connect() as connection:
        differences = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
        )
    assert differences == []


async def test_ids_written_as_numbers_become_text(database: Database) -> None:
    """Migration 0005: Telegram's numbers, as earlier versions stored them, are kept as the
    text the core now compares; a member found by the old number is found by its text."""
    from sqlalchemy import text

    from storage import groups

    now = {"now": datetime(2026, 12, 1, tzinfo=UTC)}
    async with database.engine.begin() as connection:
        await connection.run_sync(downgrade_to, "0004")
        await connection.execute(
            text(
                "INSERT INTO branches (id, name, timezone, created_at) "
                "VALUES (1, '支部', 'Asia/Shanghai', :now)"
            ),
            now,
        )
        await connection.execute(
            text(
                "INSERT INTO group_bindings (id, chat_id, branch_id, title, bound_by, active, "
                "bound_at) VALUES (1, -1001234567890, 1, '群', 77, :yes, :now)"
            ),
            {**now, "yes": True},
        )
        await connection.execute(
            text(
                "INSERT INTO members (id, telegram_user_id, display_name, branch_id, role, "
                "active, joined_at) VALUES (1, 77, '书记', 1, 'secretary', :yes, :now)"
            ),
            {**now, "yes": True},
        )
    await database.migrate()
    async with database.session() as session:
        binding = await groups.get_binding(session, "-1001234567890")
        assert binding is not None and binding.bound_by == "77"
        member = await groups.find_member(session, 1, "77")
        assert member is not None and member.user_id == "77"
