"""A per-scenario cache of what the campaign computes once: its plan, its legs' report and
trajectories (:func:`msrsim.campaign.runner.campaign_legs`), and any table a leg keeps
(:func:`cached_table`), under

    <cache dir>/<fingerprint>/...

The cache directory is ``$MSRSIM_CACHE_DIR`` if set, else the platform's user cache
directory (``$XDG_CACHE_HOME/msrsim`` or ``~/.cache/msrsim`` on Linux,
``~/Library/Caches/msrsim`` on macOS, ``%LOCALAPPDATA%\\msrsim\\Cache`` on Windows). The
fingerprint is the SHA-256 of the scenario's values as canonical JSON (sorted keys), with
msrsim's version, the cache format and :func:`code_fingerprint` (a hash of every source
and data file of the installed package): change any value, or any line of the code that
made an entry, and it is computed anew, so a cache cannot go stale; provenance (sources,
"representative" flags) does not enter. Files are written atomically; one that does not
read back, or whose version differs, is computed again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from msrsim import __version__

__all__ = ["CACHE_FORMAT", "cache_dir", "cached_table", "code_fingerprint", "scenario_fingerprint"]

#: Bump when the layout or meaning of the cached files changes.
CACHE_FORMAT = 1
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_VERSION_KEY = b"msrsim.cache.version"


def _scenario_values(scenario: Any) -> Any:
    if hasattr(scenario, "model_dump"):
        return scenario.model_dump(mode="json")
    if isinstance(scenario, Mapping):
        return dict(scenario)
    raise TypeError(
        "scenario: expected a Scenario (pydantic model) or a mapping, "
        f"got {type(scenario).__name__}"
    )


@functools.cache
def code_fingerprint() -> str:
    """SHA-256 (hex) of msrsim's own files (sources, scenarios, data), path by path."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.suffix in {".py", ".toml", ".csv", ".json"} and "__pycache__" not in path.parts:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _canonical_json(scenario: Any) -> str:
    document = {
        "cache_format": CACHE_FORMAT,
        "code": code_fingerprint(),
        "msrsim": __version__,
        "scenario": _scenario_values(scenario),
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=True)


def scenario_fingerprint(scenario: Any) -> str:
    """The SHA-256 (hex) of the scenario's values, msrsim's version and the cache format."""
    return hashlib.sha256(_canonical_json(scenario).encode()).hexdigest()


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


def _read(path: Path, version: str):
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception:  # unreadable: recompute
        return None
    stored = (table.schema.metadata or {}).get(_VERSION_KEY, b"").decode()
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

    if not _NAME_RE.match(name):
        raise ValueError(f"cached table name {name!r}: use letters, digits, '_', '.', '-'")
    version = str(version)
    root = Path(directory) if directory is not None else cache_dir()
    folder = root / scenario_fingerprint(scenario)
    path = folder / f"{name}.parquet"
    if path.exists():
        table = _read(path, version)
        if table is not None:
            return _to_arrays(table)

    from msrsim.campaign.execution import _atomic_write, _write_parquet

    columns = _check_columns(name, compute())
    table = pa.table(columns).replace_schema_metadata({_VERSION_KEY: version.encode()})
    folder.mkdir(parents=True, exist_ok=True)
    description = folder / "scenario.json"
    if not description.exists():
        text = _canonical_json(scenario)
        _atomic_write(description, lambda f: f.write(text.encode()))
    _write_parquet(path, table)
    return _to_arrays(table)
