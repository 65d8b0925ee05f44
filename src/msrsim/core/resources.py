"""Bounded resources: memory checked before a large allocation, input files read safely.

Nothing here knows about a mission: these are the guards that a tool taking a careless or
hostile user's numbers and files puts in front of its allocations and its reads.

* :func:`require_memory` compares an estimate of the bytes a computation will hold with the
  memory available now (``psutil.virtual_memory().available``, the kernel's own estimate of
  what can be allocated without swapping) and refuses with both figures when it does not
  fit, before anything is allocated.
* :func:`read_text_file` reads a user's text file only if it is a regular file (a FIFO,
  ``/dev/zero`` or a directory would block, never end or fail obscurely), no larger than a
  stated size, and valid UTF-8; every refusal is one line naming the file and the reason.
* :func:`atomic_write` writes a file under a temporary name, fsyncs it and renames it into
  place: a reader sees the old file or the new one, never a part, and a symbolic link at
  the name is replaced, never written through.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = [
    "InputFileError",
    "atomic_write",
    "ResourceLimitError",
    "available_memory_bytes",
    "format_bytes",
    "read_text_file",
    "require_memory",
]

MEMORY_FRACTION = 0.8
"""Share of the available memory one computation may plan to hold (the rest is left to the
interpreter, the libraries and the operating system)."""


class ResourceLimitError(ValueError):
    """A computation the machine cannot hold; the message gives the estimate and the limit."""


class InputFileError(ValueError):
    """A user's input file that cannot be used; the message names the file and the reason."""


def format_bytes(n: float) -> str:
    """``1.5 GiB``, ``820 MiB``, ``12 KiB``: binary units, three significant figures."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} B"


def available_memory_bytes() -> int:
    """Memory that can be allocated now without swapping (bytes)."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except Exception:  # no psutil, or a platform it cannot read: the physical memory
        try:
            return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (AttributeError, OSError, ValueError):
            return 2**63 - 1


def require_memory(nbytes: float, what: str, hint: str = "") -> None:
    """Refuse (:class:`ResourceLimitError`) when ``what`` would need more than
    :data:`MEMORY_FRACTION` of the available memory.

    ``nbytes`` is the caller's estimate of the peak it will hold; ``hint`` says how to ask
    for less (appended after a colon).
    """
    limit = MEMORY_FRACTION * available_memory_bytes()
    if nbytes > limit:
        raise ResourceLimitError(
            f"{what} needs an estimated {format_bytes(nbytes)} of memory, more than the "
            f"{format_bytes(limit)} this machine can give it now" + (f": {hint}" if hint else "")
        )


def read_text_file(path: str | os.PathLike, *, max_bytes: int, what: str = "file") -> str:
    """The text of a regular UTF-8 file of at most ``max_bytes`` bytes.

    The file is opened without blocking and checked on its open descriptor, so a FIFO or a
    device is refused at once (not waited on), and a file swapped for one between the check
    and the read is still the file checked.

    Raises
    ------
    InputFileError
        Missing, not a regular file, unreadable, too large, or not UTF-8 (the offset of the
        first bad byte given); ``FileNotFoundError`` is not raised.
    """
    path = Path(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputFileError(f"{path}: is a directory, not a {what}") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
    except OSError as exc:
        os.close(fd)
        raise InputFileError(f"{path}: cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        kind = (
            "a directory"
            if stat.S_ISDIR(info.st_mode)
            else "a FIFO"
            if stat.S_ISFIFO(info.st_mode)
            else "a device"
            if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
            else "a socket"
            if stat.S_ISSOCK(info.st_mode)
            else "not a regular file"
        )
        raise InputFileError(f"{path}: is {kind}, not a regular {what}")
    with os.fdopen(fd, "rb") as handle:
        if info.st_size > max_bytes:
            raise InputFileError(
                f"{path}: {format_bytes(info.st_size)}, larger than the "
                f"{format_bytes(max_bytes)} a {what} may be"
            )
        try:
            data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise InputFileError(f"{path}: cannot be read ({exc.strerror})") from None
    if len(data) > max_bytes:  # it grew while being read
        raise InputFileError(f"{path}: larger than the {format_bytes(max_bytes)} a {what} may be")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8"
        ) from None
    return text.removeprefix("\ufeff")


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform opens directories
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _umask() -> int:
    """This process's file-creation mask (read from /proc where it can be: setting and
    restoring it, the only portable way, would race with other threads creating files)."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _new_file_mode(path: Path) -> int:
    """The permissions a file written at ``path`` gets: those of the regular file it
    replaces, else what ``open()`` would give a new file (0o666 less the umask)."""
    with contextlib.suppress(OSError):
        info = os.lstat(path)
        if stat.S_ISREG(info.st_mode):
            return stat.S_IMODE(info.st_mode)
    return 0o666 & ~_umask()


def atomic_write(path: str | os.PathLike, content: bytes | Callable[[Any], None]) -> None:
    """Write ``content`` (bytes, or a function writing to a binary file) to ``path``.

    The data goes to a temporary sibling (``.<name>.<random>.tmp``, created exclusively, so
    never an existing file or link), is fsynced, then renamed over ``path``; a link at
    ``path`` is replaced by the file, its target untouched. The file gets the permissions
    of the one it replaces, or those of any new file (the temporary file's own, owner-only,
    would hide a run's report from the people it is shared with).
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with contextlib.suppress(OSError, AttributeError):  # no fchmod on Windows
            os.fchmod(fd, _new_file_mode(path))
        with os.fdopen(fd, "wb") as f:
            if isinstance(content, bytes | bytearray | memoryview):
                f.write(content)
            else:
                content(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)
