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
  starts and shuts down (``scheduler=None``, the default), or
- on a running Dask cluster (``scheduler="tcp://host:8786"``, or a ``distributed.Client``).

With ``out_dir``, every finished chunk is written atomically (temporary file, fsync,
``os.replace``) as ``chunk-<start>-<end>.parquet`` (zero-padded to 10 digits, so the
names sort in trial order) before it counts as done, next to ``_manifest.json`` (trial
count, chunk size, the caller's metadata such as the seed and the scenario fingerprint, and
the column schema). The directory is a Parquet dataset: ``pyarrow.parquet.read_table`` and
``pandas.read_parquet`` read it whole (names starting with ``_`` or ``.`` are skipped). A
run killed at any moment leaves only whole chunk files; ``resume=True`` keeps them (a file
that does not read back is redone) and runs the rest, so no trial is lost or repeated.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "MANIFEST_NAME",
    "ChunkRunResult",
    "chunk_bounds",
    "chunk_file_name",
    "read_results",
    "run_chunks",
]

#: Name of the manifest inside an output directory (a leading ``_`` keeps Parquet dataset
#: readers from taking it for data).
MANIFEST_NAME = "_manifest.json"
MANIFEST_FORMAT = 1
TRIAL_COLUMN = "trial"
_CHUNK_RE = re.compile(r"^chunk-(\d+)-(\d+)\.parquet$")

ChunkFn = Callable[[int, int], Mapping[str, np.ndarray]]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ChunkRunResult:
    """What :func:`run_chunks` did.

    ``table`` holds every trial in trial order with a leading ``trial`` column (``None``
    when called with ``collect=False``). ``chunks_run`` were computed by this call,
    ``chunks_resumed`` were found complete on disk. ``extra["startup_s"]``: the time to
    connect to (or start) the Dask cluster, included in ``wall_s``.
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


def _schema_description(schema) -> list[list[str]]:
    return [[f.name, str(f.type)] for f in schema]


# --------------------------------------------------------------------------------------
# Files: atomic writes, the manifest
# --------------------------------------------------------------------------------------


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform opens directories
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _atomic_write(path: Path, write: Callable[[Any], None]) -> None:
    """Write through ``write(file)`` into a temporary sibling, fsync, then rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _write_parquet(path: Path, table) -> None:
    import pyarrow.parquet as pq

    _atomic_write(path, lambda f: pq.write_table(table, f))


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    _atomic_write(path, lambda f: f.write(text.encode()))


