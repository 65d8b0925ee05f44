"""Random streams addressed by trial number: independent of the chunking, independent of
each other, and distributed as they claim."""

import pickle

import numpy as np
import pytest
from scipy import stats

from msrsim.core.streams import TrialStreams

NAMES = ("failures", "dispersions", "rows")
N = 10_000


def _chunked(method, chunk, *args):
    return np.concatenate(
        [method(start, min(chunk, N - start), *args) for start in range(0, N, chunk)]
    )


@pytest.mark.parametrize("kind", ["uniform", "normal", "raw", "open_uniform"])
@pytest.mark.parametrize("chunk", [1_000, 3_333, 7])
def test_same_numbers_whatever_the_chunking(kind, chunk):
    streams = TrialStreams(2026, NAMES)

    def method(start, n):
        return getattr(streams, kind)("dispersions", start, n, 5)

    whole = method(0, N)
    assert whole.shape == (N, 5)
    # Bit-identical, not close: trial i reads outputs [5i, 5i + 5) of its stream.
    np.testing.assert_array_equal(_chunked(method, chunk), whole)


def test_helpers_same_whatever_the_chunking():
    s = TrialStreams(3, NAMES)
    p = [0.1, 0.5, 0.9]
    np.testing.assert_array_equal(
        _chunked(lambda a, b: s.bernoulli("failures", a, b, p), 7),
        s.bernoulli("failures", 0, N, p),
    )
    np.testing.assert_array_equal(
        _chunked(lambda a, b: s.categorical("rows", a, b, [1, 2, 3], 2), 3_333),
        s.categorical("rows", 0, N, [1, 2, 3], 2),
    )
    np.testing.assert_array_equal(
        _chunked(lambda a, b: s.row_index("rows", a, b, 10_000), 1_000),
        s.row_index("rows", 0, N, 10_000),
    )


def test_first_m_of_n_are_a_smaller_run():
    s = TrialStreams(5, NAMES)
    np.testing.assert_array_equal(
        s.normal("failures", 0, 123, 4), s.normal("failures", 0, N, 4)[:123]
    )


def test_uniform_is_generator_random_one_output_per_double():
    """The claim under the jump-ahead: Generator.random takes one 64-bit output per double,
    so our uniforms are numpy's own and trial i's are at offset i*k."""
    s = TrialStreams(9, NAMES)
    generator = np.random.Generator(np.random.PCG64(s.seed_sequence("rows")))
    np.testing.assert_array_equal(s.uniform("rows", 0, 1000, 3).ravel(), generator.random(3000))
    # ... and after those 3000 doubles the generator stands exactly at trial 1000.
    np.testing.assert_array_equal(s.uniform("rows", 1000, 10, 3).ravel(), generator.random(30))


def test_streams_are_independent():
    """Sample correlations between streams, between a stream's columns and between
    neighbouring trials. For independent uniforms the sample correlation over n pairs has
    a standard error of 1/sqrt(n) = 0.0032 at n = 100,000; the tolerance 0.016 is 5 of
    those (a false alarm about once in 1.7 million per pair; the draws are fixed by the
    seed anyway)."""
    n = 100_000
    tolerance = 5 / np.sqrt(n)
    s = TrialStreams(1, NAMES)
    blocks = [s.uniform(name, 0, n, 2) for name in NAMES]
    columns = np.hstack(blocks)  # 6 columns: 3 streams x 2
    corr = np.corrcoef(columns, rowvar=False)
    off_diagonal = corr[~np.eye(corr.shape[0], dtype=bool)]
    assert np.max(np.abs(off_diagonal)) < tolerance
    lag = np.corrcoef(blocks[0][:-1, 0], blocks[0][1:, 0])[0, 1]
    assert abs(lag) < tolerance
    # Another seed, same name: another stream.
    other = TrialStreams(2, NAMES).uniform("failures", 0, n, 1)[:, 0]
    assert abs(np.corrcoef(other, blocks[0][:, 0])[0, 1]) < tolerance


def test_stream_names_not_positions():
    """A stream is defined by its name: adding or reordering names changes nothing."""
    a = TrialStreams(4, ("x", "y")).normal("y", 10, 100, 2)
    b = TrialStreams(4, ("y", "z", "x")).normal("y", 10, 100, 2)
    np.testing.assert_array_equal(a, b)


def test_normals_pass_a_ks_test():
    """Kolmogorov-Smirnov against N(0, 1) over 200,000 draws at the 1 % significance
    level (the draws are fixed by the seed, so this cannot flake), plus the moments: the
    mean's standard error is 0.0022, the variance's 0.0032."""
    z = TrialStreams(123, NAMES).normal("dispersions", 0, 50_000, 4).ravel()
    assert np.all(np.isfinite(z))
    assert stats.kstest(z, "norm").pvalue > 0.01
    assert abs(z.mean()) < 5 * 0.0022
    assert abs(z.var() - 1) < 5 * 0.0032


