"""The ``mirage`` command line: datasets, distill, condense, export, train, run, bench, inspect.

Every user error ends with exactly one line ``mirage: error: ...`` on stderr and exit status 2 (130 when interrupted,
143 when terminated), never a traceback, and leaves no new or partial file at the output path. The parser
(:mod:`.parser`) imports only configuration; a command (:mod:`.commands`) turns its arguments into the settings of one
workflow (:mod:`graph_mirage.workflows`), which checks them before any work, and prints what it returns.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import signal
import sys
import threading
import warnings
from typing import Sequence

from ..errors import MirageError
from ..progress import Waiting, progress_seconds
from .parser import EXIT_USAGE, build_parser

EXIT_INTERRUPTED = 130


class _Terminated(KeyboardInterrupt):
    pass


def _terminated(signum, frame) -> None:
    raise _Terminated()


_RESENDS: list[threading.Timer] = []  # signals sent again; cancelled once the command has ended on one


def _unraisable(unraisable) -> None:
    # Python runs a signal handler wherever the main thread is; raised inside a weakref callback or ``__del__`` (an
    # import lock's, say) the exception is only reported as "Exception ignored" and the work goes on. Send the
    # signal again so that it ends the command where it can; report anything else as Python does.
    exc = unraisable.exc_value
    if isinstance(exc, KeyboardInterrupt):  # a moment later, so that the handler runs after this hook has returned
        signum = signal.SIGTERM if isinstance(exc, _Terminated) else signal.SIGINT
        resend = threading.Timer(0.1, os.kill, args=(os.getpid(), signum))
        resend.daemon = True
        _RESENDS.append(resend)
        resend.start()
    else:
        sys.__unraisablehook__(unraisable)


def _swallow(signum, frame) -> None:
    pass


def _ending(saved: dict) -> None:
    """The command ends on a signal: a resend (:func:`_unraisable`) already on its way, or a second Ctrl-C, is
    swallowed until ``main`` returns (``saved`` keeps the handlers to restore), so that it cannot raise again inside
    the one-line ending; and the interpreter's mark of an unhandled interrupt is cleared (below)."""
    for resend in _RESENDS:
        resend.cancel()
    for signum in (signal.SIGINT, signal.SIGTERM):
        saved.setdefault(signum, signal.signal(signum, _swallow))
    # CPython (3.10-3.13) marks a KeyboardInterrupt that leaves an exec() or eval() of a string as unhandled even once
    # it is caught here (dataclasses, namedtuple and many libraries run such strings, also during an import), and
    # `python -m graph_mirage` then ends by killing itself with SIGINT instead of returning 130; an exec of a string
    # that completes clears the mark (tests/test_cli_errors.py reproduces it)
    exec("pass")


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split())


def _signalled(e: BaseException) -> KeyboardInterrupt | None:
    """The Ctrl-C or SIGTERM behind ``e``, if any: Python wraps an exception raised in ``__set_name__`` — the handler
    ran while a class was being made, during an import, say — in a RuntimeError (CI saw it in torch's)."""
    seen: set[int] = set()
    while e is not None and id(e) not in seen:
        if isinstance(e, KeyboardInterrupt):
            return e
        seen.add(id(e))
        e = e.__cause__ or e.__context__
    return None


def _end_on(stop: KeyboardInterrupt, saved: dict) -> int:
    """The one-line ending of a command stopped by a signal, and its exit status."""
    _ending(saved)
    if isinstance(stop, _Terminated):
        print("mirage: error: terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    print("mirage: error: interrupted", file=sys.stderr)
    return EXIT_INTERRUPTED


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)

    def one_line_warning(message, category, filename, lineno, file=None, line=None):
        print(f"mirage: warning: {message}", file=sys.stderr)

    warnings.showwarning = one_line_warning
    # SIGTERM (kill, a scheduler's time limit) ends like Ctrl-C: cleanup runs, training workers are stopped
    signal.signal(signal.SIGTERM, _terminated)
    saved: dict = {}  # handlers replaced while the command ends on a signal
    hook, sys.unraisablehook = sys.unraisablehook, _unraisable
    try:
        args = build_parser().parse_args(argv)
        progress_seconds()  # a bad pace is refused before any work, also with --quiet
        if getattr(args, "quiet", False) or getattr(args, "json", False):
            return int(args.func(args) or 0)
        # importing PyTorch and loading the data say nothing for seconds
        with Waiting(f"mirage {getattr(args, 'command', '')}: loading libraries and data"):
            return int(args.func(args) or 0)
    except (MirageError, ValueError) as e:
        print(f"mirage: error: {_one_line(e)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as e:  # Ctrl-C, or SIGTERM (_Terminated)
        return _end_on(e, saved)
    except RuntimeError as e:
        stop = _signalled(e)
        if stop is None:
            raise
        return _end_on(stop, saved)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except MemoryError:
        print("mirage: error: out of memory; use a smaller dataset, fewer hops or a smaller budget", file=sys.stderr)
        return EXIT_USAGE
    except OSError as e:  # a file system refusing something the user asked for (read-only, full, permissions)
        where = f" {e.filename}" if getattr(e, "filename", None) else ""
        print(f"mirage: error: cannot access{where}: {e.strerror or type(e).__name__}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        sys.unraisablehook = hook
        for resend in _RESENDS:  # a resend still pending would kill the process after its one-line ending
            resend.cancel()
        for signum, handler in saved.items():
            signal.signal(signum, handler)


def run() -> None:
    """The ``mirage`` console command: :func:`main`, then the process ends without tearing its modules down.

    Tearing down PyTorch's and PyTorch Geometric's modules at interpreter exit takes about a second here (a fresh
    ``python -c "import graph_mirage.auto"`` runs 3.3 s inside and 4.4 s in all) and nothing a finished command
    needs happens in it: its files are written and closed (atomically) and its output is flushed below. So once the
    k-means workers are stopped and no other process or thread is still running, the exit handlers run (logging,
    Spark, temporary files) and the process ends with ``os._exit``; otherwise it exits as usual.
    """
    code = main()
    candidates = sys.modules.get("graph_mirage.candidates")
    if candidates is not None:
        candidates.stop_workers()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more to write there
            pass
    others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    if multiprocessing.active_children() or others:
        sys.exit(code)
    atexit._run_exitfuncs()
    os._exit(code)


__all__ = ["main", "build_parser", "run"]
