"""The code's shape, held as tests (docs/architecture.md): small modules and functions, small constructors, no
import cycles, PyG's private storage read only by graph-mirage's own dataset classes, a command line that answers
--help without importing PyTorch, and every distiller and baseline a scikit-learn estimator."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "graph_mirage"
FILES = sorted(PACKAGE.rglob("*.py"))


def _module(p: Path) -> str:
    parts = list(p.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module(p): p for p in FILES}


def test_no_module_over_500_lines():
    assert {p.name: n for p in FILES if (n := p.read_text().count("\n")) > 500} == {}


def test_no_function_over_80_lines_and_no_constructor_over_12_parameters():
    long, wide = [], []
    for p in FILES:
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if node.end_lineno - node.lineno + 1 > 80:
                    long.append(f"{p.name}:{node.name}")
                if node.name == "__init__" and len(node.args.args) - 1 + len(node.args.kwonlyargs) > 12:
                    wide.append(p.name)
    assert long == [] and wide == []


def _imports(m: str, p: Path) -> set[str]:
    """graph_mirage modules ``m`` imports anywhere (function-level too), a package's lazy names included."""
    is_pkg = p.name == "__init__.py"

    def resolve(level: int, module: str | None) -> str:
        base = m.split(".") if is_pkg else m.split(".")[:-1]
        base = base[:len(base) - (level - 1)] if level else []
        return ".".join(base + (module.split(".") if module else []))

    out = set()
    for node in ast.walk(ast.parse(p.read_text())):
        targets = []
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("graph_mirage")):
            base = resolve(node.level, node.module) if node.level else node.module
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names if a.name.startswith("graph_mirage")]
        elif isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "_LAZY" for t in node.targets):
            for rel in ast.literal_eval(node.value).values():
                level = len(rel) - len(rel.lstrip("."))
                targets.append(resolve(level, rel.lstrip(".")))
        out |= {t for t in targets if t in MODULES and t != m}
    return out


def test_no_import_cycles():
    graph = {m: _imports(m, p) for m, p in MODULES.items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(v: str, path: list[str]) -> None:
        state[v] = 1
        for w in sorted(graph[v]):
            if state.get(w) == 1:
                cycles.append(path[path.index(w):] + [w])
            elif w not in state:
                visit(w, path + [w])
        state[v] = 2

    for v in sorted(graph):
        if v not in state:
            visit(v, [v])
    assert cycles == []


def test_pyg_private_storage_only_in_our_own_dataset_classes():
    own = {PACKAGE / "data" / "graphs.py", PACKAGE / "distilled.py"}
    readers = [p.name for p in FILES if p not in own and "._data" in p.read_text()]
    assert readers == []


def test_help_and_argument_errors_do_not_import_pytorch():
    code = ("import sys\nfrom graph_mirage.cli import main\n"
            "for argv in (['--help'], ['distill', '--help'], ['train', 'MUTAG', '--epochs', '0']):\n"
            "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
            "print('torch' in sys.modules, 'torch_geometric' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.stdout.strip().splitlines()[-1] == "False False", r.stderr


@pytest.mark.parametrize("name", ["AutoPrototypes", "TreePrototypes", "Mirage", "RandomSelection", "HerdingSelection",
                                  "DosCond", "KiDD", "SizeOnly", "WLKernel", "ModelSearch"])
def test_every_distiller_and_baseline_is_a_scikit_learn_estimator(name):
    from sklearn.base import clone

    import graph_mirage
    import graph_mirage.baselines
    import graph_mirage.search

    cls = getattr(graph_mirage, name, None) or getattr(graph_mirage.baselines, name, None) or getattr(
        graph_mirage.search, name)
    est = cls()
    params = est.get_params()
    twin = clone(est)
    assert twin is not est and twin.get_params() == params and repr(twin) == repr(est)
    assert name in repr(est) and "object at 0x" not in repr(est)
    first = next(iter(params))
    est.set_params(**{first: params[first]})


def test_a_workflow_stays_its_function_after_its_module_is_imported():
    """``graph_mirage.workflows.distill`` is the function, also once something (the command line) has imported the
    module ``workflows/distill.py`` of the same name — the import system then sets the package's attribute to the
    module, which made ``from graph_mirage.workflows import distill`` return a module, depending on import order."""
    code = ("import importlib\n"
            "for m in ('distill', 'train', 'search'):\n"
            "    importlib.import_module('graph_mirage.workflows.' + m)\n"
            "from graph_mirage.workflows import distill, search, train\n"
            "assert all(callable(f) for f in (distill, search, train)), (distill, search, train)\n"
            "from graph_mirage.workflows.distill import check_distill\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
