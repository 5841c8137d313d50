"""word_count / word_count_file against dict(Counter(text.lower().split())) and open()."""
import array
import collections
import errno
import os
import pathlib
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import threading

import pytest
from hypothesis import given, strategies as st

import hotloop
import hotloop._loader

# Python's str.split() whitespace, as the engine hard-codes it (core/src/utf8.hpp).
ENGINE_WHITESPACE = (
    [chr(c) for c in range(0x09, 0x0E)] + [chr(c) for c in range(0x1C, 0x21)]
    + ["\x85", "\xa0", "\u1680"] + [chr(c) for c in range(0x2000, 0x200B)]
    + ["\u2028", "\u2029", "\u202f", "\u205f", "\u3000"]
)
ALL_CHARS = [chr(c) for c in range(0x110000)]
BLOCK = 1 << 20  # the engine's block size (core/src/text.cpp)


def reference(text):
    return dict(collections.Counter(text.lower().split()))


def assert_same(text):
    ours = hotloop.word_count(text)
    ref = reference(text)
    assert ours == ref
    assert list(ours) == list(ref)  # and in Counter's order: first occurrence of the lowered word


# ---- the facts the design rests on, checked against the running interpreter ----

def test_engine_whitespace_is_the_interpreters():
    assert [c for c in ALL_CHARS if c.isspace()] == ENGINE_WHITESPACE
    # str.split() splits on exactly those (checked directly, not through isspace)
    assert [c for c in ALL_CHARS if len(("a" + c + "b").split()) == 2] == ENGINE_WHITESPACE


def test_lowering_never_creates_or_removes_whitespace():
    space = set(ENGINE_WHITESPACE)
    for c in ALL_CHARS:
        lowered = c.lower()
        assert lowered, repr(c)
        if c in space:
            assert lowered == c
        else:
            assert not any(x in space for x in lowered), repr(c)


@pytest.mark.parametrize("ws", ENGINE_WHITESPACE)
def test_final_sigma_context_stops_at_whitespace(ws):
    # A character that is neither cased nor case-ignorable ends the final-sigma context scan,
    # exactly as the start or end of the text does.
    assert ("AΣ" + ws + "B").lower() == "aς" + ws + "b"
    assert ("A" + ws + "ΣB").lower() == "a" + ws + "σb"
    assert ("A\u0345Σ" + ws + "\u0345B").lower() == ("A\u0345Σ").lower() + ws + "\u0345b"
    assert_same("AΣ" + ws + "B " + "ΣΑΣ" + ws + "Σ" + ws + "'Σ" + ws + "AΣ'")


def test_every_code_point():
    assert_same("x".join(ALL_CHARS))
    assert_same(" ".join(ALL_CHARS))
    assert_same("".join(ALL_CHARS))


# ---- str input ----

def test_examples():
    assert hotloop.word_count("hello world hello rust") == {"hello": 2, "world": 1, "rust": 1}
    assert hotloop.word_count("") == {}
    assert hotloop.word_count(" \t\n\u3000") == {}
    assert hotloop.word_count("İ ΣΑΣ Hello HELLO") == {"i̇": 1, "σας": 1, "hello": 2}
    assert hotloop.word_count("a\u200bb a\u200bb") == {"a\u200bb": 2}  # U+200B is not a space
    assert hotloop.word_count("\ud800 \udfff\ud800 \ud800") == {"\ud800": 2, "\udfff\ud800": 1}
    assert hotloop.word_count("K \u212a k") == {"k": 3}  # KELVIN SIGN lowers to ASCII k
    assert hotloop.word_count("a\0b a\0b a") == {"a\0b": 2, "a": 1}


any_char = st.characters(blacklist_categories=())  # every category, surrogates included
tricky = st.sampled_from(
    ENGINE_WHITESPACE + list("aAzZσςΣİıiIẞß'.\u0345\u0307\u00ad\u212a\u200b\ufeff\0")
    + ["\ud800", "\udfff", "\U0001f600", "\u1e9e", "\u0130", "\u1fbc", "\u0149"]
)


@given(st.text(alphabet=any_char))
def test_any_text(text):
    assert_same(text)


@given(st.text(alphabet=tricky, max_size=200))
def test_whitespace_and_case_heavy_text(text):
    assert_same(text)


@given(st.lists(st.text(alphabet=any_char, max_size=6), max_size=40),
       st.lists(st.sampled_from(ENGINE_WHITESPACE), min_size=1, max_size=40))
