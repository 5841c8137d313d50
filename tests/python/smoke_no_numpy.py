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
assert hotloop.process_numbers([2**62, 2**64], 0) == [2**63, 2**65]  # Python ints
import array  # noqa: E402
import struct  # noqa: E402

assert hotloop.parallel_sum(array.array("q", data)) == sum(data)
# Buffers of any PEP 3118 number format, without NumPy: byte-swapped, bool bytes, characters.
import ctypes  # noqa: E402

swapped = (ctypes.c_int64.__ctype_be__ * 3)(1, -2, 2**62)  # format '>q'
assert memoryview(swapped).format == ">q"
assert hotloop.parallel_sum(swapped) == 1 - 2 + 2**62
assert hotloop.process_numbers(swapped, 0) == [2, 2**63]
little = (ctypes.c_double.__ctype_le__ * 2)(0.5, 2.0)  # '<d': native here, read in place
assert hotloop.parallel_sum(little) == 2.5
assert hotloop.process_numbers(bytes([200, 5, 130]), 100) == [400, 260]
assert hotloop.parallel_sum(memoryview(b"\xff\x00\x02").cast("?")) == 2
assert hotloop.process_numbers(memoryview(b"\xff\x00\x02").cast("?"), 0) == [2, 2]
try:
    hotloop.parallel_sum(memoryview(b"ab").cast("c"))
except TypeError as exc:
    assert "'c' holds characters" in str(exc) and isinstance(exc, hotloop.HotloopError)
else:
    raise AssertionError("format 'c' was not refused")
# Slices of multi-dimensional memoryviews, whose nbytes, tobytes() and cffi memory PyPy gets
# wrong (the first dimension only; tobytes() of a reversed one aborts PyPy): every function
# reads their elements in C order, as tolist() gives them.
import collections  # noqa: E402
import itertools  # noqa: E402
import math  # noqa: E402


def flat(view):
    values = view.tolist()
    for _ in range(view.ndim - 1):
        values = list(itertools.chain.from_iterable(values))
    return values


raw = bytes(range(256)) * 4
rows = [(i, -i, 2**31 - 1, i * 1000) for i in range(4)]
big_endian = (ctypes.c_int32.__ctype_be__ * 4 * 4)(*rows)
floats = memoryview(array.array("d", [i / 7 for i in range(128)])).cast("B")
views = [memoryview(raw).cast("i", (16, 16))[2:4], memoryview(raw).cast("i", (16, 16))[::2],
         memoryview(raw).cast("i", (16, 16))[::-1], memoryview(raw).cast("h", (4, 8, 16))[1:],
         floats.cast("d", (8, 16))[1::3],
         memoryview(raw).cast("?", (32, 32))[5:9],
         memoryview(raw).cast("B", (32, 32))[1::3], memoryview(raw).cast("q", (16, 8))[3:3]]
views = [(view, flat(view)) for view in views]
# '>i' (CPython's tolist() refuses it, PyPy's ctypes reads -1 as 2**32 - 1): the values given
views += [(memoryview(big_endian)[1:3], [x for row in rows[1:3] for x in row]),
          (memoryview(big_endian)[::-2], [x for row in rows[::-2] for x in row])]
for view, values in views:
    ints = [int(x) if isinstance(x, bool) else x for x in values]
    fsum = math.fsum(values) if view.format.endswith("d") else sum(ints)
    assert hotloop.parallel_sum(view) == fsum, (view.format, view.shape)
    assert hotloop.ExactSum.of(view).value() == fsum, (view.format, view.shape)
    assert hotloop.process_numbers(view, 100) == [x * 2 for x in ints if x > 100], view.shape
    if values:
        stats = hotloop.compute_stats(view)
        extremes = (len(values), min(values), max(values))
        assert (stats["count"], stats["min"], stats["max"]) == extremes
        with hotloop.DataProcessor(3) as p:
            p.add_data(view)
            mean = hotloop.Moments.of(view).result()["mean"]
            assert p.get_statistics()[:2] == (len(values), mean)
