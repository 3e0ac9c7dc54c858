"""The local console: the same core and database as Telegram, in a terminal or a pipe.

Bot messages are printed; buttons show as `[1] 参加  [2] 请假`. Typing a number or a label
presses a button of the bot's latest message; `/reply 文字` answers the latest reminder in
words (a member replying to a theme-day reminder), or the latest message when there is none.
In piped mode each input line is echoed after `> ` so a transcript reads like the
conversation. The console is a whole messenger: the scheduler runs beside it, a reminder that
falls due is printed in its chat, and `/time 2026-12-12 09:00` moves the console's clock there
so the month's reminders can be tried in minutes. A button that opens the private chat with
the bot (/join's) runs there and comes back.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import TextIO

from bot.contract import (
    Action,
    AnswerButton,
    Button,
    Chat,
    EditText,
    Event,
    SendFile,
    SendPicture,
    SendText,
    User,
)
from bot.router import answer
from bot.services import Core, Services
from scheduler.dispatch import Dispatcher

EXPORT_DIR = Path("data") / "exports"
GROUP_CHAT_ID = "-1001"  # as in earlier versions: a console database keeps its group
REPLY = "/reply "
TIME = "/time"
PRIVATE_LINK = "私聊 /start "  # the console's deep link: run in the user's private chat


class ConsoleClock:
    """Real time, shifted by `/time`: the console's "now" for handlers and the scheduler."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def move_to(self, moment: datetime) -> None:
        self.offset = moment - datetime.now(UTC)


@dataclass
class ConsoleScreen:
    """The terminal, and the console's messenger: what the bot sends is printed, with the
    latest message's buttons numbered for pressing. What goes to another chat (a secretary's
    private digest while the console plays the group) is noted in one line."""

    chat_id: str
    out: TextIO = field(default_factory=lambda: sys.stdout)
    buttons: list[Button] = field(default_factory=list)
    message_ids: count = field(default_factory=lambda: count(1))
    last_message_id: int | None = None
    last_sent_id: int | None = None  # the latest message sent outside a request: a reminder

    async def send(self, chat_id: str, action: Action) -> int | None:
        """Sends outside a request (reminders, the digest): printed like any reply."""
        if chat_id != self.chat_id:
            print(f"（另有一条消息发给了对话 {chat_id}）\n", file=self.out)
            return next(self.message_ids)
        self.show([action])
        if isinstance(action, EditText):
            return action.message_id
        self.last_sent_id = self.last_message_id
        return self.last_message_id

    def show(self, actions: list[Action]) -> None:
        # A reply's buttons stay pressable by number though a line without buttons follows
        # them (a card, then "已设为固定主题党日"): the latest buttons of the reply count.
        keep = any(isinstance(a, (SendText, EditText)) and a.buttons for a in actions)
        for action in actions:
            match action:
                case SendText(text=text, buttons=rows):
                    self.last_message_id = next(self.message_ids)
                    self._print(text, rows, keep)
                case EditText(text=text, buttons=rows):
                    self._print("↻ " + text, rows, keep)
                case AnswerButton(text=text) if text:
                    self._print(f"（提示）{text}", (), keep)
                case SendFile(filename=name, content=data, caption=caption):
                    EXPORT_DIR.mkdir(parents=True, exist_ok=True)
                    path = EXPORT_DIR / Path(name).name
                    path.write_bytes(data)
                    self._print(f"{caption}\n（文件已保存：{path}）", (), keep)
                case SendPicture(caption=caption):
                    self._print(f"（图片）{caption}", (), keep)
        self.out.flush()

    def note(self, text: str) -> None:
        print(text, file=self.out)

    def _print(self, text: str, rows: tuple[tuple[Button, ...], ...], keep: bool) -> None:
        print(text, file=self.out)
        if rows:
            self.buttons = [button for row in rows for button in row]
            numbered = iter(range(1, len(self.buttons) + 1))
            for row in rows:
                shown = (
                    f"[{next(numbered)}] {b.label}" + (f"（{b.url}）" if b.url else "") for b in row
                )
                print("  ".join(shown), file=self.out)
        elif not text.startswith(("↻", "（提示）")) and not keep:
            self.buttons = []  # only the latest message's buttons can be pressed
        print(file=self.out)

    def button_for(self, line: str) -> Button | None:
        if not self.buttons or not line:
            return None
        if line.isdecimal() and 1 <= int(line) <= len(self.buttons):
            return self.buttons[int(line) - 1]
        return next((b for b in self.buttons if line in (b.label, b.label.lstrip("✅ "))), None)


