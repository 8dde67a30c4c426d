"""The package's structure: one definition per public name, imports that only go down a declared
order of layers, no import cycles."""
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


# The package's layers, lowest first: a module imports only from its own unit (the sub-package,
# or the module directly under posefield; for ``prior``, its sub-packages are units of their own
# above the interface its top-level modules make) or from a lower layer; units of one layer do
# not import each other (the baselines do not use the evaluation). Lazy imports inside functions
# count too. A package's ``__init__`` may name what its sub-packages define (its public face).
# The root ``posefield/__init__.py`` is left out: it only names its lazy exports.
LAYERS = (
    ("errors",),
    ("limits", "requires", "devices", "settings", "resume"),
    ("rotations",),
    ("skeleton",),
    ("motion",),
    ("io",),
    ("data",),
    ("prior",),  # the interface: PosePrior, registry, checkpoints, shared training and rank statistics
    ("prior.ndf",),
    ("prior.baselines", "prior.evaluation", "prior.motions"),
    ("fit", "mesh"),
    ("regress", "viz"),
    ("image",),
    ("bench",),
    ("jobs",),
    ("cli",),
)
LAYER = {unit: level for level, units in enumerate(LAYERS) for unit in units}


def unit_of(module: str) -> str:
    """``fit`` for ``posefield.fit.denoise``, ``motion`` for ``posefield.motion``, ``prior.ndf``
    for ``posefield.prior.ndf.model`` (a sub-package with a layer of its own), ``prior`` for
    ``posefield.prior.base``."""
    parts = module.split(".")
    sub_unit = ".".join(parts[1:3])
    return sub_unit if len(parts) > 2 and sub_unit in LAYER else parts[1]


def imports(tree: ast.AST, known: set[str], top_level_only: bool = False) -> set[str]:
    """The posefield modules (of ``known``) a module imports: anywhere in it, or in its body only
    (not inside functions or classes) with ``top_level_only``; ``from package import module``
    counts as importing the module."""
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name in known}


def test_imports_only_go_down_the_layers():
    parsed = modules()
    known = set(parsed)
    unknown = {unit_of(m) for m in known if m != "posefield"} - set(LAYER)
    assert not unknown, f"declare the layer of {sorted(unknown)} in LAYERS"
    upward = sorted(f"{module} imports {target}" for module, tree in parsed.items() if module != "posefield"
                    for target in imports(tree, known) if target != "posefield" and not target.startswith(module + ".")
                    and unit_of(target) != unit_of(module) and LAYER[unit_of(target)] >= LAYER[unit_of(module)])
    assert not upward, "imports that do not go down the layers:\n" + "\n".join(upward)


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of ``graph`` (node -> successors) as a list of nodes, or ``None``."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for succ in sorted(graph.get(node, ())):
            if state.get(succ) == 1:
                return path[path.index(succ):] + [succ]
            if succ not in state and (cycle := visit(succ)):
                return cycle
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_module_imports_itself_through_others_at_import_time():
    parsed = modules()
    graph = {module: imports(tree, set(parsed), top_level_only=True) - {module} for module, tree in parsed.items()}
    assert find_cycle(graph) is None, f"import cycle: {' -> '.join(find_cycle(graph))}"


def test_the_layer_checks_see_what_they_check():
    tree = ast.parse("import posefield.io.bvh\nfrom posefield.fit import denoise\ndef f():\n    from posefield.cli import app\n")
    known = {"posefield.io.bvh", "posefield.fit", "posefield.fit.denoise", "posefield.cli"}
    assert imports(tree, known) == known
    assert imports(tree, known, top_level_only=True) == {"posefield.io.bvh", "posefield.fit", "posefield.fit.denoise"}
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert [unit_of(m) for m in ("posefield.prior", "posefield.prior.base", "posefield.prior.ndf.model",
                                 "posefield.prior.baselines", "posefield.fit.denoise")] == \
        ["prior", "prior", "prior.ndf", "prior.baselines", "fit"]
    assert LAYER["prior.baselines"] == LAYER["prior.evaluation"] > LAYER["prior.ndf"] > LAYER["prior"]
