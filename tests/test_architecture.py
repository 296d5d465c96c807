"""The shape of the code, kept by a test: imports run one way, no cycles, short modules and functions.

Walks every project module with ``ast`` (migrations and tests aside) and fails on
- an import that runs back up the chain core <- accounts <- competitions <- scoring <- awards <- reports;
- an import cycle between modules (imports inside functions count: a lazy import hides a cycle, it does not
  remove it);
- an optional-import shim (``try: import ... except ImportError``): a project module is either there or not;
- a module over ``MAX_MODULE_LINES`` lines or a function over ``MAX_FUNCTION_LINES`` lines, unless it is in
  ``ALLOWED_LONG`` with the reason a longer one reads better.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Lower layers never import higher ones. Top-level modules (app, cli, ...) compose them all.
LAYERS = ["core", "accounts", "competitions", "scoring", "awards", "reports"]
TOP_LEVEL = ["app", "cli", "settings", "piccolo_conf"]
EXCLUDED_PARTS = {"piccolo_migrations", "__pycache__"}

MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80

# "module" or "module:function" -> why it may be longer.
ALLOWED_LONG: dict[str, str] = {}


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    tree: ast.Module
    lines: int


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Module]:
    paths = [ROOT / f"{name}.py" for name in TOP_LEVEL if (ROOT / f"{name}.py").exists()]
    for package in LAYERS:
        if (ROOT / package).is_dir():
            paths += [p for p in (ROOT / package).rglob("*.py") if not EXCLUDED_PARTS & set(p.parts)]
    modules = {}
    for path in sorted(paths):
        source = path.read_text(encoding="utf-8")
        modules[_module_name(path)] = Module(
            _module_name(path), path, ast.parse(source, str(path)), len(source.splitlines())
        )
    return modules


def _resolve(name: str, known: dict[str, Module]) -> str | None:
    """The project module an imported name lives in (``a.b.c`` -> ``a.b`` when ``c`` is not a module)."""
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: Module, known: dict[str, Module]) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.name if module.path.name == "__init__.py" else module.name.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{base}".strip(".")
            names = [f"{base}.{alias.name}" for alias in node.names] or [base]
        else:
            continue
        for name in names:
            target = _resolve(name, known)
            if target and target != module.name:
                found.add(target)
    return found


def layer_of(name: str) -> int | None:
    top = name.split(".")[0]
    return LAYERS.index(top) if top in LAYERS else None


def _cycles(graph: dict[str, set[str]]) -> Iterator[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each one cycle to report."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    counter = [0]

    def visit(node: str) -> Iterator[list[str]]:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for succ in graph.get(node, ()):
            if succ not in index:
                yield from visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                yield sorted(component)

    for node in sorted(graph):
        if node not in index:
            yield from visit(node)


MODULES = project_modules()
GRAPH = {name: imports_of(module, MODULES) for name, module in MODULES.items()}


def test_the_walk_sees_the_project() -> None:
    assert {"app", "core.db", "accounts.audit", "scoring.rules", "awards.tables"} <= set(MODULES)
    assert "competitions.tables" in GRAPH["awards.tables"]


def test_imports_run_one_way() -> None:
    upward = [
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        for target in targets
        if (mine := layer_of(name)) is not None and (theirs := layer_of(target)) is not None and theirs > mine
    ]
    assert not upward, "imports that run back up core <- accounts <- competitions <- scoring <- awards:\n" + (
        "\n".join(sorted(upward))
    )


def test_no_import_cycles() -> None:
    cycles = list(_cycles(GRAPH))
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_top_level_modules_are_not_imported_by_domains() -> None:
    wrong = [
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        if layer_of(name) is not None
        for target in targets
        if target in ("app", "cli")
    ]
    assert not wrong, "\n".join(wrong)


def test_no_optional_import_shims() -> None:
    shims = []
    for module in MODULES.values():
        for node in ast.walk(module.tree):
            if not isinstance(node, ast.Try):
                continue
            for handler in node.handlers:
                caught = ast.unparse(handler.type) if handler.type else ""
                if "ImportError" in caught or "ModuleNotFoundError" in caught:
                    shims.append(f"{module.path.relative_to(ROOT)}:{node.lineno}")
    assert not shims, "optional-import shims:\n" + "\n".join(shims)


def test_modules_are_short() -> None:
    long = [
        f"{m.path.relative_to(ROOT)}: {m.lines} lines"
        for m in MODULES.values()
        if m.lines > MAX_MODULE_LINES and m.name not in ALLOWED_LONG
    ]
    assert not long, f"modules over {MAX_MODULE_LINES} lines:\n" + "\n".join(long)


def _functions(module: Module) -> Iterator[tuple[str, int]]:
    for node in ast.walk(module.tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node.name, (node.end_lineno or node.lineno) - node.lineno + 1


def test_functions_are_short() -> None:
    long = [
        f"{m.path.relative_to(ROOT)}:{name}: {length} lines"
        for m in MODULES.values()
        for name, length in _functions(m)
        if length > MAX_FUNCTION_LINES and f"{m.name}:{name}" not in ALLOWED_LONG
    ]
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines:\n" + "\n".join(sorted(long))


def test_the_allow_list_is_still_needed() -> None:
    """An allowance whose module or function has since become short (or gone) is removed, not kept."""
    lengths = {m.name: m.lines for m in MODULES.values()}
    for m in MODULES.values():
        for name, length in _functions(m):
            key = f"{m.name}:{name}"
            lengths[key] = max(length, lengths.get(key, 0))
    stale = [
        key
        for key in ALLOWED_LONG
        if lengths.get(key, 0) <= (MAX_FUNCTION_LINES if ":" in key else MAX_MODULE_LINES)
    ]
    assert not stale, "allowances no longer needed:\n" + "\n".join(stale)
