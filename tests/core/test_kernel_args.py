"""core.kernel_args: the kernels' inputs in one form, so each kernel compiles once."""

import numpy as np

from msrsim.core.kernel_args import kernel_input


def test_every_input_comes_out_contiguous_read_only_and_float64():
    strided = np.arange(12.0).reshape(3, 4)[:, 1]
    frozen = np.arange(3.0)
    frozen.flags.writeable = False
    for value in (strided, frozen, [1, 2, 3], np.arange(3, dtype=np.int32)):
        got = kernel_input(value)
        assert got.flags.c_contiguous and not got.flags.writeable and got.dtype == np.float64
        np.testing.assert_array_equal(got, np.asarray(value, np.float64))


def test_no_copy_where_the_input_already_has_the_form_and_the_caller_keeps_its_own():
    owned = np.arange(6.0)
    got = kernel_input(owned)
    assert np.shares_memory(got, owned)
    assert owned.flags.writeable  # only the view is frozen
    shared = kernel_input(np.array([1.0, 2.0]), shape=(4, 2))
    assert shared.shape == (4, 2) and not shared.flags.writeable
    assert kernel_input(np.arange(3), np.int64).dtype == np.int64
