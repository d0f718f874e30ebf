"""Writing a file so that no reader, and no crash, ever sees half of it.

:func:`write_atomically` writes to a hidden temporary file in the target's own folder, flushes
it to disk and renames it over the target (``os.replace``, atomic within one file system). A
kill at any moment leaves either the old file or the new one; a failed write (a full disk)
removes the temporary and raises one :class:`WriteError` naming the file. The file gets the
permissions ``open`` would give it under the process's umask (0644 under the usual 022), so
collaborators on a shared results folder can read it.

:func:`remove_temporaries` clears the temporaries a killed writer left behind; the lifecycle
calls it on a run folder it has just locked.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

TEMPORARY_PREFIX = ".partial-"


class WriteError(OSError):
    """A file could not be written (no space, no permission): the message names it."""


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_atomically(path: str | Path, write: Callable[[BinaryIO], None]) -> Path:
    """Call ``write(stream)`` on a temporary file beside ``path``, then rename it to ``path``."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            prefix=f"{TEMPORARY_PREFIX}{path.name}.", dir=path.parent
        )
    except OSError as error:
        raise WriteError(error.errno, f"cannot write {path}: {error.strerror}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise WriteError(error.errno, f"cannot write {path}: {error.strerror}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (serialise first, so that only the write itself can
    meet a full disk, as an ``OSError``)."""
    return write_atomically(path, lambda stream: stream.write(data))


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return write_bytes(path, text.encode("utf-8"))


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` for a library that writes by file name (matplotlib,
    pandas, pyarrow); renamed to ``path`` when the block ends without an error."""
    path = Path(path)
    temporary = path.with_name(f"{TEMPORARY_PREFIX}{path.name}.{os.getpid()}{path.suffix}")
    try:
        yield temporary
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise WriteError(error.errno, f"cannot write {path}: {error.strerror}") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def remove_temporaries(folder: Path) -> list[Path]:
    """Delete the temporaries of interrupted writes under ``folder``; the paths removed."""
    removed = sorted(folder.rglob(f"{TEMPORARY_PREFIX}*")) if folder.is_dir() else []
    for path in removed:
        path.unlink(missing_ok=True)
    return removed
