"""The library's layers: an import points down, never up, and modules import no cycle.

root (pure config, errors, grammars, stats) <- engine <- runs <- sweeps <- analysis <- shell <- cli.py
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("", "engine", "runs", "sweeps", "analysis", "shell")  # "" is parity/'s own modules
SHELL_ONLY = ("typer", "rich")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    if module == "cli":
        return len(LAYERS)
    parts = module.split(".")
    if parts[0] != "parity":
        raise ValueError(module)
    sub = parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in LAYERS) else ""
    return LAYERS.index(sub)


def imports(path: Path) -> list[str]:
    """Every module imported anywhere in the file (deferred imports inside functions included).

    Imports under `if TYPE_CHECKING:` are for annotations only and never run: they are left out.
    """
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            node.body = []
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]  # `from parity.runs import files`
    return names


def sources() -> dict[str, Path]:
    files = {module_name(p): p for p in (ROOT / "parity").rglob("*.py")}
    files["cli"] = ROOT / "cli.py"
    return files


def graph() -> dict[str, set[str]]:
    known = sources()
    return {m: {i for i in imports(p) if i in known and i != m} for m, p in known.items()}


def test_every_module_belongs_to_a_layer():
    for module in sources():
        layer(module)


def test_imports_point_down_only():
    upward = [
        f"{m} (layer {LAYERS[layer(m)] or 'root'}) imports {i} (layer {LAYERS[layer(i)] if layer(i) < len(LAYERS) else 'cli'})"
        for m, deps in graph().items()
        for i in deps
        if layer(i) > layer(m)
    ]
    assert not upward, "\n".join(upward)


def test_only_the_shell_imports_typer_and_rich():
    offenders = [
        f"{m} imports {i}" for m, p in sources().items() for i in imports(p) if i.split(".")[0] in SHELL_ONLY and layer(m) < LAYERS.index("shell")
    ]
    assert not offenders, "\n".join(offenders)


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(edges.get(m, ())):
            if state.get(n) == 1:
                return stack[stack.index(n) :] + [n]
            if n not in state and (found := visit(n)):
                return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(edges):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_no_import_cycles_between_modules():
    edges = {m: {i for i in deps if not sources()[i].name == "__init__.py"} for m, deps in graph().items()}
    cycle = _cycle(edges)
    assert cycle is None, " -> ".join(cycle)


def test_no_import_cycles_between_experiment_scripts():
    # top-level scripts by their stem, the paper folders' modules as package.module (barak.claims), as they import each other
    scripts = {".".join(p.relative_to(ROOT / "experiments").with_suffix("").parts): p for p in (ROOT / "experiments").rglob("*.py")}
    scripts = {name.removesuffix(".__init__"): p for name, p in scripts.items()}
    edges = {s: set(imports(p)) & set(scripts) - {s} for s, p in scripts.items()}
    cycle = _cycle(edges)
    assert cycle is None, " -> ".join(cycle)


@pytest.mark.parametrize("fake, expect", [({"a": {"b"}, "b": {"a"}}, ["a", "b", "a"]), ({"a": {"b"}, "b": set()}, None)])
def test_the_cycle_finder_finds_cycles(fake, expect):
    assert _cycle(fake) == expect


def test_an_upward_import_is_recognised():
    assert layer("parity.engine.loop") < layer("parity.runs.files") < layer("parity.shell.render") < layer("cli")
    assert layer("parity.config") == 0 and layer("parity.engine") == 1
