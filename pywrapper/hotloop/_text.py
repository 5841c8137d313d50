"""word_count and word_count_file: Counter(text.lower().split()), split and counted in parallel.

The engine splits the UTF-8 text on Python's whitespace and counts the words as written; this
module lowers each DISTINCT word with the running interpreter's own str.lower() and merges the
words that lower alike. That equals lower-then-split exactly: lowering never creates or removes
whitespace, and the one context-dependent mapping (final sigma) never looks across whitespace,
so lowering a text word by word gives the same words (tests/python/test_text.py checks both facts
against the running interpreter). The Unicode version is therefore always the interpreter's.

Per-word Python work is a few C-level passes: one decode of all distinct words, one lower(), one
split(), one dict(zip(...)); words that lower alike ("The", "the") are merged in one more pass.

Interpreters differ: PyPy 3.9's str.split() does not split an ASCII-only text on U+001C..U+001F,
and splits other texts on U+180E too, which its lower() treats as case-ignorable (a final sigma
looks across it). The interpreter's behaviour is probed once at import and the engine told which
set to use; a text the engine cannot mirror (PyPy: one holding U+180E) is counted by Counter
itself, exact but not fast.
"""
import codecs
import collections
import heapq
import operator
import os
import sys

from typing import Any, Dict, List, Optional, Tuple, Union

from ._typing import Progress

from ._errors import EncodingError, InvalidArgumentError, InvalidTypeError, check
from ._loader import ffi, lib
from ._run import DIRECT_MAX_WORK, run

#: word_count's result: the dict of counts, or (with top=k) the k most common pairs.
WordCounts = Union[Dict[str, int], List[Tuple[str, int]]]

_BUFFER_PP = ffi.typeof("hl_buffer **")
_UINT64_P = ffi.typeof("uint64_t *")
_COUNT = operator.itemgetter(1)

# Every character some Python's str.split() has treated as whitespace (the tests compare the
# interpreter's full set, over every code point, with the part of this list it splits on).
_CANDIDATES = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u180e"
    + "".join(map(chr, range(0x2000, 0x200C))) + "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_CPYTHON_SPACES = frozenset(c for c in _CANDIDATES if c not in "\u180e\u200b\ufeff")
_INFO_SEPARATORS = "\x1c\x1d\x1e\x1f"


def _probe_interpreter():
    """How this interpreter's str.split() and str.lower() treat whitespace: (engine flags for texts
    holding a non-ASCII character, engine flags for ASCII-only texts, separators that lower()
    looks across). Flags are None when the engine knows no such set: Counter then counts.

    CPython splits every text on _CPYTHON_SPACES. PyPy 3.9 splits ASCII-only texts on
    \\t\\n\\v\\f\\r and space only, other texts on _CPYTHON_SPACES and U+180E, which its
    lower() treats as case-ignorable: a final sigma looks across it."""
    unicode_spaces = frozenset(c for c in _CANDIDATES if len(("a" + c + "b\xe9").split()) == 2)
    ascii_spaces = frozenset(
        c for c in _CANDIDATES if c < "\x80" and len(("a" + c + "b").split()) == 2
    )
    seen_through = "".join(
        c for c in sorted(unicode_spaces)
        if ("A\u03a3" + c + "B\xe9").lower() != "a\u03c2" + c + "b\xe9"
        or ("A" + c + "\u03a3B").lower() != "a" + c + "\u03c3b"
    )
    unicode_flags = {
        _CPYTHON_SPACES: 0,
        _CPYTHON_SPACES | {"\u180e"}: lib.HL_TEXT_SPLIT_MONGOLIAN_VOWEL_SEPARATOR,
    }.get(unicode_spaces)
    ascii_cpython = frozenset(c for c in _CPYTHON_SPACES if c < "\x80")
    ascii_flags = {
        ascii_cpython: 0,
        ascii_cpython - frozenset(_INFO_SEPARATORS): lib.HL_TEXT_KEEP_INFO_SEPARATORS,
    }.get(ascii_spaces)
    return unicode_flags, ascii_flags, seen_through


_UNICODE_FLAGS, _ASCII_FLAGS, _SEEN_THROUGH = _probe_interpreter()
_PLAIN = _UNICODE_FLAGS == 0 and _ASCII_FLAGS == 0 and not _SEEN_THROUGH  # CPython
# The engine can mirror this interpreter (it reports U+180E, the one separator it knows lower()
# may look across); otherwise Counter counts every text.
_KNOWN = (_UNICODE_FLAGS is not None and _ASCII_FLAGS is not None
          and _SEEN_THROUGH in ("", "\u180e"))


