"""word_count, word_count_file and WordTable: Counter(text.lower().split()), in C++.

The engine splits the text on Python's whitespace, lowercases the words exactly as this
interpreter's str.lower() does (case tables generated from each supported interpreter, one per
Unicode version, chosen here by unicodedata.unidata_version), merges the words that lowercase
alike and keeps each word's count and first occurrence, in a WordTable handle. Python then builds
the dict in a few bulk calls: one decode of all distinct words, one split, one dict(zip(...)).
A text whose words are nearly all distinct, for which that dict is the whole cost, is counted by
Counter's own loop instead, in pieces (see "texts of nearly all-distinct words" below).

Interpreters differ, and both are followed exactly:
- PyPy 3.9's str.split() does not split an ASCII-only text on U+001C..U+001F, and splits other
  texts on U+180E too (which its lower() treats as case-ignorable: a final sigma looks across
  it; the engine lowers such words in context). The interpreter's behaviour is probed once at
  import and the engine told which whitespace to use.
- An interpreter whose Unicode version has no case table in the engine gets the words as written
  (ASCII ones lowercased) and lowers the distinct words here, with its own str.lower(): exact,
  with per-word Python work. One whose whitespace the engine cannot mirror is left to Counter.

Text is read without a copy where the interpreter allows it: under CPython, a str in any of
PEP 393's compact layouts (1, 2 or 4 bytes per code point) is read in place (the layout is
verified on probe strings at import and on each string's header before use); bytes-like input is
read in place; under PyPy a str is encoded once (UTF-8, or UTF-32 when it holds lone surrogates,
whose UTF-8 'surrogatepass' encoding is quadratic there).

Files the engine reads itself (UTF-8) are counted in byte ranges; a file in another codec (or
with another error handler) is decoded by Python's incremental decoder in pieces, cut after
ASCII whitespace, counted in batches and the tables merged: exactly the whole text's count,
with Ctrl-C and progress over the whole call (_run_decoded_file).
"""
import array
import codecs
import collections
import io
import itertools
import operator
import os
import re
import stat
import sys
import unicodedata
import weakref

from typing import Any, Dict, List, Optional, Tuple, Union, overload

from ._typing import Progress

from ._errors import (ClosedHandleError, EncodingError, HotloopCancelledError,
                      HotloopUnicodeDecodeError, InvalidArgumentError, InvalidTypeError,
                      UnknownEncodingError, UnknownErrorHandlerError, check, os_error_from)
from ._convert import buffer_of, buffer_values, flat_values, untrusted_layout
from ._loader import GC_NEEDS_SIZES, ffi, lib, native_memory
from ._run import DIRECT_MAX_WORK, job_control, run
from ._locks import HandleLock
from ._args import as_bytes, as_index, require_byte_format

#: word_count's result: the dict of counts, or (with top=k) the k most common pairs.
WordCounts = Union[Dict[str, int], List[Tuple[str, int]]]
TextInput = Union[str, bytes, bytearray, memoryview]
PathInput = Union[str, bytes, "os.PathLike[Any]"]

_TABLE_PP = ffi.typeof("hl_word_table **")
_BUFFER_PP = ffi.typeof("hl_buffer **")
_SIZE_P = ffi.typeof("size_t *")
_UINT64_ARRAY = ffi.typeof("uint64_t[]")
_ALL = -1
_ERRORS = {"strict": 0, "replace": lib.HL_TEXT_ERRORS_REPLACE, "ignore": lib.HL_TEXT_ERRORS_IGNORE}
_MAX_PART = 2 ** 64 - 1


# ---- the interpreter: whitespace, casing ----

def _engine_whitespace(flags):
    """The code points that split words in the engine under `flags` (utf8.hpp defines them)."""
    n = ffi.new("size_t *")
    check(lib.hl_text_whitespace(flags, ffi.NULL, 0, n))
    out = ffi.new("uint32_t[]", n[0])
    check(lib.hl_text_whitespace(flags, out, n[0], n))
    return frozenset(map(chr, out))


_CPYTHON_SPACES = _engine_whitespace(0)
_PYPY_UNICODE_SPACES = _engine_whitespace(lib.HL_TEXT_SPLIT_MONGOLIAN_VOWEL_SEPARATOR)
_PYPY_ASCII_SPACES = _engine_whitespace(lib.HL_TEXT_KEEP_INFO_SEPARATORS)
#: Every character some Python's str.split() is known to split on (the tests check that the
#: interpreter's whole set, over every code point, lies within it).
_CANDIDATES = "".join(sorted(_CPYTHON_SPACES | _PYPY_UNICODE_SPACES | {"\u200b", "\ufeff"}))


def _probe_interpreter():
    """How this interpreter's str.split() and str.lower() treat whitespace: (engine flags for texts
    holding a non-ASCII character, engine flags for ASCII-only texts, separators that lower()
    looks across). Flags are None when the engine knows no such set: Counter then counts."""
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
        _PYPY_UNICODE_SPACES: lib.HL_TEXT_SPLIT_MONGOLIAN_VOWEL_SEPARATOR,
    }.get(unicode_spaces)
    ascii_flags = {
        frozenset(c for c in _CPYTHON_SPACES if c < "\x80"): 0,
        frozenset(c for c in _PYPY_ASCII_SPACES if c < "\x80"): lib.HL_TEXT_KEEP_INFO_SEPARATORS,
    }.get(ascii_spaces)
    return unicode_flags, ascii_flags, seen_through


_UNICODE_FLAGS, _ASCII_FLAGS, _SEEN_THROUGH = _probe_interpreter()
_PLAIN = _UNICODE_FLAGS == 0 and _ASCII_FLAGS == 0 and not _SEEN_THROUGH  # CPython
# The engine can mirror this interpreter's whitespace (U+180E is the one separator it knows
# lower() may look across); otherwise Counter counts every text.
_KNOWN = (_UNICODE_FLAGS is not None and _ASCII_FLAGS is not None
          and _SEEN_THROUGH in ("", "\u180e"))

# Characters whose lowering tells Unicode versions and implementations apart: checked against
# the engine's table at import, so that a table is only used if it lowers as this interpreter.
_CASING_PROBE = (
    "\u0130 \u03a3\u0391\u03a3 \u0391\u03a3' '\u03a3 \u1e9e \u212a \u2126 \u0345\u03a3 A\u0345\u03a3\u0345 "
    "\u10a0\u13a0\uab70 \u1c90\u1c9c \u2c2f \ua7c0\ua7c7\ua7d0 \U00010570\U000104b0 "
    "\U00016e40\U0001e900 \u01c5\u1f88\u1fbc \u0149\u1e96 \u00c0\u00df\u0400\u0531 ANSI "
)


def _case_table_version():
    """This interpreter's Unicode version if the engine has its case table and lowers the probe
    as str.lower() does; else None (distinct words are then lowered in Python)."""
    version = unicodedata.unidata_version
    available = ffi.new("int *")
    check(lib.hl_text_casing_available(version.encode("ascii"), available))
    if not available[0] or not _KNOWN:
        return None
    probe = _CASING_PROBE
    table = _new_table(lambda out: lib.hl_word_table_count(
        probe.encode("utf-8"), len(probe.encode("utf-8")), lib.HL_TEXT_UTF8, _UNICODE_FLAGS,
        version.encode("ascii"), 0, out, ffi.NULL))
    try:
        ok = _export(table, None) == dict(collections.Counter(probe.lower().split()))
    finally:
        lib.hl_word_table_destroy(table)
    return version if ok else None


# ---- CPython's str layouts, read in place ----

# PEP 393: a compact str keeps its code points right after its header, 1, 2 or 4 bytes each (an
# ASCII-only one after a shorter header). The engine reads them there instead of an encode()
# copy. The header fields used (state bits, length) are CPython's documented PyASCIIObject; the
# data offsets come from sys.getsizeof. Everything is verified on probe strings at import, and
# each string's own header is checked before use; anything unexpected (PyPy, another layout, a
# legacy string, a str subclass) takes the encode() path.
_STR_LENGTH_AT, _STR_STATE_AT = 16, 32  # PyASCIIObject: refcount, type, length, hash, state
_ENCODING_OF_KIND = {1: lib.HL_TEXT_LATIN1, 2: lib.HL_TEXT_UCS2, 4: lib.HL_TEXT_UCS4}


def _data_offsets():
    """{(ascii, kind): offset of the code points from the object's address}, or {} if this
    interpreter's str is not laid out as expected."""
    if sys.implementation.name != "cpython" or ffi.sizeof("void *") != 8:
        return {}
    tag = "%d" % id(_data_offsets)  # fresh, non-interned strings
    probes = [(True, 1, "hotloop probe " + tag, "ascii"), (False, 1, "h\xe9 " + tag, "latin-1"),
              (False, 2, "h\u20ac " + tag, "utf-16-le"), (False, 4, "h\U0001f600 " + tag, "utf-32-le")]
    offsets = {}
    try:
        for is_ascii, kind, probe, codec in probes:
            offset = sys.getsizeof(probe) - (len(probe) + 1) * kind
            offsets[(is_ascii, kind)] = offset
            found = _in_place(probe, offsets)
            expected = probe.encode(codec) + b"\0" * kind
            if found is None or ffi.buffer(ffi.cast("char *", found[0]), len(expected))[:] != expected:
                return {}
    except Exception:  # pragma: no cover - an unexpected layout
        return {}
    return offsets


def _in_place(text, offsets):
    """(address, code units, HL_TEXT_* encoding) of a compact CPython str, else None."""
    base = id(text)  # CPython: the object's address
    state = ffi.cast("uint32_t *", base + _STR_STATE_AT)[0]
    kind, compact, is_ascii = (state >> 2) & 7, (state >> 5) & 1, (state >> 6) & 1
    offset = offsets.get((bool(is_ascii), kind))
    if not compact or offset is None:
        return None
    if ffi.cast("int64_t *", base + _STR_LENGTH_AT)[0] != len(text):
        return None
    encoding = lib.HL_TEXT_UTF8 if is_ascii else _ENCODING_OF_KIND[kind]
    return base + offset, len(text), encoding


_OFFSETS = _data_offsets()


def _str_source(text):
    """(cdata pointer, code units, encoding, flags, owner) for a str: in place where possible,
    else one encoded copy (owner keeps it alive)."""
    found = _in_place(text, _OFFSETS) if _OFFSETS and type(text) is str else None
    if found is not None:
        address, n, encoding = found
        return ffi.cast("char *", address), n, encoding, 0, text
    # str.encode, not text.encode: a str subclass counts as its str value (its own encode()
    # may return anything).
    if sys.implementation.name == "pypy":
        try:
            data = str.encode(text, "utf-8")
        except UnicodeEncodeError:  # lone surrogates: UTF-32 is linear, 'surrogatepass' is not
            data = str.encode(text, "utf-32-le", "surrogatepass")
            return ffi.from_buffer(data), len(data) // 4, lib.HL_TEXT_UCS4, 0, data
        return ffi.from_buffer(data), len(data), lib.HL_TEXT_UTF8, 0, data
    data = str.encode(text, "utf-8", "surrogatepass")
    return ffi.from_buffer(data), len(data), lib.HL_TEXT_UTF8, lib.HL_TEXT_ALLOW_SURROGATES, data


# ---- handles ----

def _new_table(call):
    """Runs call(out) (a C function filling an hl_word_table **) and returns the table."""
    out = ffi.new(_TABLE_PP)
    check(call(out))
    return out[0]


# Building the result dict is most of what is left of a count with 100k+ distinct words: CPython
# grows a dict 15 times on the way to 170k keys, re-inserting every key each time. Its
# _PyDict_NewPresized (exported by every CPython 3, not part of the limited API) makes a dict
# with room for n keys from the start; the dict is filled with the same update() and is an
# ordinary dict. Checked at first use on a probe; any other interpreter or failure: dict().
_PRESIZE_FROM = 4096  # keys: below this the growth costs less than the ctypes call
# Keys: beyond this a presized dict is no faster than a grown one (1M new keys: 330-360 against
# 348-398 ms) but takes 11 MB more a million keys: its table is made for any keys (24-byte
# entries), a grown one of str keys has 16-byte entries. With every word distinct, that put
# word_count's peak memory above Counter's.
_PRESIZE_UPTO = 1 << 19
_presized = None


def _presized_dict_maker():
    """A function n -> an empty dict with room for n keys (or without, when there is none)."""
    global _presized
    if _presized is None:
        _presized = _empty_dict
        if sys.implementation.name == "cpython":
            try:
                import ctypes
                new = ctypes.pythonapi._PyDict_NewPresized
                new.restype = ctypes.py_object
                new.argtypes = [ctypes.c_ssize_t]
                probe, plain = new(100), {}
                # A new dict, owned once (ctypes takes over the new reference it returns).
                if (type(probe) is dict and not probe
                        and sys.getrefcount(probe) == sys.getrefcount(plain)):
                    _presized = new
            except Exception:  # pragma: no cover - no such function: plain dicts
                pass
    return _presized


def _empty_dict(n):
    return {}


def _export(table, k, ctl=ffi.NULL, owned=False):
    """The dict (k None) or the k most common pairs of a table, in a few bulk calls: the ASCII
    words come as one blob (decoded and split as the narrowest str kind), the others as a
    second blob put in their places (see hl_word_table_export_grouped). An `owned` table is
    destroyed as soon as its words are out, before the dict is built: with a million distinct
    words it is some 50 MB that need not sit beside the dict."""
    keys, numbers = _exported(table, _ALL if k is None else k, ctl, owned)
    if k is not None:
        return list(zip(keys, numbers))
    return _filled(keys, numbers, ctl) if keys else {}


