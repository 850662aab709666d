"""``mirage`` commands run in processes forked from a server that imported the package once (``multiprocessing``'s
forkserver). Each command is a process of its own — exit status, file descriptors, environment, working directory,
signal handlers — without paying again the 5-10 s that ``python -m graph_mirage`` spends importing PyTorch, PyG and
scikit-learn here. What happens while a command starts (its first progress line, signals, the umask) is tested with
``python -m graph_mirage`` itself.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import subprocess
import sys
from pathlib import Path

_context = None


def _preload() -> list:
    """Every module of the package (they import PyTorch, PyG and scikit-learn) and the chemistry that reads CSVs."""
    import pkgutil

    import graph_mirage

    own = [m.name for m in pkgutil.walk_packages(graph_mirage.__path__, "graph_mirage.")
           if not m.name.endswith("__main__")]
    return ["tests.forked", *own, "rdkit.Chem", "ogb.utils"]


def _ctx():
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(_preload())
    return _context


def _command(argv: list, env: dict, cwd: str, out: str, err: str) -> None:
    """The forked process: ``python -m graph_mirage ARGV`` after the imports (stdin from /dev/null, stdout and stderr
    to files); ends with the command's exit status, 1 for an uncaught exception."""
    import tempfile
    import traceback
    import warnings

    os.environ.clear()
    os.environ.update(env)
    tempfile.tempdir = None  # chosen again from this environment's TMPDIR, as a fresh interpreter would
    os.chdir(cwd)
    if "ignore" in env.get("PYTHONWARNINGS", ""):  # what a fresh interpreter would do with it
        warnings.simplefilter("ignore")
    for fd, path, flags in ((0, os.devnull, os.O_RDONLY), (1, out, os.O_WRONLY | os.O_CREAT),
                            (2, err, os.O_WRONLY | os.O_CREAT)):
        os.dup2(os.open(path, flags, 0o644), fd)
    sys.stdin = open(0, closefd=False)
    sys.stdout = open(1, "w", closefd=False)
    sys.stderr = open(2, "w", closefd=False)
    sys.argv = [sys.executable, *argv]
    try:
        from graph_mirage.cli import main

        code = main(argv)
    except SystemExit as e:  # argparse's errors
        code = e.code if isinstance(e.code, int) else 1
    except BaseException:
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


class Command:
    """A started command: ``wait()`` gives its ``CompletedProcess`` (args as ``python -m graph_mirage ARGV``)."""

    def __init__(self, argv, env: dict | None = None, cwd=None, logs: Path | None = None) -> None:
        import tempfile

        self.argv = [str(a) for a in argv]
        self.logs = Path(logs or tempfile.mkdtemp(prefix="mirage-forked-"))
        self.logs.mkdir(parents=True, exist_ok=True)
        n = len(list(self.logs.glob("*.err")))
        self.out, self.err = self.logs / f"{n}.out", self.logs / f"{n}.err"
        self.err.touch()
        self.process = _ctx().Process(target=_command, args=(self.argv, dict(env if env is not None else os.environ),
                                                             str(cwd or os.getcwd()), str(self.out), str(self.err)))
        self.process.start()

    @property
    def sentinel(self):
        return self.process.sentinel

    def wait(self, timeout: float = 600, text: bool = False) -> subprocess.CompletedProcess:
        self.process.join(timeout)
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join()
            raise subprocess.TimeoutExpired(self.argv, timeout)
        out, err = self.out.read_bytes(), self.err.read_bytes()
        if text:
            out, err = out.decode(), err.decode()
        return subprocess.CompletedProcess([sys.executable, "-m", "graph_mirage", *self.argv], self.process.exitcode,
                                           out, err)


def run(argv, env: dict | None = None, cwd=None, timeout: float = 600, text: bool = False,
        logs: Path | None = None) -> subprocess.CompletedProcess:
    """``subprocess.run([python, -m, graph_mirage, *argv], capture_output=True, ...)`` in a forked process."""
    return Command(argv, env, cwd, logs).wait(timeout, text)


def wait_any(commands: list, timeout: float = 300) -> list:
    """The commands among ``commands`` that have ended (waits for at least one)."""
    done = multiprocessing.connection.wait([c.sentinel for c in commands], timeout=timeout)
    assert done, f"no command ended within {timeout} s"
    return [c for c in commands if c.sentinel in done]
