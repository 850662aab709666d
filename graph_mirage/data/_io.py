"""Small file-system helpers of the dataset sources."""

from __future__ import annotations

import contextlib
import io
import shutil
import warnings
from pathlib import Path


@contextlib.contextmanager
def quiet():
    """Hide the progress chatter PyG and OGB print while processing (errors still propagate)."""
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def keep_download(src: Path, dst: Path) -> None:
    """Copy downloaded raw files into the data root for next time (a read-only root keeps only the cache)."""
    try:
        dst.mkdir(parents=True, exist_ok=True)
        for f in src.iterdir():
            shutil.copy2(f, dst / f.name)
    except OSError:
        pass
