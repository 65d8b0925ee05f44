"""An access recorder for scenarios: which scenario values a piece of code reads.

:func:`recording` instruments :class:`msrsim.scenario.Section` (every scenario table) for
the length of a ``with`` block: each read of a value of the given scenario's tables is
recorded by its dotted path (``"srl.edl.parachute_max_mach"``); each use of a table as a
whole (``model_dump``, ``model_copy``, ``__dict__``, which ``==`` and pickling go
through) records the table's path, as every value in it is read. Reads of other objects
(another scenario, a copy) are not recorded.
"""

from __future__ import annotations

import contextlib

from msrsim.scenario import Section

_WHOLE = frozenset({"model_dump", "model_dump_json", "model_copy", "__dict__", "__getstate__"})


def _paths(section: Section, prefix: str, into: dict[int, str]) -> dict[int, str]:
    into.setdefault(id(section), prefix)
    for name in type(section).model_fields:
        value = getattr(section, name)
        if isinstance(value, Section):
            _paths(value, f"{prefix}{name}.", into)
    return into


@contextlib.contextmanager
def recording(scenario: Section):
    """``with recording(scenario) as reads:`` ... ``reads`` is the set of paths read."""
    paths = _paths(scenario, "", {})
    reads: set[str] = set()
    plain = Section.__getattribute__
    outer = Section.__dict__.get("__getattribute__")  # a recording around this one

    def getattribute(self, name):
        value = plain(self, name)
        prefix = paths.get(id(self))
        if prefix is not None:
            if name in type(self).model_fields:
                if not isinstance(value, Section):
                    reads.add(prefix + name)
            elif name in _WHOLE:
                reads.add(prefix.rstrip(".") or "<the whole scenario>")
        return value

    Section.__getattribute__ = getattribute
    try:
        yield reads
    finally:
        if outer is None:
            del Section.__getattribute__
        else:
            Section.__getattribute__ = outer


def covered(path: str, declared) -> bool:
    """Whether ``path`` is one of ``declared`` or inside a section among them."""
    return any(path == d or path.startswith(d + ".") for d in declared)