def test_open_uniform_never_reaches_the_ends():
    u = TrialStreams(0, NAMES).open_uniform("rows", 0, 100_000, 3)
    assert u.min() > 0 and u.max() < 1
    # The extreme values possible map to finite normals (about 8.1 sigma).
    from scipy.special import ndtri

    assert np.isfinite(ndtri(np.array([0.5 * 2.0**-52, 1 - 0.5 * 2.0**-52]))).all()


def test_bernoulli_frequencies_and_per_trial_p():
    s = TrialStreams(8, NAMES)
    p = np.array([0.0, 0.02, 0.5, 1.0])
    events = s.bernoulli("failures", 0, 100_000, p)
    assert events.shape == (100_000, 4) and events.dtype == bool
    # Binomial standard error sqrt(p(1-p)/n): 0.00044 at p = 0.02, 0.0016 at 0.5; 5 of them.
    se = np.sqrt(p * (1 - p) / 100_000)
    assert np.all(np.abs(events.mean(axis=0) - p) <= 5 * se + 1e-12)
    per_trial = np.broadcast_to(p, (100_000, 4))
    np.testing.assert_array_equal(s.bernoulli("failures", 0, 100_000, per_trial), events)
    with pytest.raises(ValueError, match="between 0 and 1"):
        s.bernoulli("failures", 0, 10, [1.5])


def test_categorical_and_row_index():
    s = TrialStreams(8, NAMES)
    cat = s.categorical("rows", 0, 100_000, [1, 0, 3])
    assert set(np.unique(cat)) == {0, 2}
    assert abs((cat == 2).mean() - 0.75) < 5 * np.sqrt(0.75 * 0.25 / 100_000)
    rows = s.row_index("rows", 0, 100_000, 3)
    assert rows.min() == 0 and rows.max() == 2
    counts = np.bincount(rows.ravel(), minlength=3) / 100_000
    assert np.all(np.abs(counts - 1 / 3) < 5 * np.sqrt(2 / 9 / 100_000))


def test_undeclared_stream_and_bad_arguments():
    s = TrialStreams(0, NAMES)
    with pytest.raises(KeyError, match="'failure' is not declared"):
        s.uniform("failure", 0, 10)
    with pytest.raises(ValueError, match="duplicates"):
        TrialStreams(0, ("a", "a"))
    with pytest.raises(ValueError, match="non-negative"):
        TrialStreams(-1, NAMES)
    with pytest.raises(ValueError, match="k >= 1"):
        s.uniform("rows", 0, 10, 0)
    assert s.uniform("rows", 5, 0, 3).shape == (0, 3)


def test_picklable():
    s = TrialStreams(6, NAMES)
    t = pickle.loads(pickle.dumps(s))
    assert t == s
    np.testing.assert_array_equal(t.normal("rows", 7, 9, 2), s.normal("rows", 7, 9, 2))


def test_trial_generator_rows_do_not_depend_on_chunking():
    """A TrialGenerator's draws for trial i are the same in one chunk or in two, call by
    call and child by child."""
    from msrsim.core.streams import TrialGenerator

    def draws(start, n):
        g = TrialGenerator(11, "leg", start, n)
        a, b = g.spawn(2)
        return np.hstack(
            [
                g.standard_normal((n, 3)),
                g.random(n)[:, None],
                a.normal(2.0, 3.0, (n, 2)),
                b.uniform(-1, 1, (n,))[:, None],
            ]
        )

    whole = draws(0, 300)
    parts = np.vstack([draws(0, 120), draws(120, 180)])
    assert np.array_equal(whole, parts)
    assert np.all(np.isfinite(whole))
    # calls and children are distinct streams: no column repeats another
    assert np.all(np.abs(np.corrcoef(whole.T) - np.eye(whole.shape[1])) < 0.2)


def test_trial_generator_refuses_draws_without_a_row_per_trial():
    from msrsim.core.streams import TrialGenerator

    g = TrialGenerator(1, "leg", 0, 10)
    with pytest.raises(ValueError, match="one row per trial"):
        g.standard_normal((3, 10))


def test_trial_generator_take_keeps_each_trials_draws():
    """Drawing for a subset of a chunk's trials gives those trials' own numbers."""
    from msrsim.core.streams import TrialGenerator

    rows = np.array([3, 7, 8, 40])
    full = TrialGenerator(5, "leg", 200, 50)
    part = TrialGenerator(5, "leg", 200, 50).take(rows)
    assert part.size == 4
    assert np.array_equal(part.standard_normal((4, 2)), full.standard_normal((50, 2))[rows])
    child = part.spawn(1)[0].take([1, 2])
    assert np.array_equal(child.random(2), full.spawn(1)[0].random(50)[rows[[1, 2]]])
