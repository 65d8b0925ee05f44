"""Random streams for the campaign Monte Carlo that do not depend on how trials are chunked.

Trial ``i`` sees the same random numbers whether it runs in one batch of a million, in
chunks of 1,000 on two workers, or in a chunk of 7 after a resume. Each *named stream* is
its own PCG64 bit generator, seeded by ``numpy.random.SeedSequence(seed, spawn_key=(TAG,
h))`` where ``h`` is a stable hash of the stream's name (so adding a stream or reordering
the names never changes the others). Every trial takes a fixed number ``k`` of 64-bit
outputs from a stream, so the draws of trial ``i`` sit at positions ``[i*k, (i+1)*k)``
of that stream: a chunk starting at trial ``i0`` jumps there with ``PCG64.advance(i0 *
k)`` (O(log n), exact) and reads an ``(n, k)`` block.

Every distribution is a fixed transform of those outputs, with no rejection step that
would consume a variable count: uniforms are ``(x >> 11) * 2**-53`` (bit for bit what
``Generator.random`` returns: one output per double, tested), normals the inverse normal
CDF (``scipy.special.ndtri``) of the open-interval uniform ``((x >> 12) + 0.5) * 2**-52``
(never 0 or 1, so never infinite; tails to about 8.1 sigma), Bernoulli events ``u < p``,
categorical draws by the cumulative probabilities, and row picks ``floor(u * rows)``.

The contract for a trial model: each stream is read **once per chunk, with the same width
``k`` in every chunk**. A model that needs twelve failure events and five dispersions
takes two streams (``failures`` with ``k=12``, ``dispersions`` with ``k=5``) or one
uniform block that it splits by column; reading one stream twice in a chunk would give the
same numbers twice.

References
----------
O'Neill, M. E. (2014). PCG: A family of simple fast space-efficient statistically good
algorithms for random number generation. HMC-CS-2014-0905 (the LCG jump-ahead behind
``advance``). NumPy ``SeedSequence`` (entropy pooling after M. O'Neill's ``seed_seq``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
from scipy.special import ndtri

__all__ = ["TrialStreams", "TrialGenerator", "STREAM_TAG"]

#: First spawn-key word of every campaign stream ("msrc"), so that these streams never
#: coincide with the children ``SeedSequence(seed).spawn(n)`` hands out elsewhere (their
#: keys are ``(0,)``, ``(1,)``, ...).
STREAM_TAG = 0x6D737263

_U53 = 2.0**-53
_U52 = 2.0**-52


def _name_key(name: str) -> int:
    """A stable 64-bit key for a stream name (blake2b; Python's ``hash`` is salted)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


class TrialStreams:
    """Named random streams, addressed by trial number.

    Parameters
    ----------
    seed
        The run's seed (the scenario's ``scenario.seed``), a non-negative integer.
    names
        The streams the model may read. Reading an undeclared name raises ``KeyError``,
        which catches typos that would otherwise silently open a fresh stream.

    Every method takes ``(name, start, n, ...)``: the draws of trials ``start`` to
    ``start + n - 1``, one row per trial. The object holds no mutable state, so it can be
    pickled into a chunk function and sent to any worker.

    Examples
    --------
    >>> streams = TrialStreams(42, ("failures", "dispersions"))
    >>> fails = streams.bernoulli("failures", 1000, 500, [0.01, 0.02])  # (500, 2) bool
    >>> dv = 5.0 + 0.3 * streams.normal("dispersions", 1000, 500, 1)[:, 0]
    """

    def __init__(self, seed: int, names: Iterable[str]):
        seed = int(seed)
        if seed < 0:
            raise ValueError(f"seed = {seed}: must be a non-negative integer")
        names = tuple(names)
        if len(set(names)) != len(names):
            raise ValueError(f"stream names {names} contain duplicates")
        keys = {name: _name_key(name) for name in names}
        if len(set(keys.values())) != len(keys):  # pragma: no cover - a 64-bit collision
            raise ValueError(f"stream names {names} collide in their 64-bit keys")
        self.seed = seed
        self.names = names
        self._keys = keys

    def __repr__(self) -> str:
        return f"TrialStreams(seed={self.seed}, names={self.names!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TrialStreams):
            return NotImplemented
        return (self.seed, self.names) == (other.seed, other.names)

    def __hash__(self) -> int:
        return hash((self.seed, self.names))

    # -- the raw block ------------------------------------------------------------------

    def seed_sequence(self, name: str) -> np.random.SeedSequence:
        """The ``SeedSequence`` of stream ``name`` (for a model that needs a whole stream)."""
        try:
            key = self._keys[name]
        except KeyError:
            raise KeyError(
                f"random stream {name!r} is not declared (declared: {', '.join(self.names)})"
            ) from None
        return np.random.SeedSequence(self.seed, spawn_key=(STREAM_TAG, key))

    def raw(self, name: str, start: int, n: int, k: int = 1) -> np.ndarray:
        """The 64-bit outputs of trials ``start .. start+n-1``: ``(n, k)`` uint64.

        Trial ``i`` owns outputs ``i*k .. i*k + k - 1`` of the stream.
        """
        start, n, k = int(start), int(n), int(k)
        if start < 0 or n < 0 or k < 1:
            raise ValueError(f"start = {start}, n = {n}, k = {k}: need start >= 0, n >= 0, k >= 1")
        bit_generator = np.random.PCG64(self.seed_sequence(name))
        if start:
            bit_generator.advance(start * k)
        return bit_generator.random_raw(n * k).reshape(n, k)

    # -- distributions --------------------------------------------------------------------

    def uniform(self, name: str, start: int, n: int, k: int = 1) -> np.ndarray:
        """Uniform doubles on [0, 1), ``(n, k)``; equal to ``Generator(PCG64).random``."""
        return (self.raw(name, start, n, k) >> np.uint64(11)).astype(np.float64) * _U53

    def open_uniform(self, name: str, start: int, n: int, k: int = 1) -> np.ndarray:
        """Uniform doubles on the open interval (0, 1) at 2**-52 spacing, ``(n, k)``."""
        x = (self.raw(name, start, n, k) >> np.uint64(12)).astype(np.float64)
        return (x + 0.5) * _U52

    def normal(self, name: str, start: int, n: int, k: int = 1) -> np.ndarray:
        """Standard normals, ``(n, k)``, by the inverse CDF of :meth:`open_uniform`."""
        return ndtri(self.open_uniform(name, start, n, k))

    def bernoulli(self, name: str, start: int, n: int, p) -> np.ndarray:
        """Events that happen with probability ``p``: ``(n, k)`` bool for ``p`` of shape (k,).

        ``p`` may also be ``(n, k)`` (a probability per trial, e.g. one that depends on an
        earlier draw); ``k`` is its last axis. A scalar ``p`` gives ``(n, 1)``.
        """
        p = np.asarray(p, dtype=np.float64)
        if p.ndim == 0:
            p = p.reshape(1)
        if p.ndim not in (1, 2) or (p.ndim == 2 and p.shape[0] != n):
            raise ValueError(f"p has shape {p.shape}: expected (k,) or (n, k) with n = {n}")
        if np.any((p < 0) | (p > 1)) or np.any(np.isnan(p)):
            raise ValueError("p: every probability must be between 0 and 1")
        return self.uniform(name, start, n, p.shape[-1]) < p

    def categorical(self, name: str, start: int, n: int, probabilities, k: int = 1) -> np.ndarray:
        """Category indices drawn with the given probabilities: ``(n, k)`` int64.

        ``probabilities`` (m,) are normalised to sum to one; category ``j`` is drawn when
        ``cdf[j-1] <= u < cdf[j]``.
        """
        prob = np.asarray(probabilities, dtype=np.float64)
        if prob.ndim != 1 or prob.size == 0 or np.any(prob < 0) or not prob.sum() > 0:
            raise ValueError(
                "probabilities: need a 1-D array of non-negative values with a positive sum"
            )
        cdf = np.cumsum(prob / prob.sum())
        cdf[-1] = 1.0
        u = self.uniform(name, start, n, k)
        index = np.searchsorted(cdf, u, side="right")
        return np.minimum(index, prob.size - 1).astype(np.int64)

    def row_index(self, name: str, start: int, n: int, n_rows: int, k: int = 1) -> np.ndarray:
        """Rows of a table of ``n_rows`` picked uniformly: ``floor(u * n_rows)``, ``(n, k)``.

        Used to draw a leg's dispersed outcome from that leg's own cached Monte Carlo
        results (:func:`msrsim.campaign.cache.cached_table`).
        """
        n_rows = int(n_rows)
        if n_rows < 1:
            raise ValueError(f"n_rows = {n_rows}: the table must have at least one row")
        index = np.floor(self.uniform(name, start, n, k) * n_rows).astype(np.int64)
        # u * n_rows can round up to n_rows for u just below 1.
        return np.minimum(index, n_rows - 1)


class TrialGenerator:
    """A ``numpy.random.Generator``-like view of named streams for trials ``start ..
    start + n - 1``, so that code written for a ``Generator`` draws chunk-independently.

    Every draw must have one row per trial (a leading axis of length ``n``): call ``j``
    of this object reads stream ``"{name}#{j}"`` with the row width the call asks for, so
    trial ``i`` gets the same numbers in any chunk as long as the calls come in the same
    order with the same widths (true of a model that does not branch on earlier draws).
    :meth:`spawn` gives independent children (``"{name}/{k}"``), as ``Generator.spawn``.

    Parameters
    ----------
    seed
        The run's seed.
    name
        The stream family, e.g. ``"edl"``; two families never share a draw.
    start, n
        The trials of this chunk.

    Examples
    --------
    >>> g = TrialGenerator(7, "edl", start=100, n=50)
    >>> g.standard_normal((50, 3)).shape
    (50, 3)
    """

    def __init__(self, seed: int, name: str, start: int, n: int, rows=None):
        self.seed, self.name, self.start, self.n = int(seed), str(name), int(start), int(n)
        self.rows = None if rows is None else np.asarray(rows, dtype=np.int64)
        self._calls = 0
        self._children = 0

    @property
    def size(self) -> int:
        """Rows of every draw: ``n``, or the number of :meth:`take` rows."""
        return self.n if self.rows is None else int(self.rows.size)

    def take(self, rows) -> TrialGenerator:
        """The same streams restricted to ``rows`` (indices into this chunk's ``n``
        trials): each row still gets its own trial's numbers, so a leg can fly only the
        trials still in the relay without changing anyone's draws."""
        rows = np.asarray(rows, dtype=np.int64)
        if self.rows is not None:
            rows = self.rows[rows]
        return TrialGenerator(self.seed, self.name, self.start, self.n, rows)

    def __repr__(self) -> str:
        return (
            f"TrialGenerator(seed={self.seed}, name={self.name!r}, start={self.start}, n={self.n})"
        )

    def _block(self, size, kind: str) -> np.ndarray:
        size_ = self.size
        shape = (size_,) if size is None else tuple(np.atleast_1d(size).astype(int).tolist())
        if not shape or shape[0] != size_:
            raise ValueError(
                f"{self!r}: a draw of shape {shape} has no leading axis of one row per trial "
                f"({size_} rows); draws of another shape would depend on the chunking"
            )
        width = int(np.prod(shape[1:], dtype=np.int64)) if len(shape) > 1 else 1
        stream = f"{self.name}#{self._calls}"
        self._calls += 1
        streams = TrialStreams(self.seed, (stream,))
        block = getattr(streams, kind)(stream, self.start, self.n, max(width, 1))
        if self.rows is not None:
            block = block[self.rows]
        return block[:, :width].reshape(shape)

    def restart(self) -> TrialGenerator:
        """The same streams from their first call again: draws what a function that took
        this generator drew, e.g. to read back one of its errors."""
        return TrialGenerator(self.seed, self.name, self.start, self.n, self.rows)

    def spawn(self, n_children: int) -> list[TrialGenerator]:
        """``n_children`` independent generators over the same trials."""
        first = self._children
        self._children += int(n_children)
        return [
            TrialGenerator(self.seed, f"{self.name}/{k}", self.start, self.n, self.rows)
            for k in range(first, first + int(n_children))
        ]

    def random(self, size=None) -> np.ndarray:
        """Uniforms on [0, 1)."""
        return self._block(size, "uniform")

    def standard_normal(self, size=None) -> np.ndarray:
        return self._block(size, "normal")

    def normal(self, loc=0.0, scale=1.0, size=None) -> np.ndarray:
        return loc + scale * self.standard_normal(size)

    def uniform(self, low=0.0, high=1.0, size=None) -> np.ndarray:
        return low + (high - low) * self.random(size)