# CPython keeps an ASCII-only str's characters in the object itself, right after its header, as
# one byte each: that is already UTF-8, and the engine can read it in place instead of a 50 MB
# str.encode() copy (20-30% of the whole count). The layout is CPython's documented "compact
# ASCII" form; it is checked on a probe string at import and on every str's own header before use,
# and anything unexpected (PyPy, another layout, a legacy string) takes the encode() path.
_STR_LENGTH_AT, _STR_STATE_AT = 16, 32  # PyASCIIObject: refcount, type, length, hash, state
# The header's size (getsizeof counts the trailing NUL); PyPy's getsizeof raises.
_STR_DATA_AT = sys.getsizeof("", 0) - 1


def _compact_ascii_address(text):
    """The address of text's characters if it is a compact ASCII CPython str, else None."""
    if type(text) is not str or not text.isascii():
        return None
    base = id(text)  # CPython: the object's address
    state = ffi.cast("uint32_t *", base + _STR_STATE_AT)[0]
    kind, compact, ascii_ = (state >> 2) & 7, (state >> 5) & 1, (state >> 6) & 1
    if kind != 1 or not compact or not ascii_:
        return None
    if ffi.cast("int64_t *", base + _STR_LENGTH_AT)[0] != len(text):
        return None
    return base + _STR_DATA_AT


def _probe_str_layout():
    if sys.implementation.name != "cpython" or ffi.sizeof("void *") != 8 or _STR_DATA_AT <= 0:
        return False
    probe = "hotloop layout probe %d" % id(_probe_str_layout)  # a fresh, non-interned str
    try:
        address = _compact_ascii_address(probe)
        return address is not None and ffi.buffer(
            ffi.cast("char *", address), len(probe) + 1)[:] == probe.encode() + b"\0"
    except Exception:  # pragma: no cover - an unexpected layout
        return False


_IN_PLACE_STR = _probe_str_layout()


def word_count(text: Union[str, bytes, bytearray, memoryview], top: Optional[int] = None, *,
               progress: Progress = None) -> WordCounts:
    """Counts the words of text, lowercased: `dict(Counter(text.lower().split()))`, exactly.

    text: a str (any code points, lone surrogates included) or a bytes-like object holding UTF-8
    (bytes, bytearray, memoryview, mmap, array of bytes), counted as `bytes(text).decode()`.
    top: None for the whole dict; an int k >= 0 for the k most common (word, count) pairs in
    `Counter.most_common(k)` order (ties in order of first occurrence).

    Raises EncodingError (a ValueError/UnicodeError) naming the byte offset of the first invalid
    UTF-8 sequence in bytes input, TypeError for other input types.

    An ASCII str is read in place under CPython; any other str is encoded to UTF-8 once (one copy).
    Bytes-like input is read in place. Splitting and counting run in parallel in C++.
    """
    k = _check_top(top)
    if isinstance(text, str):
        if not _KNOWN:
            return _counter(text, k)
        address = _compact_ascii_address(text) if _IN_PLACE_STR else None
        if address is not None:  # read in place; `text` keeps the characters alive
            n = len(text)
            source = ffi.cast("char *", address)
            handle = _count(lambda f, out, ctl: lib.hl_word_count(source, n, f, out, ctl),
                            lib.HL_TEXT_LOWER_ASCII, n, progress, "word_count")
            return _result(handle, k) if handle is not None else _counter(text, k)
        view = memoryview(text.encode("utf-8", "surrogatepass"))
        flags = lib.HL_TEXT_ALLOW_SURROGATES | lib.HL_TEXT_LOWER_ASCII
    else:
        view = _utf8_view(text)
        flags = lib.HL_TEXT_LOWER_ASCII
    # Both the cffi view and the memoryview are released before an exception leaves this frame:
    # a traceback that keeps an exported memoryview alive in a reference cycle crashes CPython's
    # garbage collector.
    with view:
        if _KNOWN:
            with ffi.from_buffer(view) as source:
                n = len(source)
                handle = _count(lambda f, out, ctl: lib.hl_word_count(source, n, f, out, ctl),
                                flags, n, progress, "word_count")
        if not _KNOWN or handle is None:
            return _counter(text if isinstance(text, str) else _decode(view), k)
    return _result(handle, k)


def word_count_file(path: Union[str, bytes, "os.PathLike[Any]"], top: Optional[int] = None,
                    encoding: str = "utf-8", *, progress: Progress = None) -> WordCounts:
    """word_count over a file: `Counter(open(path, encoding=encoding).read().lower().split())`.

    path: str, bytes or os.PathLike. UTF-8 ("utf-8", "utf8", ...) and "utf-8-sig" files are
    memory-mapped and counted in C++ without loading them into Python; any other encoding is read
    and decoded by Python first (one copy of the text in memory).

    Raises FileNotFoundError, PermissionError, IsADirectoryError, ... as open() does (the
    package's subclasses, with errno, strerror and filename), EncodingError for invalid UTF-8.
    """
    k = _check_top(top)
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise InvalidTypeError(
            "word_count_file: path must be str, bytes or os.PathLike, not %s" % type(path).__name__
        )
    name = os.fspath(path)
    codec = codecs.lookup(encoding).name
    if codec not in ("utf-8", "utf-8-sig"):
        with open(name, encoding=encoding) as f:
            return word_count(f.read(), top, progress=progress)
    encoded = os.fsencode(name)
    if b"\0" in encoded:
        raise InvalidArgumentError("word_count_file: embedded null byte in path")
    flags = lib.HL_TEXT_LOWER_ASCII
    if codec == "utf-8-sig":
        flags |= lib.HL_TEXT_SKIP_BOM
    handle = None
    if _KNOWN:
        handle = _count(lambda f, out, ctl: lib.hl_word_count_file(encoded, f, out, ctl), flags,
                        _file_size(name), progress, "word_count_file", filename=name)
    if handle is None:
        with open(name, "rb") as raw:
            data = raw.read()
        if codec == "utf-8-sig" and data.startswith(codecs.BOM_UTF8):
            data = data[3:]
        return _counter(_decode(memoryview(data)), k)
    return _result(handle, k)


