"""_convert.as_view: the hl_view a C function receives describes the object's memory exactly."""
import array

import numpy as np
import pytest

from hotloop._convert import as_view
from hotloop._dtypes import BY_KIND_SIZE
from hotloop._loader import ffi


def _described(view):
    """(address, dtype code, shape, strides or None) as C will read them."""
    c = view.c
    shape = tuple(c.shape[i] for i in range(c.ndim))
    strides = None if c.strides == ffi.NULL else tuple(c.strides[i] for i in range(c.ndim))
    return int(ffi.cast("uintptr_t", c.data)), c.dtype, shape, strides


@pytest.mark.parametrize("make", [
    lambda: np.arange(24, dtype=np.int32).reshape(2, 3, 4),
    lambda: np.arange(24, dtype=np.float64).reshape(4, 6).T,
    lambda: np.arange(10, dtype=np.int16)[::-3],
    lambda: np.broadcast_to(np.arange(3.0), (4, 3)),
    lambda: np.array(2.5, np.float32),  # 0-d
])
def test_ndarrays_are_viewed_in_place_with_their_strides(make):
    a = make()
    view = as_view(a, "t")
    address, code, shape, strides = _described(view)
    assert address == a.__array_interface__["data"][0]
    assert code == BY_KIND_SIZE[(a.dtype.kind, a.itemsize)]
    assert shape == a.shape and strides == a.strides
    assert view.length == a.size and view.owner is a


def test_buffers_are_c_contiguous_views_and_lists_are_not_views():
    buf = array.array("d", [1.0, 2.0, 3.0])
    address, code, shape, strides = _described(as_view(buf, "t"))
    assert address == buf.buffer_info()[0]
    assert code == BY_KIND_SIZE[("f", 8)] and shape == (3,) and strides is None
    assert as_view([1, 2], "t") is None


def test_a_dtype_request_converts_once_and_keeps_the_copy_alive():
    a = np.arange(5, dtype=np.int32)
    view = as_view(a, "t", dtype=BY_KIND_SIZE[("f", 8)])
    assert view.owner is not a and view.owner.dtype == np.float64
    assert list(view.owner) == [0.0, 1.0, 2.0, 3.0, 4.0]
