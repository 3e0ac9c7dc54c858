"""Logging for every `branchbot` command, safe to read and to share.

The ledger holds people's names and the chats hold what they typed, so nothing that can
carry either reaches a log line, at any level:

- the bot token (and the other secrets of `Settings.secrets`) is masked wherever it appears,
  tracebacks included: the Bot API puts it in every URL (`/bot<token>/`), and
  python-telegram-bot's InvalidToken message quotes it whole;
- exceptions are written as their traceback frames and class names only (plus error codes
  such as `EACCES` or `SQLITE_READONLY`). Their messages are left out: a database error
  quotes the SQL parameters (an organisation, a person's name), a handler's error may quote
  the message it was handling;
- libraries log only from WARNING up, whatever LOG_LEVEL says: at INFO httpx writes every
  request URL (with the token), at DEBUG PTB and aiogram write every update and reply (the
  texts and the names) and SQLAlchemy its parameters;
- Python warnings, uncaught exceptions (main thread, other threads, "exception ignored")
  go through the same formatter instead of Python's own printing.
"""

from __future__ import annotations

import contextlib
import copy
import errno
import logging
import re
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any, TextIO

from bot.config import Settings

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MASK = "***"
# Our own top-level packages: they log ids and counts, never texts (a test keeps it so).
OWN_PACKAGES = frozenset({"bot", "scheduler", "storage", "knowledge", "__main__"})
# Libraries known to log URLs, updates or SQL parameters below WARNING; capped by level too,
# so they do not even build those lines. Any other library is held back by the handler filter.
LIBRARIES = (
    "telegram", "httpx", "httpcore", "hpack", "h2", "h11", "aiogram", "aiohttp", "apscheduler",
    "sqlalchemy", "asyncpg", "aiosqlite", "asyncio", "alembic", "urllib3", "jieba", "openpyxl",
    "tzlocal", "multipart",
)  # fmt: skip
_SQLSTATE = re.compile(r"[0-9A-Z]{5}")

log = logging.getLogger(__name__)


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret masked; the longest first, so a secret that contains
    another (the token contains its own secret part) is masked whole."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, MASK)
    return text


def _class_name(exc: BaseException) -> str:
    cls = type(exc)
    return (
        cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    )


def _codes(exc: BaseException) -> list[str]:
    """Error codes that say what went wrong without quoting any data: errno names, SQLite's
    result code names, PostgreSQL's SQLSTATE."""
    codes: list[str] = []
    number = getattr(exc, "errno", None) if isinstance(exc, OSError) else None
    if isinstance(number, int):
        codes.append(errno.errorcode.get(number, str(number)))
    try:
        sqlite_name = getattr(exc, "sqlite_errorname", None)
        sqlstate = getattr(exc, "sqlstate", None)
    except Exception:  # an odd exception's property must not break logging
        return codes
    if isinstance(sqlite_name, str) and sqlite_name.isidentifier():
        codes.append(sqlite_name)
    if isinstance(sqlstate, str) and _SQLSTATE.fullmatch(sqlstate):
        codes.append(f"SQLSTATE {sqlstate}")
    return codes


def describe(exc: BaseException) -> str:
    """The exception's class with its codes, e.g. `OSError [EACCES]`; never its message."""
    codes = _codes(exc)
    return _class_name(exc) + (f" [{', '.join(codes)}]" if codes else "")


_CAUSE = "The above exception was the direct cause of the following exception:"
_CONTEXT = "During handling of the above exception, another exception occurred:"


def _chain(exc: BaseException) -> list[tuple[BaseException, str | None]]:
    """The exception and the ones it came from, oldest first, each with the line that links
    it to the one printed before it (as Python prints a chained traceback)."""
    chain: list[tuple[BaseException, str | None]] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if current.__cause__ is not None:
            chain.append((current, _CAUSE))
            current = current.__cause__
        elif current.__context__ is not None and not current.__suppress_context__:
            chain.append((current, _CONTEXT))
            current = current.__context__
        else:
            chain.append((current, None))
            current = None
    chain.reverse()
    return chain


def _frame_lines(tb: TracebackType) -> Iterator[str]:
    """File, line and function of each frame; no source lines (a test's or a script's source
    may quote data), a recursion's repeats counted rather than printed."""
    last: tuple[str, int, str] | None = None
    repeats = 0
    for frame, line in traceback.walk_tb(tb):
        where = (frame.f_code.co_filename, line, frame.f_code.co_name)
        if where == last:
            repeats += 1
            continue
        if repeats:
            yield f"  [previous frame repeated {repeats} more times]"
        last, repeats = where, 0
        yield f'  File "{where[0]}", line {where[1]}, in {where[2]}'
    if repeats:
        yield f"  [previous frame repeated {repeats} more times]"


def _exception_lines(exc: BaseException, depth: int = 0) -> Iterator[str]:
    for index, (current, link) in enumerate(_chain(exc)):
        if index and link:
            yield from ("", link, "")
        if current.__traceback__ is not None:
            yield "Traceback (most recent call last):"
            yield from _frame_lines(current.__traceback__)
        yield describe(current)
        if isinstance(current, BaseExceptionGroup) and depth < 10:
            for number, member in enumerate(current.exceptions, 1):
                yield f"+---------------- {number} ----------------"
                yield from ("  | " + line for line in _exception_lines(member, depth + 1))


def exception_text(exc: BaseException) -> str:
    """Frames and class names of the exception and its chained causes, without messages."""
    return "\n".join(_exception_lines(exc))


def _chain_members(exc: BaseException) -> Iterator[BaseException]:
    for current, _ in _chain(exc):
        yield current
        if isinstance(current, BaseExceptionGroup):
            for member in current.exceptions:
                yield from _chain_members(member)