def _count(call, flags, work, progress, what, filename=None):
    """Runs call(flags, out, ctl), a C word count over `work` bytes, with this interpreter's
    whitespace (through run(): interruptible and with progress when long); returns the result's
    hl_buffer, or None when the text needs Counter itself (see _probe_interpreter)."""
    out = ffi.new(_BUFFER_PP)

    def count(f):
        run(lambda ctl: check(call(f, out, ctl), filename), work, progress, what)

    if _PLAIN:
        count(flags)
        return out[0]
    count(flags | _UNICODE_FLAGS | lib.HL_TEXT_REPORT_FEATURES)
    handle = out[0]
    features = ffi.cast(_UINT64_P, lib.hl_buffer_data(handle))[2]
    if features & lib.HL_TEXT_SAW_MONGOLIAN_VOWEL_SEPARATOR and _SEEN_THROUGH:
        lib.hl_buffer_free(handle)
        return None
    if (_ASCII_FLAGS != _UNICODE_FLAGS and features & lib.HL_TEXT_SAW_INFO_SEPARATOR
            and not features & lib.HL_TEXT_SAW_NON_ASCII):
        # An ASCII-only text with U+001C..U+001F: this interpreter splits it differently.
        lib.hl_buffer_free(handle)
        count(flags | _ASCII_FLAGS)
        return out[0]
    return handle


def _file_size(name):
    """The size of a file for run()'s choice of thread; unknown sizes (FIFOs, /proc) count as long."""
    try:
        size = os.stat(name).st_size
    except OSError:
        return 0  # the C call reports the error as open() would
    return size or DIRECT_MAX_WORK  # unknown (FIFO, /proc): treated as long


def _counter(text, k):
    counts = collections.Counter(text.lower().split())
    return dict(counts) if k is None else counts.most_common(k)


def _decode(view):
    try:
        return str(view, "utf-8")
    except UnicodeDecodeError as exc:
        raise EncodingError("invalid UTF-8 at byte offset %d (byte 0x%02x): %s"
                            % (exc.start, exc.object[exc.start], exc.reason)) from None


def _check_top(top):
    if top is None:
        return None
    if isinstance(top, bool) or not hasattr(type(top), "__index__"):
        raise InvalidTypeError("top must be None or an int, not %s" % type(top).__name__)
    k = operator.index(top)
    if k < 0:
        raise InvalidArgumentError("top must be >= 0, got %d" % k)
    return k


def _utf8_view(obj):
    """A C-contiguous memoryview of bytes over obj (one copy only if obj is strided)."""
    try:
        view = memoryview(obj)
    except TypeError:
        raise InvalidTypeError(
            "word_count: expected str or a bytes-like object, not %s" % type(obj).__name__
        ) from None
    if view.itemsize != 1 or view.format not in ("B", "b", "c"):
        fmt = view.format
        view.release()
        raise InvalidTypeError("word_count: a buffer of bytes is needed, got format %r" % fmt)
    if not view.c_contiguous:
        with view:
            return memoryview(view.tobytes())
    return view


def _result(handle, k):
    """The dict (or top-k list) from the engine's packed buffer; frees the buffer."""
    try:
        base = lib.hl_buffer_data(handle)
        fields = ffi.cast(_UINT64_P, base)
        n = fields[0]
        if n == 0:
            return {} if k is None else []
        blob_size = fields[1]
        counts = ffi.unpack(fields + 3, n)
        blob = ffi.buffer(ffi.cast("char *", fields + 3 + 2 * n), blob_size)[:]
    finally:
        lib.hl_buffer_free(handle)
    words = blob.decode("utf-8", "surrogatepass").lower().split("\n")
    result = dict(zip(words, counts))
    if len(result) != n:  # distinct words that lower alike: add their counts up
        result = {}
        get = result.get
        for word, count in zip(words, counts):
            result[word] = get(word, 0) + count
    if k is None:
        return result
    return heapq.nlargest(k, result.items(), key=_COUNT)  # what Counter.most_common(k) does
