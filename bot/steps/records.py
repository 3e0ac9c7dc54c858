"""What a step saves, as a typed record instead of a loose dict: the completion builds one,
the card, /plans, the reminders and the export read its fields, and a misspelt key fails
the type check and the tests instead of printing an empty cell. Stored as JSON in
`Plan.content`; plans saved before a field existed load with its default.

pydantic (already installed with aiogram, and declared) validates nested records from
JSON; it is imported on the first plan read, not at start-up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from pydantic import TypeAdapter


@dataclass(frozen=True, kw_only=True)
class PlanRecord:
    """The fields every record has: the branch (or organisation) it is for."""

    branch_name: str = ""

    @property
    def subject(self) -> str:
        """The organisation or branch the plan is for (milestone reminders, the export)."""
        return self.branch_name

    @property
    def title(self) -> str:
        """How /plans lists it."""
        return self.subject


R = TypeVar("R", bound=PlanRecord)


@cache
def _adapter(record_type: type[PlanRecord]) -> TypeAdapter[Any]:
    from pydantic import TypeAdapter

    return TypeAdapter(record_type)


def load(record_type: type[R], content: Mapping[str, Any]) -> R:
    record: R = _adapter(record_type).validate_python(dict(content))
    return record


def dump(record: PlanRecord) -> dict[str, Any]:
    """A field holding another type than declared (a list for a tuple) is an error here,
    not a warning: what is saved must read back as it was written."""
    adapter = _adapter(type(record))
    dumped: dict[str, Any] = adapter.dump_python(record, mode="json", warnings="error")
    return dumped