text = memoryview(b"".join(b"W%02d " % i for i in range(64)))
for view in (text.cast("B", (16, 16))[2:4], text.cast("c", (16, 16))[::-3],
             text.cast("b", (8, 32))[1:]):
    words = b"".join(flat(view)) if view.format == "c" else bytes(x & 0xFF for x in flat(view))
    assert hotloop.word_count(view) == dict(collections.Counter(words.decode().lower().split()))
try:
    import numpy  # noqa: F401
except ImportError:
    pass
else:
    raise AssertionError("numpy importable in the no-NumPy smoke test")
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
# An element with __index__ and no __float__ is a number float() takes: CPython's cffi adds it,
# and so does PyPy's conversion now (its cffi refuses it).


class Index:
    def __init__(self, value):
        self.value = value

    def __index__(self):
        return self.value


with hotloop.DataProcessor(2) as p:
    p.add_data([1.0, Index(3), True])
    assert p.get_statistics()[:2] == (3, 5 / 3) and p.process_chunks() == [2.0]
    try:
        p.add_data([Index(2**1100)])
    except OverflowError as exc:
        assert isinstance(exc, hotloop.HotloopError) and "element 0" in str(exc), exc
    else:
        raise AssertionError("an __index__ beyond the float range was added")
    assert len(p) == 1
assert hotloop.DataProcessor.partial([Index(1), 2.0], chunk_size=2, offset=0).length == 2
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
         "a\x1cb a\x1fb", "é a\x1cb", "AΣ\u180eB AΣ B", "ΣΑΣ\u180e", "a\u180eb",
         "é ΣΑΣ é"]  # the last: no ASCII word (an empty blob of them)
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
# Counts of 2^63 and more (forged tables only) come out exactly: PyPy reads counts as int64 first.
from hotloop import _text  # noqa: E402

for counts in ([5, 7], [2 ** 63, 2 ** 64 - 1]):
    forged = _text._table_bytes(["x", "y"], counts, [0, 0], [0, 2], [(0, 0, 4)],
                                _text.UNICODE_VERSION.encode("ascii"))
    assert hotloop.WordTable.from_bytes(forged).to_dict() == {"x": counts[0], "y": counts[1]}
try:
    hotloop.word_count(b"ok \xff")
except ValueError as exc:
    assert "byte offset 3" in str(exc)
else:
    raise AssertionError("invalid UTF-8 did not raise")
# The engine lowers with the case table generated from this interpreter (Unicode version as
# unicodedata says) when it has one (core/src/text/case_tables: CPython 3.11, PyPy 3.9, CPython
# 3.9-3.10); under another (CPython 3.8: 12.1.0, 3.12: 15.0.0) Python lowers the distinct words.
# Either way: every code point against chr(c).lower(), and the final-sigma contexts.
import random  # noqa: E402
import unicodedata  # noqa: E402


def ref(text):
    return dict(collections.Counter(text.lower().split()))


TABLES = ("13.0.0", "14.0.0")
assert _text._CASING_VERSION == (unicodedata.unidata_version
                                 if unicodedata.unidata_version in TABLES else None), _text._CASING_VERSION
cased = [c for c in everything if c.lower() != c or c.upper() != c]
for text in (" ".join(cased), "\u3000".join(c * 2 + "\u03a3" for c in cased)):
    got = hotloop.word_count(text)
    assert got == ref(text) and list(got) == list(ref(text))
rng = random.Random(5)
alphabet = ["\u03a3"] * 4 + list("Aa'. 1\n") + ["\u0345", "\u00ad", "\u0307", "\u2019", "\u0130",
                                              "\u1fbc", "\u180e", "\u200b", "\U0001d400", "\u3000"]
for _ in range(3000):
    text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 20)))
    assert hotloop.word_count(text) == ref(text), repr(text)
    assert hotloop.word_count(text.encode()) == ref(text), repr(text)
# Lone surrogates: encoded as UTF-32 here (UTF-8 'surrogatepass' is quadratic under PyPy).
text = "ab\ud800 Cd \udfff\u03a3 " * 20000
assert hotloop.word_count(text) == ref(text)
# errors= as bytes.decode
for _ in range(2000):
    data = bytes(rng.choice([0x20, 0x41, 0x61, 0xff, 0x80, 0xc3, 0xa9, 0xe2, 0x82, 0xed, 0xa0, 0xce, 0xa3])
                 for _ in range(rng.randrange(0, 16)))
    for errors in ("replace", "ignore"):
        assert hotloop.word_count(data, errors=errors) == ref(data.decode("utf-8", errors)), (data, errors)
