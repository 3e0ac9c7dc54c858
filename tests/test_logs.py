"""Logs carry no token, no message text and no names, at any level, from any logger.

The formatter is tested on its own (token in a message, in its arguments, in exception
text, in a chained cause; an exception message with a name), then whole conversations run
on both frameworks with logging at DEBUG and the output is searched for what must not be
there."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import re
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import router
from bot.config import Settings
from bot.logs import SafeFormatter, configure_logging, exception_text, redact
from tests.flow_scripts import ENTERPRISE_ANSWERS
from tests.processes import BRANCHBOT, ROOT
from tests.telegram_server import FakeTelegram

# Shaped like a real token (bot id, colon, 35 characters); made up.
TOKEN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
TOKEN_SECRET = TOKEN.split(":", 1)[1]
NAME = "王小明"
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def record(
    msg: object, *args: object, exc: BaseException | None = None, name: str = "bot.test"
) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args or None, exc_info)


def raised(exc: BaseException) -> BaseException:
    """`exc` with a traceback, as a logger sees it inside `except`."""
    try:
        raise exc
    except BaseException as caught:
        return caught


def chained() -> BaseException:
    try:
        try:
            raise ConnectionError(f"GET https://api.telegram.org/bot{TOKEN}/getMe failed")
        except ConnectionError as cause:
            raise RuntimeError(f"could not start for {NAME}") from cause
    except RuntimeError as exc:
        return exc


def context_chained() -> BaseException:
    """KeyError, during whose handling a ValueError, the direct cause of an OSError."""
    try:
        try:
            raise KeyError(NAME)
        except KeyError:
            raise ValueError(f"INSERT failed: ('楚雄某某科技有限公司', '{NAME}')")  # noqa: B904
    except ValueError as cause:
        try:
            raise OSError(13, f"/home/{NAME}/data") from cause
        except OSError as exc:
            return exc


def suppressed_context() -> BaseException:
    try:
        try:
            raise KeyError(NAME)
        except KeyError:
            raise LookupError(f"{NAME} unknown") from None
    except LookupError as exc:
        return exc


FORMATTER = SafeFormatter("%(levelname)s %(name)s: %(message)s", secrets=(TOKEN, TOKEN_SECRET))


@pytest.mark.parametrize(
    ("logged", "absent", "present"),
    [
        pytest.param(
            record(f"HTTP Request: POST https://api.telegram.org/bot{TOKEN}/getUpdates"),
            [TOKEN, TOKEN_SECRET],
            ["https://api.telegram.org/bot***/getUpdates"],
            id="token-in-message",
        ),
        pytest.param(
            record("HTTP Request: %s %s", "POST", f"https://x/bot{TOKEN}/sendMessage"),
            [TOKEN],
            ["POST https://x/bot***/sendMessage"],
            id="token-in-args",
        ),
        pytest.param(
            record("url %s", f"https://x/bot{TOKEN.replace(':', '%3A')}/getMe"),
            [TOKEN_SECRET],
            ["https://x/bot"],
            id="token-url-encoded",
        ),
        pytest.param(
            record("start failed", exc=raised(ValueError(f"The token `{TOKEN}` was rejected"))),
            [TOKEN, TOKEN_SECRET, "was rejected"],
            ["start failed", "Traceback (most recent call last):", "ValueError", "in raised"],
            id="token-in-exception",
        ),
        pytest.param(
            record("start failed", exc=chained()),
            [TOKEN, TOKEN_SECRET, NAME, "getMe failed"],
            [
                "ConnectionError",
                "The above exception was the direct cause of the following exception:",
                "RuntimeError",
            ],
            id="token-in-chained-cause",
        ),
        pytest.param(
            record("handler failed chat=%s", 42, exc=raised(RuntimeError(f"保存{NAME}的资料失败"))),
            [NAME, "保存"],
            ["handler failed chat=42", "RuntimeError"],
            id="name-in-exception-message",
        ),
        pytest.param(
            record("handler failed", exc=context_chained()),
            [NAME, "楚雄", "INSERT failed", "/home/"],
            [
                "KeyError",
                "During handling of the above exception, another exception occurred:",
                "ValueError",
                "PermissionError [EACCES]",
            ],
            id="implicit-context-and-cause",
        ),
        pytest.param(
            record("handler failed", exc=suppressed_context()),
            [NAME, "KeyError", "During handling"],
            ["LookupError"],
            id="suppressed-context",
        ),
        pytest.param(
            record("Failed to fetch updates - %s: %s", "ValueError", ValueError(NAME)),
            [NAME],
            ["Failed to fetch updates - ValueError: <ValueError>"],
            id="exception-as-argument",
        ),
        pytest.param(
            record(ValueError(f"{NAME} not found")),
            [NAME],
            ["<ValueError>"],
            id="exception-as-message",
        ),
        pytest.param(
            record(
                "Task exception was never retrieved\nfuture: <Task exception=%r>",
                KeyError(NAME),
                exc=raised(KeyError(NAME)),
            ),
            [NAME],
            ["Task exception was never retrieved", "KeyError"],
            id="exception-repr-in-message",
        ),
        pytest.param(
            record(
                "group failed",
                exc=raised(ExceptionGroup("two", [ValueError(NAME), TypeError(TOKEN)])),
            ),
            [NAME, TOKEN],
            ["ExceptionGroup", "ValueError", "TypeError"],
            id="exception-group",
        ),
    ],
)
def test_formatter_keeps_frames_and_class_names_only(
    logged: logging.LogRecord, absent: list[str], present: list[str]
) -> None:
    text = FORMATTER.format(logged)
    for needle in absent:
        assert needle not in text, text
    for needle in present:
        assert needle in text, text


def test_formatter_does_not_change_the_record_for_other_handlers() -> None:
    logged = record("a %s", TOKEN, exc=raised(ValueError(NAME)))
    FORMATTER.format(logged)
    assert logged.args == (TOKEN,) and logged.exc_text is None


def test_exception_text_ignores_what_another_formatter_cached() -> None:
    logged = record("failed", exc=raised(ValueError(NAME)))
    logging.Formatter().format(logged)  # e.g. pytest's capture handler ran first
    assert NAME in (logged.exc_text or "")
    assert NAME not in FORMATTER.format(logged)


@pytest.mark.parametrize(
    ("text", "secrets", "expected"),
    [
        ("no secret", (TOKEN,), "no secret"),
        (f"/bot{TOKEN}/x /bot{TOKEN}/y", (TOKEN,), "/bot***/x /bot***/y"),
        (f"{TOKEN_SECRET}", (TOKEN, TOKEN_SECRET), "***"),
        ("anything", (), "anything"),
    ],
)
def test_redact(text: str, secrets: tuple[str, ...], expected: str) -> None:
    assert redact(text, secrets) == expected


def test_exception_text_of_a_recursion_stays_short() -> None:
    def deep(n: int) -> int:
        return deep(n + 1)

    try:
        deep(0)
    except RecursionError as exc:
        text = exception_text(exc)
    assert "RecursionError" in text and "more times" in text and len(text) < 5000


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Logging configured as `branchbot` does, at DEBUG, into a buffer; undone afterwards
    (logging is process-wide)."""
    buffer = io.StringIO()
    settings = Settings(bot_token=TOKEN, webhook_secret="webhook-secret-value")
    restore = configure_logging(settings, level="DEBUG", stream=buffer)
    try:
        yield buffer
    finally:
        restore()


