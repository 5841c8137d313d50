"""word_count and word_count_file: Counter(text.lower().split()), split and counted in parallel.

The engine splits the UTF-8 text on Python's whitespace and counts the words as written; this
module lowers each DISTINCT word with the running interpreter's own str.lower() and merges the
words that lower alike. That equals lower-then-split exactly: lowering never creates or removes
whitespace, and the one context-dependent mapping (final sigma) never looks across whitespace,
so lowering a text word by word gives the same words (tests/python/test_text.py checks both facts
against the running interpreter). The Unicode version is therefore always the interpreter's.

Per-word Python work is a few C-level passes: one decode of all distinct words, one lower(), one
split(), one dict(zip(...)); words that lower alike ("The", "the") are merged in one more pass.
"""
import codecs
import heapq
import operator
import os

from ._errors import InvalidArgumentError, InvalidTypeError, check
from ._loader import ffi, lib

_BUFFER_PP = ffi.typeof("hl_buffer **")
_UINT64_P = ffi.typeof("uint64_t *")
_COUNT = operator.itemgetter(1)


def word_count(text, top=None):
    """Counts the words of text, lowercased: `dict(Counter(text.lower().split()))`, exactly.

    text: a str (any code points, lone surrogates included) or a bytes-like object holding UTF-8
    (bytes, bytearray, memoryview, mmap, array of bytes), counted as `bytes(text).decode()`.
    top: None for the whole dict; an int k >= 0 for the k most common (word, count) pairs in
    `Counter.most_common(k)` order (ties in order of first occurrence).

    Raises EncodingError (a ValueError/UnicodeError) naming the byte offset of the first invalid
    UTF-8 sequence in bytes input, TypeError for other input types.

    A str is encoded to UTF-8 once (one copy: a memcpy for ASCII text); bytes-like input is read in
    place. Splitting and counting run in parallel in C++.
    """
    k = _check_top(top)
    if isinstance(text, str):
        view = memoryview(text.encode("utf-8", "surrogatepass"))
        flags = lib.HL_TEXT_ALLOW_SURROGATES | lib.HL_TEXT_LOWER_ASCII
    else:
        view = _utf8_view(text)
        flags = lib.HL_TEXT_LOWER_ASCII
    out = ffi.new(_BUFFER_PP)
    # Both the cffi view and the memoryview are released before any exception is raised: a
    # traceback that keeps an exported memoryview alive in a reference cycle crashes CPython's
    # garbage collector.
    with view:
        with ffi.from_buffer(view) as source:
            status = lib.hl_word_count(source, len(source), flags, out, ffi.NULL)
    check(status)
    return _result(out[0], flags, k)


def word_count_file(path, top=None, encoding="utf-8"):
    """word_count over the file at path: `Counter(open(path, encoding=encoding).read().lower().split())`.

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
            return word_count(f.read(), top)
    encoded = os.fsencode(name)
    if b"\0" in encoded:
        raise InvalidArgumentError("word_count_file: embedded null byte in path")
    flags = lib.HL_TEXT_LOWER_ASCII | (lib.HL_TEXT_SKIP_BOM if codec == "utf-8-sig" else 0)
    out = ffi.new(_BUFFER_PP)
    check(lib.hl_word_count_file(encoded, flags, out, ffi.NULL), filename=name)
    return _result(out[0], flags, k)


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


def _result(handle, flags, k):
    """The dict (or top-k list) from the engine's packed buffer; frees the buffer."""
    try:
        base = lib.hl_buffer_data(handle)
        fields = ffi.cast(_UINT64_P, base)
        n = fields[0]
        if n == 0:
            return {} if k is None else []
        blob_size = fields[1]
        counts = ffi.unpack(fields + 2, n)
        blob = ffi.buffer(ffi.cast("char *", fields + 2 + 2 * n), blob_size)[:]
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
