"""Type aliases used in the public API's annotations (the package ships py.typed).

Nothing here imports NumPy at run time: NumPy types are named in strings and only resolved by a
type checker. Subject modules import what they need; new modules may add aliases here.
"""
import array  # noqa: F401 (named in a string annotation)
from typing import (
    TYPE_CHECKING, Any, Callable, Iterable, Optional, SupportsFloat, SupportsIndex, Union,
)

if TYPE_CHECKING:  # pragma: no cover
    import numpy

    #: A NumPy array of any dtype and shape (the type checker's view; Any at run time).
    NDArray = numpy.ndarray[Any, Any]
else:
    NDArray = Any

#: A real number as Python spells it (bool is an int).
Number = Union[int, float]
#: Any real number float() takes: int, float, bool, NumPy scalars, Fraction, Decimal (the
#: functions refuse str and complex at run time).
RealNumber = SupportsFloat
#: Any integer operator.index() takes: int, bool, NumPy integer scalars.
Integer = SupportsIndex
#: Memory the functions read in place (zero-copy when C-contiguous, native-endian, supported
#: dtype): NumPy arrays, array.array, memoryview, bytes-like objects.
NumberBuffer = Union["numpy.ndarray[Any, Any]", "array.array[Any]", memoryview, bytes, bytearray]
#: What the reductions and filters accept: any iterable of numbers, or a buffer.
Numbers = Union[Iterable[float], NumberBuffer]
#: The same with any real numbers in the iterable (NumPy scalars, Fraction, Decimal), for the
#: functions that take them (parallel_sum, process_numbers). pandas objects are Any to mypy.
RealNumbers = Union[Iterable[SupportsFloat], NumberBuffer]

#: progress= of the heavy functions: None, True for a tqdm bar, or a callable(done, total).
Progress = Optional[Union[bool, Callable[[int, int], Any]]]

#: What the array functions accept: an array, a buffer, or anything numpy.asarray takes.
ArrayLike = Any

__all__ = ["ArrayLike", "Integer", "NDArray", "Number", "NumberBuffer", "Numbers", "Progress",
           "RealNumber", "RealNumbers"]
