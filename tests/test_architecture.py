"""The module structure the brief asks for, checked from the source: which module may import
which (at run time; `if TYPE_CHECKING:` imports are for types only)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "sentry_alerts"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _runtime_imports(name: str) -> set[str]:
    """Our modules that `name` imports anywhere (module level or inside functions), except
    under `if TYPE_CHECKING:`."""
    path = MODULES[name]
    found: set[str] = set()

    class Visitor(ast.NodeVisitor):
        def visit_If(self, node: ast.If) -> None:
            test = node.test
            if getattr(test, "id", None) == "TYPE_CHECKING" or \
                    getattr(test, "attr", None) == "TYPE_CHECKING":
                for child in node.orelse:
                    self.visit(child)
                return
            self.generic_visit(node)

        def visit_Import(self, node: ast.Import) -> None:
            found.update(alias.name for alias in node.names)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            base = node.module or ""
            if node.level:
                package = name.split(".") if path.name == "__init__.py" else \
                    name.split(".")[:-1]
                package = package[: len(package) - node.level + 1]
                base = ".".join(package + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)

    Visitor().visit(ast.parse(path.read_text(encoding="utf-8")))
    return {m for m in found if m in MODULES and m != name}


def _reachable(start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in _runtime_imports(todo.pop()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_apply_never_imports_a_renderer():
    # apply executes a plan; showing what happened is the terminal's and the renderers' job.
    assert not {m for m in _reachable("sentry_alerts.apply") if m.startswith("sentry_alerts.render")}


def test_renderers_and_apply_form_no_import_circle():
    for module in ("sentry_alerts.apply", "sentry_alerts.render.text", "sentry_alerts.terminal",
                   "sentry_alerts.plan"):
        assert module not in _reachable(module), f"{module} imports itself through others"


def test_no_module_imports_itself_through_others():
    # The brief: no import circles. A circle means a split that is not a real seam; it also
    # counts a submodule importing its own package (`from sentry_alerts.guide import
    # markdown`) while the package's __init__ imports that submodule.
    assert [m for m in sorted(MODULES) if m in _reachable(m)] == []


# --- module size: the brief asks for small modules, under about 400 lines ---

MAX_MODULE_LINES = 400
# Modules still over the ceiling, each with the reason it is allowed for now. The list only
# shrinks: a module that gets under the ceiling must leave it (the test below says so), and a
# module not listed here may not grow past the ceiling.
OVERSIZE_ALLOWED: dict[str, str] = {}


def _module_lines() -> dict[str, int]:
    root = PACKAGE.parent
    return {path.relative_to(root).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
            for path in sorted(PACKAGE.rglob("*.py"))}


def test_no_new_module_grows_past_the_size_ceiling():
    over = {path: n for path, n in _module_lines().items() if n > MAX_MODULE_LINES}
    unexpected = {path: n for path, n in over.items() if path not in OVERSIZE_ALLOWED}
    assert not unexpected, (
        f"modules over {MAX_MODULE_LINES} lines: {unexpected}; split them along a real seam "
        "(docs/architecture.md) rather than adding them to OVERSIZE_ALLOWED")


def test_the_oversize_allow_list_only_shrinks():
    lines = _module_lines()
    listed = {path: lines.get(path) for path in OVERSIZE_ALLOWED}
    fixed = {path: n for path, n in listed.items() if n is None or n <= MAX_MODULE_LINES}
    assert not fixed, (f"now under {MAX_MODULE_LINES} lines (or gone): {fixed}; remove them "
                       "from OVERSIZE_ALLOWED so they stay small")
