"""The campaign Monte Carlo's execution engine: chunks of trials on Dask, Parquet, resume.

Generic and independent of the physics: a *chunk function* ``chunk_fn(start, n)`` computes
trials ``start .. start+n-1`` in one vectorised call and returns its columns
(``dict[str, np.ndarray]``, each 1-D of length ``n``); it draws its random numbers from
:class:`msrsim.core.streams.TrialStreams` by trial number, so the results do not depend
on the chunking, the worker count or the order in which chunks finish.

:func:`run_chunks` cuts ``n_trials`` into chunks ``[start, min(start + chunk_size, N))``
and runs them

- in this process (``scheduler="synchronous"``),
- on a ``dask.distributed.LocalCluster`` of ``workers`` single-threaded processes that it
  starts and shuts down (``scheduler=None``, the default; if this machine cannot start one,
  loopback down for instance, the chunks run in this process instead, with a warning), or
- on a running Dask cluster (``scheduler="tcp://host:8786"``, or a ``distributed.Client``);
  the address is checked first: it must answer within :data:`CONNECT_TIMEOUT_S` with a
  Dask handshake (a web server or a silent port is refused at once, with the reason).

``on_chunk(columns, start)`` is handed every finished chunk in this process (resumed
ones read back from disk), and ``collect=False`` keeps no table: a run is then digested
chunk by chunk (:class:`msrsim.campaign.tally.CampaignTally`) in the memory of the chunks
in flight, whatever its size.

With ``out_dir``, the directory is locked for the run (a second run on it is refused, and
never deletes the first one's files), and every finished chunk is written atomically
(temporary file, fsync, ``os.replace``) as ``chunk-<start>-<end>.parquet`` (zero-padded to
10 digits, so the names sort in trial order) before it counts as done. Beside them:

- ``_manifest.json``: trial count, chunk size, the caller's metadata (seed, scenario
  fingerprint), the fingerprint of msrsim's model code and the column schema;
- ``_chunks.jsonl``: one line per finished chunk, appended and fsynced just before its
  file is renamed into place (so every chunk file has its line), with the file's SHA-256,
  size and row count.

The directory is a Parquet dataset: ``pyarrow.parquet.read_table`` and
``pandas.read_parquet`` read it whole (names starting with ``_`` or ``.`` are skipped). A
run killed at any moment leaves only whole chunk files; ``resume=True`` keeps those whose
checksum, rows, schema and trial numbers match the record, recomputes the others (a chunk
damaged on disk, even one that still reads back, is redone), and runs the rest, so no
trial is lost, repeated or silently corrupted. A Ctrl-C or SIGTERM at any moment,
the Dask start-up included, stops the run with :class:`KeyboardInterrupt` after the
cluster is closed; the finished chunks stay.

:class:`OutputDirectory` guards the directory a command writes its products into
(``msrsim run --out``): it refuses a non-empty directory that holds no msrsim run unless
forced, never writes through a symbolic link, writes every file atomically and holds the
directory's lock for the whole command.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import math
import os
import re
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from msrsim.core.resources import atomic_write, format_bytes, require_memory

__all__ = [
    "CHECKSUMS_NAME",
    "MANIFEST_NAME",
    "ChunkRunResult",
    "DirectoryLock",
    "OutputBusyError",
    "OutputDirectory",
    "chunk_bounds",
    "chunk_file_name",
    "iter_results",
    "read_results",
    "run_chunks",
]

#: Name of the manifest inside an output directory (a leading ``_`` keeps Parquet dataset
#: readers from taking it for data).
MANIFEST_NAME = "_manifest.json"
#: The chunk checksums, one JSON line per finished chunk.
CHECKSUMS_NAME = "_chunks.jsonl"
#: The lock a run holds on its directory (a dot-file: Parquet readers skip it).
LOCK_NAME = ".msrsim.lock"
MANIFEST_FORMAT = 2
TRIAL_COLUMN = "trial"
MAX_CHUNKS = 1_000_000
"""Chunks one run may have (the chunk list, the manifest and the checksums stay small)."""
CONNECT_TIMEOUT_S = 10.0
"""How long a ``--scheduler`` address has to accept a connection and greet as Dask."""
_CHUNK_RE = re.compile(r"^chunk-(\d+)-(\d+)\.parquet$")
_HANDSHAKE_MAX_BYTES = 1 << 20
_log = logging.getLogger("msrsim")

ChunkFn = Callable[[int, int], Mapping[str, np.ndarray]]
Progress = Callable[[int, int], None]
OnChunk = Callable[[Mapping[str, np.ndarray], int], None]


class OutputBusyError(ValueError):
    """Another msrsim process holds the output directory's lock."""


