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
# Exact float reductions and their mergeable partials, on buffers (no NumPy needed).
import math  # noqa: E402
import pickle  # noqa: E402

floats = array.array("d", [1.0, 1e100, 1.0, -1e100] * 1000)
assert hotloop.parallel_sum(floats) == math.fsum(floats) == 2000.0
halves = hotloop.ExactSum.of(floats[:1001]).merge(hotloop.ExactSum.of(floats[1001:]))
assert pickle.loads(pickle.dumps(halves)).value() == 2000.0
stats = hotloop.compute_stats(array.array("d", [1e15 + 1, 1e15 - 1, 1e15 + 3]))
assert stats["mean"] == 1e15 + 1 and stats["std"] == 2.0, stats
moments = hotloop.Moments.of(array.array("d", [1.0, 2.0])).merge(
    hotloop.Moments.of(array.array("d", [3.0])))
assert pickle.loads(pickle.dumps(moments)).result()["mean"] == 2.0
parts = [hotloop.DataProcessor.partial([1.0, 2.0], chunk_size=3, offset=0),
         hotloop.DataProcessor.partial([3.0, 4.0], chunk_size=3, offset=2)]
with hotloop.DataProcessor(3) as p:
    p.add_partials(pickle.loads(pickle.dumps(parts)))
    q = pickle.loads(pickle.dumps(p))
    assert q.process_chunks() == p.process_chunks() == [2.0]
# word_count: the import-time probe of str.split() (a list of candidates) must see this
# interpreter's whole whitespace, and lowering must neither make nor remove whitespace.
import collections  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402

from hotloop import _text  # noqa: E402

everything = [chr(c) for c in range(0x110000)]
non_ascii_split = [c for c in everything if len(("a" + c + "b\xe9").split()) == 2]
ascii_split = [c for c in everything[:128] if len(("a" + c + "b").split()) == 2]
assert set(non_ascii_split) <= set(_text._CANDIDATES), non_ascii_split
assert all(c in _text._CANDIDATES for c in ascii_split)
spaces = set(non_ascii_split)
for c in everything:
    lowered = c.lower()
    assert lowered and (lowered == c if c in spaces else not any(x in spaces for x in lowered)), c
texts = ["x".join(everything), " ".join(everything), "İ ΣΑΣ Hello hello \ud800 K\u212a",
         "a\x1cb a\x1fb", "é a\x1cb", "AΣ\u180eB AΣ B", "ΣΑΣ\u180e", "a\u180eb"]
texts += [ws.join(["AΣ", "ΣB", "x\x1cy"]) for ws in spaces]
for text in texts:
    assert hotloop.word_count(text) == dict(collections.Counter(text.lower().split())), repr(text)
    data = text.encode("utf-8", "surrogatepass")
    if "\ud800" not in text and len(text) < 100:
        assert hotloop.word_count(data) == dict(collections.Counter(text.lower().split())), repr(text)
        with tempfile.NamedTemporaryFile(delete=False) as f:
            f.write(data)
        try:
            assert hotloop.word_count_file(f.name) == dict(collections.Counter(text.lower().split()))
        finally:
            os.remove(f.name)
assert hotloop.word_count(b"b a B a c", top=2) == [("b", 2), ("a", 2)]
try:
    hotloop.word_count(b"ok \xff")
except ValueError as exc:
    assert "byte offset 3" in str(exc)
else:
    raise AssertionError("invalid UTF-8 did not raise")
print("smoke_no_numpy: all passed on", sys.implementation.name, sys.version.split()[0])
