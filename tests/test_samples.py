"""The Perseverance tube catalog and the Earth dates of its sols."""

import datetime as dt

import pytest

from msrsim.samples.catalog import (
    PERSEVERANCE_TUBES_CARRIED,
    load_catalog,
    select,
    sol_to_utc_date,
)


def test_catalog_loads_every_row():
    tubes = load_catalog()
    assert len(tubes) == 32
    assert len({t.tube_seq for t in tubes}) == 32
    assert len(tubes) <= PERSEVERANCE_TUBES_CARRIED


def test_three_forks_depot_in_drop_order():
    # Drop order and sols from the PDS Analyst's Notebook (reference sheet).
    depot = select(now_at="depot")
    assert [t.name for t in depot][:3] == ["Malay", "Mageik", "Crosswind Lake"]
    assert [t.depot_drop_sol for t in depot] == [653, 655, 661, 666, 668, 672, 675, 680, 682, 690]
    assert len(depot) == 10 and depot[-1].is_witness


def test_filters():
    assert all(t.now_at == "rover" for t in select(now_at="rover"))
    witnesses = select(kind="witness")
    assert len(witnesses) == 3 and all(t.is_witness for t in witnesses)
    with pytest.raises(ValueError, match="must be one of rover, depot"):
        select(now_at="orbit")


def test_published_sealing_dates_fall_on_their_sol():
    # NASA gives each tube's sealing sol and Earth date. The Earth date must be one of the
    # UTC calendar days that the sol (local mean solar time at 77.45 E) overlaps.
    # Witness 1 is excluded: NASA's own pages disagree about it (see its note).
    checked = 0
    for t in load_catalog():
        if t.sealed_sol is None or t.sealed_date is None or t.name == "Witness 1":
            continue
        start, after = (
            dt.date.fromisoformat(d) for d in sol_to_utc_date([t.sealed_sol, t.sealed_sol + 1])
        )
        assert start <= dt.date.fromisoformat(t.sealed_date) <= after, t.name
        checked += 1
    assert checked == 30


def test_sol_zero_is_landing_day():
    assert sol_to_utc_date([0]) == ["2021-02-18"]
