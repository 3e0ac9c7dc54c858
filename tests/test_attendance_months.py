"""Monthly attendance rates count a meeting in the month it had on the branch's own clock, not
in UTC+8: a branch in UTC+6 whose meeting ran late on 31 March must see it in March."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage.attendance import local_month, monthly_rates
from storage.db import Database
from storage.models import Attendance, Branch, Event, Member

LATE_ON_31_MARCH_UTC6 = datetime(2026, 3, 31, 17, 30, tzinfo=UTC)  # 23:30 in UTC+6, 01:30 in UTC+8


@pytest.mark.parametrize(
    ("instant", "zone", "month"),
    [
        (LATE_ON_31_MARCH_UTC6, "Asia/Urumqi", "2026-03"),  # UTC+6
        (LATE_ON_31_MARCH_UTC6, "Asia/Shanghai", "2026-04"),  # UTC+8
        (LATE_ON_31_MARCH_UTC6, "UTC", "2026-03"),
        (datetime(2026, 12, 31, 16, 0, tzinfo=UTC), "Asia/Shanghai", "2027-01"),  # new year
        (datetime(2026, 12, 31, 16, 0, tzinfo=UTC), "Asia/Urumqi", "2026-12"),
        (datetime(2026, 3, 1, 0, 0, tzinfo=UTC), "America/Los_Angeles", "2026-02"),
    ],
)
def test_local_month(instant: datetime, zone: str, month: str) -> None:
    assert local_month(instant, zone) == month


async def test_rates_bucket_months_in_each_branch_zone(database_url: str) -> None:
    db = Database(database_url)
    await db.migrate()
    try:
        async with db.session() as session:
            west = Branch(name="新疆某支部", timezone="Asia/Urumqi")
            home = Branch(name="楚雄某支部", timezone="Asia/Shanghai")
            session.add_all([west, home])
            await session.flush()
            for branch in (west, home):
                member = Member(display_name="党员", branch_id=branch.id, user_id=str(branch.id))
                event = Event(branch_id=branch.id, starts_at=LATE_ON_31_MARCH_UTC6)
                session.add_all([member, event])
                await session.flush()
                session.add(Attendance(event_id=event.id, member_id=member.id, attended=True))
            await session.commit()
            rates = await monthly_rates(session, "Asia/Shanghai")
        months = {branch_id: month for branch_id, month, *_ in rates}
        assert months == {west.id: "2026-03", home.id: "2026-04"}
    finally:
        await db.close()