def _exported(table, k, ctl, owned):
    """(words, counts) of the k most common words of a table (_ALL: all, in order of first
    occurrence), as _export takes them."""
    out = [ffi.new(_BUFFER_PP) for _ in range(4)]
    try:
        check(lib.hl_word_table_export_grouped(table, k, *out, ctl))
    finally:
        if owned:
            lib.hl_word_table_destroy(table)
    words, others, others_at, counts = (p[0] for p in out)
    try:
        n = lib.hl_buffer_length(counts)
        if n == 0:
            return [], []
        numbers = buffer_values(counts)
        n_others = lib.hl_buffer_length(others_at)
        if n_others == n:  # no ASCII word (Cyrillic, Greek, CJK text): the others are the list
            keys = _text_of(others).split("\n")
        else:
            keys = _text_of(words).split("\n")
            if n_others:
                for i, word in zip(buffer_values(others_at), _text_of(others).split("\n")):
                    keys[i] = word
    finally:
        for buffer in (words, others, others_at, counts):
            lib.hl_buffer_free(buffer)
    return keys, numbers


# Keys per dict.update() of _filled: a Ctrl-C or a cancel is seen after a few ms of filling, not
# after the seconds that millions of distinct words take in one update().
_FILL_KEYS = 1 << 16


def _filled(keys, numbers, ctl):
    """dict(zip(keys, numbers)), filled _FILL_KEYS keys at a time, checking ctl in between."""
    n = len(keys)
    result = _presized_dict_maker()(n) if _PRESIZE_FROM <= n <= _PRESIZE_UPTO else {}
    values = iter(numbers)
    for start in range(0, n, _FILL_KEYS):
        if start:
            _stop_if_cancelled(ctl)
        result.update(zip(keys[start:start + _FILL_KEYS], values))
    return result


# PyPy decodes a cffi buffer 1.3-1.6x slower than the bytes copied out of it (1-40 MB of words:
# a word of 40 MB took 144 ms against 91 ms); CPython decodes the buffer in place, faster.
_DECODE_A_COPY = sys.implementation.name == "pypy"


def _text_of(buffer):
    """The UTF-8 text of an HL_DTYPE_UINT8 hl_buffer (surrogates as written)."""
    data, n = ffi.cast("char *", lib.hl_buffer_data(buffer)), lib.hl_buffer_length(buffer)
    if _DECODE_A_COPY:  # (an empty buffer's data may be NULL, which unpack refuses)
        return ffi.unpack(data, n).decode("utf-8", "surrogatepass") if n else ""
    return str(ffi.buffer(data, n), "utf-8", "surrogatepass")


# ---- counting ----

def _count(call, flags, work, progress, what, finish, filename=None):
    """Runs call(flags, casing, out, ctl) - a C count into an hl_word_table - with this
    interpreter's whitespace and case table, then finish(table, ctl), which owns the table, all
    through run(): interruptible, and with progress over the whole call (building the Python
    result included). Returns finish's result, or None when the text needs Python's own lowering
    of U+180E's neighbours (an interpreter without a case table; see _probe_interpreter)."""
    casing = _CASING_BYTES

    def native(ctl):
        table = _count_once(call, flags, casing, ctl, filename)
        return None if table is None else finish(table, ctl)

    return run(native, work, progress, what)


def _count_once(call, flags, casing, ctl, filename):
    def count(f):
        return _new_table(lambda out: _checked(call(f, casing, out, ctl), filename))

    return _count_as_interpreter(count, flags, casing)


def _count_as_interpreter(count, flags, casing):
    """count(flags) - a new table of the whole input - with this interpreter's whitespace, which
    may take a second count (see _probe_interpreter); None when Python must count instead."""
    if _PLAIN:
        return count(flags)
    table = count(flags | _UNICODE_FLAGS | lib.HL_TEXT_REPORT_FEATURES)
    features = ffi.new("int *")
    check(lib.hl_word_table_features(table, features))
    if features[0] & lib.HL_TEXT_SAW_MONGOLIAN_VOWEL_SEPARATOR and _SEEN_THROUGH and not casing:
        lib.hl_word_table_destroy(table)
        return None
    if (_ASCII_FLAGS != _UNICODE_FLAGS and features[0] & lib.HL_TEXT_SAW_INFO_SEPARATOR
            and not features[0] & lib.HL_TEXT_SAW_NON_ASCII):
        # An ASCII-only text with U+001C..U+001F: this interpreter splits it differently.
        lib.hl_word_table_destroy(table)
        return count(flags | _ASCII_FLAGS)
    return table


def _checked(status, filename):
    """The status of a count; an encoding error is re-raised by the caller with detail."""
    if status == lib.HL_ERR_ENCODING:
        raise _DecodeFailure(ffi.string(lib.hl_last_error_message()).decode("utf-8", "replace"))
    check(status, filename)
    return status


class _DecodeFailure(Exception):
    """The engine's invalid-UTF-8 message, turned into HotloopUnicodeDecodeError by the caller
    (which has the input to point into)."""


_MALFORMED = re.compile(r"invalid UTF-8 at byte offset (\d+) \(byte 0x[0-9a-f]{2}\): (.*)")


def _decode_error(failure, head, filename=None):
    """HotloopUnicodeDecodeError for the engine's message; head(start) gives the input's bytes
    from the malformed sequence on (at least 4), for Python's own view of its extent."""
    match = _MALFORMED.match(str(failure))
    if match is None:  # pragma: no cover - the message format is the C API's contract
        raise EncodingError(str(failure))
    start, reason = int(match.group(1)), match.group(2)
    bad = head(start)
    try:
        codecs.utf_8_decode(bad, "strict", True)
        length = 1  # pragma: no cover - the engine and Python disagree
    except UnicodeDecodeError as exc:
        length = exc.end - exc.start
    return _malformed_message("UTF-8", start, bad[0], reason, filename), start, start + length, reason


def _malformed_message(codec, start, byte, reason, filename=None):
    """The one wording of every decoding error, the engine's and Python's codecs' alike."""
    where = "" if filename is None else " of file %r" % filename
    return "invalid %s at byte offset %d (byte 0x%02x)%s: %s" % (codec, start, byte, where, reason)


def _from_python_error(exc, filename=None):
    """HotloopUnicodeDecodeError for what a Python codec raised (other codecs and handlers), at
    its offsets in the whole input; for a file, named and with the compression hint."""
    codec = "UTF-8" if exc.encoding == "utf-8" else exc.encoding
    message = _malformed_message(codec, exc.start, exc.object[exc.start], exc.reason, filename)
    obj = exc.object
    if filename is not None:  # exc.object is the whole file: no second read (a FIFO has none)
        message += _hint_for(obj[:8], exc.encoding)
        obj = obj[exc.start:exc.end]  # a file's error holds its malformed bytes only
    return HotloopUnicodeDecodeError(message, exc.encoding, obj, exc.start, exc.end, exc.reason,
                                     filename=filename)


def _casing():
    version = _case_table_version()
    return version, (version.encode("ascii") if version else ffi.NULL)


# The case table in use ('' / NULL: none, distinct words are lowered in Python).
_CASING_VERSION, _CASING_BYTES = None, ffi.NULL
_CASING_VERSION, _CASING_BYTES = _casing()
#: The Unicode version of the lowercasing: the table's, or this interpreter's own in Python.
UNICODE_VERSION = unicodedata.unidata_version


def _python_lowered(table):
    """For an interpreter without a case table: (words, counts, parts, offsets) of a table whose
    non-ASCII words are as written, lowered here with str.lower() and merged (first occurrence
    kept: the table is in order of first occurrence)."""
    words, counts, parts, offsets = _raw_entries(table)
    merged = {}
    for word, count, part, offset in zip(words, counts, parts, offsets):
        low = word.lower()
        entry = merged.get(low)
        if entry is None:
            merged[low] = [count, part, offset]
        else:
            entry[0] += count
    return (list(merged), [e[0] for e in merged.values()], [e[1] for e in merged.values()],
            [e[2] for e in merged.values()])


def _raw_entries(table):
    """(words, counts, parts, offsets) of a table, in order of first occurrence (bulk: one
    to_bytes, parsed with array and one decode)."""
    data = _to_bytes(table)
    n, _, _, meta_at = _layout(data)
    meta = array.array("Q", data[meta_at:meta_at + 32 * n])
    if sys.byteorder != "little":  # pragma: no cover
        meta.byteswap()
    blob = data[meta_at + 32 * n:]
    lengths, words, at = meta[3::4], [], 0
    for length in lengths:
        words.append(blob[at:at + length].decode("utf-8", "surrogatepass"))
        at += length
    return words, list(meta[0::4]), list(meta[1::4]), list(meta[2::4])


def _layout(data):
    """(entries, spans, where the spans start, where the entries start) in serialized table
    bytes (format version 1, word_table.cpp): a 40-byte head, the casing padded to 8 bytes, 24
    bytes per span, 32 per entry, then the words' bytes."""
    n, n_spans = (int.from_bytes(data[i:i + 8], "little") for i in (8, 16))
    casing_size = int.from_bytes(data[36:40], "little")
    spans_at = 40 + (casing_size + 7) // 8 * 8
    return n, n_spans, spans_at, spans_at + 24 * n_spans


def _to_bytes(table):
    out = ffi.new(_BUFFER_PP)
    check(lib.hl_word_table_to_bytes(table, out))
    try:
        return ffi.buffer(ffi.cast("char *", lib.hl_buffer_data(out[0])),
                          lib.hl_buffer_length(out[0]))[:]
    finally:
        lib.hl_buffer_free(out[0])


def _table_bytes(words, counts, parts, offsets, spans, casing):
    """Serialized format version 1 (word_table.cpp) of the given entries."""
    encoded = [w.encode("utf-8", "surrogatepass") for w in words]
    head = (b"HLWT" + (1).to_bytes(4, "little") + len(encoded).to_bytes(8, "little")
            + len(spans).to_bytes(8, "little") + sum(map(len, encoded)).to_bytes(8, "little")
            + (0).to_bytes(4, "little") + len(casing).to_bytes(4, "little") + casing
            + b"\0" * ((8 - len(casing) % 8) % 8))
    meta = array.array("Q")
    for span in spans:
        meta.extend(span)
    for word, count, part, offset in zip(encoded, counts, parts, offsets):
        meta.extend((count, part, offset, len(word)))
    if sys.byteorder != "little":  # pragma: no cover
        meta.byteswap()
    return head + meta.tobytes() + b"".join(encoded)


def _finish_table(table, ctl):
    """finish() for WordTable: the handle itself, lowered in Python when there is no case table."""
    if _CASING_VERSION is not None:
        return _adopt(table)
    try:
        words, counts, parts, offsets = _python_lowered(table)
        spans = _spans_of(table)
    finally:
        lib.hl_word_table_destroy(table)
    data = _table_bytes(words, counts, parts, offsets, spans, UNICODE_VERSION.encode("ascii"))
    return WordTable.from_bytes(data)


def _spans_of(table):
    """The table's (part, begin, end) spans."""
    n = ffi.new(_SIZE_P)
    check(lib.hl_word_table_spans(table, ffi.NULL, 0, n))
    flat = ffi.new(_UINT64_ARRAY, 3 * n[0])
    check(lib.hl_word_table_spans(table, flat, n[0], n))
    return [tuple(flat[i:i + 3]) for i in range(0, len(flat), 3)]


def _finish_counts(k):
    def finish(table, ctl):
        if _CASING_VERSION is not None:
            return _export(table, k, ctl, owned=True)
        return _from_pairs(*_python_lowered_counts(table), k)
    return finish


def _python_lowered_counts(table):
    """(words, counts) of a table lowered by Python (no case table), in order of first
    occurrence; the table, owned, is destroyed."""
    try:
        words, counts, _, _ = _python_lowered(table)
    finally:
        lib.hl_word_table_destroy(table)
    return words, counts


def _from_pairs(words, counts, k):
    result = dict(zip(words, counts))
    if k is None:
        return result
    return collections.Counter(result).most_common(k)


def _counter(text, k):
    counts = collections.Counter(text.lower().split())
    return dict(counts) if k is None else counts.most_common(k)