def test_words_between_every_kind_of_whitespace(words, spaces):
    text = "".join(w + spaces[i % len(spaces)] for i, w in enumerate(words))
    assert_same(text)


def test_long_words_and_ascii_case():
    words = ["A" * 17, "a" * 17, "Ab" * 40, "ab" * 40, "x" * 16, "X" * 16, "É" * 9, "é" * 9]
    assert_same(" ".join(words * 3))


def test_block_boundaries():
    # Multi-byte characters, multi-byte whitespace and words straddling every block cut.
    pieces = ["é", "\u3000", "\u2028", "\x85", "Σ", "\U0001f600", "word", "Word"]
    for piece in pieces:
        for shift in range(-4, 5):
            head = "a" * (BLOCK - 2 + shift)
            text = head + piece + "b c" + "d" * (BLOCK + 5) + piece + " é" * 10
            assert_same(text)
            assert hotloop.word_count(text.encode("utf-8")) == reference(text)


def test_large_text_and_thread_counts():
    words = ["w%d" % (i % 5000) for i in range(600_000)] + ["É%d" % i for i in range(1000)]
    text = "\u3000".join(words) + "\n" + " ".join(w.upper() for w in words[:50_000])
    before = hotloop.get_num_threads()
    try:
        results = []
        for n in (1, 2, 3):
            hotloop.set_num_threads(n)
            results.append(hotloop.word_count(text))
    finally:
        hotloop.set_num_threads(before)
    ref = reference(text)
    for r in results:
        assert r == ref and list(r) == list(ref)


# ---- bytes-like input ----

@given(st.text())
def test_bytes_like(text):
    data = text.encode("utf-8")
    ref = reference(text)
    assert hotloop.word_count(data) == ref
    assert hotloop.word_count(bytearray(data)) == ref
    assert hotloop.word_count(memoryview(data)) == ref
    assert hotloop.word_count(array.array("B", data)) == ref


@given(st.binary())
def test_invalid_utf8_names_the_offset(data):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        with pytest.raises(hotloop.EncodingError) as info:
            hotloop.word_count(data)
        assert "byte offset %d " % exc.start in str(info.value)
        assert exc.reason in str(info.value)
    else:
        assert hotloop.word_count(data) == reference(text)


@pytest.mark.parametrize("data, offset, reason", [
    (b"ok \xff", 3, "invalid start byte"),
    (b"\x80", 0, "invalid start byte"),
    (b"a \xc0\x80", 2, "invalid start byte"),             # overlong
    (b"a \xe0\x80\x80", 2, "invalid continuation byte"),  # overlong
    (b"ab \xed\xa0\x80", 3, "invalid continuation byte"),  # a surrogate
    (b"\xf4\x90\x80\x80", 0, "invalid continuation byte"),  # above U+10FFFF
    (b"\xf5\x80\x80\x80", 0, "invalid start byte"),
    (b"word \xe2\x82", 5, "unexpected end of data"),
    (b"word \xe2\x82x", 5, "invalid continuation byte"),
])
def test_invalid_utf8_cases(data, offset, reason):
    with pytest.raises(hotloop.EncodingError) as info:
        hotloop.word_count(data)
    exc = info.value
    assert isinstance(exc, ValueError) and isinstance(exc, UnicodeError)
    assert "byte offset %d " % offset in str(exc) and reason in str(exc)
    with pytest.raises(UnicodeDecodeError) as python:
        data.decode("utf-8")
    assert python.value.start == offset and python.value.reason == reason