@dataclass(frozen=True)
class ChunkRunResult:
    """What :func:`run_chunks` did.

    ``table`` holds every trial in trial order with a leading ``trial`` column (``None``
    when called with ``collect=False``). ``chunks_run`` were computed by this call,
    ``chunks_resumed`` were found complete and intact on disk, ``chunks_redone`` of those
    run were on disk but failed their checksum. ``extra["startup_s"]``: the time to connect
    to (or start) the Dask cluster, included in ``wall_s``; ``extra["fallback"]``: why the
    chunks ran in this process when a local cluster was asked for.
    """

    table: Any  # pyarrow.Table | None
    n_trials: int
    chunk_size: int
    chunks_total: int
    chunks_run: int
    chunks_resumed: int
    wall_s: float
    out_dir: Path | None
    workers: int | None = None
    scheduler: str = "synchronous"
    extra: dict[str, Any] = field(default_factory=dict)
    chunks_redone: int = 0

    @property
    def trials_per_s(self) -> float:
        return self.n_trials / self.wall_s if self.wall_s > 0 else float("inf")


def chunk_bounds(n_trials: int, chunk_size: int) -> list[tuple[int, int]]:
    """The chunks ``[(start, end), ...]`` covering ``0 .. n_trials`` in order."""
    return [(s, min(s + chunk_size, n_trials)) for s in range(0, n_trials, chunk_size)]


def chunk_file_name(start: int, end: int) -> str:
    """``chunk-0000001000-0000002000.parquet``: zero-padded, so names sort in trial order."""
    return f"chunk-{start:010d}-{end:010d}.parquet"


# --------------------------------------------------------------------------------------
# One chunk
# --------------------------------------------------------------------------------------


def _compute_chunk(chunk_fn: ChunkFn, start: int, n: int) -> dict[str, np.ndarray]:
    """Run ``chunk_fn`` on one chunk and check its columns (runs on a worker)."""
    columns = chunk_fn(start, n)
    if not isinstance(columns, Mapping) or not columns:
        raise TypeError(
            f"chunk_fn({start}, {n}) returned {type(columns).__name__}: expected a non-empty "
            "dict of column name -> 1-D array of length n"
        )
    if TRIAL_COLUMN in columns:
        raise ValueError(
            f"chunk_fn returned a {TRIAL_COLUMN!r} column: that name is reserved "
            "(run_chunks adds the trial number itself)"
        )
    out: dict[str, np.ndarray] = {}
    for name, values in columns.items():
        array = np.asarray(values)
        if array.ndim != 1 or array.shape[0] != n:
            raise ValueError(
                f"chunk_fn({start}, {n}) column {name!r} has shape {array.shape}: expected ({n},)"
            )
        out[str(name)] = array
    return out


def _to_table(start: int, columns: Mapping[str, np.ndarray]):
    import pyarrow as pa

    n = len(next(iter(columns.values())))
    arrays = {TRIAL_COLUMN: np.arange(start, start + n, dtype=np.int64), **columns}
    return pa.table(arrays)


def _columns_of(table) -> dict[str, np.ndarray]:
    """A chunk's table as its chunk function's columns (``trial`` left out)."""
    return {
        name: table.column(name).to_numpy(zero_copy_only=False)
        for name in table.column_names
        if name != TRIAL_COLUMN
    }


def _schema_description(schema) -> list[list[str]]:
    return [[f.name, str(f.type)] for f in schema]


# --------------------------------------------------------------------------------------
# Files: the lock, atomic writes, the manifest and the checksums
# --------------------------------------------------------------------------------------


def _atomic_write(path: Path, write: Callable[[Any], None]) -> None:
    """Write through ``write(file)`` into a temporary sibling, fsync, then rename."""
    atomic_write(path, write)


def _parquet_bytes(table) -> bytes:
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def _write_parquet(path: Path, table) -> None:
    atomic_write(path, _parquet_bytes(table))


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    atomic_write(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode())


