"""Type aliases used in the public API's annotations (the package ships py.typed).

Nothing here imports NumPy at run time: NumPy types are named in strings and only resolved by a
type checker. Subject modules import what they need; new modules may add aliases here.
"""
import array  # noqa: F401 (named in a string annotation)
from typing import TYPE_CHECKING, Any, Iterable, Union

if TYPE_CHECKING:  # pragma: no cover
    import numpy

#: A real number as Python spells it (bool is an int).
Number = Union[int, float]
#: Memory the functions read in place (zero-copy when C-contiguous, native-endian, supported
#: dtype): NumPy arrays, array.array, memoryview, bytes-like objects.
NumberBuffer = Union["numpy.ndarray[Any, Any]", "array.array[Any]", memoryview, bytes, bytearray]
#: What the reductions and filters accept: any iterable of numbers, or a buffer.
Numbers = Union[Iterable[float], NumberBuffer]

__all__ = ["Number", "NumberBuffer", "Numbers"]
