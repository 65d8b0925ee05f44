"""A per-scenario cache of what ``msrsim run`` computes once per scenario and code.

:func:`msrsim.campaign.runner.campaign_legs` keeps the planned campaign and its nominal
legs here (the legs' report ``legs.json``, the coupled plan ``plan.pickle``, the
trajectory products), so that a second run of the same scenario flies only its trials;
:mod:`msrsim.campaign.legcache` keeps each leg, each leg's plan and the schedule as its
own entry, keyed on the values that entry reads and the entries upstream of it, so that an
edit re-flies only the legs downstream of it; :func:`cached_table` keeps a table of arrays
as Parquet:

    <cache dir>/<fingerprint>/<name>           (each entry, with <name>.sha256.json)
    <cache dir>/<fingerprint>/scenario.json    (cached_table: what the fingerprint was of)
    <cache dir>/legs/<leg>/<key>.pickle        (legcache: each leg's entry, with its record)

The cache directory is ``$MSRSIM_CACHE_DIR`` if set, else the platform's user cache
directory (``$XDG_CACHE_HOME/msrsim`` or ``~/.cache/msrsim`` on Linux,
``~/Library/Caches/msrsim`` on macOS, ``%LOCALAPPDATA%\\msrsim\\Cache`` on Windows). The
fingerprint is the SHA-256 of the scenario's values as canonical JSON (sorted keys), with
msrsim's version and the cache format: change any value that a leg reads and the leg tables
are computed anew. What no leg reads does not enter (:data:`NOT_FLOWN`): provenance (sources,
"representative" flags), the scenario's name, description and published cost, and the
size of the coupled Monte Carlo (``campaign.trials``, ``campaign.chunk_size``, which
``msrsim run`` passes on like ``--trials``); so a scenario that ``extends`` another and
changes none of its values, or only those, reads the other's legs
(:func:`msrsim.campaign.outcomes.as_labelled_by` puts its own name and sources on them).
A model whose code changes without a change of msrsim's version passes a new ``version``
to :func:`cached_table`.

Integrity: every entry (a Parquet table, the legs' JSON, a trajectory product) is written
atomically with :func:`write_entry`, followed by its record ``<name>.sha256.json``: the
SHA-256 and size of the bytes, the scenario fingerprint (a leg's key for a per-leg entry)
and the fingerprint of the model code that computed it (:func:`code_fingerprint`, a hash
of msrsim's ``core``, ``segments``, ``campaign``, ``samples`` and ``scenarios`` sources
and data). :func:`read_entry` returns
the bytes only when all of them match, so an entry damaged on disk, cut short, written by
other code or for another scenario is computed again, never used; so is one whose content
does not have the shape its reader expects.

Concurrency: processes that share a cache directory (the workers of a parallel test run,
two commands at once) compute an entry once. :func:`entry_lock` holds an exclusive lock on
``<name>.lock`` beside the entry while one process computes it; another that misses the
same entry waits for the lock, then reads what the first stored. The lock is the
operating system's (``flock``; ``msvcrt.locking`` on Windows), so a process killed while
it holds one releases it.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import sys
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from msrsim import __version__

__all__ = [
    "CACHE_FORMAT",
    "NOT_FLOWN",
    "cache_dir",
    "cached_table",
    "code_fingerprint",
    "entry_lock",
    "read_entry",
    "scenario_fingerprint",
    "write_entry",
]

#: Bump when the layout or meaning of the cached files changes.
CACHE_FORMAT = 1
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_VERSION_KEY = b"msrsim.cache.version"


NOT_FLOWN: dict[str, Any] = {
    "scenario": {"name", "description", "cost_range_busd"},
    "campaign": True,
}
"""The scenario values no leg reads, left out of the fingerprint (pydantic's ``exclude``)."""


def _scenario_values(scenario: Any, exclude: Mapping[str, Any] | None = None) -> Any:
    if hasattr(scenario, "model_dump"):
        return scenario.model_dump(mode="json", exclude={**NOT_FLOWN, **(exclude or {})})
    if isinstance(scenario, Mapping):
        return dict(scenario)
    raise TypeError(
        "scenario: expected a Scenario (pydantic model) or a mapping, "
        f"got {type(scenario).__name__}"
    )


def _canonical_json(scenario: Any, exclude: Mapping[str, Any] | None = None) -> str:
    document = {
        "cache_format": CACHE_FORMAT,
        "msrsim": __version__,
        "scenario": _scenario_values(scenario, exclude),
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=True)


def scenario_fingerprint(scenario: Any, exclude: Mapping[str, Any] | None = None) -> str:
    """The SHA-256 (hex) of the scenario's values (but :data:`NOT_FLOWN` and ``exclude``,
    pydantic's ``exclude`` form: what a cache entry does not depend on), msrsim's version
    and the cache format."""
    return hashlib.sha256(_canonical_json(scenario, exclude).encode()).hexdigest()


_MODEL_PARTS = ("core", "segments", "campaign", "samples", "scenarios")
_MODEL_FILES = ("__init__.py", "scenario.py")
_MODEL_SUFFIXES = (".py", ".csv", ".toml", ".json")


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 (hex, first 16 digits) of the model code and data that compute results.

    Every ``.py``, ``.csv``, ``.toml`` and ``.json`` file under msrsim's ``core``,
    ``segments``, ``campaign``, ``samples`` and ``scenarios``, with ``scenario.py`` and
    ``__init__.py``, by relative path and content (the report, the exports and the command
    line do not change a result and do not enter).
    """
    root = Path(__file__).resolve().parent.parent
    files = [root / name for name in _MODEL_FILES]
    for part in _MODEL_PARTS:
        files += sorted(
            p for p in (root / part).rglob("*") if p.suffix in _MODEL_SUFFIXES and p.is_file()
        )
    digest = hashlib.sha256()
    for path in files:
        with open(path, "rb") as f:
            content = f.read()
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(content).digest())
    return digest.hexdigest()[:16]


def _record_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256.json")


def write_entry(path: str | os.PathLike, data: bytes, scenario: str) -> None:
    """Write a cache entry atomically, then its record (checksum, size, fingerprints)."""
    from msrsim.core.resources import atomic_write

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, data)
    record = {
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "scenario": scenario,
        "code": code_fingerprint(),
        "cache_format": CACHE_FORMAT,
    }
    atomic_write(_record_path(path), json.dumps(record, sort_keys=True).encode())


def read_entry(path: str | os.PathLike, scenario: str) -> bytes | None:
    """A cache entry's bytes, or ``None`` when it is missing, unreadable, or does not match
    its record (checksum, size, scenario, code, format): then it must be computed again."""
    path = Path(path)
    try:
        record = json.loads(_record_path(path).read_text(encoding="utf-8"))
        data = path.read_bytes()
    except (OSError, ValueError):
        return None
    expected = {
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "scenario": scenario,
        "code": code_fingerprint(),
        "cache_format": CACHE_FORMAT,
    }
    if not isinstance(record, dict) or any(record.get(k) != v for k, v in expected.items()):
        return None
    return data


def _lock_blocking(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: LK_LOCK tries for 10 s, then raises EDEADLOCK; again
        import msvcrt

        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                return
            except OSError as exc:
                if exc.errno != errno.EDEADLOCK:
                    raise
    fcntl.flock(fd, fcntl.LOCK_EX)


@contextlib.contextmanager
def entry_lock(path: str | os.PathLike):
    """Hold the exclusive lock of the entry ``path`` (the file ``<path>.lock``), waiting for
    another process that holds it: a caller that missed the entry reads it again inside
    the lock, and computes it only if the holder did not store it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o666)
    try:
        _lock_blocking(fd)
        yield
    finally:
        os.close(fd)  # closing drops the lock


