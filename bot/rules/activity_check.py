"""抓活动: checks a 支部主题党日 plan against what the article warns about.

The words and reasons are data (`knowledge/activity_check.yaml`); this module only decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Finding:
    code: str  # tea_party / sightseeing / entertainment / no_theme / no_study / not_bundled
    reason: str


def check_plan(theme: str, contents: list[str], rules: dict[str, Any]) -> list[Finding]:
    """Every problem of the plan, in the order a secretary should fix them; [] means it passes."""
    text = " ".join([theme, *contents])
    findings = [
        Finding(code, rule["reason"])
        for code, rule in rules["forbidden"].items()
        if any(word in text for word in rule["words"])
    ]
    reasons = rules["reasons"]
    if len(theme.strip()) < rules["min_theme_length"]:
        findings.append(Finding("no_theme", reasons["no_theme"]))
    if not any(word in text for word in rules["study_words"]):
        findings.append(Finding("no_study", reasons["no_study"]))
    if not any(word in " ".join(contents) for word in rules["meeting_words"]):
        findings.append(Finding("not_bundled", reasons["not_bundled"]))
    return findings


@dataclass(frozen=True, slots=True)
class Emphasis:
    name: str
    met: bool
    note: str


def check_emphases(
    findings: list[Finding], contents: list[str], rules: dict[str, Any]
) -> list[Emphasis]:
    """The four emphases (党味, 支部, 主题, 策划), each met or not with a one-line note."""
    codes = {finding.code for finding in findings}
    result = []
    for rule in rules["emphases"]:
        met = not codes & set(rule.get("fails_on", ()))
        if rule.get("needs_any"):
            met = met and any(item in contents for item in rule["needs_any"])
        result.append(Emphasis(rule["name"], met, rule["ok" if met else "bad"]))
    return result
