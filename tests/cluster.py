"""A deployment of several processes on one machine, for the tests and `make bench`: the local
Bot API server and a round-robin reverse proxy in this process, and as real `branchbot`
processes N webhook workers plus one scheduler, sharing PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

from tests.telegram_bots import free_port
from tests.telegram_server import BOT_ID, FakeTelegram

TOKEN = "123456:CLUSTER"
SECRET = "cluster-webhook-secret-0123456789"
BRANCHBOT = str(Path(sys.executable).parent / "branchbot")


class RoundRobinProxy:
    """What a reverse proxy in front of the workers does: each POST to the next worker."""

    def __init__(self, targets: list[str]) -> None:
        self.targets = itertools.cycle(targets)
        self.runner: web.AppRunner | None = None
        self.http: ClientSession | None = None
        self.url = ""

    async def start(self) -> None:
        self.http = ClientSession(timeout=ClientTimeout(total=30))
        app = web.Application(client_max_size=1 << 20)
        app.router.add_post("/hook", self._forward)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        port = free_port()
        await web.TCPSite(self.runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}/hook"

    async def _forward(self, request: web.Request) -> web.Response:
        assert self.http is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower().startswith("x-telegram")}
        headers["Content-Type"] = "application/json"
        try:
            async with self.http.post(next(self.targets), data=body, headers=headers) as answer:
                return web.Response(status=answer.status, body=await answer.read())
        except OSError:
            return web.Response(status=502)

    async def stop(self) -> None:
        if self.http is not None:
            await self.http.close()
        if self.runner is not None:
            await self.runner.cleanup()


@dataclass
class Cluster:
    server: FakeTelegram
    proxy: RoundRobinProxy
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    scheduler: subprocess.Popen[bytes] | None = None
    logs: list[Path] = field(default_factory=list)

    def log_text(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in self.logs if path.exists())


async def clear_redis(redis_url: str) -> None:
    """Earlier runs' queues, stamps and seen-update markers (the local server numbers its
    updates from the same start every time)."""
    import redis.asyncio as redis_asyncio

    client = redis_asyncio.from_url(redis_url)
    try:
        names = [name async for name in client.scan_iter(match=f"branchbot:{BOT_ID}:*")]
        if names:
            await client.delete(*names)
    finally:
        await client.aclose()


def _env(workdir: Path, server: FakeTelegram, database_url: str, redis_url: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": server.url,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "WEBHOOK_SECRET": SECRET,
        "LOG_LEVEL": "WARNING",
        "CACHE_DIR": str(workdir / "cache"),
        "BRANCHBOT_DOTENV": str(workdir / "absent.env"),
    }


@asynccontextmanager
async def cluster(
    workdir: Path,
    database_url: str,
    redis_url: str,
    workers: int = 3,
    framework: str = "ptb",
    with_scheduler: bool = True,
) -> AsyncIterator[Cluster]:
    await clear_redis(redis_url)
    server = await FakeTelegram.start()
    ports = [free_port() for _ in range(workers)]
    proxy = RoundRobinProxy([f"http://127.0.0.1:{port}/hook" for port in ports])
    await proxy.start()
    running = Cluster(server, proxy)
    env = _env(workdir, server, database_url, redis_url) | {"BOT_FRAMEWORK": framework}
    migrate = await asyncio.create_subprocess_exec(BRANCHBOT, "migrate", env=env, cwd=workdir)
    assert await migrate.wait() == 0
    try:
        for index, port in enumerate(ports):
            log = workdir / f"worker{index}.log"
            running.logs.append(log)
            worker_env = env | {"WEBHOOK_URL": proxy.url, "WEBHOOK_LISTEN": f"127.0.0.1:{port}"}
            running.workers.append(
                _spawn([BRANCHBOT, "run", "--no-scheduler"], worker_env, log, workdir)
            )
        if with_scheduler:
            log = workdir / "scheduler.log"
            running.logs.append(log)
            running.scheduler = _spawn([BRANCHBOT, "scheduler"], env, log, workdir)
        await server.wait_for(
            lambda _: sum(c["method"] == "setWebhook" for c in server.calls) >= workers, 60
        )
        yield running
    finally:
        for process in [*running.workers, running.scheduler]:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [*running.workers, running.scheduler]:
            if process is not None:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
        await proxy.stop()
        await server.stop()


def _spawn(
    command: list[str], env: dict[str, str], log: Path, cwd: Path
) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=cwd)


def peak_rate(stamps: list[float], window: float = 1.0) -> int:
    """The most sends the server saw inside any window of `window` seconds."""
    ordered = sorted(stamps)
    best = start = 0
    for end, stamp in enumerate(ordered):
        while ordered[start] <= stamp - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def sends(server: FakeTelegram) -> list[dict[str, Any]]:
    return [m for m in server.sent if m["method"] in ("sendMessage", "editMessageText")]