# ... next to PyPy's U+180E (a final sigma's context crosses it), U+001C (which does not split
# an ASCII-only text: malformed bytes that errors="ignore" drops leave one) and malformed bytes.
pieces = [b"A", b"x", b" ", b"\xce\xa3", b"\xe1\xa0\x8e", b"\xff", b"\xc3", b"\x1c", b"\xcc\x81"]
for _ in range(3000):
    data = b"".join(rng.choice(pieces) for _ in range(rng.randrange(0, 10)))
    for errors in ("replace", "ignore"):
        assert hotloop.word_count(data, errors=errors) == ref(data.decode("utf-8", errors)), (data, errors)
# Words of megabytes (thresholds made small): CPython's str in place, PyPy's ASCII str through its
# UTF-8 (split as PyPy splits an ASCII-only text: U+001C..U+001F do not split it), from str,
# bytes, a file and with progress; texts that are not ASCII go to the engine under PyPy.
saved_long = _text._LONG_FROM, _text._LONG_WORD
_text._LONG_FROM, _text._LONG_WORD = 0, 100
try:
    for text in ["A" * 300 + " " + "a" * 300 + "\x1c" + "b" * 300, "x\x1cy" * 200,
                 "é" * 300 + " " + "É" * 300, "Hello" * 100 + "\t" + "hello" * 100 + "\x85"]:
        want = collections.Counter(text.lower().split())
        if _text._LONG_ROUTE and text.isascii() and len(text.split()) * 100 <= len(text):
            assert _text._counted_long_words(text, None, None) is not None, repr(text)
        assert list(hotloop.word_count(text).items()) == list(dict(want).items()), repr(text)
        assert hotloop.word_count(text.encode()) == dict(want), repr(text)
        seen = []
        assert hotloop.word_count(text, progress=lambda d, t: seen.append((d, t))) == dict(want)
        assert seen and seen[-1][0] == seen[-1][1], seen
        with tempfile.NamedTemporaryFile(delete=False) as f:
            f.write(text.encode())
        try:
            assert hotloop.word_count_file(f.name) == dict(want), repr(text)
        finally:
            os.remove(f.name)
finally:
    _text._LONG_FROM, _text._LONG_WORD = saved_long
try:
    hotloop.word_count(b"ok \xc3(")
except UnicodeDecodeError as exc:
    assert (exc.start, exc.end, exc.reason) == (3, 4, "invalid continuation byte")
else:
    raise AssertionError("invalid UTF-8 did not raise UnicodeDecodeError")
# WordTable: merged parts and file ranges equal the whole
texts = ["The cat \u03a3\u0391\u03a3", "the Hat \u03c3\u03b1\u03c2", "CAT"]
merged = hotloop.WordTable()
for i, t in enumerate(texts):
    merged = merged.merge(hotloop.WordTable.from_text(t, part=i))
whole = collections.Counter(" ".join(texts).lower().split())
assert merged.to_dict() == dict(whole) and merged.to_dict(top=2) == whole.most_common(2)
import pickle  # noqa: E402
assert pickle.loads(pickle.dumps(merged)).to_dict() == dict(whole)
data = " ".join(texts * 50).encode()
with tempfile.NamedTemporaryFile(delete=False) as f:
    f.write(data)
try:
    for step in (1, 7, 64):
        merged = hotloop.WordTable()
        for lo in range(0, len(data), step):
            merged = merged.merge(hotloop.WordTable.from_file(f.name, start=lo, end=lo + step))
        assert merged.to_dict() == ref(data.decode())
finally:
    os.remove(f.name)