@pytest.mark.parametrize("shift", range(-4, 5))
def test_first_invalid_byte_across_blocks(shift):
    data = bytearray(b"ab " * (3 * BLOCK // 3))
    data[BLOCK + shift] = 0xFF
    data[2 * BLOCK + shift] = 0x80
    data[BLOCK + shift - 2: BLOCK + shift] = "é".encode()  # valid just before
    with pytest.raises(hotloop.EncodingError, match="byte offset %d " % (BLOCK + shift)):
        hotloop.word_count(bytes(data))


def test_non_contiguous_and_wrong_buffers():
    data = b"a b c d a b"
    assert hotloop.word_count(memoryview(data)[::2]) == reference(data[::2].decode())
    with pytest.raises(TypeError):
        hotloop.word_count(array.array("i", [1, 2]))
    with pytest.raises(TypeError):
        hotloop.word_count(12)
    with pytest.raises(TypeError):
        hotloop.word_count(["a", "b"])


# ---- top=k ----

@given(st.text(alphabet=st.sampled_from(["a", "b", "B", "c", "Σ", "σ", " ", "\n", "\u3000"])),
       st.integers(min_value=0, max_value=8))
def test_top_is_most_common(text, k):
    assert hotloop.word_count(text, top=k) == collections.Counter(text.lower().split()).most_common(k)


def test_top_ties_follow_first_occurrence():
    text = "b a B c A d"  # b, a, c, d: counts 2, 2, 1, 1
    assert hotloop.word_count(text, top=3) == [("b", 2), ("a", 2), ("c", 1)]
    assert hotloop.word_count(text, top=0) == []
    assert hotloop.word_count(text.encode(), top=10) == collections.Counter(text.lower().split()).most_common(10)


@pytest.mark.parametrize("bad", [-1, -10])
def test_top_negative(bad):
    with pytest.raises(ValueError, match="top"):
        hotloop.word_count("a", top=bad)


@pytest.mark.parametrize("bad", [1.5, "3", True, [1]])
def test_top_not_an_int(bad):
    with pytest.raises(TypeError, match="top"):
        hotloop.word_count("a", top=bad)


# ---- files ----

def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


@given(st.text())
def test_file_equals_open_read(text):
    with tempfile.TemporaryDirectory() as d:
        path = write(os.path.join(d, "t.txt"), text.encode("utf-8"))
        with open(path, encoding="utf-8") as f:
            ref = reference(f.read())
        assert hotloop.word_count_file(path) == ref
        assert hotloop.word_count_file(path, top=3) == collections.Counter(ref).most_common(3)


def test_file_path_kinds_and_encodings(tmp_path):
    text = "\ufeffHello wörld\r\nhello\u2028ΣΑΣ\n"
    path = write(tmp_path / "t.txt", text.encode("utf-8"))
    ref = reference(text)
    assert hotloop.word_count_file(str(path)) == ref
    assert hotloop.word_count_file(os.fsencode(str(path))) == ref
    assert hotloop.word_count_file(pathlib.Path(path)) == ref
    with open(path, encoding="utf-8-sig") as f:
        assert hotloop.word_count_file(path, encoding="utf-8-sig") == reference(f.read())
    latin = write(tmp_path / "l.txt", "Grüße GRÜSSE grüße".encode("latin-1"))
    assert hotloop.word_count_file(latin, encoding="latin-1") == {"grüße": 2, "grüsse": 1}
    empty = write(tmp_path / "e.txt", b"")
    assert hotloop.word_count_file(empty) == {} and hotloop.word_count_file(empty, top=2) == []
    with pytest.raises(TypeError):
        hotloop.word_count_file(3)
    with pytest.raises(LookupError):
        hotloop.word_count_file(path, encoding="no-such-codec")
    with pytest.raises(ValueError):
        hotloop.word_count_file(str(path) + "\0x")


def test_file_invalid_utf8(tmp_path):
    path = write(tmp_path / "bad.txt", b"fine words \xc3(")
    with pytest.raises(hotloop.EncodingError, match="byte offset 11 .*invalid continuation byte"):
        hotloop.word_count_file(path)


def python_error(path):
    try:
        open(path, encoding="utf-8").read()
    except OSError as exc:
        return exc
    raise AssertionError("open() did not fail")


def assert_like_python(exc, expected, kind):
    assert isinstance(exc, kind) and isinstance(exc, hotloop.HotloopError)
    assert (exc.errno, exc.strerror, exc.filename) == (expected.errno, expected.strerror, expected.filename)
    assert str(exc) == str(expected)


def test_missing_file(tmp_path):
    path = str(tmp_path / "missing.txt")
    with pytest.raises(FileNotFoundError) as info:
        hotloop.word_count_file(path)
    assert_like_python(info.value, python_error(path), FileNotFoundError)
    assert info.value.errno == errno.ENOENT


def test_directory(tmp_path):
    with pytest.raises(IsADirectoryError) as info:
        hotloop.word_count_file(str(tmp_path))
    assert_like_python(info.value, python_error(str(tmp_path)), IsADirectoryError)


PERMISSION_CHILD = r"""
import sys
import hotloop
path = sys.argv[1]
try:
    open(path).read()
except PermissionError as exc:
    expected = exc
else:
    raise SystemExit("open() did not raise PermissionError as uid %d")
try:
    hotloop.word_count_file(path)
except PermissionError as exc:
    assert isinstance(exc, hotloop.HotloopError)
    assert (exc.errno, exc.strerror, exc.filename, str(exc)) == (
        expected.errno, expected.strerror, expected.filename, str(expected)), (exc, expected)
    print("ok", exc)
else:
    raise SystemExit("word_count_file did not raise PermissionError")
"""


def others_may_enter(path):
    """True when every folder from / down to `path` lets any user through (o+x)."""
    path = os.path.abspath(path)
    while True:
        if not os.stat(path).st_mode & stat.S_IXOTH:
            return False
        parent = os.path.dirname(path)
        if parent == path:
            return True
        path = parent


def open_to_others(top):
    """Makes a tree readable by every user (files a+r, folders a+rx), whatever the umask was."""
    for folder, dirs, files in os.walk(top):
        os.chmod(folder, 0o755)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o755 if name.endswith(".so") else 0o644)


def test_permission_denied():
    # Root reads any file, so the check runs in a child process as an unprivileged user
    # (as root we can always switch to `nobody`); as a normal user, in a child all the same.
    # That user may not be able to enter the checkout (a clone in a 0700 folder), so the child
    # imports a copy of the package placed, with the unreadable file, in a folder anyone can
    # enter: the EACCES it gets is the file's own, not the checkout's.
    base = next((b for b in (tempfile.gettempdir(), "/tmp", "/var/tmp") if others_may_enter(b)), None)
    assert base is not None, "no temporary folder that every user can enter"
    d = tempfile.mkdtemp(dir=base)
    try:
        package = os.path.join(d, "pkg", "hotloop")
        shutil.copytree(os.path.dirname(hotloop.__file__), package,
                        ignore=shutil.ignore_patterns("__pycache__", "libhotloop.so"))
        shutil.copy(hotloop._loader.library_path(), os.path.join(package, "libhotloop.so"))
        path = write(os.path.join(d, "secret.txt"), b"secret words")
        open_to_others(d)
        os.chmod(path, 0)
        ids = {}
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            ids = dict(user=nobody.pw_uid, group=nobody.pw_gid, extra_groups=[])
        env = {k: v for k, v in os.environ.items() if k != "HOTLOOP_LIBRARY"}
        env["PYTHONPATH"] = os.path.dirname(package)
        done = subprocess.run(
            [sys.executable, "-c", PERMISSION_CHILD, path], capture_output=True, text=True,
            env=env, cwd=d, timeout=600, **ids)
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.startswith("ok [Errno 13]")
    finally:
        shutil.rmtree(d)


def test_fifo_is_read_not_mapped(tmp_path):
    path = str(tmp_path / "fifo")
    os.mkfifo(path)
    text = "pipe Pipe dream " * 50_000

    def writer():
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)

    t = threading.Thread(target=writer)
    t.start()
    try:
        assert hotloop.word_count_file(path) == reference(text)
    finally:
        t.join()


