"""`branchbot`: run, console, migrate, export. The command names and flags are a stable
interface (DESIGN.md): scripts rely on them."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import faulthandler
import io
import logging
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.logs import adopt_stray_handlers, configure_logging

if TYPE_CHECKING:
    from bot.services import Core
    from storage.db import DatabasePathError  # imported when needed: `ask` has no database

log = logging.getLogger(__name__)


# argparse's own words (usage, option titles, errors), in Chinese like the rest of the CLI.
# argparse looks each one up through the module's `_` at the time it prints.
ARGPARSE_WORDS = {
    "usage: ": "用法：",
    "options": "选项",
    "positional arguments": "参数",
    "show this help message and exit": "显示本帮助并退出",
    "the following arguments are required: %s": "缺少参数：%s",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "invalid choice: %(value)r (choose from %(choices)s)": (
        "无效的选择：%(value)r（可选：%(choices)s）"
    ),
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "expected one argument": "需要一个值",
    "invalid %(type)s value: %(value)r": "无效的值（%(type)s）：%(value)r",
}


def _parser() -> argparse.ArgumentParser:
    argparse._ = lambda text: ARGPARSE_WORDS.get(text, text)  # type: ignore[attr-defined]
    parser = argparse.ArgumentParser(prog="branchbot", description="六步工作法助手")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run", help="启动 Telegram 机器人（未设置 BOT_TOKEN 时进入本地控制台）"
    )
    run.add_argument(
        "--no-scheduler",
        action="store_true",
        help="不在本进程发送提醒（另行运行 branchbot scheduler 时使用）",
    )
    commands.add_parser("scheduler", help="单独运行提醒调度（需要 BOT_TOKEN）")
    console = commands.add_parser("console", help="在终端里与助手对话")
    console.add_argument("--user-id", type=int, default=1, help="以哪个用户身份对话（默认 1）")
    console.add_argument("--name", default="书记", help="显示名（默认“书记”）")
    console.add_argument("--group", action="store_true", help="模拟群聊；/as ID 名字 切换发言人")
    commands.add_parser("migrate", help="把数据库升级到最新结构")
    ask = commands.add_parser("ask", help="向知识库提问；不给问题时从标准输入逐行读取")
    ask.add_argument("--json", action="store_true", help="每个问题输出一行 JSON")
    ask.add_argument("question", nargs="?", help="问题；省略时每行一个问题")
    export = commands.add_parser("export", help="导出 Excel 表格或会议记录")
    export.add_argument(
        "what",
        choices=["ledger", "plans", "selfcheck", "attendance", "records"],
        help="导出内容：ledger（摸底台账）、plans（方案和计划）、selfcheck（自查结果）、"
        "attendance（主题党日出勤）、records（会议记录，Word 文件）",
    )
    export.add_argument(
        "--out", required=True, type=Path, help="输出文件，如 台账.xlsx；records 为文件夹"
    )
    export.add_argument("--branch", help="records：支部名称")
    export.add_argument("--year", type=int, help="records：年份（默认今年）")
    return parser


def _harden_process() -> None:
    """Files this process creates (the database, exports, caches) are private to its user:
    the ledger holds personal data. A fatal signal (SIGSEGV, SIGBUS) leaves a traceback of
    file and line numbers on stderr instead of a silent death."""
    os.umask(0o077)
    with contextlib.suppress(AttributeError, ValueError, io.UnsupportedOperation):
        faulthandler.enable()


def _log_level(settings: Settings, command: str) -> str:
    """The console's transcript (and `run` falling back to it) stays readable unless
    LOG_LEVEL asks for more."""
    if command in ("console", "run") and "LOG_LEVEL" not in os.environ:
        return "WARNING"
    return settings.log_level


# errno → why, in the user's words.
REASONS = {
    errno.EACCES: "权限不足",
    errno.EPERM: "权限不足",
    errno.EROFS: "文件系统只读",
    errno.ENOSPC: "磁盘空间不足",
    errno.EDQUOT: "超出磁盘配额",
    errno.EISDIR: "这是一个目录",
    errno.ENOTDIR: "路径中有一段不是目录",
    errno.ENOENT: "路径不存在",
    errno.ENAMETOOLONG: "路径过长",
}


def reason_text(code: int, blocker: Path | None = None) -> str:
    if code == errno.ENOTDIR and blocker is not None:
        return f"{blocker} 不是目录"
    return REASONS.get(code, f"系统错误 {errno.errorcode.get(code, code)}")


def database_path_message(exc: DatabasePathError) -> str:
    """E.g. "无法写入数据库目录 /srv/data：权限不足"."""
    what = "数据库目录" if exc.is_directory else "数据库文件"
    return f"无法写入{what} {exc.path}：{reason_text(exc.code, exc.blocker)}"


def main(argv: list[str] | None = None) -> int:
    """Anything unexpected ends here: logged by class and frames only, through the same
    formatter as every log line (no message: it may quote data), and the exit code is 1."""
    _harden_process()
    args = _parser().parse_args(argv)
    settings = Settings.from_env()
    configure_logging(settings, _log_level(settings, args.command))
    try:
        return _command(args, settings)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        log.critical("branchbot %s stopped by an unexpected error", args.command, exc_info=True)
        reason = _unwritable_database(exc)
        if reason:
            print(
                f"数据库无法写入（{reason}），已停止。请检查磁盘空间和文件权限。", file=sys.stderr
            )
        return 1


UNWRITABLE = {
    "read-only": "只读",
    "cannot open": "无法打开",
    "I/O error": "读写出错",
    "disk full": "磁盘已满",
    "permission denied": "权限不足",
}


def _unwritable_database(exc: BaseException) -> str:
    """Why the database could not be written, in the user's words; "" for other errors."""
    storage = sys.modules.get("storage.db")  # not loaded: the error cannot be the database's
    reason = storage.unwritable_reason(exc) if storage is not None else None
    return UNWRITABLE.get(reason or "", "")


