"""The real `branchbot` command in a subprocess: piped conversations and a kill mid-flow."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
from pathlib import Path

import pytest

from tests.flow_scripts import ENTERPRISE_ANSWERS
from tests.processes import BRANCHBOT, subprocess_env


def test_piped_run_without_token_registers_an_enterprise(tmp_path: Path) -> None:
    lines = ["/start", "/menu", "1", *ENTERPRISE_ANSWERS]
    result = subprocess.run(
        [*BRANCHBOT, "run"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        env=subprocess_env(tmp_path),
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "未设置 BOT_TOKEN" in result.stderr
    assert "❌ 职工100人以上的非公企业要有党组织（未达到）" in result.stdout
    assert "联合党组织" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    # A second run sees the same record.
    again = subprocess.run(
        [*BRANCHBOT, "console"],
        input="/ledger\n",
        capture_output=True,
        text=True,
        env=subprocess_env(tmp_path),
        cwd=tmp_path,
        timeout=60,
    )
    assert "#1 楚雄某某科技有限公司" in again.stdout


class Process:
    """A console process we type into line by line and read until an expected text appears."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.seen = ""

    @classmethod
    async def start(cls, tmp_path: Path) -> Process:
        proc = await asyncio.create_subprocess_exec(
            *BRANCHBOT,
            "console",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=subprocess_env(tmp_path),
            cwd=tmp_path,
        )
        return cls(proc)

    async def expect(self, text: str, timeout: float = 30) -> str:
        async def read() -> str:
            while text not in self.seen:
                chunk = await self.proc.stdout.read(4096)  # type: ignore[union-attr]
                if not chunk:
                    raise AssertionError(f"process ended before {text!r}:\n{self.seen}")
                self.seen += chunk.decode()
            before, _, self.seen = self.seen.partition(text)
            return before + text

        return await asyncio.wait_for(read(), timeout)

    async def say(self, line: str) -> None:
        self.proc.stdin.write((line + "\n").encode())  # type: ignore[union-attr]
        await self.proc.stdin.drain()  # type: ignore[union-attr]


@pytest.mark.slow
async def test_killed_mid_flow_resumes_at_the_same_question(tmp_path: Path) -> None:
    first = await Process.start(tmp_path)
    await first.say("/menu")
    await first.expect("[1] 1. 抓摸底")
    await first.say("1")
    await first.expect("请输入组织全称")
    for answer, next_question in zip(
        ENTERPRISE_ANSWERS[:6],
        ["属于哪一类", "所在县", "所在园区", "经营运行", "现有职工", "正式党员多少名"],
        strict=True,
    ):
        await first.say(answer)
        await first.expect(next_question)
    first.proc.send_signal(signal.SIGKILL)
    await first.proc.wait()

    second = await Process.start(tmp_path)
    resumed = await second.expect("正式党员多少名")
    assert "继续上次未完成的“抓摸底”" in resumed
    for answer in ENTERPRISE_ANSWERS[6:]:
        await second.say(answer)
    card = await second.expect("查看台账")
    assert "楚雄某某科技有限公司" in card and "二清 职工队伍：120 人" in card
    assert "正式党员 2 名，预备党员 1 名" in card
    second.proc.stdin.close()  # type: ignore[union-attr]
    assert await asyncio.wait_for(second.proc.wait(), 30) == 0


def readme_walkthrough(marker: str) -> str:
    """The README's scripted conversation whose command line carries `marker`, as typed."""
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    lines = readme.splitlines()
    at = next(i for i, line in enumerate(lines) if marker in line)
    script = re.search(r"printf '(.*)'", lines[at - 1])
    assert script is not None
    return script.group(1).replace("\\n", "\n")


def test_the_readme_theme_day_walkthrough_runs_in_the_console_group(tmp_path: Path) -> None:
    """A reminder falls due (/time), members answer it in words, one is asked back and taps
    请假, then gives the reason; /join's button opens the private chat."""
    typed = readme_walkthrough("# a theme day")
    result = subprocess.run(
        [*BRANCHBOT, "console", "--group"],
        input=typed,
        capture_output=True,
        text=True,
        env=subprocess_env(tmp_path),
        cwd=tmp_path,
        timeout=60,
    )
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in out + result.stderr
    assert "（李四 与助手的私聊）" in out and "已记录：正式党员" in out  # /join's button
    reminder = out.index("【支部主题党日提醒】测试群")
    assert "（还有3天）" in out[reminder:] and "⏳ 未回复 2" in out[reminder:]
    assert "已为李四记录：✅ 参加" in out and "[1] 改为请假" in out
    assert "王五，没能确定您是否参加" in out
    assert "已为王五记录：📝 请假。" in out
    assert "已为王五记录：📝 请假（老母亲住院要陪护）" in out
    assert "✅ 参加 1　📝 请假 1　⏳ 未回复 0" in out