# Files Python decodes (other codecs, other handlers) are decoded and counted in pieces (made
# tiny here): exactly the whole text's count and table, PyPy's whole-text rules included (an
# ASCII-only text is not split on \x1c..\x1f, even if a piece of it is ASCII-only).
saved = _text._PIECE_BYTES, _text._COUNT_BYTES
try:
    pieces_alphabet = alphabet + ["\x1c", "\x1f", "\r\n", " ", "\xe9", "\u20ac", "\u65e5"]
    samples = ["a\x1cb " * 40, "a\x1cb " * 40 + "\xe9", "\xe9 " + "A\u03a3\u180eB " * 30,
               "\u3000".join(["A\u03a3\u180eB"] * 30)]  # no cut at U+180E: lower() looks across
    samples += ["".join(rng.choice(pieces_alphabet) for _ in range(rng.randrange(0, 60)))
                for _ in range(300)]
    for i, text in enumerate(samples):
        codec, errors = [("utf-16", "strict"), ("gb18030", "strict"),
                         ("utf-8", "surrogateescape"), ("latin-1", "strict")][i % 4]
        data = text.encode(codec, "ignore")
        decoded = data.decode(codec, errors)
        with tempfile.NamedTemporaryFile(delete=False) as f:
            f.write(data)
        try:
            _text._PIECE_BYTES, _text._COUNT_BYTES = 1 + i % 9, 1 + i % 13
            got = hotloop.word_count_file(f.name, encoding=codec, errors=errors)
            assert got == ref(decoded) and list(got) == list(ref(decoded)), (text, codec)
            table = hotloop.WordTable.from_file(f.name, part=i, encoding=codec, errors=errors)
            assert table.to_bytes() == hotloop.WordTable.from_text(decoded, part=i).to_bytes()
        finally:
            os.remove(f.name)
finally:
    _text._PIECE_BYTES, _text._COUNT_BYTES = saved
# A str of nearly all-distinct words is counted by Counter's loop in pieces cut after ASCII
# whitespace (made tiny here, and taken by every text): this interpreter's lower() and split()
# of each piece give exactly the whole text's count (PyPy's U+180E and U+001C..U+001F included).
# The rest of a text handed to the engine at any piece (made to happen after 1-5 words past
# the sample) is counted from just after a piece's cut, and merged in order.
names = ("_TEXT_PIECE", "_LOOK_FROM", "_LOOK_WORDS", "_LOOK_NEW", "_SAMPLE_NEW", "_GLANCE_NEW",
         "_HAND_OFF_NEW", "_HAND_OFF_WORDS")
saved = [getattr(_text, name) for name in names]
try:
    _text._LOOK_FROM = _text._LOOK_WORDS = _text._LOOK_NEW = _text._GLANCE_NEW = 0
    _text._SAMPLE_NEW = float("-inf")
    for hand_off in (0, 2):
        _text._HAND_OFF_NEW = hand_off
        # (an ASCII rest of a text that is not ASCII: split as the text is, PyPy's U+001C too)
        for i, text in enumerate(samples + [" ".join(samples * 3), "\x1c".join(samples * 2),
                                            "\xe9 " + "x\x1cy z\x1cw " * 40]):
            _text._TEXT_PIECE, _text._HAND_OFF_WORDS = 1 + i % 11, 1 + i % 5
            got = hotloop.word_count(text)
            assert got == ref(text) and list(got) == list(ref(text)), (hand_off, repr(text))
            top = collections.Counter(text.lower().split()).most_common(3)
            assert hotloop.word_count(text, top=3) == top, (hand_off, repr(text))
finally:
    for name, value in zip(names, saved):
        setattr(_text, name, value)
ids = " ".join("id%07x" % (i * 7919 % (1 << 28)) for i in range(120000))  # nearly all distinct
assert hotloop.word_count(ids) == ref(ids) == hotloop.word_count(ids.encode())
# A UTF-8 file of them takes Counter's route too (under PyPy decoded whole first: whether a file
# is ASCII, which decides how PyPy splits U+001C..U+001F, is known only at its end), and its
# repeated words are handed to the engine; an ASCII U+001C before a character that is not.
for tail in ("", " \xe9 \xc9", " the cat" * 200_000):
    text = ids[:500_000] + " a\x1cb C\x1fc " + ids[500_000:] + tail
    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(text.encode())
    try:
        got = hotloop.word_count_file(f.name)
        assert got == ref(text) and list(got) == list(ref(text)), repr(tail[:8])
    finally:
        os.remove(f.name)