def test_libraries_are_capped_at_warning_and_own_loggers_follow_the_level(
    log_output: io.StringIO,
) -> None:
    for name in ("httpx", "telegram.ext.Updater", "aiogram.event", "sqlalchemy.engine"):
        logging.getLogger(name).info("HTTP Request: POST /bot%s/sendMessage 李四", TOKEN)
        logging.getLogger(name).debug("params %s", NAME)
    logging.getLogger("some.unknown.library").info("unknown %s", NAME)
    logging.getLogger("httpx").warning("a library warning")
    logging.getLogger("scheduler.service").debug("own debug line")
    output = log_output.getvalue()
    assert "a library warning" in output and "own debug line" in output
    assert NAME not in output and "李四" not in output and TOKEN not in output


def test_warnings_are_captured_and_uncaught_exceptions_are_formatted(
    log_output: io.StringIO,
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("a deprecated call", DeprecationWarning, stacklevel=1)
    exc = raised(RuntimeError(f"{NAME} {TOKEN}"))
    sys.excepthook(type(exc), exc, exc.__traceback__)
    output = log_output.getvalue()
    assert "DeprecationWarning: a deprecated call" in output
    assert "RuntimeError" in output and NAME not in output and TOKEN not in output


def test_restore_puts_logging_back_as_it_was() -> None:
    root = logging.getLogger()
    before = (list(root.handlers), root.level, logging.getLogger("httpx").level, sys.excepthook)
    restore = configure_logging(Settings(bot_token=TOKEN), level="DEBUG", stream=io.StringIO())
    assert sys.excepthook is not before[3]
    restore()
    after = (list(root.handlers), root.level, logging.getLogger("httpx").level, sys.excepthook)
    assert after == before


def test_configuring_twice_keeps_one_handler() -> None:
    first = io.StringIO()
    restore_first = configure_logging(Settings(), level="INFO", stream=first)
    second = io.StringIO()
    restore_second = configure_logging(Settings(), level="INFO", stream=second)
    try:
        logging.getLogger("bot.test").warning("once")
        assert first.getvalue() == "" and second.getvalue().count("once") == 1
    finally:
        restore_second()
        restore_first()


# -- whole conversations on both frameworks, everything logged at DEBUG


@pytest.mark.parametrize("framework", ["ptb", "aiogram"])
async def test_a_whole_scenario_logs_no_token_no_text_no_name(
    framework: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.telegram_bots import button, said, start_bot, survey

    server = await FakeTelegram.start()
    settings = Settings(
        bot_token=TOKEN,
        bot_framework=framework,
        telegram_api_url=server.url,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        cache_dir=tmp_path / "cache",
    )
    buffer = io.StringIO()
    restore = configure_logging(settings, level="DEBUG", stream=buffer)
    real_handle_event = router.handle_event

    async def failing_on_request(event, services):  # type: ignore[no-untyped-def]
        if event.text == "帮我查一下":
            raise RuntimeError(f"无法读取{event.user.name}的资料：{event.text}")
        return await real_handle_event(event, services)

    monkeypatch.setattr(router, "handle_event", failing_on_request)
    try:
        stop, task, app = await start_bot(server, settings)
        try:
            user = await server.user(701, NAME)
            chat = await server.private_chat(user)
            await server.send_text(user, chat, "/menu")
            menu = await said(server, chat["id"], "请选择要开展的一步")
            await server.press_button(user, chat, menu["message_id"], button(menu, "抓摸底"))
            await said(server, chat["id"], "请输入组织全称")
            server.fail_next("sendMessage", status=500, times=2)
            await survey(server, user, chat, ENTERPRISE_ANSWERS)
            await said(server, chat["id"], "【摸底台账 #1】", timeout=20)
            admin = await server.user(702, "赵书记")
            group = await server.group(-100700, "某某公司党支部群", members={702: "creator"})
            await server.send_text(admin, group, "/bind")
            await said(server, group["id"], "已将本群绑定")
            await server.send_text(user, chat, "帮我查一下")
            await said(server, chat["id"], app.core.content.text("handler_failed")[:8])
        finally:
            stop.set()
            await asyncio.wait_for(task, 20)
            await server.stop()
    finally:
        restore()
    output = buffer.getvalue()
    assert "telegram (" in output  # the project's own INFO lines are there
    assert "RuntimeError" in output  # the handler failure, by its class only
    assert TOKEN not in output and TOKEN_SECRET not in output
    assert not CJK.findall(output), [line for line in output.splitlines() if CJK.search(line)]


def _subprocess_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("BOT_TOKEN", "DATABASE_URL", "LOG_LEVEL", "TELEGRAM_API_URL")
    }
    return env | {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'data' / 'b.db'}",
        "BRANCHBOT_DOTENV": str(tmp_path / "absent.env"),
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


@pytest.mark.parametrize("framework", ["ptb", "aiogram"])
async def test_a_rejected_token_is_not_logged(framework: str, tmp_path: Path) -> None:
    server = await FakeTelegram.start()
    server.fail_next("getMe", status=401, times=1000, description="Unauthorized")
    process = await asyncio.create_subprocess_exec(
        *BRANCHBOT,
        "run",
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=_subprocess_env(
            tmp_path,
            BOT_TOKEN=TOKEN,
            BOT_FRAMEWORK=framework,
            TELEGRAM_API_URL=server.url,
            LOG_LEVEL="DEBUG",
        ),
    )
    try:
        # Rejected, reported, and tried again: the report was written before the retry.
        await server.wait_for(
            lambda _: sum(call["method"] == "getMe" for call in server.calls) >= 2, timeout=30
        )
    finally:
        if process.returncode is None:
            process.terminate()
        out, err = await asyncio.wait_for(process.communicate(), 30)
        await server.stop()
    output = out.decode() + err.decode()
    assert output, "something was said about the rejected token"
    assert TOKEN not in output and TOKEN_SECRET not in output, output


def test_an_uncaught_error_is_logged_by_class_and_exits_1(tmp_path: Path) -> None:
    code = (
        "import sys, bot.cli as cli\n"
        "def boom(args, settings):\n"
        f"    raise RuntimeError('保存{NAME}的资料失败 ' + settings.bot_token)\n"
        "cli._command = boom\n"
        "sys.exit(cli.main(['migrate']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_subprocess_env(tmp_path, BOT_TOKEN=TOKEN),
        timeout=60,
    )
    assert result.returncode == 1
    assert "RuntimeError" in result.stderr and "Traceback" in result.stderr
    assert NAME not in result.stderr and TOKEN not in result.stderr, result.stderr


# Names whose values are what people typed or are called; no log call of ours may pass them.
PERSONAL = frozenset(
    {
        "text", "name", "display_name", "first_name", "last_name", "title", "answer", "answers",
        "caption", "leader_name", "registered_by_name", "message", "question", "reason", "note",
        "data", "content", "user", "event", "update", "settings", "bot_token", "token",
    }
)  # fmt: skip
LOG_METHODS = frozenset({"debug", "info", "warning", "error", "exception", "critical", "log"})


def _log_calls() -> Iterator[tuple[str, int, set[str]]]:
    import ast

    for package in ("bot", "scheduler", "storage", "knowledge"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in LOG_METHODS
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id in ("log", "logger", "logging")
                ):
                    continue
                nodes = [n for argument in node.args[1:] for n in ast.walk(argument)]
                # `event.chat.id` passes an id: only the last link of a chain counts.
                inner = {id(n.value) for n in nodes if isinstance(n, ast.Attribute)}
                used = {
                    n.attr if isinstance(n, ast.Attribute) else n.id
                    for n in nodes
                    if isinstance(n, ast.Attribute | ast.Name) and id(n) not in inner
                }
                yield f"{path.relative_to(ROOT)}:{node.lineno}", node.lineno, used


def test_our_log_calls_pass_no_text_and_no_names() -> None:
    calls = list(_log_calls())
    assert len(calls) > 10  # the scan finds the project's log calls
    offending = {where: sorted(used & PERSONAL) for where, _, used in calls if used & PERSONAL}
    assert not offending
