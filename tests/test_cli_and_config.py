"""The stable command-line and environment interfaces of DESIGN.md."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.config import DEFAULT_DATABASE_URL, Settings
from tests.test_console_process import BRANCHBOT, _env
from tests.test_survey_flow import ENTERPRISE_ANSWERS


def run(
    tmp_path: Path, *args: str, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*BRANCHBOT, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=_env(tmp_path) | env,
        cwd=tmp_path,
        timeout=60,
    )


def test_migrate_then_export_ledger(tmp_path: Path) -> None:
    migrated = run(tmp_path, "migrate")
    assert migrated.returncode == 0 and "数据库已升级" in migrated.stdout
    run(tmp_path, "console", stdin="\n".join(["/menu", "1", *ENTERPRISE_ANSWERS]) + "\n")
    out = tmp_path / "exports" / "台账.xlsx"
    exported = run(tmp_path, "export", "ledger", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert "已导出 1 家组织" in exported.stdout
    sheet = load_workbook(out)["楚雄市"]
    assert any(row[1] == "楚雄某某科技有限公司" for row in sheet.iter_rows(values_only=True))


def test_unknown_export_kind_is_refused(tmp_path: Path) -> None:
    result = run(tmp_path, "export", "everything", "--out", "x.xlsx")
    assert result.returncode == 2 and "invalid choice" in result.stderr


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
    assert settings.admin_user_ids == frozenset({5, 7})
    assert settings.bot_framework == "aiogram"
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.timezone == "Asia/Shanghai"
    assert settings.telegram_api_url == "https://api.telegram.org"


def test_wrong_framework_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_FRAMEWORK", "django")
    with pytest.raises(SystemExit, match="ptb or aiogram"):
        Settings.from_env()
