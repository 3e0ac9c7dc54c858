"""Telegram's sending limits, shared by the one-process delivery and the Redis-backed gate of
several workers (scheduler/shared_rate.py) without either importing the other."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    """Telegram's published limits. The server counts arrival times, which jitter, so every
    window is stretched by `margin`; sliding windows (not token buckets) because a bucket
    lets a full burst land on each side of a window boundary, doubling the rate the server
    sees."""

    global_messages: int = 30
    global_seconds: float = 1.0
    group_messages: int = 20
    group_seconds: float = 60.0
    private_messages: int = 3
    private_seconds: float = 1.0
    margin: float = 1.05
    max_attempts: int = 6
    backoff_base: float = 0.5
    backoff_max: float = 8.0