def test_large_file(tmp_path):
    words = ["Zipf%d" % (i % 997) if i % 3 else "é%d" % (i % 13) for i in range(800_000)]
    text = "\n".join(words)
    path = write(tmp_path / "big.txt", text.encode())
    ref = reference(text)
    assert hotloop.word_count_file(path) == ref
    assert hotloop.word_count_file(path, top=5) == collections.Counter(text.lower().split()).most_common(5)


# ---- CPython: ASCII str read in place ----

def test_ascii_str_is_read_in_place_under_cpython():
    from hotloop import _text

    if sys.implementation.name != "cpython":
        assert not _text._IN_PLACE_STR
        return
    assert _text._IN_PLACE_STR
    text = "Hello hello world " * 1000 + "x"
    address = _text._compact_ascii_address(text)
    assert address is not None
    # The address really holds the characters (and the terminating NUL).
    assert _text.ffi.buffer(_text.ffi.cast("char *", address), len(text) + 1)[:] == text.encode() + b"\0"

    class Sub(str):
        pass

    for other in ("héllo", "\ud800", Sub("a b")):
        assert _text._compact_ascii_address(other) is None
    for text in (text, text[3:], sys.intern("interned words"), "a", "".join(["b", " ", "B"])):
        assert_same(text)
    assert_same(Sub("a b A"))
