"""Settings from the environment and `.env` (never from code or committed files)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import load_dotenv

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/branchbot.db"
DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org"


def _ids(raw: str) -> frozenset[int]:
    return frozenset(
        int(part) for part in raw.replace(";", ",").split(",") if part.strip().isdigit()
    )


def _positive(raw: str, default: int) -> int:
    return int(raw) if raw.strip().isdigit() and int(raw) > 0 else default


@dataclass(frozen=True)
class Settings:
    bot_token: str = ""
    bot_framework: str = "ptb"
    telegram_api_url: str = DEFAULT_TELEGRAM_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    timezone: str = "Asia/Shanghai"
    webhook_url: str = ""
    webhook_secret: str = ""
    webhook_listen: str = "127.0.0.1:8080"
    log_level: str = "INFO"
    admin_user_ids: frozenset[int] = field(default_factory=frozenset)
    cache_dir: Path = Path("data") / "cache"
    # Telegram allows about 30 messages/s; bots with paid broadcasts may raise it.
    max_messages_per_second: int = 30

    @classmethod
    def from_env(cls) -> Settings:
        """Reads `.env` in the working directory first; real environment variables win."""
        load_dotenv(os.environ.get("BRANCHBOT_DOTENV", Path.cwd() / ".env"), override=False)
        env = os.environ.get
        framework = env("BOT_FRAMEWORK", "ptb").strip().lower() or "ptb"
        if framework not in ("ptb", "aiogram"):
            raise SystemExit(f"BOT_FRAMEWORK must be ptb or aiogram, not {framework!r}")
        return cls(
            bot_token=env("BOT_TOKEN", "").strip(),
            bot_framework=framework,
            telegram_api_url=env("TELEGRAM_API_URL", DEFAULT_TELEGRAM_API_URL).rstrip("/"),
            database_url=env("DATABASE_URL", DEFAULT_DATABASE_URL).strip() or DEFAULT_DATABASE_URL,
            timezone=env("BOT_TIMEZONE", "Asia/Shanghai").strip() or "Asia/Shanghai",
            webhook_url=env("WEBHOOK_URL", "").strip(),
            webhook_secret=env("WEBHOOK_SECRET", "").strip(),
            webhook_listen=env("WEBHOOK_LISTEN", "").strip() or "127.0.0.1:8080",
            log_level=env("LOG_LEVEL", "INFO").strip().upper() or "INFO",
            admin_user_ids=_ids(env("ADMIN_USER_IDS", "")),
            cache_dir=Path(env("CACHE_DIR", "") or Path("data") / "cache"),
            max_messages_per_second=_positive(env("TELEGRAM_MAX_PER_SECOND", ""), 30),
        )
