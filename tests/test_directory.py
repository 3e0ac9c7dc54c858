"""Links into the private chat come from the platform's directory: Telegram builds t.me links,
the console has none (and then the core sends the text without a button)."""

from __future__ import annotations

import pytest

from bot.console import ConsoleDirectory
from bot.transports.common import telegram_deep_link


@pytest.mark.parametrize(
    ("username", "payload", "link"),
    [
        ("branch_test_bot", "join-1", "https://t.me/branch_test_bot?start=join-1"),
        ("branch_test_bot", "m-s3", "https://t.me/branch_test_bot?start=m-s3"),
        ("branch_test_bot", "a b", "https://t.me/branch_test_bot?start=a%20b"),
        ("", "join-1", None),  # the username is not known yet: no link rather than a broken one
    ],
)
def test_telegram_deep_link(username: str, payload: str, link: str | None) -> None:
    assert telegram_deep_link(username, payload) == link


def test_the_console_link_runs_start_in_the_private_chat() -> None:
    """One terminal has no other chat to open: pressing the link runs /start there."""
    from bot.console import PRIVATE_LINK

    assert ConsoleDirectory().deep_link("join-1") == PRIVATE_LINK + "join-1"
