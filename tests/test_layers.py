"""The layout stays true: imports (also those inside functions) run one way between the role folders, form no
cycle, and never take a private name from another module."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "mailflow"
SPINE = {"app", "cli", "supervisor", "worker", "handling", "routing", "ingest", "demo", "receive"}
# a room -> rooms it must never import
FORBIDDEN = {
    "flows": {"jobs"} | SPINE, "jobs": {"flows"} | SPINE,
    "domain": {"flows", "jobs"} | SPINE, "outgoing": {"domain", "flows", "jobs"} | SPINE,
    "parsers": {"domain", "outgoing", "flows", "jobs", "store"} | SPINE,
    "store": {"domain", "outgoing", "flows", "jobs", "parsers"} | SPINE,
}


def imports() -> dict[str, set[tuple[str, str]]]:
    """module -> {(imported module, name)} for every `from … import` and `import` in mailflow/."""
    found: dict[str, set[tuple[str, str]]] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        edges = found.setdefault(module, set())
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    is_module = (PACKAGE.parent / (full.replace(".", "/") + ".py")).exists()
                    edges.add((full, "") if is_module else (base, alias.name))
            elif isinstance(node, ast.Import):
                edges.update((alias.name, "") for alias in node.names)
    return {m: {(t, n) for t, n in e if t.startswith("mailflow")} for m, e in found.items()}


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_no_room_imports_a_room_it_must_not():
    wrong = sorted(f"{m} imports {t}" for m, edges in imports().items() for t, _ in edges
                   if room(t) in FORBIDDEN.get(room(m), set()))
    assert wrong == []


def test_no_module_takes_a_private_name_from_another():
    wrong = sorted(f"{m} takes {t}.{n}" for m, edges in imports().items() for t, n in edges
                   if n.startswith("_") and t != m)
    assert wrong == []


def test_imports_form_no_cycle():
    graph = {m: {t for t, _ in edges if t != m} for m, edges in imports().items()}
    state: dict[str, int] = {}

    def visit(module: str, trail: list[str]) -> list[str] | None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                return trail + [module, target]
            if target not in state and (cycle := visit(target, trail + [module])):
                return cycle
        state[module] = 2
        return None

    cycles = [c for m in sorted(graph) if m not in state and (c := visit(m, []))]
    assert cycles == []