# ---- texts of nearly all-distinct words: Counter's own loop ----
#
# The engine's win is the count. The result dict is not its to speed up: it holds each distinct
# word as a str, and Counter's loop (C in CPython) builds it at the cost our dict(zip()) has.
# When nearly all of a text's characters are in words met for the first time (IDs, unsegmented
# CJK lines), that dict is the whole cost and the engine's count comes on top: 1M distinct words
# took 0.6-0.7x Counter's time, Chinese lines 0.55x. Such a str (or bytes, decoded as Counter's
# reference decodes them) is counted with Counter's loop instead, in pieces cut just after ASCII
# whitespace as _decoded_pieces cuts, or after other whitespace (_piece_cuts) where 64K code
# points hold none (each piece starts with the whitespace before it, so lower() sees each word
# in the context of the whole text). The pieces keep Ctrl-C and progress, and hold one piece's
# lowered copy where Counter holds the whole text's. A glance at the first 8K code points, then
# a look at the first 64K, tell real text apart for 0.05-0.9 ms (the share of new characters in
# the look is 0.39-0.60 in the bench's corpora, 0.68 in a log, 0.99-1.0 in these); a text that
# passes is counted this way for its first sixteenth, from which its share is foreseen.
#
# The share falls along a text whose words come back from afar (random words each used twice:
# from 0.98 in the sample's first half to 0.93 in its second, 0.5 over the text) and stays put
# where they come back nearby (IDs, 20% of them again a few words on: 0.80 in both), so the
# sample's share alone (0.95 for both kinds) could not tell them apart, and the engine took
# 0.54-0.68x Counter's time on the second. A line through the two halves, averaged over the
# text, foresees 0.46-0.57 for words used twice, 0.54-0.63 for words used 1.5 times at
# random, 0.70-0.90 for the IDs again nearby (six seeds each, 120K and 600K words). 0.6 and
# above, Counter's loop counts the rest (IDs 5-20% again nearby: 1.10-1.24x Counter's time
# since it counts into a table of hashes, _counting_dict, where the engine took 0.55-0.71x;
# 1M distinct words 0.91-0.93x, Chinese lines 1.15-1.18x, against 0.55-0.60x and
# 0.41-0.44x); below, the engine counts the text (words used twice 1.45-1.47x, three times
# 2.41-2.52x). Words used 1.5 times at random fall either way: 0.97-1.02x.
#
# A text may change on the way (a column of IDs, then prose): the route watches the share of
# new words in each stretch of _HAND_OFF_WORDS words, and where it falls below _HAND_OFF_NEW
# and the piece's words repeat within it too (prose: 0.16-0.40 of them distinct), the engine
# counts the rest of the text - from the end of the piece, just after whitespace that neither
# a word nor lower()'s context of a final sigma crosses - under the same control, and its
# counts are merged in order (_merge). A quarter of IDs then the Debian copyright files: 2.53-2.63x
# Counter's time, where the whole text on this loop took 0.96-1.05x (half IDs: 1.68-1.77x,
# 0.95-1.06x). Words
# met before but not repeated within a piece (the second half of words used twice) stay on
# this loop: handed off, their merge cost more than Counter's loop (0.65-0.82x, 0.95x here).
# Files are not handed off (their pieces are read and decoded here; the rest of a file would
# be counted from a byte offset): a file that turns to prose is counted on this loop.
_LOOK_FROM = 1 << 20  # code points (bytes): a shorter text goes to the engine without a look
_LOOK = 1 << 16  # code points looked at
_LOOK_WORDS = 256  # fewer words in the look: long words (or one), the engine's case
# Share of the look's characters in new words: sample the text. IDs 20% again nearby have
# 0.80; the bench's corpora at most 0.60, a log 0.68 (below 0.7, its sample would be lost).
_LOOK_NEW = 0.75
# The glance: the bench's corpora have shares of 0.36-0.80 in their first 8K code points (the
# Zipf text's 0.80 then goes to the look, 0.7-0.9 ms of a 150 ms count), texts of distinct
# words 1.0, IDs 20% again nearby 0.81; fewer words there (long lines: Chinese) leave the
# decision to the look.
_GLANCE, _GLANCE_WORDS, _GLANCE_NEW = 1 << 13, 64, 0.75
# A look (or glance) below _LOOK_NEW (_GLANCE_NEW), not below _NEARBY_NEW, whose words come back
# only nearby or are a few (_nearby_only): the share of new words stays what it is along such a
# text (the line of _sampled_share, through two halves that differ by noise alone, foresaw
# 0.39-0.71 for IDs half of them again nearby), so Counter's loop counts it all, unsampled
# (IDs 50-75% new: 0.97-1.10x Counter's time, where the engine took 0.69-0.96x), and no
# stretch of it is handed off (_repeats_within). The glance of the bench's corpora is not
# _nearby_only: they still go to the engine after 0.05 ms.
_NEARBY_NEW = 0.45
_NEARBY_BLOCK = 256
_NEARBY_KEPT = 0.95
_NEARBY_HEAD = 8  # blocks measured first
_SAMPLED, _NEARBY = "sampled", "nearby"  # what the look says (else False)
_SAMPLE_NEW = 0.6  # share foreseen from the first sixteenth: count the text with Counter's loop
_HAND_OFF_WORDS = 4096  # words in a stretch whose share of new words is measured
_HAND_OFF_NEW = 0.5  # below this share (new words, and distinct ones), the rest to the engine
# Stretches not looked at after one whose words were met before but not repeated within: a
# set() of each piece's words added 10-15% to this loop's time (IDs met before, 6.5K a piece;
# three runs); one stretch in 8 adds under 2%.
_HAND_OFF_QUIET = 7
_TEXT_PIECE = 1 << 16  # code points lowered and split at once (kept in cache)
#: ASCII characters that split a text holding a non-ASCII character but not an ASCII-only text
#: (PyPy 3.9: U+001C..U+001F), as a str.translate table to a space: an ASCII piece of a text
#: that is not ASCII is split as the text is. (Neither is cased nor case-ignorable.)
_ASCII_TEXT_KEEPS = {ord(c): " " for c in _CANDIDATES
                     if c < "\x80" and len(("a" + c + "b\xe9").split()) == 2
                     and len(("a" + c + "b").split()) == 1}


def _piece_cuts(ascii_text):
    """Regular expressions (the last cut up to a point, the first from a point) of the characters
    after which a piece may end: whitespace on which this interpreter's split() splits the text
    (ASCII-only or not) and across which its lower() does not look for a final sigma's context
    (neither cased nor case-ignorable: U+180E under PyPy is). Beyond ASCII whitespace, these
    keep the pieces short in texts whose words are separated by U+3000, U+2028, U+0085, or
    U+001E (records) alone."""
    tail = "b" if ascii_text else "b\xe9"
    cuts = re.escape("".join(
        c for c in _CANDIDATES
        if (c < "\x80" or not ascii_text) and len(("a" + c + tail).split()) == 2
        and ("A\u03a3" + c + tail).lower()[1] == "\u03c2"
        and ("A" + c + "\u03a3" + tail).lower()[2] == "\u03c3"))
    return re.compile("(?s).*[%s]" % cuts), re.compile("[%s]" % cuts)


_CUTS = {True: _piece_cuts(True), False: _piece_cuts(False)}  # by text.isascii()

