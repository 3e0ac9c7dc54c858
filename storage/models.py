"""Typed SQLAlchemy models. Tables for features built later were created by the first
migration already, so the migration history stays linear as features fill them in.

Times are stored as timezone-aware UTC; dates of plans and events are local calendar dates.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Explicit constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite would otherwise hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[Any]: JSON,
        datetime: UTCDateTime(),
    }


class Organisation(Base):
    """One 两新组织 and its 五个清 (the 抓摸底 ledger record)."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # 非公企业 / 社会组织
    subtype: Mapped[str | None] = mapped_column(String(40))
    prefecture_level: Mapped[bool | None] = mapped_column(Boolean)  # 社会团体: 州级以上
    county: Mapped[str] = mapped_column(String(40), index=True)
    park: Mapped[str | None] = mapped_column(String(100))
    supervisor_kind: Mapped[str | None] = mapped_column(String(20))  # 州属党工委 / 行业主管部门
    supervisor: Mapped[str | None] = mapped_column(String(100))
    operating_status: Mapped[str] = mapped_column(String(40))
    employees: Mapped[int] = mapped_column(Integer)
    formal_members: Mapped[int] = mapped_column(Integer)
    probationary_members: Mapped[int] = mapped_column(Integer)
    leader_name: Mapped[str | None] = mapped_column(String(100))
    leader_is_member: Mapped[bool | None] = mapped_column(Boolean)
    has_party_org: Mapped[bool] = mapped_column(Boolean, default=False)
    no_org_reason: Mapped[str | None] = mapped_column(String(60))
    no_org_note: Mapped[str | None] = mapped_column(Text)
    registered_by: Mapped[str] = mapped_column(String(64), index=True)
    registered_by_name: Mapped[str] = mapped_column(String(100), default="")
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Set when a 工委 admin merged this record into another (one organisation entered twice):
    # the record stays, out of every list, so what its secretary entered is not lost.
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)

    branches: Mapped[list[Branch]] = relationship(back_populates="organisation")