# Bytes that Python decodes (those of Counter's route; other handlers) raise what bytes.decode
# raises: PyPy's str(data, "utf-8", errors) accepted an encoded surrogate in strict mode and gave
# other offsets and reasons.
for data, errors in ((ids.encode() + b" \xed\xa0\x80", "strict"), (ids.encode() + b" \xff", "strict"),
                     (ids.encode() + b" \xed\xa0\xc0", "surrogatepass"), (b"ab \xed\xa0\xc0", "surrogatepass")):
    try:
        data.decode("utf-8", errors)
    except UnicodeDecodeError as exc:
        want = exc.start, exc.end, exc.reason
    try:
        hotloop.word_count(data, errors=errors)
    except UnicodeDecodeError as exc:
        assert (exc.start, exc.end, exc.reason) == want, ((exc.start, exc.end, exc.reason), want)
    else:
        raise AssertionError("%r (errors=%r) did not raise %r" % (data[-8:], errors, want))
# A decoding error in a file Python decodes has the offsets its bytes' decode() gives, wherever
# the pieces fall (PyPy's UTF-32 ends an invalid code point's error at the end of its input: the
# whole file's, not a piece's).
data = "ab ".encode("utf-32-le") * 40 + b"\x00\x00\x11\x00" + "cd ".encode("utf-32-le") * 40
try:
    data.decode("utf-32-le")
except UnicodeDecodeError as exc:
    expected = (exc.start, exc.end, exc.reason)
with tempfile.NamedTemporaryFile(delete=False) as f:
    f.write(data)
saved = _text._PIECE_BYTES
try:
    for size in (7, 64, 480, 481, 1 << 20):
        _text._PIECE_BYTES = size
        try:
            hotloop.word_count_file(f.name, encoding="utf-32-le")
        except UnicodeDecodeError as exc:
            assert (exc.start, exc.end, exc.reason) == expected, (size, exc.start, exc.end)
        else:
            raise AssertionError("an invalid code point did not raise UnicodeDecodeError")
finally:
    _text._PIECE_BYTES = saved
    os.remove(f.name)
# The hotloop command: inputs summed as WordTable parts (ties across files in first-occurrence
# order), --errors passed through (replace natively, surrogateescape by the library's fallback),
# strict failures named by file and byte offset.
import shutil  # noqa: E402
import subprocess  # noqa: E402
folder = tempfile.mkdtemp()
try:
    texts = [b"b a B\nc \xff a\n", b"c d C \xed\xa0\x80 d", b"e d"]
    paths = []
    for i, t in enumerate(texts[:2]):
        paths.append(os.path.join(folder, "t%d.txt" % i))
        with open(paths[-1], "wb") as f:
            f.write(t)
    for errors in ("replace", "surrogateescape"):
        out = subprocess.run([sys.executable, "-m", "hotloop", "wordcount"] + paths
                             + ["-", "--errors", errors], input=texts[2], capture_output=True)
        assert out.returncode == 0 and out.stderr == b"", out
        words = [w for t in texts for w in t.decode("utf-8", errors).lower().split()]
        expected = "".join("%s\t%d\n" % p for p in collections.Counter(words).most_common())
        assert out.stdout == expected.encode("utf-8", "surrogateescape"), (errors, out.stdout)
    bad = subprocess.run([sys.executable, "-m", "hotloop", "wordcount", paths[1], paths[0]],
                         capture_output=True)
    assert bad.returncode == 2 and bad.stdout == b"", bad
    assert bad.stderr.count(b"\n") == 1 and b"byte offset 6 " in bad.stderr, bad.stderr
    assert paths[1].encode() in bad.stderr and b"t0.txt" not in bad.stderr, bad.stderr
finally:
    shutil.rmtree(folder)
# hotloop.aio on this interpreter: twins give the sync results, and a cancelled task stops the
# engine (an hour-long sleep would otherwise hold the job thread).
import asyncio  # noqa: E402
import threading  # noqa: E402

import hotloop.aio  # noqa: E402


async def _aio_checks():
    assert await hotloop.aio.word_count("b a B") == {"b": 2, "a": 1}
    assert await hotloop.aio.parallel_sum([1, 2, 10**30]) == 3 + 10**30
    task = asyncio.ensure_future(hotloop.aio.sleep(3600))
    while not any(t.name.startswith("hotloop-aio-") for t in threading.enumerate()):
        await asyncio.sleep(0.01)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        return
    raise AssertionError("the cancelled aio.sleep returned")