def _texts_of(exc: BaseException) -> list[str]:
    """How an exception may have been spelled into a message (`%r`, `%s`), longest first."""
    texts: list[str] = []
    for member in _chain_members(exc):
        for spell in (repr, str):
            try:
                text = spell(member)
            except Exception:
                continue
            if len(text) >= 2:
                texts.append(text)
    return sorted(texts, key=len, reverse=True)


class _Shown:
    """Stands in for an exception among a log call's arguments: only its class is shown."""

    def __init__(self, exc: BaseException) -> None:
        self.text = f"<{type(exc).__name__}>"

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


def _shown(value: Any) -> Any:
    return _Shown(value) if isinstance(value, BaseException) else value


class SafeFormatter(logging.Formatter):
    """Formats a record without exception messages and with the secrets masked.

    Works on a copy: other handlers (pytest's capture, say) see the record unchanged, and
    whatever they cached on it (`exc_text`) is not used here."""

    def __init__(self, fmt: str = FORMAT, secrets: Iterable[str] = ()) -> None:
        super().__init__(fmt)
        self.secrets = tuple(secret for secret in secrets if secret)

    def format(self, record: logging.LogRecord) -> str:
        safe = copy.copy(record)
        safe.msg = _shown(record.msg)
        if isinstance(record.args, dict):
            safe.args = {key: _shown(value) for key, value in record.args.items()}
        elif record.args:
            safe.args = tuple(_shown(value) for value in record.args)
        message = safe.getMessage()
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None:
            for text in _texts_of(exc):
                message = message.replace(text, f"<{type(exc).__name__}>")
        safe.message = message
        if self.usesTime():
            safe.asctime = self.formatTime(safe, self.datefmt)
        text = self.formatMessage(safe)
        if exc is not None:
            text += "\n" + exception_text(exc)
        if record.stack_info:
            text += "\n" + self.formatStack(record.stack_info)
        return redact(text, self.secrets)


class _LibrariesFromWarning(logging.Filter):
    """Below WARNING only our own packages pass, whatever level a library set for itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.name.split(".", 1)[0] in OWN_PACKAGES


class _SafeHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The one handler `configure_logging` installs (and replaces on a second call)."""

    def handleError(self, record: logging.LogRecord) -> None:
        """logging's own report of a failed format prints the record's arguments; this one
        names the logger and the call site only."""
        with contextlib.suppress(Exception):
            self.stream.write(
                f"--- logging error in {record.name} at {record.pathname}:{record.lineno} ---\n"
            )


def level_number(name: str, default: int = logging.INFO) -> int:
    """LOG_LEVEL as a number; an unknown name falls back to `default`."""
    value = logging.getLevelName(name.strip().upper())
    return value if isinstance(value, int) else default


def configure_logging(
    settings: Settings, level: str | None = None, stream: TextIO | None = None
) -> Callable[[], None]:
    """Sends every log record (ours, the libraries', warnings, uncaught exceptions) through
    one `SafeFormatter` to `stream` (stderr). `level` overrides `settings.log_level`.

    Returns a function that undoes all of it: logging is process-wide, and a test that
    configures it must leave it as it found it."""
    number = level_number(level or settings.log_level)
    root = logging.getLogger()
    saved_root = (list(root.handlers), root.level)
    saved_levels = {name: logging.getLogger(name).level for name in LIBRARIES}
    saved_hooks = (sys.excepthook, threading.excepthook, sys.unraisablehook)

    handler = _SafeHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(SafeFormatter(FORMAT, settings.secrets()))
    handler.addFilter(_LibrariesFromWarning())
    root.handlers[:] = [h for h in root.handlers if not isinstance(h, _SafeHandler)]
    root.addHandler(handler)
    root.setLevel(number)
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(max(number, logging.WARNING))
    adopt_stray_handlers()
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread
    sys.unraisablehook = _log_unraisable

    def restore() -> None:
        logging.captureWarnings(False)
        sys.excepthook, threading.excepthook, sys.unraisablehook = saved_hooks
        for name, saved in saved_levels.items():
            logging.getLogger(name).setLevel(saved)
        root.handlers[:] = saved_root[0]
        root.setLevel(saved_root[1])
        handler.close()

    return restore


def adopt_stray_handlers() -> None:
    """Removes the console handlers libraries attach to their own loggers at import (jieba
    does), so their records reach ours through the root logger instead of bypassing it.
    Called at configuration and again once the services (and so jieba) are loaded."""
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if not isinstance(logger, logging.Logger) or name.split(".", 1)[0] in OWN_PACKAGES:
            continue
        for handler in list(logger.handlers):
            if isinstance(handler, logging.StreamHandler) and not isinstance(
                handler, logging.FileHandler
            ):
                logger.removeHandler(handler)
                logger.propagate = True


def _log_uncaught(kind: type[BaseException], exc: BaseException, tb: Any) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, exc, tb)
        return
    log.critical("uncaught exception", exc_info=(kind, exc, tb))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit or args.exc_value is None:
        return
    thread = args.thread.name if args.thread is not None else "?"
    log.error(
        "uncaught exception in thread %s",
        thread,
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )


def _log_unraisable(unraisable: Any) -> None:
    """ "Exception ignored in ...": Python's own report shows the object's repr, which can
    hold anything; only its type is named here."""
    exc = unraisable.exc_value
    where = type(unraisable.object).__name__ if unraisable.object is not None else "?"
    if exc is None:
        log.warning("exception ignored in %s", where)
        return
    log.warning(
        "exception ignored in %s", where, exc_info=(type(exc), exc, unraisable.exc_traceback)
    )