def cache_dir() -> Path:
    """``$MSRSIM_CACHE_DIR``, else the platform's user cache directory for msrsim."""
    override = os.environ.get("MSRSIM_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "msrsim" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "msrsim"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "msrsim"


def _check_columns(name: str, columns: Mapping[str, Any]) -> dict[str, np.ndarray]:
    if not isinstance(columns, Mapping) or not columns:
        raise TypeError(f"cached table {name!r}: compute() must return a non-empty dict of arrays")
    arrays = {str(k): np.asarray(v) for k, v in columns.items()}
    lengths = {k: a.shape for k, a in arrays.items() if a.ndim != 1}
    if lengths:
        raise ValueError(f"cached table {name!r}: columns must be 1-D, got shapes {lengths}")
    sizes = {len(a) for a in arrays.values()}
    if len(sizes) != 1:
        shapes = {k: len(a) for k, a in arrays.items()}
        raise ValueError(f"cached table {name!r}: columns differ in length {shapes}")
    return arrays


def _to_arrays(table) -> dict[str, np.ndarray]:
    return {name: table.column(name).to_numpy(zero_copy_only=False) for name in table.column_names}


def _read(path: Path, version: str, fingerprint: str):
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = read_entry(path, fingerprint)
    if data is None:
        return None
    try:
        table = pq.read_table(pa.BufferReader(data))
        stored = (table.schema.metadata or {}).get(_VERSION_KEY, b"").decode()
        _check_columns(path.stem, _to_arrays(table))
    except Exception:  # unreadable, or not a table of 1-D columns of one length: recompute
        return None
    return table if stored == version else None


def cached_table(
    scenario: Any,
    name: str,
    compute: Callable[[], Mapping[str, np.ndarray]],
    directory: str | os.PathLike | None = None,
    *,
    version: str | int = "",
) -> dict[str, np.ndarray]:
    """A leg's results for ``scenario``: read from the cache, or ``compute()``-d and stored.

    Parameters
    ----------
    scenario
        The scenario (its values, not its provenance, key the cache).
    name
        The table's name, e.g. ``"ascent"``; letters, digits, ``_ . -``.
    compute
        ``compute() -> dict[str, np.ndarray]``: 1-D columns of one length; called only on
        a miss.
    directory
        The cache root; default :func:`cache_dir`.
    version
        The producing model's version: a stored table with another version is recomputed.

    Returns
    -------
    dict[str, np.ndarray]
        The columns, exactly as they read back from Parquet (so a first run and a cached one
        see identical arrays).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not _NAME_RE.match(name):
        raise ValueError(f"cached table name {name!r}: use letters, digits, '_', '.', '-'")
    version = str(version)
    root = Path(directory) if directory is not None else cache_dir()
    fingerprint = scenario_fingerprint(scenario)
    folder = root / fingerprint
    path = folder / f"{name}.parquet"
    if path.exists():
        table = _read(path, version, fingerprint)
        if table is not None:
            return _to_arrays(table)

    from msrsim.campaign.execution import _parquet_bytes
    from msrsim.core.resources import atomic_write

    columns = _check_columns(name, compute())
    table = pa.table(columns).replace_schema_metadata({_VERSION_KEY: version.encode()})
    folder.mkdir(parents=True, exist_ok=True)
    description = folder / "scenario.json"
    if not description.exists():
        atomic_write(description, _canonical_json(scenario).encode())
    data = _parquet_bytes(table)
    write_entry(path, data, fingerprint)
    return _to_arrays(pq.read_table(pa.BufferReader(data)))
