"""Telegram's flood limits (sliding windows) and the faults a test injects (errors, delays)."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from tests.telegram_server.wire import ApiError, too_many_requests


class RollingWindow:
    """Telegram counts over a sliding window, not per clock second, so a burst straddling a
    second boundary is still caught."""

    def __init__(self) -> None:
        self.stamps: deque[float] = deque()

    def wait(self, limit: int, period: float, now: float) -> float:
        """Seconds until one more call fits; 0 when it fits now."""
        while self.stamps and self.stamps[0] <= now - period:
            self.stamps.popleft()
        if len(self.stamps) < limit:
            return 0.0
        return self.stamps[len(self.stamps) - limit] + period - now


@dataclass
class RateLimiter:
    """Telegram's flood limits on sending; plain attributes so a test can tighten or relax them."""

    enabled: bool = True
    global_limit: int = 30
    global_period: float = 1.0
    group_limit: int = 20
    group_period: float = 60.0
    private_limit: int = 5
    private_period: float = 1.0
    windows: dict[Any, RollingWindow] = field(default_factory=dict)

    def admit(
        self, chat_id: int | None, chat_type: str | None, now: float
    ) -> tuple[str, int] | None:
        """Counts the call, or returns (scope, retry_after) without counting a rejected one."""
        if not self.enabled:
            return None
        scopes: list[tuple[Any, int, float]] = [("global", self.global_limit, self.global_period)]
        if chat_type == "private":
            scopes.append((("private", chat_id), self.private_limit, self.private_period))
        elif chat_type in ("group", "supergroup"):
            scopes.append((("group", chat_id), self.group_limit, self.group_period))
        waits = [
            (self.windows.setdefault(key, RollingWindow()).wait(limit, period, now), key)
            for key, limit, period in scopes
        ]
        wait, key = max(waits, key=lambda item: item[0])
        if wait > 0:
            scope = key if isinstance(key, str) else key[0]
            return scope, max(1, math.ceil(wait))
        for key, _, _ in scopes:
            self.windows[key].stamps.append(now)
        return None

    def reset(self) -> None:
        self.windows.clear()


@dataclass
class _Fault:
    method: str
    remaining: int
    status: int = 0
    retry_after: int = 1
    chat_id: int | str | None = None
    description: str | None = None
    seconds: float = 0.0

    def error(self) -> ApiError:
        if self.status == 429:
            return too_many_requests(self.retry_after)
        try:
            phrase = HTTPStatus(self.status).phrase
        except ValueError:
            phrase = "Error"
        if self.description:
            return ApiError(self.status, self.description)
        if self.status in (400, 403):
            return ApiError(self.status, f"{phrase}: injected failure")
        return ApiError(self.status, phrase)


class Faults:
    """Injected failures and delays, consumed in the order they were registered."""

    def __init__(self) -> None:
        self.failures: list[_Fault] = []
        self.delays: list[_Fault] = []

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int = 1,
        times: int = 1,
        chat_id: int | str | None = None,
        description: str | None = None,
    ) -> None:
        self.failures.append(
            _Fault(method.lower(), times, status, retry_after, chat_id, description)
        )

    def slow(self, method: str, seconds: float, times: int = 1) -> None:
        self.delays.append(_Fault(method.lower(), times, seconds=seconds))

    def clear(self) -> None:
        self.failures.clear()
        self.delays.clear()

    @staticmethod
    def _take(faults: list[_Fault], method: str, chat_id: Any) -> _Fault | None:
        for fault in faults:
            if fault.method != method.lower():
                continue
            if fault.chat_id is not None and str(fault.chat_id) != str(chat_id):
                continue
            fault.remaining -= 1
            if fault.remaining <= 0:
                faults.remove(fault)
            return fault
        return None

    def failure_for(self, method: str, chat_id: Any) -> ApiError | None:
        fault = self._take(self.failures, method, chat_id)
        return fault.error() if fault else None

    def delay_for(self, method: str) -> float:
        fault = self._take(self.delays, method, None)
        return fault.seconds if fault else 0.0


# --- webhook -----------------------------------------------------------------------------------
