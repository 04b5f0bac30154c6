"""Every message queued in the outbox gets its key from `domain.keys.message_key` (ARCHITECTURE
26): an `ast` walk over the code that writes messages, so a new call site cannot bypass it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("bot", "handlers", "services", "bench")
# The one place a key passes through unbuilt: notify() hands its caller's key to the outbox.
PASS_THROUGH = {("services/notify.py", "notify")}


def _notify_names(tree: ast.AST) -> set[str]:
    """The names `services.notify.notify` goes by in a module (an import may rename it)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "services.notify":
            names |= {a.asname or a.name for a in node.names if a.name == "notify"}
    return names


def _queues_a_message(call: ast.Call, notify_names: set[str]) -> bool:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id in notify_names
    # uow.outbox.add(...), self.uow.outbox.add(...)
    return (isinstance(func, ast.Attribute) and func.attr == "add"
            and isinstance(func.value, ast.Attribute) and func.value.attr == "outbox")


def _built_by_helper(call: ast.Call) -> bool:
    key = next((k.value for k in call.keywords if k.arg == "key"), None)
    return (isinstance(key, ast.Call) and isinstance(key.func, ast.Name)
            and key.func.id == "message_key")


def call_sites(path: Path) -> list[tuple[str, int, bool]]:
    """(enclosing function, line, key built by message_key) of each message queued in `path`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    notify_names = _notify_names(tree)
    if path.relative_to(ROOT).as_posix() == "services/notify.py":
        notify_names.add("notify")
    found = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, ast.AsyncFunctionDef | ast.FunctionDef) \
                else function
            if isinstance(child, ast.Call) and _queues_a_message(child, notify_names):
                found.append((name, child.lineno, _built_by_helper(child)))
            visit(child, name)

    visit(tree, "<module>")
    return found


def test_every_outbox_key_is_built_by_message_key() -> None:
    sites, bypasses = 0, []
    for layer in SCANNED:
        for path in sorted((ROOT / layer).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            for function, line, built in call_sites(path):
                sites += 1
                if not built and (rel, function) not in PASS_THROUGH:
                    bypasses.append(f"{rel}:{line} ({function})")
    assert bypasses == []
    assert sites >= 15  # the walk does find the call sites (17 today)


def test_the_walk_catches_a_key_built_by_hand(tmp_path: Path) -> None:
    probe = ROOT / "services" / "__probe_keys__.py"
    assert not probe.exists()
    try:
        probe.write_text(
            "from services.notify import notify as tell\n"
            "from domain.keys import Recipient, message_key\n"
            "async def f(uow, c):\n"
            "    await tell(uow, key=f'x:{c.id}', chat_id=1)\n"
            "    await uow.outbox.add(key='y', chat_id=1)\n"
            "    await tell(uow, key=message_key('x', Recipient.CONTACT, c.id), chat_id=1)\n")
        assert [built for _, _, built in call_sites(probe)] == [False, False, True]
    finally:
        probe.unlink()
