"""Running `branchbot` as a child process the way a user would, for the tests that need a
whole process (start-up, exit codes, what reaches the terminal)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BRANCHBOT = [sys.executable, "-m", "bot.cli"]
ROOT = Path(__file__).resolve().parents[1]


def subprocess_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a `branchbot` child: this checkout's code, a database in `tmp_path`,
    no token and no developer .env."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "DATABASE_URL", "LOG_LEVEL")
    }
    env |= {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "PYTHONUNBUFFERED": "1",
        "BRANCHBOT_DOTENV": str(tmp_path / "none.env"),
        "PYTHONPATH": str(ROOT),
    }
    return env


def run_branchbot(
    tmp_path: Path, *args: str, stdin: str = "", timeout: float = 60, **env: str
) -> subprocess.CompletedProcess[str]:
    """The real command, with its own database and no .env (plus `env`), its output captured
    as text."""
    return subprocess.run(
        [*BRANCHBOT, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=subprocess_env(tmp_path) | env,
        cwd=tmp_path,
        timeout=timeout,
    )
