import os
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _data_root() -> Path:
    env = os.environ.get("MIRAGE_DATA")  # the README's command gives it relative to the checkout
    return (Path(env).expanduser() if env else (REPO.parent / "shared" / "datasets")).resolve()


DATA_ROOT = _data_root()
HAVE_DATA = (DATA_ROOT / "TUDataset" / "MUTAG" / "raw").is_dir()
needs_data = pytest.mark.skipif(not HAVE_DATA, reason=f"real datasets not found under {DATA_ROOT} (set MIRAGE_DATA)")


_START_UP = re.compile(r"^mirage [\w-]*: loading libraries and data \(\d+ s\)$")


def benchmark_module(name: str):
    """The module of ``benchmarks/NAME.py`` (the benchmarks are scripts, not a package)."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def without_start_up(stderr: str) -> str:
    """stderr without the lines a slow start prints every MIRAGE_PROGRESS_SECONDS (under load, the imports and the
    loading that precede a bad input's error can take longer than that): what the error contract is about."""
    return "".join(line for line in stderr.splitlines(keepends=True) if not _START_UP.match(line.rstrip("\n")))


@pytest.fixture(scope="session")
def data_root() -> Path:
    return DATA_ROOT


@pytest.fixture(scope="session", autouse=True)
def _cache(tmp_path_factory):
    """Processed datasets go to MIRAGE_CACHE if set (CI shares it across runs), else a per-session directory."""
    if not os.environ.get("MIRAGE_CACHE"):
        os.environ["MIRAGE_CACHE"] = str(tmp_path_factory.mktemp("mirage-cache"))
    os.environ["MIRAGE_OFFLINE"] = "1"
    yield


@pytest.fixture(scope="session")
def synthetic():
    from graph_mirage import load_dataset

    return load_dataset("synthetic-motifs")


@pytest.fixture(scope="session")
def mutag(data_root):
    from graph_mirage import load_dataset

    return load_dataset("MUTAG", data_root)
