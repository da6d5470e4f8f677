"""The layout's promise (docs/architecture.md, "Where things live"): each folder of `server/` imports
only from the layers below it, and the core from nothing but the standard library and msgspec."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SERVER = Path(__file__).resolve().parents[1] / "server"

# What each folder may import from the project (itself included); server/web may import anything.
MAY_IMPORT = {
    "server.core": ("server.core",),
    "server.log": ("server.core", "server.log"),
    "server.live": ("server.core", "server.log", "server.live"),
    "server.papers": ("server.core", "server.papers", "server.i18n"),
    "server.intake": ("server.core", "server.intake", "server.config"),
}
CORE_MAY_USE = frozenset(sys.stdlib_module_names) | {"msgspec"}


def imported(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def modules_of(package: str) -> list[Path]:
    return sorted((SERVER.parent / package.replace(".", "/")).rglob("*.py"))


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(f"{prefix}.") for prefix in prefixes)


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_a_layer_imports_only_the_layers_below_it(package: str) -> None:
    allowed = MAY_IMPORT[package]
    wrong = [
        f"{path.relative_to(SERVER.parent)}: {name}"
        for path in modules_of(package)
        for name in imported(path)
        if name.startswith("server") and not within(name, allowed)
    ]
    assert modules_of(package), f"{package} has no modules: the table is out of date"
    assert wrong == []


def test_the_core_uses_only_the_standard_library_and_msgspec() -> None:
    foreign = [
        f"{path.relative_to(SERVER.parent)}: {name}"
        for path in modules_of("server.core")
        for name in imported(path)
        if not name.startswith("server.") and name.partition(".")[0] not in CORE_MAY_USE
    ]
    assert foreign == []


def test_the_checker_sees_a_wrong_import(tmp_path: Path) -> None:
    module = tmp_path / "sample.py"
    module.write_text("from server.web.app import create_app\nimport redis\n")
    assert imported(module) == ["server.web.app", "redis"]
    assert not within("server.web.app", MAY_IMPORT["server.live"])
    assert within("server.log.base", MAY_IMPORT["server.live"])