def _jsonable(metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    """The metadata as it reads back from JSON (so that comparisons are like for like)."""
    try:
        return json.loads(json.dumps(dict(metadata or {}), sort_keys=True, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise TypeError(f"metadata must be JSON-serialisable: {error}") from None


class DirectoryLock:
    """An exclusive, non-blocking lock on a directory (``<dir>/.msrsim.lock``), held by an
    open descriptor: the operating system drops it when the process dies, so a killed run
    never leaves the directory locked."""

    def __init__(self, directory: Path):
        self.path = directory / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(self.path, flags, 0o644)
        except OSError as exc:
            raise OSError(exc.errno, f"{self.path}: cannot be opened ({exc.strerror})") from None
        try:
            _lock_fd(fd)
        except OSError:
            holder = ""
            with contextlib.suppress(OSError, ValueError, AttributeError):
                holder = os.pread(fd, 200, 0).decode().strip()
            os.close(fd)
            raise OutputBusyError(
                f"{self.path.parent}: another msrsim run is writing there"
                + (f" ({holder})" if holder else "")
                + "; wait for it to finish or choose another directory"
            ) from None
        with contextlib.suppress(OSError, AttributeError):
            os.ftruncate(fd, 0)
            since = time.strftime("%Y-%m-%d %H:%M:%S")
            os.pwrite(fd, f"pid {os.getpid()}, since {since}".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing drops the lock
            self._fd = None

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()


def _lock_fd(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        return
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _refuse_links(directory: Path, names) -> None:
    for name in names:
        path = directory / name
        if path.is_symlink():
            raise ValueError(
                f"{path} is a symbolic link: msrsim never writes through a link "
                "(remove it, or choose another directory)"
            )


class OutputDirectory:
    """The directory a command writes its products into, claimed for the command.

    On entry: ``path`` is created if needed and locked (a second command on it is refused
    with :class:`OutputBusyError`); a directory that already holds entries is accepted only
    if it is an msrsim run directory (``.msrsim-run.json``, or ``trials/_manifest.json`` of
    an older run) being resumed, or with ``force``; a symbolic link at any name msrsim
    writes is refused. ``force`` on an earlier run removes that run's chunk files and
    figures (its own files only) so that the new run starts clean. Every file is then
    written with :meth:`write` (atomically: a temporary name, then a rename).
    """

    MARKER = ".msrsim-run.json"
    PRODUCTS = ("trials", "summary.json", "report.html", "report_data.json", "figures")

    def __init__(self, path: str | os.PathLike, *, resume: bool = False, force: bool = False):
        if resume and force:
            raise ValueError("--resume and --force: give one (resume a run, or replace it)")
        self.path = Path(path)
        self.resume = resume
        self.force = force
        self._lock: DirectoryLock | None = None

    def is_run(self) -> bool:
        """Whether the directory holds an msrsim run."""
        marker = self.path / self.MARKER
        manifest = self.path / "trials" / MANIFEST_NAME
        return (marker.is_file() and not marker.is_symlink()) or manifest.is_file()

    def __enter__(self) -> OutputDirectory:
        path = self.path
        if path.exists() and not path.is_dir():
            raise ValueError(f"--out {path}: exists and is not a directory")
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OSError(exc.errno, f"--out {path}: cannot be created ({exc.strerror})") from None
        self._lock = DirectoryLock(path)
        self._lock.acquire()
        try:
            self._check()
        except BaseException:
            self._lock.release()
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self._lock is not None:
            self._lock.release()

    def _check(self) -> None:
        path = self.path
        _refuse_links(path, (*self.PRODUCTS, self.MARKER))
        entries = sorted(p.name for p in path.iterdir() if p.name != LOCK_NAME)
        is_run = self.is_run()
        if entries and not is_run and not self.force:
            shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
            raise ValueError(
                f"--out {path} is not empty ({len(entries)} entries: {shown}) and holds no "
                "msrsim run: choose a new or empty directory (or --force to write msrsim's "
                "files among these, replacing any of the same names)"
            )
        if is_run and not (self.resume or self.force):
            raise ValueError(
                f"--out {path} holds an msrsim run: --resume to finish it, --force to "
                "replace it, or choose another --out directory"
            )
        if is_run and self.force:
            self._clear_run()
        if self.resume and entries and not is_run:
            raise ValueError(f"--resume: {path} holds no msrsim run to resume")
        from msrsim import __version__

        self.write(
            self.MARKER,
            json.dumps({"msrsim": __version__, "written_by": "msrsim run --out"}) + "\n",
        )

    def _clear_run(self) -> None:
        """Remove an earlier run's chunks, checksums, manifest and figures (``force``)."""
        trials = self.path / "trials"
        figures = self.path / "figures"
        doomed = []
        if trials.is_dir():
            doomed += [p for p in trials.iterdir() if _CHUNK_RE.match(p.name)]
            doomed += [trials / MANIFEST_NAME, trials / CHECKSUMS_NAME]
        if figures.is_dir():
            doomed += list(figures.glob("*.png"))
        for p in doomed:
            if p.is_file() or p.is_symlink():
                p.unlink()

    def directory(self, name: str) -> Path:
        """``path/name``, created (a link there refused)."""
        _refuse_links(self.path, (name,))
        target = self.path / name
        target.mkdir(exist_ok=True)
        return target

    def write(self, name: str, content: str | bytes) -> Path:
        """Write ``path/name`` atomically (a link there is replaced, never followed)."""
        target = self.path / name
        _refuse_links(target.parent, (target.name,))
        atomic_write(target, content.encode("utf-8") if isinstance(content, str) else content)
        return target


def _code_fingerprint() -> str:
    from msrsim.campaign.cache import code_fingerprint

    return code_fingerprint()


def _differences(on_disk: Mapping[str, Any], asked: Mapping[str, Any]) -> list[str]:
    lines = []
    for key in ("n_trials", "chunk_size", "code"):
        if on_disk.get(key) != asked[key]:
            lines.append(f"{key}: {on_disk.get(key)!r} on disk, {asked[key]!r} asked")
    old, new = on_disk.get("metadata") or {}, asked["metadata"]
    if not isinstance(old, dict):
        old = {}
    for key in sorted(set(old) | set(new)):
        if old.get(key, "<absent>") != new.get(key, "<absent>"):
            lines.append(
                f"metadata.{key}: {old.get(key, '<absent>')!r} on disk, "
                f"{new.get(key, '<absent>')!r} asked"
            )
    return lines


def _prepare_out_dir(out_dir: Path, manifest: dict[str, Any], resume: bool) -> dict[str, Any]:
    """Check or create ``out_dir`` (locked by the caller); return the manifest in force."""
    manifest_path = out_dir / MANIFEST_NAME
    _refuse_links(out_dir, (MANIFEST_NAME, CHECKSUMS_NAME))
    existing = [p for p in out_dir.iterdir() if p.name != LOCK_NAME]
    if existing and not resume:
        raise ValueError(
            f"--out {out_dir} is not empty ({len(existing)} entries): use --resume to "
            "continue the run stored there, or choose another --out directory"
        )
    if resume and manifest_path.exists():
        try:
            on_disk = json.loads(manifest_path.read_text(encoding="utf-8"))
            if not isinstance(on_disk, dict):
                raise ValueError("not a JSON object")
        except (OSError, ValueError) as error:
            raise ValueError(f"{manifest_path}: cannot be read ({error})") from None
        if on_disk.get("format") != MANIFEST_FORMAT:
            raise ValueError(
                f"{manifest_path}: manifest format {on_disk.get('format')!r}, this msrsim "
                f"writes format {MANIFEST_FORMAT} (with chunk checksums): start the run "
                "again in a new directory"
            )
        differences = _differences(on_disk, manifest)
        if differences:
            raise ValueError(
                f"cannot resume the run in {out_dir}: it was started with other settings ("
                + "; ".join(differences)
                + "). Resume with the same settings, or choose another --out directory."
            )
        schema = on_disk.get("schema")
        manifest = {**manifest, "schema": schema if isinstance(schema, list) else None}
    elif resume and any(_CHUNK_RE.match(p.name) for p in existing):
        raise ValueError(
            f"cannot resume the run in {out_dir}: it holds chunk files but no {MANIFEST_NAME}"
        )
    else:
        _write_json(manifest_path, manifest)
    # Temporary files of a run that was killed mid-write are garbage (this run holds the
    # directory's lock: no other run is writing them).
    for p in out_dir.glob(".*.tmp"):
        with contextlib.suppress(OSError):
            p.unlink()
    return manifest


def _read_checksums(out_dir: Path) -> dict[str, dict[str, Any]]:
    """The last record of each chunk file in ``_chunks.jsonl`` (a torn last line skipped)."""
    records: dict[str, dict[str, Any]] = {}
    path = out_dir / CHECKSUMS_NAME
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return records
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("file"), str):
            records[record["file"]] = record
    return records


def _append_checksum(out_dir: Path, record: Mapping[str, Any]) -> None:
    line = (json.dumps(dict(record), sort_keys=True) + "\n").encode()
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(out_dir / CHECKSUMS_NAME, flags, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_chunk(path: Path, start: int, end: int, schema, collect: bool, record=None):
    """A finished chunk file as a table (or ``True`` when not collecting); ``None`` if it
    does not match its checksum record, its rows, the schema or its trial numbers."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        if not isinstance(record, dict):
            return None
        data = path.read_bytes()
        if len(data) != record.get("bytes") or hashlib.sha256(data).hexdigest() != record.get(
            "sha256"
        ):
            return None
        table = pq.read_table(pa.BufferReader(data))
        ok = table.num_rows == end - start and (
            schema is None or _schema_description(table.schema) == schema
        )
        if ok:
            trial = table.column(TRIAL_COLUMN).to_numpy()
            ok = bool(np.array_equal(trial, np.arange(start, end)))
        if not ok:
            return None
        return table if collect else True
    except Exception:  # any unreadable file is redone
        return None


def iter_results(out_dir: str | os.PathLike) -> Iterator[Any]:
    """The finished chunks of ``out_dir``, one table each in trial order (complete or
    not), read one at a time: a run of any size in the memory of one chunk.

    Raises ``ValueError`` naming a chunk file whose checksum does not match its record.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    out_dir = Path(out_dir)
    paths = sorted(p for p in out_dir.iterdir() if _CHUNK_RE.match(p.name))
    if not paths:
        raise ValueError(f"{out_dir}: no chunk files")
    records = _read_checksums(out_dir)
    for p in paths:
        data = p.read_bytes()
        record = records.get(p.name)
        if record is None or hashlib.sha256(data).hexdigest() != record.get("sha256"):
            raise ValueError(f"{p}: does not match its checksum in {CHECKSUMS_NAME} (damaged)")
        yield pq.read_table(pa.BufferReader(data))


def read_results(out_dir: str | os.PathLike):
    """The finished trials of ``out_dir`` as one table in trial order (complete or not).

    Raises ``ValueError`` naming a chunk file whose checksum does not match its record.
    """
    import pyarrow as pa

    return pa.concat_tables(list(iter_results(out_dir)))


# --------------------------------------------------------------------------------------
# Schedulers
# --------------------------------------------------------------------------------------


class _Interrupts:
    """Ctrl-C and SIGTERM as :class:`KeyboardInterrupt`, and remembered.

    Python raises a signal's exception in whatever the main thread runs next; when that is
    a garbage-collector callback or a ``__del__`` (distributed installs one), the exception
    is printed as "ignored" and lost, and the run would go on to exit 0. The handler here
    also records the signal, and :meth:`check` (called after every chunk and when the run
    ends) raises it again, so an interruption is never lost, only deferred to the next
    chunk boundary; the "Exception ignored" traceback of the one Python lost is not
    printed (``sys.unraisablehook``: a Ctrl-C is not a failure to report).
    """

    def __init__(self) -> None:
        self.caught: list[int] = []

    def handler(self, signum, frame):
        self.caught.append(signum)
        raise KeyboardInterrupt(f"signal {signum}")

    def check(self) -> None:
        if self.caught:
            raise KeyboardInterrupt(f"signal {self.caught[0]}")

    @contextlib.contextmanager
    def installed(self) -> Iterator[_Interrupts]:
        """The handler on SIGINT and SIGTERM for the duration (main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = {s: signal.signal(s, self.handler) for s in (signal.SIGINT, signal.SIGTERM)}
        hook = sys.unraisablehook

        def unraisable(info):
            if not (issubclass(info.exc_type, KeyboardInterrupt) and self.caught):
                hook(info)

        sys.unraisablehook = unraisable
        try:
            yield self
            self.check()
        finally:
            sys.unraisablehook = hook
            for s, handler in previous.items():
                signal.signal(s, handler)


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while a local cluster starts; act on them once it has.

    Ctrl-C in a terminal signals the whole process group, so the cluster's worker processes
    would each print a traceback while this process closes them in order. Here SIGINT is
    *blocked* (not ignored) in this thread while the cluster starts: the threads that
    start the workers inherit the mask, and the workers inherit it through ``exec``, so they
    never see a Ctrl-C (this process closes them). A Ctrl-C or SIGTERM arriving meanwhile is
    recorded, not lost (a disposition of "ignore" would discard it), and raised as
    :class:`KeyboardInterrupt` when the start-up returns, so that the cluster, now whole, is
    closed by the caller. ``multiprocessing``'s resource tracker is started first: starting
    it later would unblock SIGINT in the thread that starts it.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "pthread_sigmask"
    ):
        yield
        return
    from multiprocessing import resource_tracker

    with contextlib.suppress(Exception):
        resource_tracker.ensure_running()
    caught: list[int] = []

    def record(signum, frame):
        caught.append(signum)

    previous = {s: signal.signal(s, record) for s in (signal.SIGINT, signal.SIGTERM)}
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a held Ctrl-C is recorded here
        for s, handler in previous.items():
            signal.signal(s, handler)
    if caught:
        raise KeyboardInterrupt(f"signal {caught[0]} during the cluster start-up")


def _loopback_error() -> str | None:
    """Why this machine cannot talk to itself over TCP on 127.0.0.1, or ``None``."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
            server.bind(("127.0.0.1", 0))
            server.listen(1)
            with socket.create_connection(server.getsockname(), timeout=2.0):
                pass
    except OSError as exc:
        return f"the loopback interface does not answer ({exc.strerror or exc})"
    return None


def check_scheduler_address(address: str, timeout_s: float | None = None) -> None:
    """Check that ``address`` is a Dask scheduler before ``distributed`` connects to it.

    Raises ``ValueError`` for an address that is not a Dask address, ``OSError`` (with the
    reason) for one that cannot be reached in ``timeout_s`` (default
    :data:`CONNECT_TIMEOUT_S`) or that answers with something
    other than a Dask handshake: a scheduler greets a new connection at once with a small
    framed message (8 bytes of little-endian length first), a web server says nothing until
    asked, an SSH server greets in text. ``distributed`` would take such bytes for a length
    and try to allocate exabytes, or wait for minutes.
    """
    timeout_s = CONNECT_TIMEOUT_S if timeout_s is None else timeout_s
    if not isinstance(address, str) or not address.strip():
        raise ValueError("--scheduler: must be 'synchronous' or a Dask address tcp://host:port")
    text = address.strip()
    if "://" not in text:
        text = "tcp://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("tcp", "tls", "ws", "wss", "ucx", "inproc"):
        raise ValueError(
            f"--scheduler {address}: must be 'synchronous' or a Dask scheduler address "
            "(tcp://host:port)"
        )
    if parts.scheme != "tcp":
        return  # encrypted or in-process: distributed's own timeout applies
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or port is None:
        raise ValueError(f"--scheduler {address}: needs a host and a port (tcp://host:8786)")
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as conn:
            conn.settimeout(timeout_s)
            header = b""
            while len(header) < 8:
                part = conn.recv(8 - len(header))
                if not part:
                    break
                header += part
    except TimeoutError:
        raise OSError(
            f"no answer in {timeout_s:g} s (a Dask scheduler greets a connection at once)"
        ) from None
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror or str(exc)) from None
    if len(header) < 8:
        raise OSError("the connection was closed without a Dask handshake")
    (length,) = struct.unpack("<Q", header)
    if not 0 < length <= _HANDSHAKE_MAX_BYTES:
        shown = header.decode("ascii", "replace")
        shown = "".join(c if c.isprintable() else "?" for c in shown)
        raise OSError(f"not a Dask scheduler (it answered {shown!r}...)")


@contextlib.contextmanager
def _quiet_dask_logs() -> Iterator[None]:
    """distributed's and asyncio's log records below CRITICAL dropped for the duration.

    A Ctrl-C can stop this process in the middle of a cluster operation (the chunk
    function being shipped to the workers, a result coming back); closing the cluster
    then makes the operation's other half fail on the event loop, and distributed logs
    each such failure with its traceback (``Exception while handling op scatter``,
    ``Removing worker ... lose scattered data``, asyncio's ``Task exception was never
    retrieved``): harmless, since the run is stopping, but a page of tracebacks for a
    Ctrl-C. The records are dropped while the cluster closes, and asyncio's reports of
    the tasks left behind are drawn out (a garbage collection) before they come back.
    """
    import gc

    loggers = [logging.getLogger(name) for name in ("distributed", "asyncio")]
    levels = [logger.level for logger in loggers]
    handlers = [h for h in loggers[0].handlers if isinstance(h, logging.StreamHandler)]
    handler_levels = [h.level for h in handlers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    for handler in handlers:
        handler.setLevel(logging.CRITICAL)
    try:
        yield
        gc.collect()
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
        for handler, level in zip(handlers, handler_levels, strict=True):
            handler.setLevel(level)


@contextlib.contextmanager
def _dask_client(scheduler, workers: int | None):
    """A ``distributed.Client`` (and the LocalCluster it owns, if any); closed on exit
    (quietly after a Ctrl-C: :func:`_quiet_dask_logs`)."""
    from distributed import Client, LocalCluster

    if scheduler is not None and not isinstance(scheduler, str):  # a Client already
        yield scheduler, f"client {getattr(scheduler, 'scheduler', scheduler)}"
        return
    cluster = client = None
    interrupted = False
    # A Ctrl-C inside a blocking Dask call leaves distributed's sync() a cancel callback
    # that can fail on the event loop as it winds down, and tornado logs its traceback at
    # once (a distributed quirk, harmless: the client and cluster close below). Callback
    # errors of tornado are silenced while the client lives; distributed's own loggers
    # still report real failures.
    tornado_log = logging.getLogger("tornado.application")
    level = tornado_log.level
    tornado_log.setLevel(logging.CRITICAL)
    try:
        if scheduler is None:
            n = workers or os.cpu_count() or 1
            with _interrupts_held():
                cluster = LocalCluster(
                    n_workers=n,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    scheduler_port=0,
                    dashboard_address=None,
                    # No dashboard; its HTTP server (health routes) on any free local port.
                    scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                    # The worker processes log only what is critical: a chunk's failure
                    # comes back to this process as its exception, and what they log
                    # when the cluster closes under them (a heartbeat cut short by a
                    # Ctrl-C) is noise. This process keeps distributed's ERROR records.
                    silence_logs=logging.CRITICAL,
                )
            client = Client(cluster)
            label = f"LocalCluster({n} workers)"
        else:
            check_scheduler_address(scheduler)
            client = Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s")
            label = scheduler
        yield client, label
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        with _quiet_dask_logs() if interrupted else contextlib.nullcontext():
            if client is not None:
                with contextlib.suppress(Exception):
                    client.close()
            if cluster is not None:
                with contextlib.suppress(Exception):
                    cluster.close()
        tornado_log.setLevel(level)


def _run_synchronous(chunk_fn, todo, on_done) -> None:
    for start, end in todo:
        on_done(start, end, _compute_chunk(chunk_fn, start, end - start))


def _run_dask(client, chunk_fn, todo, on_done, max_in_flight: int | None) -> None:
    from distributed import as_completed

    n_threads = sum(client.nthreads().values()) or 1
    limit = max_in_flight or 2 * n_threads
    # Ship the chunk function (and whatever tables it carries) to every worker once.
    fn = client.scatter(chunk_fn, broadcast=True, hash=False)
    pending = iter(todo)
    bounds: dict[str, tuple[int, int]] = {}

    def submit_next():
        item = next(pending, None)
        if item is None:
            return None
        start, end = item
        future = client.submit(_compute_chunk, fn, start, end - start, pure=False)
        bounds[future.key] = (start, end)
        return future

    first = [f for f in (submit_next() for _ in range(limit)) if f is not None]
    stream = as_completed(first)
    try:
        for future in stream:
            start, end = bounds.pop(future.key)
            columns = future.result()
            future.release()
            on_done(start, end, columns)
            following = submit_next()
            if following is not None:
                stream.add(following)
    except BaseException:
        with contextlib.suppress(Exception):
            client.cancel(list(stream.futures))
        raise
    finally:
        with contextlib.suppress(Exception):
            fn.release()


# --------------------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------------------


def run_chunks(
    chunk_fn: ChunkFn,
    n_trials: int,
    *,
    chunk_size: int,
    out_dir: str | os.PathLike | None = None,
    scheduler: Any = None,
    workers: int | None = None,
    resume: bool = False,
    progress: Progress | None = None,
    metadata: Mapping[str, Any] | None = None,
    collect: bool = True,
    max_in_flight: int | None = None,
    on_chunk: OnChunk | None = None,
) -> ChunkRunResult:
    """Run ``n_trials`` trials of ``chunk_fn`` in chunks; see the module docstring.

    Parameters
    ----------
    chunk_fn
        ``chunk_fn(start, n) -> dict[str, np.ndarray]``: trials ``start .. start+n-1``,
        each column 1-D of length ``n`` (no column named ``trial``). For Dask it must be
        picklable: a module-level function or a ``functools.partial`` of one.
    n_trials, chunk_size
        Trials in all, and per chunk (the last chunk may be smaller); at most
        :data:`MAX_CHUNKS` chunks.
    out_dir
        Directory of the Parquet dataset, its manifest and checksums; ``None`` keeps
        results in memory only (no resume).
    scheduler
        ``None``: a LocalCluster of ``workers`` processes (default: the CPU count), started
        and shut down here (this process if none can start). ``"synchronous"``: this
        process, chunk after chunk. A scheduler address (``"tcp://host:8786"``) or a
        ``distributed.Client``: that cluster.
    resume
        Keep the intact chunks already in ``out_dir`` (refused if its manifest differs).
    progress
        ``progress(done_trials, total_trials)``, called at the start and after every chunk.
    metadata
        JSON-serialisable facts that identify the run (seed, scenario fingerprint): stored
        in the manifest and compared on resume, as is the fingerprint of msrsim's code.
    collect
        Return the whole table (``False`` for runs too big for memory: read ``out_dir``).
        The memory the table will take is estimated from the first chunk and refused
        (:class:`msrsim.core.resources.ResourceLimitError`) if the machine cannot give it.
    max_in_flight
        Chunks submitted but not yet collected (default twice the Dask threads), which bounds
        memory.
    on_chunk
        ``on_chunk(columns, start)``, called in this process with each chunk's columns
        (those of ``chunk_fn``, without ``trial``) once it is done, a chunk resumed from
        ``out_dir`` included (read back): chunks arrive in the order they finish, so
        what it accumulates must not depend on the order (counts do not). With
        ``collect=False`` this is how a run of any size is digested in bounded memory:
        the parent holds at most ``max_in_flight`` chunks at a time.

    Returns
    -------
    ChunkRunResult
        With ``table``: a ``pyarrow.Table``, every trial in trial order, ``trial`` first.

    Raises
    ------
    ValueError
        Bad sizes; ``out_dir`` not empty without ``resume``, or locked by another run
        (:class:`OutputBusyError`); a resume whose settings differ from the manifest (each
        difference named); a chunk whose columns differ from the earlier chunks'; a
        scheduler address that is not one.
    OSError
        A scheduler that cannot be reached, or is not a Dask scheduler; a directory that
        cannot be written.
    KeyboardInterrupt
        On Ctrl-C or SIGTERM, at any moment, after the cluster is closed; finished chunks
        stay on disk.
    """
    t0 = time.perf_counter()
    n_trials, chunk_size = int(n_trials), int(chunk_size)
    if n_trials < 1:
        raise ValueError(f"n_trials = {n_trials}: must be at least 1")
    if chunk_size < 1:
        raise ValueError(f"chunk_size = {chunk_size}: must be at least 1")
    if math.ceil(n_trials / chunk_size) > MAX_CHUNKS:
        raise ValueError(
            f"n_trials = {n_trials} in chunks of chunk_size = {chunk_size} makes "
            f"{math.ceil(n_trials / chunk_size):,} chunks, more than the {MAX_CHUNKS:,} a run "
            "may have: fewer trials or larger chunks"
        )
    if workers is not None and int(workers) < 1:
        raise ValueError(f"workers = {workers}: must be at least 1")
    if resume and out_dir is None:
        raise ValueError("resume needs an output directory (--out)")
    out_path = Path(out_dir) if out_dir is not None else None
    with contextlib.ExitStack() as stack:
        if out_path is not None:
            _refuse_links(out_path.parent, (out_path.name,))
            if out_path.exists() and not out_path.is_dir():
                raise ValueError(f"--out {out_path}: exists and is not a directory")
            out_path.mkdir(parents=True, exist_ok=True)
            stack.enter_context(DirectoryLock(out_path))
        return _run_locked(
            chunk_fn, n_trials, chunk_size, out_path, scheduler, workers, resume, progress,
            metadata, collect, max_in_flight, t0, on_chunk,
        )  # fmt: skip


def _run_locked(
    chunk_fn, n_trials, chunk_size, out_path, scheduler, workers, resume, progress, metadata,
    collect, max_in_flight, t0, on_chunk=None,
) -> ChunkRunResult:  # fmt: skip
    import pyarrow as pa

    chunks = chunk_bounds(n_trials, chunk_size)
    manifest: dict[str, Any] = {
        "format": MANIFEST_FORMAT,
        "n_trials": n_trials,
        "chunk_size": chunk_size,
        "code": _code_fingerprint(),
        "metadata": _jsonable(metadata),
        "schema": None,
    }
    if out_path is not None:
        manifest = _prepare_out_dir(out_path, manifest, resume)

    tables: dict[int, Any] = {}
    done_trials = 0
    todo = chunks
    redone = 0
    memory_checked = False

    def check_memory(table) -> None:
        nonlocal memory_checked
        if collect and not memory_checked and table.num_rows:
            memory_checked = True
            # the chunks' tables, and their concatenation at the end
            need = 2.0 * table.nbytes / table.num_rows * n_trials
            require_memory(
                need,
                f"the table of {n_trials:,} trials ({format_bytes(table.nbytes / table.num_rows)}"
                " a trial)",
                "fewer trials",
            )

    if out_path is not None and resume:
        todo = []
        records = _read_checksums(out_path)
        for start, end in chunks:
            name = chunk_file_name(start, end)
            path = out_path / name
            read = collect or on_chunk is not None
            found = (
                _read_chunk(path, start, end, manifest["schema"], read, records.get(name))
                if path.is_file() and not path.is_symlink()
                else None
            )
            if found is None:
                todo.append((start, end))
                redone += path.exists() or path.is_symlink()
            else:
                done_trials += end - start
                if on_chunk is not None:
                    on_chunk(_columns_of(found), start)
                if collect:
                    check_memory(found)
                    tables[start] = found
    chunks_resumed = len(chunks) - len(todo)
    if progress is not None:
        progress(done_trials, n_trials)

    interrupts = _Interrupts()

    def on_done(start: int, end: int, columns: Mapping[str, np.ndarray]) -> None:
        nonlocal done_trials
        table = _to_table(start, columns)
        schema = _schema_description(table.schema)
        if manifest["schema"] is None:
            manifest["schema"] = schema
            if out_path is not None:
                _write_json(out_path / MANIFEST_NAME, manifest)
        elif schema != manifest["schema"]:
            raise ValueError(
                f"chunk [{start}, {end}) has columns {schema}, earlier chunks had "
                f"{manifest['schema']}: a chunk function must return the same columns "
                "and types for every chunk"
            )
        check_memory(table)
        if out_path is not None:
            # The record first, then the file: a chunk file on disk always has its record
            # (an interruption in between leaves a record without a file: redone).
            name = chunk_file_name(start, end)
            data = _parquet_bytes(table)
            _append_checksum(
                out_path,
                {
                    "file": name,
                    "rows": end - start,
                    "bytes": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                },
            )
            atomic_write(out_path / name, data)
        if collect:
            tables[start] = table
        if on_chunk is not None:
            on_chunk(columns, start)
        done_trials += end - start
        if progress is not None:
            progress(done_trials, n_trials)
        interrupts.check()  # a Ctrl-C that Python lost in a callback stops the run here

    label = "synchronous"
    n_workers = None
    extra: dict[str, Any] = {}
    with interrupts.installed():
        if todo and scheduler == "synchronous":
            _run_synchronous(chunk_fn, todo, on_done)
        elif todo:
            t_start = time.perf_counter()
            with contextlib.ExitStack() as stack:
                fallback = _loopback_error() if scheduler is None else None
                if fallback is None:
                    try:
                        client, label = stack.enter_context(_dask_client(scheduler, workers))
                    except (OSError, TimeoutError, RuntimeError) as exc:
                        if scheduler is not None:
                            raise
                        fallback = f"a local Dask cluster did not start ({exc})"
                if fallback is not None:
                    _log.warning("msrsim: %s; the chunks run in this process", fallback)
                    extra["fallback"] = fallback
                    label = "synchronous (fallback)"
                    _run_synchronous(chunk_fn, todo, on_done)
                else:
                    n_workers = len(client.nthreads())
                    extra["startup_s"] = time.perf_counter() - t_start
                    _run_dask(client, chunk_fn, todo, on_done, max_in_flight)

    table = None
    if collect:
        table = pa.concat_tables([tables[start] for start, _ in chunks])
    return ChunkRunResult(
        table=table,
        n_trials=n_trials,
        chunk_size=chunk_size,
        chunks_total=len(chunks),
        chunks_run=len(todo),
        chunks_resumed=chunks_resumed,
        wall_s=time.perf_counter() - t0,
        out_dir=out_path,
        workers=n_workers,
        scheduler=label,
        extra=extra,
        chunks_redone=redone,
    )
