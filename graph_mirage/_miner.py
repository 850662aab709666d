"""The bounded miner's worker process: ``python -m graph_mirage._miner`` (started by :mod:`graph_mirage.mining`).

It reads length-prefixed pickled requests on stdin and answers on stdout, one request at a time, and imports only
numpy and pyfim (the package's ``__init__`` is lazy), so it starts in a fraction of a second and stays up for every
mining call of the parent. Before each request it sets its own address-space limit to what it maps now plus the
request's memory allowance; a request that runs out answers ``memory`` and the worker exits (the parent starts a
fresh one for the next request). The parent enforces the time limit by killing the worker.
"""

from __future__ import annotations

import pickle
import resource
import struct
import sys


def _vm_size() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))


def _read(stream, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = stream.read(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def _send(out, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(struct.pack("<Q", len(data)) + data)
    out.flush()


def serve(inp=None, out=None) -> None:
    import numpy as np

    from .mining import _pyfim

    inp = inp or sys.stdin.buffer
    out = out or sys.stdout.buffer
    import signal

    from ._process import die_with_parent

    die_with_parent(signal.SIGKILL)
    while True:
        try:
            (size,) = struct.unpack("<Q", _read(inp, 8))
            args, max_sets, memory = pickle.loads(_read(inp, size))
        except EOFError:
            return
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        limit = resource.RLIM_INFINITY if memory is None else _vm_size() + memory
        if hard != resource.RLIM_INFINITY and limit != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
            found = _pyfim(*args)
            if max_sets is not None and len(found) > max_sets:
                _send(out, ("sets", len(found)))
                continue
            sizes = np.array([len(i) for i, _ in found], dtype=np.int64)
            items = np.fromiter((x for i, _ in found for x in i), dtype=np.int64, count=int(sizes.sum()))
            _send(out, ("ok", (sizes, items, np.array([s for _, s in found], dtype=np.int64))))
        except MemoryError:
            found = None
            try:
                _send(out, ("memory", None))
            finally:
                return  # noqa: B012 - the heap may be fragmented near the limit: the parent starts a fresh worker


if __name__ == "__main__":
    serve()
