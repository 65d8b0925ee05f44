"""Arguments for the numba kernels, so that each kernel compiles one signature.

numba compiles a kernel once for every combination of its arguments' types, and an
array's type holds its layout (C-contiguous or any) and whether it is read-only. The same
input reaching a kernel read-only on one path (a leg's hand-off read back from the cache,
a broadcast) and writeable on another, or as a strided slice on one path and a contiguous
one on another (a slice of one row is contiguous), compiles the whole kernel again: 30 to
40 CPU-s for the flight kernel, paid by the first command that takes the other path, and
not covered by the install step's warm-up run (measured: three extra compilations of the
flight kernel and five of the orbit propagator in one test session). The kernels' Python
wrappers pass the arrays they only read through :func:`kernel_input`.
"""

from __future__ import annotations

import numpy as np


def kernel_input(value, dtype=np.float64, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """``value`` (broadcast to ``shape`` when given) as a C-contiguous, read-only array of
    ``dtype``: a view, with no copy, where it already is C-contiguous and of that type."""
    array = np.asarray(value, dtype=dtype)
    if shape is not None:
        array = np.broadcast_to(array, shape)
    view = np.ascontiguousarray(array).view()
    view.flags.writeable = False
    return view
