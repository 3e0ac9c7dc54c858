"""The layering the code is meant to keep, checked on its imports (read with `ast`, nothing is
run): no import cycle among the product's modules, storage below bot and scheduler, and the
default time zone written once."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "knowledge", "scheduler", "storage")


def product_files() -> dict[str, Path]:
    """Module name -> file, for every module of the product (migrations are Alembic's)."""
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The product modules a file imports, wherever the import stands (lazy ones too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        found.update(name for name in names if name in known)
    return found


def graph() -> dict[str, set[str]]:
    files = product_files()
    known = set(files)
    return {name: imports_of(path, known) - {name} for name, path in files.items()}


def test_no_import_cycle() -> None:
    # A package imports its own modules through __init__ only by name; that is not a cycle.
    edges = {
        name: {n for n in imported if not name.startswith(n + ".")}
        for name, imported in graph().items()
    }
    try:
        tuple(TopologicalSorter(edges).static_order())
    except CycleError as error:
        raise AssertionError(f"import cycle: {' -> '.join(error.args[1])}") from None


def test_storage_imports_neither_bot_nor_scheduler() -> None:
    wrong = {
        name: sorted(n for n in imported if n.split(".")[0] in ("bot", "scheduler"))
        for name, imported in graph().items()
        if name.startswith("storage")
    }
    assert not {name: found for name, found in wrong.items() if found}


def test_the_default_time_zone_is_written_once() -> None:
    places = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in product_files().values()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "Asia/Shanghai" in line
    ]
    assert places == ["bot/config.py:14"]


def test_telegram_links_are_built_only_by_the_transports() -> None:
    places = [
        str(path.relative_to(ROOT))
        for path in product_files().values()
        if "t.me/" in path.read_text(encoding="utf-8") and "transports" not in path.parts
    ]
    assert places == []


def test_no_chat_id_sign_is_read_outside_the_transports() -> None:
    """Which chats are groups is Telegram's numbering; what a reminder is, is its `kind`."""
    import re

    sign = re.compile(r"(chat_id|offset\w*)\s*[<>]=?\s*0\b")
    places = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in product_files().values()
        if "transports" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if sign.search(line)
    ]
    assert places == []


def test_no_handler_splits_button_data() -> None:
    """Button data is read by its kind in bot/buttons.py, nowhere else."""
    places = [
        str(path.relative_to(ROOT))
        for path in product_files().values()
        if 'split(":"' in path.read_text(encoding="utf-8")
        and path.name not in ("buttons.py", "config.py")  # config: the token's "id:secret"
        and "transports" not in path.parts
    ]
    assert places == []


def test_services_are_built_once_and_never_changed() -> None:
    """Nothing attaches a part to the services later (the transport once set the messenger
    and handlers asked whether it was there): they are frozen, and nobody assigns to them."""
    import dataclasses

    from bot.services import Core, Services

    for built in (Core, Services):
        assert dataclasses.fields(built) and built.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assigning = [
        str(path.relative_to(ROOT))
        for path in product_files().values()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Attribute)
        and isinstance(target.value, ast.Name)
        and target.value.id in ("services", "core")
    ]
    assert assigning == []


def test_the_dialog_machine_reads_no_database() -> None:
    """Its transitions are tested as a table: it must stay free of storage and sessions."""
    imported = graph()["bot.dialog.machine"]
    assert not {name for name in imported if name.startswith("storage")}
    source = (ROOT / "bot" / "dialog" / "machine.py").read_text(encoding="utf-8")
    assert "AsyncSession" not in source and "sqlalchemy" not in source


def test_no_test_module_imports_another() -> None:
    """Shared fixtures live in conftest.py and helpers in modules of their own."""
    tests = ROOT / "tests"
    module = "tests." + "test_"  # split, so this file does not match itself
    importing = [
        str(path.relative_to(ROOT))
        for path in [*tests.glob("*.py"), *tests.glob("bench/*.py")]
        if f"from {module}" in path.read_text(encoding="utf-8")
        or f"import {module}" in path.read_text(encoding="utf-8")
        or "from tests import " + "test_" in path.read_text(encoding="utf-8")
    ]
    assert importing == []
