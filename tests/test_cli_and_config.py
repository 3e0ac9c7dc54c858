"""The stable command-line and environment interfaces of DESIGN.md."""

from __future__ import annotations

import errno
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.config import DEFAULT_DATABASE_URL, Settings
from tests.flow_scripts import ENTERPRISE_ANSWERS
from tests.processes import ROOT
from tests.processes import run_branchbot as run


def test_migrate_then_export_ledger(tmp_path: Path) -> None:
    migrated = run(tmp_path, "migrate")
    assert migrated.returncode == 0 and "数据库已升级" in migrated.stdout
    run(tmp_path, "console", stdin="\n".join(["/menu", "1", *ENTERPRISE_ANSWERS]) + "\n")
    out = tmp_path / "exports" / "台账.xlsx"
    exported = run(tmp_path, "export", "ledger", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert "已导出 1 家组织" in exported.stdout
    sheet = load_workbook(out)["楚雄市"]
    assert any(row[2] == "楚雄某某科技有限公司" for row in sheet.iter_rows(values_only=True))


def test_unknown_export_kind_is_refused(tmp_path: Path) -> None:
    result = run(tmp_path, "export", "everything", "--out", "x.xlsx")
    assert result.returncode == 2 and "无效的选择" in result.stderr


def test_settings_from_dotenv_with_environment_winning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "BOT_TOKEN=from-file\nADMIN_USER_IDS=5, 7;x\nBOT_FRAMEWORK=aiogram\nDATABASE_URL=\n"
    )
    monkeypatch.setenv("BRANCHBOT_DOTENV", str(dotenv))
    monkeypatch.setenv("BOT_TOKEN", "from-env")
    for name in ("ADMIN_USER_IDS", "BOT_FRAMEWORK", "TELEGRAM_API_URL", "BOT_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings.from_env()
    assert settings.bot_token == "from-env"
    assert settings.admin_user_ids == frozenset({"5", "7"})
    assert settings.bot_framework == "aiogram"
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.timezone == "Asia/Shanghai"
    assert settings.telegram_api_url == "https://api.telegram.org"


def test_wrong_framework_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_FRAMEWORK", "django")
    with pytest.raises(SystemExit, match="ptb or aiogram"):
        Settings.from_env()


TOKEN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (Settings(), ()),
        (Settings(bot_token="123:abc"), ("123:abc", "123%3Aabc")),  # "abc" alone: too short
        (
            Settings(bot_token=TOKEN),
            (TOKEN, TOKEN.split(":")[1], TOKEN.replace(":", "%3A")),
        ),
        (
            Settings(
                webhook_secret="s3cret-value",
                database_url="postgresql+asyncpg://bot:p%40ss-word@db/branchbot",
                redis_url="redis://:redis-pass@cache:6379/0",
            ),
            ("s3cret-value", "p%40ss-word", "p@ss-word", "redis-pass", "p%2540ss-word"),
        ),
    ],
    ids=["nothing", "short-secret-part", "token", "webhook-and-passwords"],
)
def test_secrets_that_logs_mask(settings: Settings, expected: tuple[str, ...]) -> None:
    assert set(settings.secrets()) == set(expected)


def test_settings_repr_shows_no_secret() -> None:
    shown = repr(Settings(bot_token=TOKEN, webhook_secret="s3cret-value"))
    assert TOKEN not in shown and "s3cret-value" not in shown and "bot_framework" in shown


@pytest.mark.parametrize(
    ("command", "environment", "expected"),
    [
        ("console", {}, "WARNING"),
        ("run", {}, "WARNING"),
        ("run", {"LOG_LEVEL": "DEBUG"}, "DEBUG"),
        ("migrate", {}, "INFO"),
    ],
)
def test_log_level_keeps_the_console_transcript_readable(
    monkeypatch: pytest.MonkeyPatch, command: str, environment: dict[str, str], expected: str
) -> None:
    from bot.cli import _log_level

    monkeypatch.delenv("LOG_LEVEL", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert _log_level(Settings.from_env(), command) == expected


@pytest.mark.parametrize(
    ("path", "is_directory", "code", "blocker", "expected"),
    [
        ("/srv/data", True, errno.EACCES, None, "无法写入数据库目录 /srv/data：权限不足"),
        ("/srv/data", True, errno.EROFS, None, "无法写入数据库目录 /srv/data：文件系统只读"),
        ("/x/f/data", True, errno.ENOTDIR, "/x/f", "无法写入数据库目录 /x/f/data：/x/f 不是目录"),
        ("/srv/b.db", False, errno.EISDIR, None, "无法写入数据库文件 /srv/b.db：这是一个目录"),
        ("/srv/b.db", False, errno.ENOSPC, None, "无法写入数据库文件 /srv/b.db：磁盘空间不足"),
        ("/srv/b.db", False, errno.EIO, None, "无法写入数据库文件 /srv/b.db：系统错误 EIO"),
    ],
)
def test_database_path_message(
    path: str, is_directory: bool, code: int, blocker: str | None, expected: str
) -> None:
    from bot.cli import database_path_message
    from storage.db import DatabasePathError

    error = DatabasePathError(Path(path), is_directory, code, Path(blocker) if blocker else None)
    assert database_path_message(error) == expected


def test_ask_loads_no_database_code(tmp_path: Path) -> None:
    """`ask` stays fast: the safe logging and the error handling import no SQLAlchemy."""
    code = "import sys, bot.cli; assert 'sqlalchemy' not in sys.modules, 'sqlalchemy loaded'"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, cwd=ROOT)