def _command(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "ask":
        return _ask(settings, args.question, args.json)
    from bot.app import build_core
    from storage.db import DatabasePathError

    try:
        if args.command in ("console", "run") and not settings.bot_token:
            from bot.console import ConsoleClock  # /time moves it, to try reminders out

            core = build_core(settings, clock=ConsoleClock())
        else:
            core = build_core(settings)
    except DatabasePathError as exc:
        print(database_path_message(exc), file=sys.stderr)
        return 2
    adopt_stray_handlers()  # jieba, loaded with the knowledge base, brings its own handler
    if args.command == "migrate":
        asyncio.run(_migrate(core))
        print("数据库已升级到最新结构。")
        return 0
    if args.command == "export" and args.what == "records":
        return _export_records(core, args)
    if args.command == "export":
        if args.out.suffix.lower() != ".xlsx":
            print(
                f"只能导出 Excel 文件：请把 {args.out} 改成以 .xlsx 结尾的文件名。", file=sys.stderr
            )
            return 2
        try:
            total = asyncio.run(_export(core, args.what, args.out))
        except OSError as exc:
            if exc.errno is None:
                raise
            print(f"无法写入 {args.out}：{reason_text(exc.errno)}", file=sys.stderr)
            return 2
        print(EXPORTED[args.what].format(total=total, out=args.out))
        return 0
    if args.command == "run" and settings.bot_token:
        from bot.app import settle_memory
        from bot.transports.common import StartupError
        from bot.transports.run import run_telegram

        settle_memory()
        try:
            asyncio.run(run_telegram(core, with_scheduler=not args.no_scheduler))
        except StartupError as exc:  # settings that would expose the bot: nothing started
            print(exc, file=sys.stderr)
            return 2
        return 0
    if args.command == "scheduler":
        if not settings.bot_token:
            print("未设置 BOT_TOKEN：提醒需要通过 Telegram 发送。", file=sys.stderr)
            return 2
        from bot.transports.run import run_scheduler_alone

        asyncio.run(run_scheduler_alone(core))
        return 0
    if args.command == "run":
        print("未设置 BOT_TOKEN：启动本地控制台（数据保存在同一数据库中）。", file=sys.stderr)
        args = argparse.Namespace(user_id=1, name="书记", group=False)
    from bot.console import run_console

    try:
        asyncio.run(run_console(core, str(args.user_id), args.name, args.group))
    except KeyboardInterrupt:
        print()
    return 0


def _ask(settings: Settings, question: str | None, as_json: bool) -> int:
    """Needs no database: only the knowledge base is loaded, so a cold answer stays fast."""
    import json

    from bot.ask import not_found_text
    from knowledge.content import load_content
    from knowledge.retrieval import load_knowledge_base

    knowledge = load_knowledge_base(settings.cache_dir)
    content = load_content()
    questions = [question] if question is not None else (line.rstrip("\n") for line in sys.stdin)
    for text in questions:
        answer = knowledge.ask(text)
        if as_json:
            print(json.dumps(answer.as_json(), ensure_ascii=False), flush=True)
        elif answer.found and answer.entry is not None:
            entry = answer.entry
            print(
                content.text(
                    "ask_answer", title=entry.title, answer=entry.answer, source=entry.source
                )
            )
            print(flush=True)
        else:
            print(not_found_text(answer, content))
            print("\n".join(f"- {entry.title}" for entry in answer.suggestions) + "\n", flush=True)
    return 0


async def _migrate(core: Core) -> None:
    try:
        await core.db.migrate()
    finally:
        await core.db.close()


EXCEL_ONLY = "只能导出 Excel 文件：请把 {out} 改成以 .xlsx 结尾的文件名。"
EXPORTED = {
    "ledger": "已导出 {total} 家组织到 {out}",
    "plans": "已导出 {total} 份方案和计划到 {out}",
    "selfcheck": "已导出 {total} 次自查结果到 {out}",
    "attendance": "已导出 {total} 条出勤记录到 {out}",
}


def _export_records(core: Core, args: argparse.Namespace) -> int:
    """The year's 会议记录 of one branch, a .docx per meeting and an index, into a folder."""
    from bot.exports.records import export_records

    if not args.branch:
        print("请用 --branch 指定支部名称，如 --branch 第一党支部。", file=sys.stderr)
        return 2
    if args.out.suffix:
        print(
            f"会议记录导出到一个文件夹：请把 {args.out} 改成文件夹名，如 资料盒。", file=sys.stderr
        )
        return 2
    year = args.year or datetime.now(ZoneInfo(core.settings.timezone)).year

    async def run() -> int:
        try:
            await core.db.migrate()
            return await export_records(core.db, core.content, args.out, args.branch, year)
        finally:
            await core.db.close()

    try:
        total = asyncio.run(run())
    except LookupError:
        print(f"没有名为“{args.branch}”的支部。", file=sys.stderr)
        return 2
    except OSError as exc:
        if exc.errno is None:
            raise
        print(f"无法写入 {args.out}：{reason_text(exc.errno)}", file=sys.stderr)
        return 2
    print(f"已导出 {args.branch} {year}年的 {total} 份会议记录和目录到 {args.out}")
    return 0


async def _export(core: Core, what: str, out: Path) -> int:
    """openpyxl and the export modules load only for the export asked for."""
    try:
        await core.db.migrate()
        zone = core.settings.timezone
        if what == "plans":
            from bot.exports.plans import export_plans

            return await export_plans(core.db, core.content, out, zone)
        if what == "attendance":
            from bot.exports.attendance import export_attendance

            return await export_attendance(core.db, out, zone, core.content)
        if what == "selfcheck":
            from bot.exports.selfcheck import export_selfcheck

            return await export_selfcheck(core.db, core.content, out, zone)
        from bot.exports.ledger import export_ledger

        return await export_ledger(core.db, core.content, out, zone)
    finally:
        await core.db.close()


if __name__ == "__main__":
    raise SystemExit(main())