try:  # Counter.update's loop, C in CPython
    from collections import _count_elements  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - CPython 3 and PyPy 3 have it (PyPy's in Python)
    def _count_elements(counts, words):
        get = counts.get
        for word in words:
            counts[word] = get(word, 0) + 1


def _counted_by_python(text, errors, k, progress):
    """word_count(text, k) by Counter's loop when text is an exact str, or bytes-like UTF-8,
    whose words are nearly all distinct (see above); None for any other text (having counted
    at most its first sixteenth, discarded)."""
    if not isinstance(text, str):
        # Bytes are measured in bytes, and looked at, before their decode: of 2**20 bytes or
        # more, not code points (CJK bytes of 1-3 MiB were decoded, then left to the engine).
        decoded = _decoded_if_mostly_new(text, errors)
        if decoded is None:
            return None
        text, look = decoded
    elif len(text) < _LOOK_FROM or type(text) is not str:
        return None
    else:
        look = _mostly_new(text[:_LOOK])
        if not look:
            return None
    return _str_counted_by_python(text, look, k, progress, "word_count")


def _str_counted_by_python(text, look, k, progress, what):
    """Counter's loop over the pieces of a str whose look passed (`look`: what _mostly_new
    said of it), the rest handed to the engine where its words start repeating."""
    n = len(text)
    return _counted_from(_str_pieces(text), n, k, progress, what,
                         lambda ctl: _TextProgress(ctl, n),
                         lambda start, ctl: _engine_counts_from(text, start, ctl),
                         sampled=look == _SAMPLED)


# ---- words of megabytes: keys made from the str itself ----
#
# A word of megabytes costs the engine's count more passes than Counter's lower() and split():
# the scan, the counting hash, copies into its table and the export, Python's decode and its
# hash. A str of few, long words (at most one a _LONG_WORD code units on average) is not counted
# into tables: hl_text_long_words reads it in place and gives its distinct words' spans, their
# counts as written and whether each lowers to itself; each key is then one slice of the text (the
# text itself when it is one word), lowered only when it must be, and hashed once by the dict.
_LONG_FROM = 1 << 20   # code units: shorter texts are the engine's (the look is not free)
_LONG_WORD = 1 << 16   # code units per word, on average, that the route takes
_LONG_GLANCE = 1 << 12  # code points looked at for a character that lower() changes


# CPython reads a str in place; PyPy (whose str.split() the engine mirrors: _KNOWN) an ASCII
# str's UTF-8, which PyPy keeps (str.encode copies nothing).
_LONG_ROUTE = _CASING_VERSION is not None and (
    _PLAIN and bool(_OFFSETS)
    or sys.implementation.name == "pypy" and _KNOWN and _ASCII_FLAGS is not None)


def _counted_long_words(text, k, progress, what="word_count", total=None):
    """word_count(text, k) of an exact str of few long words (above), else None. With progress,
    the keys are made within run() (_TextProgress: code units, or `total` units - a file's
    bytes - reached in proportion); the scan, which may still turn the text away, reports
    nothing, so that the engine's count reports alone if it does."""
    if len(text) < _LONG_FROM or type(text) is not str or not _LONG_ROUTE:
        return None
    words = _long_words(text)
    if words is None:
        return None
    if progress in (None, False):
        return _long_word_counts(text, words, k, None)
    units = words[1] if total is None else total
    return run(lambda ctl: _long_word_counts(text, words, k, _TextProgress(ctl, units)),
               words[1], progress, what)


def _long_words(text):
    """(address, code units, spans) of an exact str of few long words, none of them a non-ASCII
    word that lower() changes: spans is the engine's out array (begin, end, count, lowers to
    itself) for each distinct word, in order of first occurrence. Else None."""
    if not _OFFSETS:
        return _long_ascii_words(text)
    found = _in_place(text, _OFFSETS)
    if found is None:
        return None
    ascii = text.isascii()
    if not ascii:
        # A character that lower() changes is in a word that the route leaves to the engine
        # (below): seen at the start ("ΑΣ" * 10M), that costs no scan (34 ms of ~280 under load).
        glance = text[:_LONG_GLANCE]
        if glance.lower() != glance:
            return None
    address, n, encoding = found
    if encoding == lib.HL_TEXT_UTF8:  # the ASCII kind: its units are Latin-1's
        encoding = lib.HL_TEXT_LATIN1
    most = n // _LONG_WORD
    out = ffi.new(_UINT64_ARRAY, 4 * max(most, 1))
    got = ffi.new(_SIZE_P)
    spans = _long_word_spans(ffi.cast("char *", address), n, encoding, 0)
    if spans is None:
        return None
    if not ascii and not all(same for _, _, _, same in spans):
        # A word that str.lower() changes, not ASCII ("ΑΣ" * 10M): the engine lowers it on
        # every thread (1.35x Counter), where str.lower() here is one thread (1.14x).
        return None
    return address, n, spans


def _long_ascii_words(text):
    """_long_words under PyPy, for an ASCII str: its UTF-8 (which PyPy keeps: str.encode copies
    nothing) read as Latin-1 units, split as this interpreter splits an ASCII-only text. Keys are
    lowered by str.lower() (no PyUnicode_New). None for a text that is not ASCII (the engine's)."""
    if not text.isascii():
        return None
    data = str.encode(text, "ascii")
    with ffi.from_buffer(data) as units:
        spans = _long_word_spans(units, len(data), lib.HL_TEXT_LATIN1, _ASCII_FLAGS)
    return None if spans is None else (None, len(text), spans)


def _long_word_spans(units, n, encoding, flags):
    """hl_text_long_words' (begin, end, count, lowers to itself) of each distinct word of n
    units, or None for more than one word per _LONG_WORD units."""
    most = n // _LONG_WORD
    out = ffi.new(_UINT64_ARRAY, 4 * max(most, 1))
    got = ffi.new(_SIZE_P)
    check(lib.hl_text_long_words(units, n, encoding, flags, _CASING_BYTES, most, out, most, got))
    if got[0] > most:  # SIZE_MAX: more words than the route takes
        return None
    return [tuple(out[i:i + 4]) for i in range(0, 4 * got[0], 4)]


def _long_word_counts(text, words, k, report):
    """The counts of _long_words' words: each key the text itself or one slice of it, lowered
    only when it must be. report (a _TextProgress, or None) hears each word's end."""
    address, n, spans = words
    counts = {}
    get = counts.get
    for begin, end, count, same in spans:
        whole = begin == 0 and end == n
        if same:
            word = text if whole else text[begin:end]
        else:
            word = None if address is None else _ascii_lowered(address + begin, end - begin)
            if word is None:
                word = (text if whole else text[begin:end]).lower()
        counts[word] = get(word, 0) + count
        if report is not None:
            report(end * report.total // n)
    if report is not None:
        report.finish()
    return counts if k is None else collections.Counter(counts).most_common(k)


def _decoded_if_long_words(data, errors):
    """bytes(data).decode("utf-8", errors), as the engine would raise its errors, when the
    route of few long words could take it: 2**20 bytes or more, at most two words in its first
    _LONG_WORD bytes (Counter's reference decodes it too, so the route pays no more). Else None,
    having read no more than that head."""
    if not _LONG_ROUTE:
        return None
    with _utf8_view(data, "word_count") as view:
        if len(view) < _LONG_FROM or not _few_words(view[:_LONG_WORD]):
            return None
        return _python_decoded(view, errors)


def _few_words(head):
    """Whether UTF-8 bytes `head` may start a text that _long_words takes: at most two words
    (split stops at its third), and no character that lower() changes in a text that is not
    ASCII (_long_words' glance)."""
    text = str(head, "utf-8", "ignore")
    glance = text[:_LONG_GLANCE]
    if not _OFFSETS and not glance.isascii():  # PyPy: only ASCII texts take the route
        return False
    return len(text.split(None, 2)) <= 2 and (glance.isascii() or glance.lower() == glance)


# Where a file is looked at (shares of its size; 1: its last window) before it is read whole: a
# file whose head alone is a long line (a header, a blob) and the rest prose is left to the
# engine, which streams it, rather than loaded whole.
_LOOKOUTS = (0, 0.25, 0.5, 0.75, 1)


def _regular_utf8_file(path, encoding, least):
    """(name, its encoded form, codec, size) of a regular file (not a FIFO, pipe or /proc file)
    of `least` bytes or more read as UTF-8 ("utf-8" or "utf-8-sig"): one that word_count_file's
    Python routes may read; else None."""
    name, encoded = _path_of(path, "word_count_file")
    codec = _codec_name(encoding, "word_count_file")
    if codec not in ("utf-8", "utf-8-sig") or _is_stream(name):
        return None
    size = _stat_size(name)
    return None if size < least else (name, encoded, codec, size)


def _file_long_words(path, encoding, errors, k, progress):
    """word_count_file(path, k, encoding, errors=errors) of a regular UTF-8 file of few long
    words, through the str route above: the file read whole and decoded, as
    open(path).read() does (the bytes and the str at once: the reference's peak too). None,
    having read at most five windows of it (_LOOKOUTS), for any other file, and for one whose
    decode fails (the engine then raises as it does)."""
    if not _LONG_ROUTE or errors not in _ERRORS:
        return None
    found = _regular_utf8_file(path, encoding, _LONG_FROM)
    if found is None:
        return None
    name, _, codec, size = found
    with _open_binary(name) as f:
        for at in _LOOKOUTS:
            f.seek(max(0, min(int(size * at), size - _LONG_WORD)))
            if not _few_words(_read_piece(f, name, _LONG_WORD)):
                return None
        f.seek(0)
        data = _read_piece(f, name, -1)
    try:
        text = data.decode(codec, errors)
    except UnicodeDecodeError:
        return None
    del data
    counted = _counted_long_words(text, k, progress, "word_count_file", total=max(size, 1))
    if counted is None:  # turned away after the read: the engine counts the str, as word_count
        counted = _run_text(text, errors, 0, progress, "word_count_file", _finish_counts(k),
                            lambda decoded: _counter(decoded, k))
    return counted


_new_ascii_str = None


def _ascii_lowered(address, n):
    """str.lower() of the n ASCII bytes at address, lowered by the engine straight into a new
    str (PyUnicode_New, then filled as C code fills one): CPython's lower() of an ASCII str takes
    a table lookup a byte, 3x the engine's vector loop. None when there is no PyUnicode_New."""
    global _new_ascii_str
    if _new_ascii_str is None:
        _new_ascii_str = False
        try:
            import ctypes
            new = ctypes.pythonapi.PyUnicode_New
            new.restype = ctypes.py_object
            new.argtypes = [ctypes.c_ssize_t, ctypes.c_uint32]
            probe = new(3, 127)
            found = _in_place(probe, _OFFSETS)
            if type(probe) is str and found is not None and found[1:] == (3, lib.HL_TEXT_UTF8):
                _new_ascii_str = new
        except Exception:  # pragma: no cover - no such function: str.lower()
            pass
    if not _new_ascii_str:
        return None
    word = _new_ascii_str(n, 127)
    check(lib.hl_text_lower_ascii(ffi.cast("char *", address),
                                  n, ffi.cast("char *", _in_place(word, _OFFSETS)[0])))
    return word


def _decoded_if_mostly_new(data, errors):
    """(bytes(data).decode("utf-8", errors), as the engine would raise its errors, what the
    look says) when its first _LOOK code points pass the look (which Counter's reference
    decodes too); else None."""
    with _utf8_view(data, "word_count") as view:
        if len(view) < _LOOK_FROM:
            return None
        # The look is _LOOK code points, of up to 4 bytes each (Chinese lines: 3).
        look = _mostly_new(str(view[:4 * _LOOK], "utf-8", "ignore")[:_LOOK])
        if not look:
            return None
        return _python_decoded(view, errors), look


#: Under PyPy, a file whose look has words of this many code points or more on average stays
#: with the engine, which reads its bytes: there per-word costs (the str, the dict) dominate, and
#: the engine's are PyPy's own; per-character ones (decode, lower, split) are the engine's gain.
#: Chinese lines (~90 a word) took 0.98-1.02x Counter through the engine, 0.78-0.92x decoded
#: whole and counted by Counter's loop; 1M distinct IDs (9 a word) 0.48x and 0.96-1.01x.
_PYPY_FILE_WORD = 32


def _file_counted_by_python(path, encoding, errors, k, progress):
    """word_count_file(path, k, encoding, errors=errors) by Counter's loop when the file is a
    regular UTF-8 file whose words are nearly all distinct (see above): read and decoded as
    _decoded_pieces does (1 MiB at a time, cut after ASCII whitespace). None, having counted
    nothing but its first sixteenth, for any other file. Under an interpreter that splits an
    ASCII-only text otherwise (PyPy: U+001C..U+001F), whether a file is ASCII is known only at
    its end: the file is decoded whole first, as Counter's reference reads it, unless its words
    are long (see _PYPY_FILE_WORD)."""
    found = _regular_utf8_file(path, encoding, _LOOK_FROM)
    if found is None:
        return None
    name, encoded, codec, size = found
    with _open_binary(name) as f:
        head = _read_piece(f, name)[:4 * _LOOK].decode(codec, "ignore")
        look = _mostly_new(head[:_LOOK])
        if not look:
            return None
        if _ASCII_TEXT_KEEPS:
            if len(head[:_LOOK]) >= _PYPY_FILE_WORD * len(head[:_LOOK].split()):
                return None
            return _str_counted_by_python(_python_read(name, codec, errors), look, k, progress,
                                          "word_count_file")
        hand_off = None
        if errors in _ERRORS and _KNOWN:
            def hand_off(start, ctl):
                return _file_counts_from(name, encoded, start, _ERRORS[errors], ctl)
        f.seek(0)
        pieces = _decoded_pieces(f, name, codec, errors, job_control(), None)
        try:
            return _counted_from(((piece, end) for piece, _, end in pieces), size, k, progress,
                                 "word_count_file", lambda ctl: _BytesProgress(ctl, size),
                                 hand_off, sampled=look == _SAMPLED)
        finally:
            pieces.close()


def _file_counts_from(name, encoded, start, flags, ctl):
    """The engine's counts ((words, counts) in order of first occurrence) of a UTF-8 file from
    byte `start` on, under ctl: `start` is just after a piece's cut (see _engine_counts_from),
    where UTF-8 decoding starts afresh. None where the engine cannot follow this interpreter."""
    try:
        table = _count_once(lambda f, casing, out, c: lib.hl_word_table_count_file(
            encoded, start, 2 ** 64 - 1, f, casing, 0, out, c), flags, _CASING_BYTES, ctl, name)
    except _DecodeFailure as exc:
        raise _file_decode_error(exc, name) from None
    if table is None:
        return None
    if _CASING_VERSION is not None:
        return _exported(table, _ALL, ctl, owned=True)
    return _python_lowered_counts(table)


def _mostly_new(look):
    """What the look (a text's first _LOOK code points) says: _SAMPLED when it passes
    (_LOOK_WORDS words or more, a share of _LOOK_NEW or more of their characters in new words),
    _NEARBY when its words come back only nearby (see _nearby_only), else False (the engine's
    text). A glance at its first _GLANCE code points first turns real text away in 0.05 ms,
    where the whole look takes 0.7-0.9 ms (1.5% of a count of the Debian copyright files)."""
    glance = look[:_GLANCE].split()
    if len(glance) >= _GLANCE_WORDS:
        share = _new_share(glance)
        if share < _GLANCE_NEW and not (share >= _NEARBY_NEW and _nearby_only(glance)):
            return False
    words = look.split()
    if len(words) < _LOOK_WORDS:
        return False
    share = _new_share(words)
    if share >= _LOOK_NEW:
        return _SAMPLED
    return _NEARBY if share >= _NEARBY_NEW and _nearby_only(words) else False


def _nearby_only(words):
    """Whether the words of a look that come back come back within a block of _NEARBY_BLOCK
    words, or are a few: the distinct words of the look are _NEARBY_KEPT or more of the sum of
    each block's distinct words. Real text uses its vocabulary again in every block (0.50-0.65
    in the bench's corpora, 0.87 in a log); IDs used again nearby have 0.98-1.0, and lines of
    an ID and a level (INFO, WARN) 0.99: the share of new words in these stays as it is along
    the text, and Counter's loop beats the engine on them (1.02-1.20x Counter's time, where
    the engine took 0.69-0.96x). Not of a single block: that says nothing. The first
    _NEARBY_HEAD blocks first: real text fails there (0.75-0.91; IDs again nearby 0.99), at a
    fraction of the cost (Zipf text's look took 1.0-1.4 ms more, a quarter of its time on the
    loaded machine; the first blocks 0.1-0.3 ms)."""
    if len(words) <= _NEARBY_BLOCK:
        return False
    head = words[:_NEARBY_HEAD * _NEARBY_BLOCK]
    return _kept(head) >= _NEARBY_KEPT and (len(head) == len(words)
                                            or _kept(words) >= _NEARBY_KEPT)


def _kept(words):
    """The distinct words of `words` over the sum of each _NEARBY_BLOCK words' distinct words."""
    blocks = sum(len(set(words[i:i + _NEARBY_BLOCK]))
                 for i in range(0, len(words), _NEARBY_BLOCK))
    return len(set(words)) / blocks


def _new_share(words):
    """The share of the characters of `words` that are in a word's first occurrence."""
    total = sum(map(len, words))
    return sum(map(len, set(words))) / total if total else 0.0


# Counter's loop builds a dict of str keys, whose table (since CPython 3.11) holds no hashes: each
# of its growths, and each probe that meets another key, reads the hash from that key's str, a
# cache miss apiece once the keys outgrow the cache. A dict that has held a key of another type
# keeps a table of hashes (24-byte entries, not 16) from then on: with every growth and probe in
# the table, Counter's loop took 0.81-0.87x the time of the same loop into a dict of str keys
# (IDs 10% again nearby, 540K keys: 1.14x Counter's time, where it was 0.93x), and beat Counter
# at every share of new words. Its table takes 8 bytes more a key than Counter's; the route's
# peak stays below Counter's, which holds the whole lowered text and its list of words too.
# Not on PyPy: a dict that holds a key of another type leaves its str strategy for good.
_HASHED_TABLE = sys.implementation.name == "cpython"


def _counting_dict():
    """An empty dict to count words into: on CPython, one whose table keeps the keys' hashes
    (see above); elsewhere a plain one."""
    counts = {}
    if _HASHED_TABLE:
        counts[None] = 0  # a key that is not a str: the table keeps hashes from now on
        del counts[None]
    return counts


def _counted_from(pieces, n, k, progress, what, reporter, hand_off=None, sampled=True):
    """Counter's loop over `pieces` ((text, where it ends) pairs of a text of n units: code
    points or bytes): if `sampled`, its first sixteenth first, then - if _sampled_share() of it
    is _SAMPLE_NEW or more - the rest, within run() (Ctrl-C, progress through reporter(ctl));
    else None, having counted only that sixteenth. The sample reports no progress and checks
    only an aio job's control: the engine may yet count the text under that control, and
    reports its own progress only if nobody else did. Not `sampled` (a look of words that
    come back nearby), the whole text is counted within run(). hand_off(end, ctl) (if given)
    is the engine's count of the text from `end`, for _tally."""
    counts, halves = _counting_dict(), []
    if sampled:
        end = _tally(pieces, counts, n // 16, job_control(), None, halves=halves)
        if not end or _sampled_share(halves, end / n) < _SAMPLE_NEW:
            return None

    def native(ctl):
        report = reporter(ctl)
        _tally(pieces, counts, None, ctl, report, hand_off=hand_off)
        report.finish()
        return counts if k is None else collections.Counter(counts).most_common(k)

    return run(native, n, progress, what)


def _sampled_share(halves, at):
    """The share of a text's characters in new words, foreseen from its sample (the first
    `at` of it): `halves` holds (characters, in new words) of each half-piece counted. Where
    words come back from afar (random words used twice: the share in the sample falls from
    0.98 to 0.93 at 1/16), the share falls along the text: a line through the two halves of
    the sample, averaged over the text (0.46-0.57 for these; their share is 0.5). Where they
    come back nearby, or not at all, it is the sample's (IDs, 20% used again a few words on:
    0.80 in both halves)."""
    total = sum(seen for seen, _ in halves)
    first = second = [0, 0]
    half = 0
    for seen, new in halves:
        if half * 2 < total:
            first = [first[0] + seen, first[1] + new]
        else:
            second = [second[0] + seen, second[1] + new]
        half += seen
    f1 = first[1] / first[0] if first[0] else 1.0
    f2 = second[1] / second[0] if second[0] else f1
    # f(x) = f1 at x = at/4, f2 at 3at/4: its mean over [0, 1].
    return f1 - (f1 - f2) * (0.5 / at - 0.25) * 2 if at < 1 else (f1 + f2) / 2


def _tally(pieces, counts, stop, ctl, report, halves=None, hand_off=None):
    """Adds the words of pieces up to the first that ends at or after `stop` (None: all; a file
    may have grown) to counts, as _count_elements(counts, text.lower().split()) would, stopping
    if ctl is cancelled; report (if any) gets where each piece ends. `halves` (a list, for the
    sample) gets (characters, in new words) of each half of each piece. With hand_off (see
    _counted_from), the rest goes to the engine (its count merged) where the words of a piece
    repeat within it (see _repeats_within; after a piece whose words do not, _HAND_OFF_QUIET
    stretches go unexamined). Returns where the last piece counted ends (0: no
    word at all)."""
    last = words_since = new_since = quiet = 0
    for piece, end in pieces:
        _stop_if_cancelled(ctl)
        words = piece.lower().split()
        del piece
        before = len(counts)
        if halves is None:
            _count_elements(counts, words)
        else:
            for batch in (words[:len(words) // 2], words[len(words) // 2:]):
                grown = len(counts)
                _count_elements(counts, batch)
                halves.append((sum(map(len, batch)), sum(map(len, itertools.islice(
                    reversed(counts), len(counts) - grown)))))
        words_since += len(words)
        new_since += len(counts) - before
        last = end
        if report is not None:
            report(end)  # (before a hand-off: the engine then leaves the progress to us)
        if stop is not None and end >= stop and counts:  # (a sample has words to measure)
            break
        if hand_off is not None and words_since >= _HAND_OFF_WORDS:
            if quiet:
                quiet -= 1
            elif new_since < _HAND_OFF_NEW * words_since:
                if not _repeats_within(words):
                    quiet = _HAND_OFF_QUIET
                else:
                    rest = hand_off(end, ctl)
                    if rest is not None:
                        _merge(counts, *rest, ctl)
                        break
            words_since = new_since = 0
    return last if counts else 0


def _repeats_within(words):
    """Whether a piece's words (new ones below _HAND_OFF_NEW) are repeated within it as well:
    prose (0.16-0.40 distinct), not random words met before (0.98-1.0 distinct), whose rest
    the engine counts in about Counter's time, and whose merge costs more than that; and
    repeated from afar, as prose's are, not only nearby (_nearby_only: IDs half of them again
    nearby have 0.5 distinct, and half their pieces fell below; handed off, they took 0.76x
    Counter's time, where this loop takes 0.97-1.02x)."""
    return len(set(words)) < _HAND_OFF_NEW * len(words) and not _nearby_only(words)


def _merge(counts, words, numbers, ctl):
    """Adds the counts of `words` (distinct, in order of first occurrence) to counts as
    _count_elements over them in order would: a word already counted keeps its place, the
    others follow in their order. In C loops, _FILL_KEYS words at a time (checking ctl in
    between): the sums of the words already there are taken, `numbers` then overwrite them in
    place and append the others, and the sums are put back."""
    for start in range(0, len(words), _FILL_KEYS):
        if start:
            _stop_if_cancelled(ctl)
        batch, values = words[start:start + _FILL_KEYS], numbers[start:start + _FILL_KEYS]
        there = list(map(counts.__contains__, batch))
        known = list(itertools.compress(batch, there))
        sums = list(map(operator.add, map(counts.__getitem__, known),
                        itertools.compress(values, there)))
        counts.update(zip(batch, values))
        counts.update(zip(known, sums))


def _engine_counts_from(text, start, ctl):
    """The engine's counts ((words, counts) in order of first occurrence) of text[start:],
    under ctl; None where it cannot follow this interpreter (Python counts on). `start` is just
    after a piece's cut: a whitespace character that neither a word nor lower()'s context of a
    final sigma crosses, so that text[start:] is split and lowered as it is in the text."""
    if not _KNOWN:
        return None
    if start >= len(text):
        return [], []
    source, n, encoding, flags, owner = _str_source_from(text, start)
    table = _count_once(lambda f, casing, out, c: lib.hl_word_table_count(
        source, n, encoding, f, casing, 0, out, c), flags, _CASING_BYTES, ctl, None)
    del owner
    if table is None:
        return None
    if _CASING_VERSION is not None:
        return _exported(table, _ALL, ctl, owned=True)
    return _python_lowered_counts(table)


_UNIT_OF_ENCODING = {lib.HL_TEXT_UTF8: 1, lib.HL_TEXT_LATIN1: 1, lib.HL_TEXT_UCS2: 2,
                     lib.HL_TEXT_UCS4: 4}


def _str_source_from(text, start):
    """_str_source of text[start:], in place in text where it can be (no copy)."""
    found = _in_place(text, _OFFSETS) if _OFFSETS and type(text) is str else None
    if found is not None:
        address, n, encoding = found
        at = address + start * _UNIT_OF_ENCODING[encoding]
        return ffi.cast("char *", at), n - start, encoding, 0, text
    rest = text[start:]
    if _ASCII_TEXT_KEEPS and rest.isascii() and not text.isascii():
        rest = rest.translate(_ASCII_TEXT_KEEPS)  # split as the whole text is split
    return _str_source(rest)


def _str_pieces(text):
    """(piece, where it ends) of a str: each piece the code points up to _piece_end, with the
    ASCII whitespace before it (so lower() sees its first word in the text's context)."""
    gaps = _ASCII_TEXT_KEEPS if _ASCII_TEXT_KEEPS and not text.isascii() else None
    cuts = _CUTS[text.isascii()]
    start = 0
    while start < len(text):
        end = _piece_end(text, start, cuts)
        piece = text[max(start - 1, 0):end]
        if gaps and piece.isascii():  # split as the whole text is split
            piece = piece.translate(gaps)
        yield piece, end
        start = end


class _TextProgress:
    """Progress of a str counted in pieces: code points counted, of n (then n when done)."""

    def __init__(self, ctl, n):
        self._ctl, self.total = ctl, n

    def __call__(self, done):
        if self._ctl != ffi.NULL:
            check(lib.hl_control_set_progress(self._ctl, done, self.total))

    def finish(self):
        self(self.total)


def _piece_end(text, start, cuts):
    """Where the piece of text starting at `start` ends: just after the last ASCII whitespace
    character of the next _TEXT_PIECE code points, else after their last other cut (`cuts`:
    _piece_cuts), else just after the first cut beyond them, else at the text's end."""
    end = start + _TEXT_PIECE
    if end >= len(text):
        return len(text)
    cut = start - 1
    for c in _CUT_AFTER:  # each search reads only what follows the best cut so far
        cut = max(cut, text.rfind(c, cut + 1, end))
    if cut >= start:
        return cut + 1
    # One search, that stops at the first cut: a find() per character read to the text's end
    # for each character absent from it (each piece after a long word: quadratic).
    found = cuts[0].match(text, start, end) or cuts[1].search(text, end)
    return found.end() if found else len(text)


# ---- arguments ----

def _check_top(top, what):
    """top as an int k >= 0, or None. A k beyond any table's size means "all", as for
    Counter.most_common(k): it is capped where the C API's int64 ends."""
    return None if top is None else min(as_index(top, what, "top", 0), 2 ** 63 - 1)


# Python's own handlers that decode; any other is tried on a decoding failure first.
_DECODING_HANDLERS = frozenset(("strict", "replace", "ignore", "surrogateescape",
                                "backslashreplace", "surrogatepass"))


def _check_errors(errors, what):
    """errors, once it names an error handler that can decode (as bytes.decode needs)."""
    if not isinstance(errors, str):
        raise InvalidTypeError("%s: errors must be a str, not %s" % (what, type(errors).__name__))
    try:
        handler = codecs.lookup_error(errors)
    except LookupError:
        raise UnknownErrorHandlerError("%s: unknown error handler name %r" % (what, errors)) from None
    if errors in _DECODING_HANDLERS:
        return errors
    # A fresh failure each time: a handler that raises it (as "strict" does) adds a traceback to
    # the exception it raises, so a shared one would grow with every call (a leak).
    try:
        handler(UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"))
    except TypeError:
        raise InvalidTypeError("%s: the error handler %r cannot decode (it only handles "
                               "encoding errors)" % (what, errors)) from None
    except Exception:
        # It raises on a malformed byte ("strict" does, a handler may raise its own error):
        # bytes.decode raises that only when there is one, and so does the count.
        pass
    return errors


def _check_index(value, name, what, default=None):
    if value is None and default is not None:
        return default
    # as_index: a NumPy array has __index__ yet only a 0-d integer one converts (TypeError)
    return as_index(value, what, name, 0, _MAX_PART)


def _utf8_view(obj, what):
    """A C-contiguous memoryview of bytes over obj (one copy only if obj is strided)."""
    view = buffer_of(obj, what)
    if view is None:
        raise InvalidTypeError("%s: expected str or a bytes-like object, not %s%s"
                               % (what, type(obj).__name__, _many_texts_hint(obj)))
    require_byte_format(view, what, _many_texts_hint(obj))
    if untrusted_layout(view):  # PyPy's slices of 2-D views: their bytes through tolist()
        with view:
            values = flat_values(view)
            return memoryview(b"".join(values) if view.format.endswith("c")
                              else array.array("B", [x & 0xFF for x in values]).tobytes())
    if not view.c_contiguous:
        with view:
            return memoryview(view.tobytes())
    return view


def _many_texts_hint(obj):
    """How to count a collection of texts (a list, a NumPy array of strings, a pandas Series),
    for the message refusing it; '' for anything else."""
    if isinstance(obj, (list, tuple)) or getattr(getattr(obj, "dtype", None), "kind", "") in (
            "U", "S", "O"):
        return (" (for many texts: '\\n'.join(texts), or one WordTable.from_text(text, part=i)"
                " per text, merged)")
    return ""


def _path_of(path, what):
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise InvalidTypeError(
            "%s: path must be str, bytes or os.PathLike, not %s" % (what, type(path).__name__))
    try:
        name = os.fspath(path)
    except TypeError as exc:  # a __fspath__ returning something else
        raise InvalidTypeError("%s: %s" % (what, exc)) from None
    encoded = os.fsencode(name)
    if b"\0" in encoded:
        raise InvalidArgumentError("%s: embedded null byte in path" % what)
    return name, encoded


# ---- the three ways in: str, bytes, file ----

def _run_text(text, errors, part, progress, what, finish, fallback):
    """Counts a str or bytes-like text and returns finish(table, ctl); fallback() when the engine
    cannot follow this interpreter. Bytes with another errors handler than strict/replace/ignore
    are decoded by Python, then counted as a str."""
    if isinstance(text, str):
        if not _KNOWN:
            return fallback(text)
        source, n, encoding, flags, owner = _str_source(text)
        result = _count(lambda f, casing, out, ctl: lib.hl_word_table_count(
            source, n, encoding, f, casing, part, out, ctl), flags, n, progress, what, finish)
        del owner
        return fallback(text) if result is None else result
    if errors not in _ERRORS and _KNOWN:  # Python decodes; the engine counts the str
        with _utf8_view(text, what) as view:
            decoded = _python_decoded(view, errors)
        return _run_text(decoded, errors, part, progress, what, finish, fallback)
    view = _utf8_view(text, what)
    # Both the cffi view and the memoryview are released before an exception leaves this frame:
    # a traceback that keeps an exported memoryview alive in a reference cycle crashes CPython's
    # garbage collector.
    with view:
        if errors not in _ERRORS or not _KNOWN:
            return fallback(_python_decoded(view, errors))
        failure = None
        with ffi.from_buffer(view) as source:
            n = len(source)
            try:
                result = _count(lambda f, casing, out, ctl: lib.hl_word_table_count(
                    source, n, lib.HL_TEXT_UTF8, f, casing, part, out, ctl),
                    _ERRORS[errors], n, progress, what, finish)
            except _DecodeFailure as exc:
                failure = _decode_error(exc, lambda start: bytes(view[start:start + 4]))
        if failure is not None:
            message, start, end, reason = failure
            obj = text if isinstance(text, bytes) else view.tobytes()
            raise HotloopUnicodeDecodeError(message, "utf-8", obj, start, end, reason) from None
        if result is None:
            return fallback(_python_decoded(view, errors))
    return result


def _python_decoded(view, errors):
    """bytes(view).decode("utf-8", errors) (other handlers, or an interpreter the engine cannot
    follow), its UnicodeDecodeError a HotloopUnicodeDecodeError as the engine's are."""
    # Under PyPy 3.9 only bytes.decode is bytes.decode: its str(view, "utf-8", errors) and
    # codecs.utf_8_decode take other paths, which in strict mode accept encoded surrogates
    # (b"\xed\xa0\x80") and report other offsets and reasons (b"\xff": "unexpected end of data",
    # not "invalid start byte"; surrogatepass: b"\xed\xa0\xc0" ends at 2, not 1). A copy there
    # also decodes faster (_DECODE_A_COPY).
    try:
        if _DECODE_A_COPY:
            return view.tobytes().decode("utf-8", errors)
        return str(view, "utf-8", errors)
    except UnicodeDecodeError as exc:
        raise _from_python_error(exc) from None


_COMPRESSED = [(b"\x1f\x8b", "gzip", "gzip.open(path, 'rt')", "zcat"),
               (b"BZh", "bzip2", "bz2.open(path, 'rt')", "bzcat"),
               (b"\xfd7zXZ\x00", "xz", "lzma.open(path, 'rt')", "xzcat"),
               (b"\x28\xb5\x2f\xfd", "zstd", "a zstd reader", "zstdcat")]


def _compression_of(head):
    """(kind, Python reader, shell command) for input starting with `head` that is compressed,
    or None."""
    for magic, kind, reader, command in _COMPRESSED:
        if head.startswith(magic):
            return kind, reader, command
    return None


def _file_head(name):
    """The first 8 bytes of a file (b"" if it cannot be read)."""
    try:
        with open(name, "rb") as f:
            return f.read(8)
    except OSError:
        return b""


def _compression_hint(name):
    return _hint_for(_file_head(name))


#: UTF-32's byte order marks before UTF-16's: FF FE 00 00 starts with FF FE.
_BOMS = [(codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")]


def _bom_encoding(head):
    """The codec whose byte order mark `head` starts with ("utf-16", "utf-32"), or None."""
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec
    return None


def _hint_for(head, codec="utf-8"):
    """What to say of a file starting with `head` that `codec` does not decode: compressed, a
    UTF-16/32 file (Windows exports) read as UTF-8, or nothing."""
    found = _compression_of(head)
    if found is not None:
        return (" - the file is %s-compressed: decompress it first (e.g. %s) and count the text"
                % found[:2])
    wide = _bom_encoding(head)
    if wide is not None and codec == "utf-8":
        return " - the file starts with a %s byte order mark: pass encoding=%r" % (wide.upper(),
                                                                                    wide)
    return ""


def _run_file(path, start, end, errors, encoding, part, progress, what, finish, fallback):
    """Counts a file, or bytes [start, end) of it, as part `part`, and returns finish(table,
    ctl)."""
    name, encoded = _path_of(path, what)
    codec = _codec_name(encoding, what)
    if codec not in ("utf-8", "utf-8-sig") or errors not in _ERRORS or not _KNOWN:
        if start != 0 or end is not None:
            raise InvalidArgumentError(
                "%s: byte ranges are counted for UTF-8 files with errors 'strict', 'replace' or "
                "'ignore' only" % what)
        if not _KNOWN:
            return fallback(_python_read(name, codec, errors))
        return _run_decoded_file(name, codec, errors, part, progress, what, finish, fallback)
    if _is_stream(name):
        return _run_stream(name, start, end, errors, codec, part, progress, what, finish,
                           fallback)
    flags = _ERRORS[errors] | (lib.HL_TEXT_SKIP_BOM if codec == "utf-8-sig" else 0)
    stop = 2 ** 64 - 1 if end is None else end
    try:
        result = _count(lambda f, casing, out, ctl: lib.hl_word_table_count_file(
            encoded, start, stop, f, casing, part, out, ctl), flags,
            _file_size(name, start, end), progress, what, finish, filename=name)
    except _DecodeFailure as exc:
        raise _file_decode_error(exc, name) from None
    if result is None:
        return fallback(_python_read(name, codec, errors))
    return result


def _file_decode_error(failure, name):
    """HotloopUnicodeDecodeError for the engine's invalid-UTF-8 message about file `name`."""
    message, first, last, reason = _decode_error(failure, lambda at: _read_at(name, at),
                                                 filename=name)
    return HotloopUnicodeDecodeError(message + _compression_hint(name), "utf-8",
                                     _read_at(name, first)[:last - first], first, last, reason,
                                     filename=name)


# ---- files Python decodes: read, decoded and counted in pieces ----

#: Bytes read and decoded at a time from a file Python decodes (a codec or error handler the
#: engine has not): one codec call, which holds the GIL and cannot be interrupted, takes a few
#: ms even for the slow codecs (gb18030: ~10 ms), so Ctrl-C stops the call within about one
#: piece. Pieces are counted in batches (_COUNT_BYTES), so their size costs no speed.
_PIECE_BYTES = 1 << 20
#: Bytes of the file whose decoded pieces are counted at once. Each count's table costs a merge
#: of its distinct words, so batches keep counts few while the pieces keep decoding
#: interruptible (an 80 MB file of 2.5M distinct words: 8 MiB and 32 MiB batches gave the same
#: speed; 8 MiB ones stopped sooner at Ctrl-C while a count's last steps did not check).
_COUNT_BYTES = 8 << 20
#: A piece of text ends just after the last of these in it: Python's str.split() splits on each
#: under CPython and PyPy alike, and none is case-ignorable, so neither a word nor the context
#: of a final sigma's lowering crosses from one piece to the next.
_CUT_AFTER = " \n\t\r\x0b\x0c"
_CUT_AFTER_BYTES = [c.encode("ascii") for c in _CUT_AFTER]
#: The last bytes read, kept to place a decoding error in the file: what a decoder buffers
#: between reads (an incomplete sequence) is a few bytes.
_KEPT_BYTES = 64
_INT_P = ffi.typeof("int *")


def _run_decoded_file(name, codec, errors, part, progress, what, finish, fallback):
    """A file Python decodes, counted as open(name, encoding=codec, errors=errors).read() is:
    read, decoded and counted piece by piece within one run() - Ctrl-C and cancellation between
    pieces and inside each count, one progress report in bytes read - the pieces' tables
    merged into exactly the table of the whole text."""
    if _is_stream(name):  # read here, where Ctrl-C interrupts a wait for a writer
        data = _read_stream(name)
        size, work = len(data), len(data)

        def source():
            return io.BytesIO(data)
    else:
        data, size, work = None, _stat_size(name), _file_size(name, 0, None)

        def source():
            return _open_binary(name)

    if work > _PIECE_BYTES:  # several pieces: on the worker thread, stopped between them
        work = max(work, DIRECT_MAX_WORK)
    casing = _CASING_BYTES

    def native(ctl):
        report = _BytesProgress(ctl, size)

        def count(flags):
            report.start_pass()
            return _count_pieces(source, name, codec, errors, flags, casing, part, ctl, report,
                                 data)

        table = _count_as_interpreter(count, 0, casing)
        if table is None:
            return None
        result = finish(table, ctl)
        report.finish()
        return result

    result = run(native, work, progress, what)
    if result is None:  # Python lowers U+180E's neighbours (see _count_as_interpreter)
        return fallback(_python_read(name, codec, errors, data))
    return result


def _count_pieces(source, name, codec, errors, flags, casing, part, ctl, report, data):
    """The table of the file's decoded text as part `part`: exactly what counting the whole text
    at once gives. Its pieces are counted in batches of _COUNT_BYTES of the file (joined: a
    count is cancellable inside, so a batch need not be small, and each count's table costs a
    merge of all its distinct words), each at its UTF-8 offset in the whole text (the end of
    the previous batch's span); the tables of these adjacent ranges are merged as they come."""
    stack = _MergeStack(
        lambda a, b: _new_table(lambda out: lib.hl_word_table_merge(a, b, out, ctl)),
        lib.hl_word_table_destroy)
    batch, counted, offset = [], 0, 0
    try:
        with source() as f:
            for piece, read, _ in _decoded_pieces(f, name, codec, errors, ctl, data):
                batch.append(piece)
                del piece
                report(read)
                if read - counted >= _COUNT_BYTES:
                    table, offset = _count_batch(batch, flags, casing, part, offset, ctl)
                    stack.push(table)
                    counted = read
            if batch:
                stack.push(_count_batch(batch, flags, casing, part, offset, ctl)[0])
        table = stack.result()
    finally:
        stack.discard()
    if table is None:
        table = _new_table(lambda out: lib.hl_word_table_count(
            ffi.NULL, 0, lib.HL_TEXT_UTF8, flags, casing, part, out, ctl))
    return table


def _count_batch(batch, flags, casing, part, offset, ctl):
    """(a new table, where its span ends) of the pieces in batch (emptied: only their joined
    copy is kept), counted at byte `offset` of the part's UTF-8. The end is the next batch's
    offset: the count measured the text's UTF-8 size (a str read in place has none of its own)."""
    text = "".join(batch)
    batch.clear()
    address, n, encoding, extra, owner = _str_source(text)
    table = _new_table(lambda out: lib.hl_word_table_count_at(
        address, n, encoding, flags | extra, casing, part, offset, out, ctl))
    try:
        return table, _spans_of(table)[0][2]
    except BaseException:
        lib.hl_word_table_destroy(table)
        raise


def _decoded_pieces(f, name, codec, errors, ctl, data):
    """The text of f as open(name, encoding=codec, errors=errors).read() decodes it, in pieces:
    _PIECE_BYTES of bytes at a time through the codec's incremental decoder (final=True on the
    last: the next is read first, as a decoder may decide differently at the end - UTF-16 with
    an odd length and no BOM is truncated data, not a missing BOM), each decoded part cut just
    after its last ASCII whitespace character (the rest starts the next piece; a part without
    one joins the next whole). Yields (piece, bytes decoded so far, where the piece ends in the
    file: for UTF-8 only, else None); checks for cancellation before each read."""
    decoder = codecs.getincrementaldecoder(codec)(errors)
    utf8 = codec in ("utf-8", "utf-8-sig")
    carry = []  # decoded text after the last cut: it holds no ASCII whitespace
    _stop_if_cancelled(ctl)
    chunk = _read_piece(f, name)
    read, kept, head = 0, b"", chunk[:8]
    while True:
        _stop_if_cancelled(ctl)
        following = _read_piece(f, name) if chunk else b""
        read += len(chunk)
        try:
            text = decoder.decode(chunk, not following)
        except UnicodeDecodeError as exc:
            raise _piece_decode_error(exc, kept + chunk, read, name, head, not following,
                                      lambda: _python_read(name, codec, errors, data)) from None
        except UnicodeError as exc:  # not about one sequence: UTF-16/32 without a BOM, IDNA
            raise EncodingError("%s (file %r)" % (exc, name)) from None
        if not following:  # the end: the decoder was flushed (final=True)
            carry.append(text)
            last = "".join(carry)
            if last:
                yield last, read, read if utf8 else None
            return
        kept = (kept + chunk)[-_KEPT_BYTES:]
        cut = _last_cut(text)
        end = _cut_in_file(read, chunk) if utf8 and cut >= 0 else None
        chunk = following
        del following
        if cut < 0:
            carry.append(text)
            continue
        carry.append(text[:cut + 1])
        piece = "".join(carry)
        carry = [text[cut + 1:]]
        del text
        yield piece, read, end
        del piece


def _cut_in_file(read, chunk):
    """Where a UTF-8 piece cut after the last ASCII whitespace of the text decoded from `chunk`
    (the last bytes read, ending at `read`) ends in the file. UTF-8 decodes each ASCII byte to
    itself and never takes one into a malformed or unfinished sequence (the bytes a decoder
    keeps between reads are not ASCII), so that character is the chunk's last such byte."""
    return read - len(chunk) + max(map(chunk.rfind, _CUT_AFTER_BYTES)) + 1


def _last_cut(text):
    """The index of the last ASCII whitespace character of text, or -1. Each search after the
    first reads only what follows the best cut found so far."""
    cut = -1
    for c in _CUT_AFTER:
        cut = max(cut, text.rfind(c, cut + 1))
    return cut


def _open_binary(name):
    """open(name, "rb", buffering=0), its OSError the package's (as _read_whole's)."""
    try:
        return open(name, "rb", buffering=0)
    except OSError as exc:
        raise os_error_from(exc, name) from None


def _read_piece(f, name, n=None):
    """f.read(n) (default _PIECE_BYTES; -1: the rest), its OSError the package's."""
    try:
        return f.read(_PIECE_BYTES if n is None else n)
    except OSError as exc:
        raise os_error_from(exc, name) from None


def _stop_if_cancelled(ctl):
    """Raises HotloopCancelledError once ctl (if any) is cancelled, as an engine call would."""
    if ctl == ffi.NULL:
        return
    cancelled = ffi.new(_INT_P)
    check(lib.hl_control_is_cancelled(ctl, cancelled))
    if cancelled[0]:
        raise HotloopCancelledError("operation cancelled")


def _piece_decode_error(exc, known, read, name, head, final, whole):
    """HotloopUnicodeDecodeError at file offsets for what an incremental decoder raised. The
    decoder decoded exc.object: the bytes fed to it that it had not consumed yet (those it
    buffered from the previous read, then this read's; a BOM it skipped left out), so it ends
    where the bytes read so far end. `known` are those last bytes. whole() decodes the whole
    file to raise when exc.object is not a suffix of them (a decoder that buffers more), or when
    the error runs to its end with more to come (not `final`): the whole file's decoder may end
    it elsewhere (PyPy's UTF-32 ends an invalid code point's error at the end of its input)."""
    obj = exc.object
    if (len(obj) > len(known) or not known.endswith(obj)
            or (exc.end == len(obj) and not final)):
        whole()  # raises the error, at whole-file offsets
        raise EncodingError("%s (file %r)" % (exc, name))  # pragma: no cover - it did not
    start = read - len(obj) + exc.start
    end = start + exc.end - exc.start
    codec = "UTF-8" if exc.encoding == "utf-8" else exc.encoding
    message = (_malformed_message(codec, start, obj[exc.start], exc.reason, name)
               + _hint_for(head, exc.encoding))
    return HotloopUnicodeDecodeError(message, exc.encoding, obj[exc.start:exc.end], start, end,
                                     exc.reason, filename=name)


class _MergeStack:
    """Tables merged as they come, as a binary counter does its carries: a table of 2**k inputs
    is merged with the next one of 2**k, so n inputs cost O(words * log n) merge work, not
    O(words * n). Merging is exact in any order (first occurrences are kept, not positions);
    the older table goes first, which spares the merge its sort. merge(a, b) makes a new
    table, free(t) releases one: raw handles here, WordTable objects in the command line."""

    def __init__(self, merge, free):
        self._merge, self._free = merge, free
        self._tables = []  # [table, inputs it holds], inputs non-increasing

    def push(self, table):
        self._tables.append([table, 1])
        while len(self._tables) > 1 and self._tables[-2][1] <= self._tables[-1][1]:
            self._merge_last_two()

    def result(self):
        """The merge of every table pushed (owned by the caller), or None if none was."""
        while len(self._tables) > 1:
            self._merge_last_two()
        return self._tables.pop()[0] if self._tables else None

    def discard(self):
        while self._tables:
            self._free(self._tables.pop()[0])

    def _merge_last_two(self):
        (a, m), (b, n) = self._tables[-2:]
        merged = self._merge(a, b)
        self._tables[-2:] = [[merged, m + n]]
        self._free(a)
        self._free(b)


class _BytesProgress:
    """One progress report for a whole file counted in pieces, through the call's control: done
    is the bytes read whose text has been counted, total the file's size (or what was read, if
    more) plus one unit for the result, so that 100% means returned. A second pass over the
    file (see _count_as_interpreter) continues from the first's end."""

    def __init__(self, ctl, size):
        self._ctl = ctl
        self._size = size
        self._base = self._read = 0

    def start_pass(self):
        self._base += self._read
        self(0)

    def __call__(self, read):
        self._read = read
        self._set(self._base + read)

    def finish(self):
        self._set(None)

    def _set(self, done):
        if self._ctl == ffi.NULL:
            return
        total = self._base + max(self._size, self._read) + 1
        check(lib.hl_control_set_progress(self._ctl, total if done is None else done, total))


def _stat_size(name):
    """The file's size for progress (0 if unknown: /proc files, or an error open() reports)."""
    try:
        return os.stat(name).st_size
    except OSError:
        return 0


def _codec_name(encoding, what):
    """The codec's name, once it is a text encoding (as open() checks both). None and "locale"
    are resolved as open() resolves them: None is UTF-8 in Python's UTF-8 mode and the locale's
    encoding otherwise; "locale" is the locale's encoding (Python 3.10+; an unknown encoding
    before)."""
    if encoding is None or encoding == "locale":
        try:
            encoding = io.TextIOWrapper(io.BytesIO(), encoding=encoding).encoding
        except LookupError:
            pass
    try:
        info = codecs.lookup(encoding)
    except (LookupError, TypeError):
        if not isinstance(encoding, str):
            raise InvalidTypeError("%s: encoding must be a str, not %s"
                                   % (what, type(encoding).__name__)) from None
        raise UnknownEncodingError("%s: unknown encoding: %s" % (what, encoding)) from None
    if not getattr(info, "_is_text_encoding", True):
        raise UnknownEncodingError("%s: %r is not a text encoding; use codecs.open() to handle "
                                   "arbitrary codecs" % (what, encoding))
    return info.name


def _python_read(name, encoding, errors, data=None):
    """open(name, encoding=encoding, errors=errors).read() (or data's decoding, for a stream
    read already) decoded whole, for an interpreter whose words Python counts: a decoding error
    is then a HotloopUnicodeDecodeError naming the file, with start and end as byte offsets in
    it (open()'s are offsets in one read chunk). Universal newlines aside (whitespace either
    way), the text is the same: open()'s incremental decoder, given the whole file at once."""
    decoder = codecs.getincrementaldecoder(encoding)(errors)
    if data is None:
        data = _read_whole(name, lambda f: f.read())
    try:
        return decoder.decode(data, final=True)
    except UnicodeDecodeError as exc:
        raise _from_python_error(exc, filename=name) from None
    except UnicodeError as exc:  # not about one sequence: UTF-16/32 without a BOM, IDNA labels
        raise EncodingError("%s (file %r)" % (exc, name)) from None


def _read_whole(name, read):
    """read(f) of the file opened as open(name, "rb", buffering=0); open()'s and read()'s
    OSError as the package's subclass of the same builtin, errno, strerror and filename (as
    the engine's own reads report them)."""
    try:
        with open(name, "rb", buffering=0) as f:
            return read(f)
    except OSError as exc:
        raise os_error_from(exc, name) from None


def _is_stream(name):
    """Whether name is a FIFO, pipe, socket or terminal: its open() and read() may wait for a
    writer indefinitely, which a C call could not stop on Ctrl-C."""
    try:
        mode = os.stat(name).st_mode
    except OSError:
        return False  # the C call reports the error as open() would
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISSOCK(mode)


def _run_stream(name, start, end, errors, codec, part, progress, what, finish, fallback):
    """A stream read whole by Python (where Ctrl-C interrupts a waiting open() or read(), as for
    open(name).read()), then counted as bytes."""
    if start != 0 or end is not None:
        raise InvalidArgumentError("%s: %s is a pipe or device: byte ranges need a regular file"
                                   % (what, name))
    data = _read_stream(name)
    # A BOM, or a stream that is only the start of one (b"\xef", b"\xef\xbb"): open()'s
    # utf-8-sig decoder holds those back as a BOM to come and drops them at the end (read()
    # gives ""), as the engine does for a file.
    if codec == "utf-8-sig" and (data.startswith(codecs.BOM_UTF8)
                                 or codecs.BOM_UTF8.startswith(data)):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return _run_text(data, errors, part, progress, what, finish, fallback)
    except HotloopUnicodeDecodeError as exc:
        message = exc.message.replace(": ", " of file %r: " % name, 1)
        raise HotloopUnicodeDecodeError(message, exc.encoding, exc.object, exc.start, exc.end,
                                        exc.reason, filename=name) from None


#: The longest word (run of bytes without ASCII whitespace) a stream may hold, as the engine's
#: hl_word_table_count_file allows: /dev/zero is one endless word, which open(name).read()
#: would read until memory runs out.
_STREAM_WORD_MAX = 256 << 20
# The bytes that split words under every interpreter's rules (the engine's is_ascii_space).
_ASCII_SPACE_BYTES = b" \t\n\r\x0b\x0c"
_FIRST_ASCII_SPACE = re.compile(b"[" + re.escape(_ASCII_SPACE_BYTES) + b"]")


def _read_stream(name):
    """The whole stream, read 1 MiB at a time: between reads Python sees a pending Ctrl-C, which
    one read() of a stream that keeps flowing would never let it do. A word longer than
    _STREAM_WORD_MAX is refused (InvalidArgumentError) as soon as it is, as the engine refuses
    it: memory stays bounded for a stream with no end and no whitespace (/dev/zero)."""
    def read(f):
        parts, run, read_so_far = [], 0, 0  # run: the bytes after the last whitespace byte
        while True:
            chunk = f.read(1 << 20)
            if not chunk:
                return b"".join(parts)
            first = _FIRST_ASCII_SPACE.search(chunk)
            if run + (len(chunk) if first is None else first.start()) > _STREAM_WORD_MAX:
                raise InvalidArgumentError(
                    "%r is a pipe, device or other stream holding a word of more than %d MiB "
                    "(a run without ASCII whitespace, from byte %d): a stream is counted in "
                    "pieces cut at whitespace, and one word may hold at most %d MiB (is it "
                    "text? /dev/zero never ends)" % (name, _STREAM_WORD_MAX >> 20,
                                                     read_so_far - run, _STREAM_WORD_MAX >> 20))
            last = max(chunk.rfind(c) for c in _ASCII_SPACE_BYTES)
            run = run + len(chunk) if last < 0 else len(chunk) - last - 1
            read_so_far += len(chunk)
            parts.append(chunk)
    return _read_whole(name, read)


def _read_at(name, offset):
    with open(name, "rb") as f:
        f.seek(offset)
        return f.read(4)


def _file_size(name, start, end):
    """The bytes to count, for run()'s choice of thread; unknown sizes (FIFOs, /proc) count as
    long."""
    try:
        size = os.stat(name).st_size
    except OSError:
        return 0  # the C call reports the error as open() would
    if not size:
        return DIRECT_MAX_WORK  # unknown (FIFO, /proc): treated as long
    return max(0, min(size, size if end is None else end) - start)


# ---- the public API ----

@overload
def word_count(text: TextInput, top: None = None, *, errors: str = "strict",
               progress: Progress = None) -> Dict[str, int]: ...
@overload  # noqa: E302
def word_count(text: TextInput, top: int, *, errors: str = "strict",
               progress: Progress = None) -> List[Tuple[str, int]]: ...


def word_count(text: TextInput, top: Optional[int] = None, *, errors: str = "strict",  # noqa: E302
               progress: Progress = None) -> WordCounts:
    """Count the words of a text, lowercased: ``dict(Counter(text.lower().split()))``, exactly.

    Parameters
    ----------
    text : str or bytes-like
        A str (any code points, lone surrogates included; a str subclass counts as its str
        value: an overridden ``lower()`` or ``split()`` is not called), or a bytes-like object
        holding UTF-8
        (bytes, bytearray, memoryview, mmap, ``array('B')``), counted as
        ``bytes(text).decode("utf-8", errors)``.
    top : int, optional
        None (default) for the whole dict; k >= 0 for the k most common ``(word, count)`` pairs
        in ``Counter.most_common(k)`` order (count descending, ties in order of first
        occurrence).
    errors : str, optional
        How malformed UTF-8 in bytes input is decoded, as ``bytes.decode``: ``"strict"``
        (default: raise), ``"replace"`` (one U+FFFD per maximal invalid subpart, as CPython's
        decoder), ``"ignore"`` (dropped); other handlers (``"surrogateescape"``, ...) decode in
        Python first. Not used for str input, but checked for every input: an unknown name
        raises at once, where ``bytes.decode`` looks a handler up only at the first malformed
        byte.
    progress : bool, callable(done, total) or None, optional
        True for a tqdm bar, or a callable ``(done, total)``; covers the whole call.

    Returns
    -------
    dict[str, int] or list[tuple[str, int]]
        Words in the order ``Counter`` inserts them (first occurrence of each lowered word), or
        the top-k pairs.

    Raises
    ------
    HotloopUnicodeDecodeError
        (a ``UnicodeDecodeError``) for invalid UTF-8 with ``errors="strict"``: ``start`` is the
        byte offset of the first malformed sequence, ``reason`` Python's.
    InvalidTypeError
        for other input types, a non-byte buffer, a ``top`` that is not an int, or an
        ``errors`` that is not a str or names a handler that cannot decode.
    InvalidArgumentError
        for a negative ``top``.
    UnknownErrorHandlerError
        (an InvalidArgumentError and a ``LookupError``, as ``bytes.decode`` raises) for an
        unknown ``errors`` handler (str input too).

    Notes
    -----
    A text of 2**20 code points (or bytes) or more whose words are nearly all distinct (IDs,
    unsegmented CJK lines: 60% or more of its characters in words met for the first time, as
    foreseen from its first sixteenth) is decoded if it is bytes, as ``Counter``'s reference
    decodes it, and counted with ``Counter``'s own loop, 64K code points at a time: for such a
    text the result dict is the whole cost, and the engine's count would only add to it. Where
    the words start repeating (IDs, then prose), the engine counts the rest of the text and its
    counts are merged in order. The result is the same; progress and Ctrl-C work as for any
    text. A text of 2**20 code points (or bytes) or more whose words average 64K code points
    or more (words of megabytes; under PyPy an ASCII text only) is decoded if it is bytes and
    counted from the ``str`` itself: each key is the text or one slice of it.

    Examples
    --------
    >>> word_count("The cat and THE hat")
    {'the': 2, 'cat': 1, 'and': 1, 'hat': 1}
    >>> word_count(b"b a B a c", top=2)
    [('b', 2), ('a', 2)]
    >>> word_count("ΟΔΥΣΣΕΥΣ")  # final sigma, as str.lower()
    {'οδυσσευς': 1}
    >>> word_count(b"ok \\xff ok", errors="replace")
    {'ok': 2, '\\ufffd': 1}
    """
    k = _check_top(top, "word_count")
    _check_errors(errors, "word_count")
    if not isinstance(text, str):
        # Bytes of few long words are decoded (as Counter's reference decodes them) and counted
        # as that str: left to the engine, they would be counted as the str too.
        text = _decoded_if_long_words(text, errors) or text
    counted = _counted_long_words(text, k, progress) if isinstance(text, str) else None
    if counted is None:
        counted = _counted_by_python(text, errors, k, progress)
    if counted is not None:
        return counted
    return _run_text(text, errors, 0, progress, "word_count", _finish_counts(k),
                     lambda decoded: _counter(decoded, k))


@overload
def word_count_file(path: PathInput, top: None = None, encoding: Optional[str] = "utf-8", *,
                    errors: str = "strict", progress: Progress = None) -> Dict[str, int]: ...
@overload  # noqa: E302
def word_count_file(path: PathInput, top: int, encoding: Optional[str] = "utf-8", *,
                    errors: str = "strict", progress: Progress = None) -> List[Tuple[str, int]]: ...


def word_count_file(path: PathInput, top: Optional[int] = None, encoding: Optional[str] = "utf-8", *,  # noqa: E302
                    errors: str = "strict", progress: Progress = None) -> WordCounts:
    """Count the words of a file: ``Counter(open(path, encoding=encoding, errors=errors).read().lower().split())``.

    Parameters
    ----------
    path : str, bytes or os.PathLike
        The file. Regular files are read with ``pread()`` in 1 MiB blocks by the engine (never
        loaded whole, never memory-mapped; but see Notes for words of megabytes); ``/proc`` and
        sysfs files (whose size is not their contents) are read whole; FIFOs, pipes and devices
        are read whole by Python's ``open()`` (Ctrl-C interrupts a wait for a writer), except
        that a word longer than 256 MiB (a run of bytes without ASCII whitespace: ``/dev/zero``
        is one that never ends, which ``open(path).read()`` reads until memory runs out) is
        refused once that much of it is read.
    top : int, optional
        As in :func:`word_count`.
    encoding : str or None, optional
        ``"utf-8"`` (default) and ``"utf-8-sig"`` (a leading BOM is skipped; a file that is only
        the start of one, ``b"\\xef"`` or ``b"\\xef\\xbb"``, is empty text, as
        ``open().read()`` gives ``""`` for it) are counted natively (``None`` and
        ``"locale"`` as ``open()`` takes them: ``None`` is UTF-8 in Python's UTF-8 mode and
        the locale's encoding otherwise, ``"locale"`` the locale's encoding, on Python
        3.10+); any other codec (or ``errors`` handler) is read and decoded by Python's
        incremental decoder 1 MiB at a time, and the text counted by the engine as it
        comes: memory holds a batch of it (8 MiB of the file), never the whole file, and
        Ctrl-C stops the call between pieces.
    errors : str, optional
        As ``open(..., errors=errors)``: ``"strict"``, ``"replace"`` and ``"ignore"`` natively.
    progress : bool, callable(done, total) or None, optional
        As in :func:`word_count`.

    Returns
    -------
    dict[str, int] or list[tuple[str, int]]
        As :func:`word_count`.

    Raises
    ------
    HotloopUnicodeDecodeError
        (a ``UnicodeDecodeError``) for bytes invalid in `encoding`, with any handler that raises:
        ``start`` and ``end`` are byte offsets in the file (as a decode of the whole file gives
        them; for ``"utf-8-sig"`` counting the BOM, which ``bytes.decode`` leaves out),
        ``filename`` names it, ``object`` holds the malformed bytes (the file is never loaded
        whole); the message says so when the file is gzip/bz2/xz/zstd-compressed, and
        names the ``encoding=`` to pass when a file read as UTF-8 starts with a UTF-16 or
        UTF-32 byte order mark.
    FileNotFoundError, PermissionError, IsADirectoryError, OSError
        as ``open()`` raises them (the package's subclasses, with errno, strerror, filename);
        an ``OSError`` too if the file keeps shrinking while it is read (it is counted again
        when it shrinks once, never crashing the process).
    InvalidArgumentError
        for a path holding a NUL byte, or a stream holding a word longer than 256 MiB.
        ``UnknownEncodingError`` / ``UnknownErrorHandlerError``
        (``LookupError`` subclasses) for an unknown codec (or one that is not a text encoding)
        or handler.

    Notes
    -----
    A regular UTF-8 file of 2**20 bytes or more whose words are nearly all distinct (as in
    :func:`word_count`) is read and decoded 1 MiB at a time (under PyPy: whole) and counted
    with ``Counter``'s own loop; where its words start repeating, the engine counts the rest of
    the file (errors ``"strict"``, ``"replace"`` or ``"ignore"``). A regular UTF-8 file of
    2**20 bytes or more whose windows of 64 KiB at its start, quarters and end each hold at
    most two words (words of megabytes) is read whole and decoded, as ``open(path).read()``
    does (its peak memory is the reference's), and counted from that ``str`` as
    :func:`word_count` counts one. The result is the same.

    Examples
    --------
    >>> import os, tempfile
    >>> with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
    ...     _ = f.write("To be, or not to be")
    >>> word_count_file(f.name, top=2)
    [('to', 2), ('be,', 1)]
    >>> os.remove(f.name)
    """
    k = _check_top(top, "word_count_file")
    _check_errors(errors, "word_count_file")
    counted = _file_long_words(path, encoding, errors, k, progress)
    if counted is None:
        counted = _file_counted_by_python(path, encoding, errors, k, progress)
    if counted is not None:
        return counted
    return _run_file(path, 0, None, errors, encoding, 0, progress, "word_count_file",
                     _finish_counts(k), lambda decoded: _counter(decoded, k))


# ---- WordTable ----

def _adopt(handle):
    """A WordTable owning a new hl_word_table."""
    table = WordTable.__new__(WordTable)
    table._attach(handle)
    return table


def _native_bytes(handle):
    """About the memory the engine holds for a table: measured, 0.7 KB and ~45 bytes a word
    (short words; the estimate is 64)."""
    size = ffi.new(_SIZE_P)
    check(lib.hl_word_table_size(handle, size))
    return 1024 + 64 * size[0]


_SIZE_P = ffi.typeof("size_t *")


# run()'s work estimate of a merge, per distinct word (a hash lookup and a copy: ~100 ns).
_MERGE_WORK_PER_WORD = 100


class WordTable:
    """The distinct lowercased words of some text with their counts and first occurrences: a
    mergeable, picklable ``Counter(text.lower().split())``.

    Build one with :meth:`from_text` or :meth:`from_file` (a byte range of a file), combine with
    :meth:`merge`, read with :meth:`to_dict`. Each word keeps its first occurrence as
    ``(part, offset)``: ``part`` numbers the texts or files you combine (give each its own, in
    their order), ``offset`` is the byte offset in the part's UTF-8. Merged tables equal the
    table of the concatenated input exactly - counts, dict order and ``most_common`` ties.
    ``WordTable()`` (no arguments) is an empty table.

    Raises
    ------
    ClosedHandleError
        when used after :meth:`close`.

    Examples
    --------
    >>> a = WordTable.from_text("the cat", part=0)
    >>> b = WordTable.from_text("The hat", part=1)
    >>> a.merge(b).to_dict()
    {'the': 2, 'cat': 1, 'hat': 1}
    >>> a.merge(b).to_dict(top=1)
    [('the', 2)]
    >>> WordTable.from_bytes(a.to_bytes()).to_dict() == a.to_dict()
    True
    """

    __slots__ = ("_handle", "_lock", "_finalizer", "__weakref__")

    def __init__(self) -> None:
        if _CASING_VERSION is not None:
            self._attach(_new_table(lambda out: lib.hl_word_table_count(
                ffi.NULL, 0, lib.HL_TEXT_UTF8, 0, _CASING_BYTES, 0, out, ffi.NULL)))
            return
        # No case table (e.g. CPython 3.8, Unicode 12.1): stamped with the interpreter's Unicode
        # version, as _finish_table stamps the tables it lowers in Python, so that merge accepts
        # them together (an empty casing would be refused as another Unicode version).
        data = _table_bytes([], [], [], [], [], UNICODE_VERSION.encode("ascii"))
        self._attach(_new_table(lambda out: lib.hl_word_table_from_bytes(data, len(data), out)))

    def _attach(self, handle):
        self._handle = handle
        if GC_NEEDS_SIZES:
            native_memory(_native_bytes(handle))
        # Refuses re-entry (a progress callable of merge touching either table) instead of
        # waiting for itself forever.
        self._lock = HandleLock("WordTable")
        self._finalizer = weakref.finalize(self, lib.hl_word_table_destroy, handle)

    @classmethod
    def from_text(cls, text: TextInput, *, part: int = 0, errors: str = "strict",
                  progress: Progress = None) -> "WordTable":
        """Count a str or UTF-8 bytes-like text (as :func:`word_count`) into a table of one part.

        Parameters
        ----------
        text : str or bytes-like
            As in :func:`word_count`.
        part : int, optional
            The text's place among the texts you will merge (0 .. 2**64 - 1; default 0).
        errors : str, optional
            As in :func:`word_count`.
        progress : bool, callable(done, total) or None, optional
            As in :func:`word_count`.

        Returns
        -------
        WordTable

        Raises
        ------
        HotloopUnicodeDecodeError, InvalidTypeError, InvalidArgumentError
            As :func:`word_count`.

        Examples
        --------
        >>> len(WordTable.from_text("a b A"))
        2
        """
        p = _check_index(part, "part", "WordTable.from_text")
        _check_errors(errors, "WordTable.from_text")
        return _run_text(text, errors, p, progress, "WordTable.from_text", _finish_table,
                         lambda decoded: _python_table(decoded, p))

    @classmethod
    def from_file(cls, path: PathInput, *, start: int = 0, end: Optional[int] = None,
                  part: int = 0, errors: str = "strict", encoding: Optional[str] = "utf-8",
                  progress: Progress = None) -> "WordTable":
        """Count the words that START in bytes ``[start, end)`` of a UTF-8 file.

        A word that starts before ``start`` belongs to the range that holds its start; one that
        runs past ``end`` is read to its end. So tables of ranges that tile a file (same
        ``part``, any cut points, even inside a character) merge into exactly the table of the
        whole file. Only the range and a bounded lookahead are read (``pread()`` in 1 MiB
        blocks): files larger than memory work.

        Parameters
        ----------
        path : str, bytes or os.PathLike
            The file, as in :func:`word_count_file`.
        start, end : int, optional
            Byte offsets (default: the whole file; ``end`` is clipped to the file's size).
        part : int, optional
            The file's place among the inputs you will merge; offsets are file offsets.
        errors : str, optional
            ``"strict"``, ``"replace"`` or ``"ignore"`` (others: whole files only).
        encoding : str or None, optional
            ``"utf-8"`` or ``"utf-8-sig"`` natively (others: whole files only, decoded by Python
            in pieces as in :func:`word_count_file`; offsets are then in the decoded text's
            UTF-8, as for :meth:`from_text`; ``None`` or ``"locale"`` as ``open()`` takes
            them, see :func:`word_count_file`).
        progress : bool, callable(done, total) or None, optional
            As in :func:`word_count`.

        Returns
        -------
        WordTable

        Raises
        ------
        HotloopUnicodeDecodeError, OSError subclasses, InvalidArgumentError
            As :func:`word_count_file`; InvalidArgumentError also for ``start > end``.

        Examples
        --------
        >>> import os, tempfile
        >>> with tempfile.NamedTemporaryFile("wb", delete=False) as f:
        ...     _ = f.write(b"alpha beta gamma beta")
        >>> head = WordTable.from_file(f.name, end=8)    # "alpha", "beta" start in 0..8
        >>> tail = WordTable.from_file(f.name, start=8)
        >>> head.merge(tail).to_dict()
        {'alpha': 1, 'beta': 2, 'gamma': 1}
        >>> os.remove(f.name)
        """
        what = "WordTable.from_file"
        p = _check_index(part, "part", what)
        first = _check_index(start, "start", what)
        last = None if end is None else _check_index(end, "end", what)
        if last is not None and first > last:
            raise InvalidArgumentError("%s: start (%d) > end (%d)" % (what, first, last))
        _check_errors(errors, what)
        return _run_file(path, first, last, errors, encoding, p, progress, what, _finish_table,
                         lambda decoded: _python_table(decoded, p))

    @classmethod
    def from_bytes(cls, data: Union[bytes, bytearray, memoryview]) -> "WordTable":
        """The table that :meth:`to_bytes` wrote.

        Parameters
        ----------
        data : bytes-like
            Serialized table (format version 1: docs/api/text.md).

        Returns
        -------
        WordTable

        Raises
        ------
        InvalidArgumentError
            for anything else, including another format version (the message names it).
        InvalidTypeError
            For something that is not bytes-like, or a buffer of items wider than a byte
            (``memoryview(data).cast('H')``), as :func:`word_count` refuses it.

        Examples
        --------
        >>> WordTable.from_bytes(WordTable.from_text("x y x").to_bytes()).to_dict()
        {'x': 2, 'y': 1}
        """
        data = as_bytes(data, "WordTable.from_bytes")
        n = len(data)
        return _adopt(_new_table(lambda out: lib.hl_word_table_from_bytes(data, n, out)))

    def _call(self, fn):
        with self._lock:
            if not self._finalizer.alive:
                raise ClosedHandleError("the WordTable is closed")
            return fn(self._handle)

    def merge(self, other: "WordTable", *, progress: Progress = None) -> "WordTable":
        """A new table holding both (neither changes): counts add up; each word keeps its earlier
        first occurrence ``(part, offset)``.

        Parameters
        ----------
        other : WordTable
        progress : bool, callable(done, total) or None, optional
            True for a progress bar, or a callable(done, total) (see hotloop.word_count). A
            merge of millions of distinct words takes seconds: Ctrl-C stops it within 100 ms.

        Returns
        -------
        WordTable
            Equal to the table of both inputs in part order.

        Raises
        ------
        InvalidArgumentError
            if both hold overlapping bytes of the same part (the same text twice, or texts not
            given distinct ``part`` numbers), or were lowercased with different Unicode versions.
        InvalidTypeError
            if other is not a WordTable. ClosedHandleError if either is closed.
        NumericOverflowError
            if a word's count would pass 2**64 - 1 (only tables from forged bytes hold such
            counts).
        KeyboardInterrupt
            on Ctrl-C (neither table changes; no table is made).

        Examples
        --------
        >>> WordTable.from_text("a b", part=0).merge(WordTable.from_text("b", part=1)).to_dict()
        {'a': 1, 'b': 2}
        """
        if not isinstance(other, WordTable):
            raise InvalidTypeError("WordTable.merge: expected a WordTable, not %s"
                                   % type(other).__name__)
        if other is self:
            raise InvalidArgumentError("WordTable.merge: a table cannot be merged with itself "
                                       "(its words would count twice)")
        # Both locks, always in the same order: a.merge(b) and b.merge(a) on two threads must
        # not wait for each other.
        first, second = (self, other) if id(self) < id(other) else (other, self)
        with first._lock, second._lock:
            for table in (self, other):
                if not table._finalizer.alive:
                    raise ClosedHandleError("the WordTable is closed")
            work = _MERGE_WORK_PER_WORD * (self._size() + other._size())
            return run(lambda ctl: _adopt(_new_table(
                lambda out: lib.hl_word_table_merge(self._handle, other._handle, out, ctl))),
                work, progress, "WordTable.merge")

    def to_bytes(self) -> bytes:
        """The table as bytes (versioned; see :meth:`from_bytes`). Pickling uses them too.

        Returns
        -------
        bytes
            Versioned and little-endian: the words (UTF-8), their counts and their first
            occurrences; about the size of the distinct words' text plus 24 bytes per word.

        Raises
        ------
        ClosedHandleError
            After :meth:`close`.

        Examples
        --------
        >>> WordTable.from_text("a").to_bytes()[:4]
        b'HLWT'
        """
        return self._call(_to_bytes)

    def __reduce__(self):
        return (WordTable.from_bytes, (self.to_bytes(),))

    @overload
    def to_dict(self, top: None = None) -> Dict[str, int]: ...
    @overload  # noqa: E301
    def to_dict(self, top: int) -> List[Tuple[str, int]]: ...

    def to_dict(self, top: Optional[int] = None) -> WordCounts:  # noqa: E301
        """The counts as :func:`word_count` returns them.

        Parameters
        ----------
        top : int, optional
            None: ``dict(Counter(...))`` (words in order of first occurrence); k >= 0:
            ``Counter(...).most_common(k)``.

        Returns
        -------
        dict[str, int] or list[tuple[str, int]]

        Raises
        ------
        InvalidTypeError, InvalidArgumentError
            for a bad ``top``. ClosedHandleError after close().

        Examples
        --------
        >>> WordTable.from_text("b a B").to_dict(top=1)
        [('b', 2)]
        """
        k = _check_top(top, "WordTable.to_dict")
        return self._call(lambda h: _export(h, k))

    def __len__(self) -> int:
        return self._call(lambda h: self._size())

    def __bool__(self) -> bool:
        """Whether the table holds words; True once it is closed.

        Without this, ``bool(t)`` would be ``len(t) != 0``, which raises ClosedHandleError once
        the table is closed. A closed table is true, as a closed file is: the object is still
        there, and its next use raises ClosedHandleError instead of passing silently for an
        empty table.

        Examples
        --------
        >>> bool(WordTable()), bool(WordTable.from_text("a"))
        (False, True)
        >>> t = WordTable.from_text("a")
        >>> t.close()
        >>> bool(t)
        True
        """
        with self._lock:
            if not self._finalizer.alive:
                return True
            return self._size() != 0

    def _size(self):  # the caller holds the lock and has checked the handle
        n = ffi.new("size_t *")
        check(lib.hl_word_table_size(self._handle, n))
        return n[0]

    def close(self) -> None:
        """Free the table now (also done when it is garbage-collected); later use raises
        ClosedHandleError. Idempotent; leaving a ``with`` block closes it too.

        Examples
        --------
        >>> t = WordTable.from_text("a b a")
        >>> t.close(); t.close()
        >>> t.to_dict()
        Traceback (most recent call last):
          ...
        hotloop.ClosedHandleError: the WordTable is closed
        """
        with self._lock:
            self._finalizer()

    def __enter__(self) -> "WordTable":
        return self._call(lambda h: self)  # a closed table is ClosedHandleError here too

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        if not self._finalizer.alive:
            return "<hotloop.WordTable (closed)>"
        return "<hotloop.WordTable: %d distinct words>" % len(self)


def _python_table(text, part):
    """A WordTable built in Python, for texts the engine cannot follow on this interpreter:
    offsets are the words' token indices (an order, not byte offsets)."""
    first, counts = {}, collections.Counter()
    for index, word in enumerate(text.lower().split()):
        counts[word] += 1
        first.setdefault(word, index)
    words = list(counts)
    data = _table_bytes(words, [counts[w] for w in words], [part] * len(words),
                        [first[w] for w in words], [(part, 0, len(text))],
                        UNICODE_VERSION.encode("ascii"))
    return WordTable.from_bytes(data)
