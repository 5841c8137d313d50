"""Plain-assert smoke test of the list functions, for interpreters without NumPy or pytest
(pypy3, a pyenv CPython). Run by tests/run_other_pythons.sh; exits non-zero on failure."""
import sys

sys.modules["numpy"] = None  # make sure nothing in the package needs NumPy

import hotloop  # noqa: E402

assert "numpy" not in sys.modules or sys.modules["numpy"] is None
assert hotloop.sum_as_string(5, 20) == "25"
assert hotloop.divide(10.0, 4.0) == 2.5
try:
    hotloop.divide(1.0, 0.0)
except ValueError as exc:
    assert str(exc) == "Cannot divide by zero" and isinstance(exc, hotloop.HotloopError)
else:
    raise AssertionError("divide by zero did not raise")
data = list(range(-1000, 100000))
assert hotloop.parallel_sum(data) == sum(data)
assert hotloop.parallel_sum([2**63 - 1] * 4) == 4 * (2**63 - 1)
assert hotloop.parallel_sum(x * 0.5 for x in range(1000)) == sum(x * 0.5 for x in range(1000))
assert hotloop.process_numbers(data, 500) == [x * 2 for x in data if x > 500]
try:
    hotloop.process_numbers([2**62], 0)
except OverflowError:
    pass
else:
    raise AssertionError("process_numbers did not raise OverflowError")
import array  # noqa: E402

assert hotloop.parallel_sum(array.array("q", data)) == sum(data)
with hotloop.DataProcessor(chunk_size=3) as p:
    p.add_data([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    assert len(p) == 7
    assert p.process_chunks() == [2.0, 5.0]
    assert p.get_statistics() == (1, 7.0, 0.0)
try:
    len(p)
except hotloop.ClosedHandleError:
    pass
else:
    raise AssertionError("closed processor did not raise")
print("smoke_no_numpy: all passed on", sys.implementation.name, sys.version.split()[0])
