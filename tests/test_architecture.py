"""Import arrows of ARCHITECTURE.md: bot -> handlers -> services -> domain; storage -> domain."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("bot", "handlers", "services", "domain", "storage")
# What each layer may import at run time (besides itself, the stdlib and third parties).
ALLOWED = {
    "bot": {"handlers", "services", "domain", "storage"},
    "handlers": {"services", "domain"},
    "services": {"domain"},
    "domain": set(),
    "storage": {"domain"},
}
# Libraries a layer must not touch at all, whatever the arrows say.
FORBIDDEN_LIBS = {
    "domain": {"telegram", "sqlalchemy", "alembic", "aiohttp", "httpx", "babel"},
    "services": {"telegram"},
    "handlers": {"sqlalchemy", "alembic"},
}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_imports(tree: ast.AST) -> list[tuple[int, str]]:
    """Return (line, module) of imports that run, skipping `if TYPE_CHECKING:` blocks."""
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import):
                found.extend((child.lineno, a.name) for a in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                found.append((child.lineno, child.module))
            visit(child)

    visit(tree)
    return found


def violations(layer: str, path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    problems = []
    for line, module in runtime_imports(tree):
        top = module.split(".")[0]
        if top in LAYERS and top != layer and top not in ALLOWED[layer]:
            problems.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
        if top in FORBIDDEN_LIBS.get(layer, set()):
            problems.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return problems


@pytest.mark.parametrize("layer", LAYERS)
def test_layer_imports_follow_the_arrows(layer: str) -> None:
    problems = [p for f in sorted((ROOT / layer).rglob("*.py")) for p in violations(layer, f)]
    assert problems == []


def test_the_checker_catches_a_crossing(tmp_path: Path) -> None:
    bad = ROOT / "handlers" / "_probe_for_test.py"
    assert not bad.exists()
    sample = tmp_path / "x.py"
    sample.write_text("from storage.models import Order\nimport bot.app\n"
                      "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                      "    from storage.uow import SqlUnitOfWork\n")
    tree = ast.parse(sample.read_text())
    mods = [m for _, m in runtime_imports(tree)]
    assert "storage.models" in mods and "bot.app" in mods
    assert "storage.uow" not in mods
    # And the layer rule flags both crossings for a handler.
    sample_in_handlers = ROOT / "handlers"
    fake = sample_in_handlers / "__probe__.py"
    try:
        fake.write_text(sample.read_text())
        assert len(violations("handlers", fake)) == 2
        assert len(violations("domain", fake)) == 2
    finally:
        fake.unlink()
