"""Atomic output files: written whole or not at all, with the user's umask, and no temporary left behind.

A file is written to ``.NAME.PID.tmp`` beside its target and renamed over it. A writer killed mid-write (``kill -9``)
leaves its temporary behind; the next write of the same target removes every such temporary whose process is gone,
so stale files never pile up. Unwritable targets (a directory, a read-only file system, a missing permission) raise
one :class:`~graph_mirage.errors.MirageError` line instead of an ``OSError`` traceback.

Example:
    >>> atomic_write_bytes("out/set.npz", payload)        # doctest: +SKIP
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .errors import MirageError


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def temp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def remove_stale_temps(path: Path) -> int:
    """Remove temporaries of ``path`` left by writers that no longer run; returns how many were removed."""
    removed = 0
    try:
        candidates = list(path.parent.glob(f".{path.name}.*.tmp"))
    except OSError:
        return 0
    for tmp in candidates:
        pid = tmp.name[len(path.name) + 2:-4]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            try:
                if tmp.is_dir():
                    shutil.rmtree(tmp)
                else:
                    tmp.unlink()
                removed += 1
            except OSError:
                pass
    return removed


def check_target(path: str | os.PathLike, what: str = "output file") -> Path:
    """Refuse an output path that cannot become a file: an existing directory, or a parent that is a file."""
    path = Path(path)
    if path.is_dir():
        raise MirageError(f"{what} {path} is an existing directory; give a file name")
    _check_parent(path, f"cannot write {what} {path}")
    return path


def _check_parent(path: Path, failure: str) -> None:
    """Raise ``failure: PARENT is not a directory`` when the nearest existing parent of ``path`` is a file."""
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise MirageError(f"{failure}: {parent} is not a directory")
            return


def check_cache_dir(path: str | os.PathLike, what: str = "cache directory") -> Path:
    """Refuse a cache directory that cannot be one: an existing file, a parent that is a file, or no permission to
    write into it (checked before any long work starts)."""
    if not isinstance(path, (str, os.PathLike)) or str(path) == "":
        raise MirageError(f"{what} must be a directory path, got {path!r}")
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise MirageError(f"{what} {path} is an existing file; give a directory")
    _check_parent(path, f"cannot use {what} {path}")
    if path.is_dir() and not os.access(path, os.W_OK | os.X_OK):
        raise MirageError(f"cannot write to {what} {path}: permission denied")
    return path


def _os_error(e: OSError, path: Path, what: str) -> MirageError:
    reason = e.strerror or type(e).__name__
    return MirageError(f"cannot write {what} {path}: {reason}")


def atomic_write_bytes(path: str | os.PathLike, data: bytes, what: str = "output file") -> Path:
    """Write ``data`` to ``path`` atomically (mode from the umask, like any new file)."""
    path = check_target(path, what)
    tmp = temp_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(path)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)  # 0o666 & ~umask, as open() does
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise _os_error(e, path, what) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str, what: str = "output file") -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"), what)


def check_output_directory(path: str | os.PathLike, what: str = "output directory") -> Path:
    """Refuse an output directory that is a file (a command checks this before its work, and
    :func:`atomic_directory` again when it writes)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise MirageError(f"{what} {path} exists and is not a directory")
    return path


def probe_writable(directory: Path, failure: str) -> None:
    """Raise ``failure: REASON`` when no file can be created in ``directory`` (tried with a probe file, removed at
    once): what permissions alone do not tell for root or a read-only file system."""
    probe = directory / f".mirage-probe.{os.getpid()}"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.unlink(probe)
    except OSError as e:
        raise MirageError(f"{failure}: {e.strerror or type(e).__name__}") from None


def check_output(path, what: str = "output file") -> Path:
    """Refuse an output file that cannot be written, before any work: an existing directory, a parent that is a
    file, a missing parent directory (nothing is created silently), or a directory where a file cannot be created
    (tried with a probe file, which is removed)."""
    path = Path(path)
    if path.is_dir():
        raise MirageError(f"{what} {path} is an existing directory; give a file name")
    parent = path.parent if str(path.parent) else Path(".")
    if parent.exists() and not parent.is_dir():
        raise MirageError(f"cannot write {what} {path}: {parent} is not a directory")
    if not parent.exists():
        raise MirageError(f"cannot write {what} {path}: the directory {parent} does not exist; create it first")
    probe_writable(parent, f"cannot write {what} {path}")
    return path


def check_writable_directory(path: str | os.PathLike, what: str = "output directory") -> Path:
    """Refuse an output directory that cannot be written, before any work: an existing file, a parent that is a
    file, or a nearest existing directory where no file can be created (the directory itself is made later, by the
    write)."""
    path = check_output_directory(path, what)
    _check_parent(path, f"cannot write {what} {path}")
    nearest = next(p for p in (path, *path.parents) if p.exists())
    probe_writable(nearest, f"cannot write {what} {path}")
    return path


def atomic_directory(path: str | os.PathLike, fill, what: str = "output directory") -> Path:
    """Build a directory with ``fill(tmp_dir)`` beside ``path``, then put its files into ``path``.

    ``path`` may exist (its files of the same names are replaced); nothing appears there when ``fill`` fails.
    """
    path = check_output_directory(path, what)
    tmp = temp_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(path)
        tmp.mkdir()
    except OSError as e:
        raise _os_error(e, path, what) from None
    try:
        fill(tmp)
        if not path.exists():
            os.replace(tmp, path)
        else:
            for f in sorted(tmp.iterdir()):
                os.replace(f, path / f.name)
            tmp.rmdir()
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise _os_error(e, path, what) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def check_distilled_file(path: str | os.PathLike) -> Path:
    """The checks of a distilled-set file that need no heavy import: it exists, is a file and is an ``.npz``
    archive (the contents are checked when it is loaded)."""
    import zipfile

    from .errors import ArtifactError

    path = Path(path)
    if not path.is_file():
        if path.is_dir():
            raise ArtifactError(f"{path} is a directory, not a distilled-set file")
        raise ArtifactError(f"{path}: no such file; distil a dataset into it first")
    if not zipfile.is_zipfile(path):
        raise ArtifactError(f"{path} is not a graph-mirage distilled set (not an .npz archive; truncated, or another "
                            f"kind of file)")
    return path


def distilled_file_meta(path: str | os.PathLike) -> dict | None:
    """The ``meta`` of a distilled-set file, read with numpy and json only (no checksum: the full load checks the
    file), so that a command can compare it with its arguments before PyTorch is imported; None when the file
    cannot be read this way (the full load then says what is wrong)."""
    import json

    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(bytes(z["meta"]).decode())
    except Exception:  # noqa: BLE001 - a damaged file is the full load's to report, in its words
        return None
    return meta if isinstance(meta, dict) else None


def check_source(meta: dict, name: str, path: str | os.PathLike = "the distilled set") -> None:
    """Refuse a distilled set (its ``meta``) made from a dataset other than ``name``."""
    from .errors import ArtifactError

    if meta.get("dataset") != name:
        raise ArtifactError(f"{path} was distilled from {meta.get('dataset')!r}, not {name!r}; distil {name} first "
                            f"(mirage distill {name})")