asyncio.run(_aio_checks())

# Objects dropped without close(): the engine's memory behind them is told to PyPy's garbage
# collector, which otherwise sees only their small Python objects and let 2,000 tables of 5,000
# words and 2,000 processors of 5,000 chunk means grow the process by 1 GB before it collected
# them (CPython frees each at once). A child with the usual 4 MB nursery (PyPy sizes it from
# the CPU's cache size, which some virtual machines report as hundreds of MB).
dropped = """
import array, hotloop
def rss():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) // 1024
text, values = " ".join("w%d" % i for i in range(5000)), array.array("d", [1.0] * 5000)
start = peak = rss()
for i in range(2000):
    hotloop.WordTable.from_text(text)
    hotloop.DataProcessor(1).add_data(values)
    if i % 100 == 0:
        peak = max(peak, rss())
print(peak - start)
"""
grown = subprocess.run([sys.executable, "-c", dropped], env=dict(os.environ, PYPY_GC_NURSERY="4MB"),
                       stdout=subprocess.PIPE, check=True).stdout
assert int(grown) < 300, "dropped tables and processors grew the process by %s MB" % int(grown)

# show_config names a missing NumPy as not installed, not "(not set)" (an unset variable's words).
import contextlib  # noqa: E402
import io  # noqa: E402

if hotloop.show_config("dicts")["python"]["numpy"] is None:
    report = io.StringIO()
    with contextlib.redirect_stdout(report):
        hotloop.show_config()
    numpy_lines = [line.split() for line in report.getvalue().splitlines()
                   if line.split()[:1] == ["numpy:"]]
    assert numpy_lines == [["numpy:", "(not", "installed)"]], numpy_lines

# ... and reports only a NumPy this interpreter can import, found without importing it: Debian's
# pypy3 has CPython's NumPy (and its egg-info) on its sys.path, and cannot import it.
del sys.modules["numpy"]
reported = hotloop.show_config("dicts")["python"]["numpy"]
assert "numpy" not in sys.modules, "show_config imported numpy"
try:
    from numpy import __version__ as numpy_version  # noqa: E402
except ImportError:
    assert reported is None, "show_config reports numpy %s, which cannot be imported" % reported
else:
    assert reported == numpy_version, (reported, numpy_version)

# A function that needs NumPy says why it cannot have it: not installed, or (Debian's pypy3 with
# CPython's NumPy on its sys.path) installed but not importable here, with NumPy's last line.
try:
    import numpy  # noqa: F401,E402
except ModuleNotFoundError:
    expected = "compute_stats needs NumPy, which is not installed"
except ImportError as exc:
    expected = "cannot be imported by this interpreter (%s " % sys.implementation.name
else:
    expected = None
if expected is not None:
    try:
        hotloop.compute_stats([1.0, 2.0])
    except hotloop.MissingDependencyError as exc:
        assert expected in str(exc), exc
    else:
        raise AssertionError("compute_stats of a list without NumPy did not raise")

# Ctrl-C while `python -m hotloop` imports the package: status 130 and one line, no traceback
# (PyPy 3.9 has no sys.orig_argv: the command is recognised from /proc/self/cmdline). A
# sitecustomize sends the child SIGINT at the first import of hotloop._loader.
import os  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402

with tempfile.TemporaryDirectory() as hook:
    with open(os.path.join(hook, "sitecustomize.py"), "w") as f:
        f.write("import os, signal, sys\n"
                "class SigintAt:\n"
                "    @staticmethod\n"
                "    def find_spec(name, path=None, target=None):\n"
                "        if name == 'hotloop._loader':\n"
                "            sys.meta_path.remove(SigintAt)\n"
                "            os.kill(os.getpid(), signal.SIGINT)\n"
                "sys.meta_path.insert(0, SigintAt)\n")
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(hotloop.__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([hook, package_parent]))
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # the child's: default
    try:
        child = subprocess.run([sys.executable, "-m", "hotloop", "info"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert (child.returncode, child.stderr) == (130, b"hotloop: interrupted\n"), child
print("smoke_no_numpy: all passed on", sys.implementation.name, sys.version.split()[0])
