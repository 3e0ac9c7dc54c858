"""The date and time reader on its tables: share read as meant (the blind one never tuned on)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from bot.dialog.when import Unreadable, read_date, read_time

DATA = Path(__file__).parent.parent / "data"


def shown(value: object) -> str:
    if isinstance(value, Unreadable):
        return value.reason
    return value.isoformat() if isinstance(value, date) else value.strftime("%H:%M")  # type: ignore[attr-defined]


def main() -> None:
    print("Reading dates and times (tests/data/dates_times*.yaml):")
    for name, title in (("dates_times.yaml", "tuning"), ("dates_times_blind.yaml", "blind")):
        table = yaml.safe_load((DATA / name).read_text("utf-8"))
        today = date.fromisoformat(str(table["today"]))
        dates = sum(shown(read_date(t, today)) == str(w) for t, w in table["dates"])
        times = sum(shown(read_time(t)) == str(w) for t, w in table["times"])
        print(
            f"  {title} table: dates {dates}/{len(table['dates'])}, "
            f"times {times}/{len(table['times'])}"
        )


if __name__ == "__main__":
    main()
