"""Settings from the environment and `.env` (never from code or committed files)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from dotenv import load_dotenv

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/branchbot.db"
# The one place the default zone is written: the users are in 云南 (UTC+8, no summer time).
DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org"


def _ids(raw: str) -> frozenset[str]:
    """Telegram user ids, as the core keeps them: text ("00123" is user 123)."""
    parts = (part.strip() for part in raw.replace(";", ",").split(","))
    return frozenset(str(int(part)) for part in parts if part.isascii() and part.isdigit())


def _url_passwords(url: str) -> list[str]:
    """As written in the URL and decoded (a driver's error may show either)."""
    try:
        password = urlsplit(url).password or ""
    except ValueError:
        return []
    return [password, unquote(password)]


def _positive(raw: str, default: int) -> int:
    return int(raw) if raw.strip().isdigit() and int(raw) > 0 else default


# Shorter values are not masked in logs on their own: masking "abc" everywhere would garble
# every line while protecting nothing.
MIN_SECRET_LENGTH = 6


@dataclass(frozen=True)
class Settings:
    # Secrets stay out of repr(): a traceback or a debug line may show the settings.
    bot_token: str = field(default="", repr=False)
    bot_framework: str = "ptb"
    telegram_api_url: str = DEFAULT_TELEGRAM_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    timezone: str = DEFAULT_TIMEZONE
    webhook_url: str = ""
    webhook_secret: str = field(default="", repr=False)
    webhook_listen: str = "127.0.0.1:8080"
    log_level: str = "INFO"
    admin_user_ids: frozenset[str] = field(default_factory=frozenset)
    cache_dir: Path = Path("data") / "cache"
    # Telegram allows about 30 messages/s; bots with paid broadcasts may raise it.
    max_messages_per_second: int = 30
    # Several webhook workers: per-chat order and the sending limits are shared through Redis.
    redis_url: str = ""

    def secrets(self) -> tuple[str, ...]:
        """What logs must never show: the token (also its secret half alone, and URL-encoded,
        as it appears in request URLs), the webhook secret, the database's and Redis's passwords."""
        candidates = [
            self.bot_token,
            self.webhook_secret,
            *_url_passwords(self.database_url),
            *_url_passwords(self.redis_url),
        ]
        if ":" in self.bot_token:
            candidates.append(self.bot_token.split(":", 1)[1])
        candidates += [quote(value, safe="") for value in candidates]
        return tuple(
            dict.fromkeys(value for value in candidates if len(value) >= MIN_SECRET_LENGTH)
        )

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
            timezone=env("BOT_TIMEZONE", DEFAULT_TIMEZONE).strip() or DEFAULT_TIMEZONE,
            webhook_url=env("WEBHOOK_URL", "").strip(),
            webhook_secret=env("WEBHOOK_SECRET", "").strip(),
            webhook_listen=env("WEBHOOK_LISTEN", "").strip() or "127.0.0.1:8080",
            log_level=env("LOG_LEVEL", "INFO").strip().upper() or "INFO",
            admin_user_ids=_ids(env("ADMIN_USER_IDS", "")),
            cache_dir=Path(env("CACHE_DIR", "") or Path("data") / "cache"),
            max_messages_per_second=_positive(env("TELEGRAM_MAX_PER_SECOND", ""), 30),
            redis_url=env("REDIS_URL", "").strip(),
        )