@dataclass
class ConsoleSession:
    """One person typing at the screen; `/as` in the group switches who is typing."""

    services: Services
    screen: ConsoleScreen
    chat: Chat
    user: User
    dispatcher: Dispatcher | None = None  # for /time: what falls due is sent at once
    callback_ids: count = field(default_factory=lambda: count(1))
    button_chat: Chat | None = None  # buttons of a message shown in the private chat

    async def resume_notice(self) -> None:
        """On start, a half-finished flow's question is shown again, answers kept."""
        async with self.services.db.session() as session:
            state = await self.services.engine.current(session, self.chat.id, self.user.id)
            if state is not None:
                title = self.services.engine.flow_of(state).title
                notice = self.services.content.text("resume_notice", title=title)
                self.screen.show(self.services.engine.ask(state, notice=notice))

    async def say(self, line: str) -> None:
        """One line typed by the user: a console command, a button press or a message."""
        line = line.rstrip("\r\n")
        if self.chat.kind == "group" and line.startswith("/as "):
            self._switch_user(line)
            return
        if line.startswith(REPLY):
            await self._reply(line.removeprefix(REPLY).strip())
            return
        if line.split(maxsplit=1)[:1] == [TIME]:
            await self._move_time(line.removeprefix(TIME).strip())
            return
        button = self.screen.button_for(line.strip())
        if button is not None and button.url.startswith(PRIVATE_LINK):
            await self._in_private("/start " + button.url.removeprefix(PRIVATE_LINK))
            return
        if button is not None and button.url:
            self.screen.note(f"（链接按钮：{button.url}）\n")
            return
        if button is not None:
            event = Event(
                self.button_chat or self.chat,
                self.user,
                button_data=button.data,
                callback_id=str(next(self.callback_ids)),
                message_id=self.screen.last_message_id,
            )
        else:
            self.button_chat = None
            event = Event(self.chat, self.user, text=line)
        self.screen.show(await answer(event, self.services))

    async def _in_private(self, text: str) -> None:
        """A link into the private chat (/join's): what the bot says there is shown, and its
        buttons are pressed there, until the next line typed in the group."""
        private = Chat(self.user.id, "private")
        self.screen.note(f"（{self.user.name} 与助手的私聊）")
        self.screen.show(await answer(Event(private, self.user, text=text), self.services))
        self.button_chat = private

    async def _move_time(self, text: str) -> None:
        """`/time 2026-12-12 09:00`: the console's clock jumps there (in the configured time
        zone) and keeps running; the reminders due by then are sent at once."""
        from zoneinfo import ZoneInfo

        clock = self.services.core.clock
        try:
            local = datetime.strptime(text, "%Y-%m-%d %H:%M")
        except ValueError:
            local = None
        if local is None or not isinstance(clock, ConsoleClock) or self.dispatcher is None:
            self.screen.note("用法：/time 2026-12-12 09:00（把控制台的时钟调到这一刻）\n")
            return
        moment = local.replace(tzinfo=ZoneInfo(self.services.settings.timezone))
        clock.move_to(moment.astimezone(UTC))
        self.screen.note(f"（控制台时间：{text}）\n")
        await self.dispatcher.expand_all()
        await self.dispatcher.tick()

    async def _reply(self, text: str) -> None:
        """The line as a reply to the latest reminder (or the bot's latest message), as
        Telegram's "reply" gives it."""
        replied = self.screen.last_sent_id or self.screen.last_message_id
        if replied is None or not text:
            self.screen.note("用法：/reply 文字（回复最近一条提醒，或助手的上一条消息）\n")
            return
        event = Event(
            self.chat,
            self.user,
            text=text,
            reply_to_message_id=replied,
            reply_to_bot=True,
        )
        self.screen.show(await answer(event, self.services))

    def _switch_user(self, line: str) -> None:
        parts = line.split(maxsplit=2)
        if len(parts) < 2:
            self.screen.note("用法：/as 用户ID 名字")
            return
        self.user = User(parts[1], parts[2] if len(parts) > 2 else f"用户{parts[1]}")
        self.screen.note(f"（现在以 {self.user.name} 的身份发言）\n")


class ConsoleDirectory:
    """Stands in for Telegram: in the simulated group, user 1 created it; nobody else is admin."""

    bot_username = ""

    async def member_status(self, chat_id: str, user_id: str) -> str:
        return "creator" if user_id == "1" else "member"

    def deep_link(self, payload: str) -> str | None:
        """Pressing it in the console runs `/start payload` in the user's private chat."""
        return PRIVATE_LINK + payload


def console_chat(user_id: str, group: bool) -> Chat:
    return Chat(GROUP_CHAT_ID, "group", "测试群") if group else Chat(user_id, "private")


async def run_console(
    core: Core, user_id: str, name: str, group: bool, tick: float | None = None
) -> None:
    from bot.app import connect
    from bot.reminders import build_dispatcher
    from scheduler.service import TICK_SECONDS, run_scheduler

    await core.db.migrate()
    chat = console_chat(user_id, group)
    screen = ConsoleScreen(chat.id)
    # Count edits go out with each reply: one terminal has no rate limit to respect.
    services = connect(core, screen, ConsoleDirectory(), coalesce_edits=False)
    dispatcher = build_dispatcher(services, clock=core.clock)
    console = ConsoleSession(services, screen, chat, User(user_id, name), dispatcher)
    stop = asyncio.Event()
    scheduling = asyncio.create_task(
        run_scheduler(dispatcher, core.settings.timezone, stop, tick or TICK_SECONDS)
    )
    interactive = sys.stdin.isatty()
    if interactive:
        print("本地控制台（与 Telegram 使用同一套对话和数据库）。发送 /start 开始，Ctrl+D 退出。\n")
    await console.resume_notice()
    try:
        while True:
            line = await asyncio.to_thread(_read_line, interactive)
            if line is None:
                break
            if not interactive:
                print(f"> {line.rstrip()}")
            if line.strip():
                await console.say(line)
    finally:
        stop.set()
        await asyncio.gather(scheduling, return_exceptions=True)
        await core.db.close()


def _read_line(interactive: bool) -> str | None:
    if interactive:
        try:
            return input("你> ")
        except EOFError:
            return None
    line = sys.stdin.readline()
    return line if line else None