def _jsonable(metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    """The metadata as it reads back from JSON (so that comparisons are like for like)."""
    try:
        return json.loads(json.dumps(dict(metadata or {}), sort_keys=True))
    except TypeError as error:
        raise TypeError(f"metadata must be JSON-serialisable: {error}") from None


def _differences(on_disk: Mapping[str, Any], asked: Mapping[str, Any]) -> list[str]:
    lines = []
    for key in ("n_trials", "chunk_size"):
        if on_disk.get(key) != asked[key]:
            lines.append(f"{key}: {on_disk.get(key)!r} on disk, {asked[key]!r} asked")
    old, new = on_disk.get("metadata") or {}, asked["metadata"]
    for key in sorted(set(old) | set(new)):
        if old.get(key, "<absent>") != new.get(key, "<absent>"):
            lines.append(
                f"metadata.{key}: {old.get(key, '<absent>')!r} on disk, "
                f"{new.get(key, '<absent>')!r} asked"
            )
    return lines


def _prepare_out_dir(out_dir: Path, manifest: dict[str, Any], resume: bool) -> dict[str, Any]:
    """Check or create ``out_dir``; return the manifest in force (with its schema if known)."""
    manifest_path = out_dir / MANIFEST_NAME
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"--out {out_dir}: exists and is not a directory")
    existing = [p for p in out_dir.iterdir()] if out_dir.is_dir() else []
    if existing and not resume:
        raise ValueError(
            f"--out {out_dir} is not empty ({len(existing)} entries): use --resume to "
            "continue the run stored there, or choose another --out directory"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    if resume and manifest_path.exists():
        try:
            on_disk = json.loads(manifest_path.read_text())
        except (OSError, ValueError) as error:
            raise ValueError(f"{manifest_path}: cannot be read ({error})") from None
        if on_disk.get("format") != MANIFEST_FORMAT:
            raise ValueError(
                f"{manifest_path}: manifest format {on_disk.get('format')!r}, "
                f"this msrsim writes format {MANIFEST_FORMAT}"
            )
        differences = _differences(on_disk, manifest)
        if differences:
            raise ValueError(
                f"cannot resume the run in {out_dir}: it was started with other settings ("
                + "; ".join(differences)
                + "). Resume with the same settings, or choose another --out directory."
            )
        manifest = {**manifest, "schema": on_disk.get("schema")}
    elif resume and any(_CHUNK_RE.match(p.name) for p in existing):
        raise ValueError(
            f"cannot resume the run in {out_dir}: it holds chunk files but no {MANIFEST_NAME}"
        )
    else:
        _write_json(manifest_path, manifest)
    # Temporary files of a run that was killed mid-write are garbage.
    for p in out_dir.glob(".chunk-*.tmp"):
        with contextlib.suppress(OSError):
            p.unlink()
    return manifest


def _read_chunk(path: Path, start: int, end: int, schema, collect: bool):
    """A finished chunk file as a table (or ``True`` when not collecting); ``None`` if bad."""
    import pyarrow.parquet as pq

    try:
        if collect:
            table = pq.read_table(path)
            ok = table.num_rows == end - start and (
                schema is None or _schema_description(table.schema) == schema
            )
            if ok:
                trial = table.column(TRIAL_COLUMN).to_numpy()
                ok = bool(np.array_equal(trial, np.arange(start, end)))
            return table if ok else None
        meta = pq.read_metadata(path)
        ok = meta.num_rows == end - start and (
            schema is None or _schema_description(meta.schema.to_arrow_schema()) == schema
        )
        return True if ok else None
    except Exception:  # any unreadable file is redone
        return None


def read_results(out_dir: str | os.PathLike):
    """The finished trials of ``out_dir`` as one table in trial order (complete or not)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out_dir = Path(out_dir)
    paths = sorted(p for p in out_dir.iterdir() if _CHUNK_RE.match(p.name))
    if not paths:
        raise ValueError(f"{out_dir}: no chunk files")
    return pa.concat_tables([pq.read_table(p) for p in paths])


# --------------------------------------------------------------------------------------
# Schedulers
# --------------------------------------------------------------------------------------


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt for the duration (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _children_ignore_sigint() -> Iterator[None]:
    """Start processes that ignore SIGINT (the disposition survives fork and exec).

    Ctrl-C in a terminal signals the whole process group: the LocalCluster's worker
    processes would each print a traceback while this process closes them in order.
    This process ignores Ctrl-C only while the cluster starts.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def _dask_client(scheduler, workers: int | None):
    """A ``distributed.Client`` (and the LocalCluster it owns, if any); closed on exit."""
    from distributed import Client, LocalCluster

    if scheduler is not None and not isinstance(scheduler, str):  # a Client already
        yield scheduler, f"client {getattr(scheduler, 'scheduler', scheduler)}"
        return
    if scheduler is None:
        n = workers or os.cpu_count() or 1
        with _children_ignore_sigint():
            cluster = LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                scheduler_port=0,
                dashboard_address=None,
                # No dashboard; its HTTP server (health routes) on any free local port.
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                silence_logs=logging.ERROR,
            )
        client = Client(cluster)
        label = f"LocalCluster({n} workers)"
    else:
        cluster = None
        client = Client(scheduler)
        label = scheduler
    # A Ctrl-C inside a blocking Dask call leaves distributed's sync() a cancel callback
    # that can fail on the event loop as it winds down, and tornado logs its traceback at
    # once (a distributed quirk, harmless: the client and cluster close below). Callback
    # errors of tornado are silenced while the client lives; distributed's own loggers
    # still report real failures.
    tornado_log = logging.getLogger("tornado.application")
    level = tornado_log.level
    tornado_log.setLevel(logging.CRITICAL)
    try:
        yield client, label
    finally:
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
) -> ChunkRunResult:
    """Run ``n_trials`` trials of ``chunk_fn`` in chunks; see the module docstring.

    Parameters
    ----------
    chunk_fn
        ``chunk_fn(start, n) -> dict[str, np.ndarray]``: trials ``start .. start+n-1``,
        each column 1-D of length ``n`` (no column named ``trial``). For Dask it must be
        picklable: a module-level function or a ``functools.partial`` of one.
    n_trials, chunk_size
        Trials in all, and per chunk (the last chunk may be smaller).
    out_dir
        Directory of the Parquet dataset and its manifest; ``None`` keeps results in
        memory only (no resume).
    scheduler
        ``None``: a LocalCluster of ``workers`` processes (default: the CPU count), started
        and shut down here. ``"synchronous"``: this process, chunk after chunk. A scheduler
        address (``"tcp://host:8786"``) or a ``distributed.Client``: that cluster.
    resume
        Keep the chunks already in ``out_dir`` (refused if its manifest differs).
    progress
        ``progress(done_trials, total_trials)``, called at the start and after every chunk.
    metadata
        JSON-serialisable facts that identify the run (seed, scenario fingerprint, model
        version): stored in the manifest and compared on resume.
    collect
        Return the whole table (``False`` for runs too big for memory: read ``out_dir``).
    max_in_flight
        Chunks submitted but not yet collected (default twice the Dask threads), which bounds
        memory.

    Returns
    -------
    ChunkRunResult
        With ``table``: a ``pyarrow.Table``, every trial in trial order, ``trial`` first.

    Raises
    ------
    ValueError
        Bad sizes; ``out_dir`` not empty without ``resume``; a resume whose settings differ
        from the manifest (each difference named); a chunk whose columns differ from the
        earlier chunks'.
    KeyboardInterrupt
        On Ctrl-C or SIGTERM, after the cluster is closed; finished chunks stay on disk.
    """
    import pyarrow as pa

    t0 = time.perf_counter()
    n_trials, chunk_size = int(n_trials), int(chunk_size)
    if n_trials < 1:
        raise ValueError(f"n_trials = {n_trials}: must be at least 1")
    if chunk_size < 1:
        raise ValueError(f"chunk_size = {chunk_size}: must be at least 1")
    if workers is not None and int(workers) < 1:
        raise ValueError(f"workers = {workers}: must be at least 1")
    if resume and out_dir is None:
        raise ValueError("resume needs an output directory (--out)")
    chunks = chunk_bounds(n_trials, chunk_size)
    manifest: dict[str, Any] = {
        "format": MANIFEST_FORMAT,
        "n_trials": n_trials,
        "chunk_size": chunk_size,
        "metadata": _jsonable(metadata),
        "schema": None,
    }
    out_path = Path(out_dir) if out_dir is not None else None
    if out_path is not None:
        manifest = _prepare_out_dir(out_path, manifest, resume)

    tables: dict[int, Any] = {}
    done_trials = 0
    todo = chunks
    if out_path is not None and resume:
        todo = []
        for start, end in chunks:
            path = out_path / chunk_file_name(start, end)
            found = (
                _read_chunk(path, start, end, manifest["schema"], collect)
                if path.exists()
                else None
            )
            if found is None:
                todo.append((start, end))
            else:
                done_trials += end - start
                if collect:
                    tables[start] = found
    chunks_resumed = len(chunks) - len(todo)
    if progress is not None:
        progress(done_trials, n_trials)

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
        if out_path is not None:
            _write_parquet(out_path / chunk_file_name(start, end), table)
        if collect:
            tables[start] = table
        done_trials += end - start
        if progress is not None:
            progress(done_trials, n_trials)

    label = "synchronous"
    n_workers = None
    extra: dict[str, Any] = {}
    with _sigterm_as_interrupt():
        if todo and scheduler == "synchronous":
            _run_synchronous(chunk_fn, todo, on_done)
        elif todo:
            t_start = time.perf_counter()
            with _dask_client(scheduler, workers) as (client, label):
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
    )