class OrganisationMerge(Base):
    """Who merged which record into which, and the merged record as it was then."""

    __tablename__ = "organisation_merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    kept_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    merged_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    merged_by: Mapped[str] = mapped_column(String(64))
    merged_by_name: Mapped[str] = mapped_column(String(100), default="")
    merged_at: Mapped[datetime] = mapped_column(default=utcnow)
    record: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Branch(Base):
    """A party branch (or joint branch); theme-day settings hang off it."""

    __tablename__ = "branches"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    form: Mapped[str | None] = mapped_column(String(40))  # 党支部 / 联合党支部 / ...
    timezone: Mapped[str] = mapped_column(
        String(64)
    )  # IANA name, set from the settings at creation
    theme_day_rule: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Meeting rules, committee size, groups, election date (bot/rules/meetings.py reads it).
    organisational_life: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reminder_offsets_minutes: Mapped[list[Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation | None] = relationship(back_populates="branches")


class Member(Base):
    """A messenger user in a role; admins (工委 staff) may have no branch."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("branch_id", "user_id", name="uq_members_branch_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str | None] = mapped_column(String(64), index=True)
    display_name: Mapped[str] = mapped_column(String(100))
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"))
    role: Mapped[str] = mapped_column(String(20), default="member")  # admin / secretary / member
    membership: Mapped[str | None] = mapped_column(String(20))  # formal / probationary
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)


class GroupBinding(Base):
    """Links a Telegram group chat to a branch; inactive once the bot is removed (403)."""

    __tablename__ = "group_bindings"

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64), unique=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    title: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    bound_by: Mapped[str] = mapped_column(String(64))
    bound_at: Mapped[datetime] = mapped_column(default=utcnow)


class DialogState(Base):
    """Where one user is in one flow, written after every answer so a restart resumes there."""

    __tablename__ = "dialog_states"
    # AUTOINCREMENT: ids are never reused, so buttons of an abandoned dialog stay invalid.
    __table_args__ = (
        UniqueConstraint("chat_id", "user_id", name="uq_dialog_states_chat_user"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    flow_id: Mapped[str] = mapped_column(String(40))
    step_id: Mapped[str] = mapped_column(String(60))
    # Increases with every answer; stale buttons carry an older number and are ignored.
    seq: Mapped[int] = mapped_column(Integer, default=0)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    history: Mapped[list[Any]] = mapped_column(JSON, default=list)
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Event(Base):
    """A 支部主题党日 (from the branch's monthly rule), a meeting of its organisational life
    (支委会, 党员大会… from the branch's meeting rules), or a one-off activity."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("branch_id", "occurrence_date", name="uq_events_branch_occurrence"),
        Index(
            "ix_events_branch_kind_meeting_date", "branch_id", "kind", "meeting_date", unique=True
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)
    # theme_day, or the meeting kind (bot/rules/meetings.py) of an event of its own
    kind: Mapped[str] = mapped_column(String(20), default="theme_day", server_default="theme_day")
    # The meeting kinds this event counts for: a theme day may hold the quarter's 党员大会.
    meetings: Mapped[list[Any] | None] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(20), default="rule")  # rule / oneoff
    theme: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(index=True)
    place: Mapped[str | None] = mapped_column(String(200))
    online_link: Mapped[str | None] = mapped_column(String(500))
    agenda: Mapped[list[Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="planned")  # planned/moved/cancelled
    # The rule date this event was generated for (None for one-off events); kept when moved.
    # A theme day's is `occurrence_date`; a meeting of its own (kind ≠ theme_day) has
    # `meeting_date` instead, so it may share a date with the theme day.
    occurrence_date: Mapped[date | None] = mapped_column(Date)
    meeting_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Reminder(Base):
    """One reminder of one event; sent_at set once, so it is never sent twice."""

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("event_id", "offset_minutes", "chat_id", name="uq_reminders_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    chat_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))  # storage.schedule.KINDS: group, digest, confirm
    offset_minutes: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(index=True)
    sent_at: Mapped[datetime | None] = mapped_column()
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    claimed_at: Mapped[datetime | None] = mapped_column()  # when status became "sending"


class Attendance(Base):
    """A member's reply to an event, and after it whether they actually came."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("event_id", "member_id", name="uq_attendance_event_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    response: Mapped[str | None] = mapped_column(String(20))  # attend / leave
    reason: Mapped[str | None] = mapped_column(String(500))
    responded_at: Mapped[datetime | None] = mapped_column()
    attended: Mapped[bool | None] = mapped_column(Boolean)


class MeetingRecord(Base):
    """The 会议记录 of one meeting: what the bot cannot know (who chaired and took the minutes,
    what was discussed and decided, the votes); date, place and attendance come from the
    event."""

    __tablename__ = "meeting_records"
    __table_args__ = (UniqueConstraint("event_id", "kind", name="uq_meeting_records_event_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    host: Mapped[str] = mapped_column(String(100), default="")
    recorder: Mapped[str] = mapped_column(String(100), default="")
    topics: Mapped[str] = mapped_column(Text, default="")
    decisions: Mapped[str] = mapped_column(Text, default="")
    votes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SelfCheckResult(Base):
    __tablename__ = "selfcheck_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"))
    questionnaire_id: Mapped[str] = mapped_column(String(40))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)


class Plan(Base):
    """A step's saved outcome (一企一策 plan, standardisation check, brand card ...)."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # formation / standards / activity / ...
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"))
    created_by: Mapped[str] = mapped_column(String(64), index=True)
    responsible: Mapped[str | None] = mapped_column(String(100))
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    milestones: Mapped[list[PlanMilestone]] = relationship(
        back_populates="plan", cascade="all, delete-orphan"
    )


class PlanMilestone(Base):
    __tablename__ = "plan_milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    due_date: Mapped[date] = mapped_column(Date)
    responsible_user_id: Mapped[str | None] = mapped_column(String(64))
    reminded_at: Mapped[datetime | None] = mapped_column()

    plan: Mapped[Plan] = relationship(back_populates="milestones")
