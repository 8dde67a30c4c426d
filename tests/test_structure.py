"""The package's structure: one definition per public name."""
from __future__ import annotations

import ast
import collections
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "posefield"


def module_name(path: Path) -> str:
    """``posefield.fit.denoise`` for ``posefield/fit/denoise.py`` (a package's ``__init__``: the package)."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, ast.Module]:
    """Every module of the package, parsed, by dotted name."""
    return {module_name(p): ast.parse(p.read_text(), str(p)) for p in sorted(PACKAGE.rglob("*.py"))}


def defined_names(tree: ast.Module) -> list[str]:
    """The public names a module defines at top level (functions, classes, assignments; not imports)."""
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names += [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
    return [n for n in names if not n.startswith("_")]


def test_every_public_name_is_defined_in_one_module():
    homes = collections.defaultdict(list)
    for name, tree in modules().items():
        for defined in set(defined_names(tree)):
            homes[defined].append(name)
    twice = {name: where for name, where in homes.items() if len(where) > 1}
    assert not twice, f"names defined in more than one module (give each one home): {twice}"


def test_the_name_check_sees_definitions_and_skips_imports():
    tree = ast.parse("from x import y\nimport z\nA = 1\nB: int = 2\nC, D = 3, 4\n_E = 5\n"
                     "def f(): pass\nclass G: pass\n")
    assert sorted(defined_names(tree)) == ["A", "B", "C", "D", "G", "f"]
