"""The house's shape, counted: no module over 250 lines, and few function-level imports, each with its reason.

A function-level import is kept only where it keeps JAX (or matplotlib, pandas, an optional extra)
out of a command that does not need it; it says so in a `# deferred: ...` comment on its line.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 250
MAX_DEFERRED = 25


def modules(root: Path = ROOT) -> list[Path]:
    return [*sorted((root / "parity").rglob("*.py")), root / "cli.py"]


def deferred_imports(root: Path = ROOT) -> list[tuple[Path, int, str]]:
    """Every import statement inside a function of parity/ or cli.py: (file, line, the line's text)."""
    found = []
    for path in modules(root):
        text = path.read_text()
        lines = text.splitlines()
        for function in ast.walk(ast.parse(text)):
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found += [
                    (path, node.lineno, lines[node.lineno - 1]) for node in ast.walk(function) if isinstance(node, (ast.Import, ast.ImportFrom))
                ]
    return sorted(set(found))


def test_no_module_is_longer_than_250_lines():
    long = {str(path.relative_to(ROOT)): n for path in modules() if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_at_most_25_function_level_imports_each_with_its_reason():
    found = deferred_imports()
    assert len(found) <= MAX_DEFERRED, "\n".join(f"{path.relative_to(ROOT)}:{line}: {text.strip()}" for path, line, text in found)
    assert [f"{path.relative_to(ROOT)}:{line}" for path, line, text in found if "# deferred: " not in text] == []


def test_the_counter_sees_a_function_level_import(tmp_path):
    """The count is not vacuous: an import inside a function is found, one at the top is not."""
    (tmp_path / "parity").mkdir()
    (tmp_path / "parity" / "m.py").write_text("import os\n\n\ndef f():\n    import json  # deferred: a reason\n    return json, os\n")
    (tmp_path / "cli.py").write_text("")
    assert [(path.name, line) for path, line, _ in deferred_imports(tmp_path)] == [("m.py", 5)]


PROJECT = ("parity", "barak", "liu", "panigrahi", "benchmarks")  # the packages of parity/, experiments/ and benchmarks/
MAX_RENAMED = 2


def renamed_modules(root: Path = ROOT) -> list[str]:
    """Every import that gives a project module another name (`import parity.x as y`, `from parity import x as y`
    where x is a module, not a function): file:line and the two names."""
    found = []
    for path in [
        *modules(root),
        *sorted((root / "tests").glob("*.py")),
        *sorted((root / "experiments").rglob("*.py")),
        *sorted((root / "benchmarks").glob("*.py")),
    ]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                pairs = [(a.name, a.asname) for a in node.names if a.name.split(".")[0] in PROJECT]
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PROJECT:
                pairs = [(f"{node.module}.{a.name}", a.asname) for a in node.names if _is_module(root, f"{node.module}.{a.name}")]
            else:
                continue
            found += [f"{path.relative_to(root)}:{node.lineno}: {name} as {alias}" for name, alias in pairs if alias and alias != name.split(".")[-1]]
    return found


def _is_module(root: Path, dotted: str) -> bool:
    parts = dotted.split(".")
    bases = [root, root / "experiments"]
    return any((base.joinpath(*parts).with_suffix(".py")).is_file() or (base.joinpath(*parts) / "__init__.py").is_file() for base in bases)


def test_project_modules_are_imported_by_their_own_names():
    assert len(renamed_modules()) <= MAX_RENAMED, "\n".join(renamed_modules())


def test_the_rename_counter_sees_a_renamed_module(tmp_path):
    (tmp_path / "parity" / "runs").mkdir(parents=True)
    (tmp_path / "parity" / "runs" / "files.py").write_text("X = 1\n")
    (tmp_path / "cli.py").write_text("from parity.runs import files as io\nfrom parity.runs.files import X as Y\n")
    assert renamed_modules(tmp_path) == ["cli.py:1: parity.runs.files as io"]
