"""A str of few, long words (words of megabytes) is counted from the str itself
(_text._counted_long_words): its distinct words' spans come from the engine, each key is a slice
of the text (the text itself when it is one word), lowered only when it must be. The thresholds
are made small here, so that short texts take the route; the result must be exactly
dict(Counter(text.lower().split())) for every str kind."""
import collections
import contextlib

import pytest
from hypothesis import given, strategies as st

import hotloop
from hotloop import _text

# The route reads CPython's str layout and lowers with the interpreter's case table.
pytestmark = pytest.mark.skipif(
    not (_text._PLAIN and _text._CASING_VERSION is not None and _text._OFFSETS),
    reason="the long-word route is CPython's, with a case table for its Unicode version")


def reference(text):
    return dict(collections.Counter(text.lower().split()))


@contextlib.contextmanager
def long_from(size, word):
    """Texts of `size` code points or more whose words average `word` or more take the route.
    (Hypothesis cannot take pytest's monkeypatch.)"""
    saved = _text._LONG_FROM, _text._LONG_WORD
    _text._LONG_FROM, _text._LONG_WORD = size, word
    try:
        yield
    finally:
        _text._LONG_FROM, _text._LONG_WORD = saved


def routed(text, k=None):
    """The route's result, which must be one (not None: the route was taken)."""
    got = _text._counted_long_words(text, k, None)
    assert got is not None
    return got


def engines(text):
    """Whether the route leaves text to the engine: a word that is not ASCII and that str.lower()
    changes (the engine lowers it on every thread)."""
    return not text.isascii() and any(w.lower() != w for w in text.split())


CHARS = ["a", "A", "z", "Z", "é", "É", "ß", "Σ", "σ", "ς", "α", "中", "\U0001f600", "İ", "\u0345",
         "ǅ", "\u200b", "'", "1"]
SPACES = [" ", "\t", "\n", "\x85", "\xa0", "\u3000", "\u2029", "\x1c"]


@given(st.lists(st.tuples(st.lists(st.sampled_from(CHARS), min_size=1, max_size=4),
                          st.integers(1, 150), st.sampled_from(SPACES)), max_size=8),
       st.sampled_from(["", " ", "\u3000"]))
def test_route_equals_counter(words, lead):
    # Words of up to 600 characters: a pattern repeated, so that they repeat and cross the
    # engine's 64-unit chunks; every str kind (Latin-1, UCS-2, UCS-4) and final sigmas.
    text = lead + "".join("".join(chars) * n + space for chars, n, space in words)
    with long_from(0, 1):
        assert hotloop.word_count(text) == reference(text)
        if engines(text):
            assert _text._counted_long_words(text, None, None) is None
            return
        assert list(routed(text).items()) == list(reference(text).items())
        assert routed(text, 3) == collections.Counter(text.lower().split()).most_common(3)


@pytest.mark.parametrize("word", ["a" * 300, "A" * 300, "中" * 300, "ΑΣ" * 150 + "Σ",
                                  "é" * 300, "\U0001f600" * 300, "aΣ" * 150, "İ" * 300])
def test_one_word_is_the_text_itself_or_its_lowering(word):
    with long_from(0, 100):
        if engines(word):
            assert _text._counted_long_words(word, None, None) is None
        else:
            got = routed(word)
            assert got == reference(word)
            key, = got
            if word.lower() == word:
                assert key is word  # no copy: the text is the key
        assert hotloop.word_count(word) == reference(word)
    assert hotloop.word_count(word) == reference(word)


def test_words_that_lower_alike_merge_in_order_of_first_occurrence():
    text = " ".join(["B" * 200, "A" * 200, "b" * 200, "a" * 200, "ba" * 100, "A" * 200])
    with long_from(0, 100):
        got = routed(text)
        assert list(got.items()) == list(reference(text).items())
        assert got["a" * 200] == 3
        # Not ASCII: the same with a word lowered by the engine, and one that lowers to itself.
        greek = text + " " + "ΟΔΟΣ" * 50 + " " + "οδος" * 50
        assert _text._counted_long_words(greek, None, None) is None
        assert list(hotloop.word_count(greek).items()) == list(reference(greek).items())
        latin = text.lower() + " " + "é" * 100
        assert list(routed(latin).items()) == list(reference(latin).items())


def test_top_ties_keep_the_order_of_first_occurrence():
    text = " ".join(["x" * 100, "Y" * 100, "y" * 100, "z" * 100, "X" * 100, "w" * 100])
    with long_from(0, 50):
        assert routed(text, 2) == [("x" * 100, 2), ("y" * 100, 2)]
        assert hotloop.word_count(text, 2) == [("x" * 100, 2), ("y" * 100, 2)]


def test_short_words_are_left_to_the_engine():
    text = "ab " * 1000  # 1000 words of 3000 code points: more than one word per 64 units
    with long_from(0, 64):
        assert _text._counted_long_words(text, None, None) is None
        assert hotloop.word_count(text) == reference(text)
    with long_from(0, 3):
        assert routed(text) == reference(text)


def test_other_inputs_are_left_to_the_engine():
    class Sub(str):
        def lower(self):
            return "nope"

    with long_from(0, 1):
        assert _text._counted_long_words(Sub("A" * 100), None, None) is None
        assert hotloop.word_count(Sub("A" * 100)) == {"a" * 100: 1}
        assert hotloop.word_count(b"A" * 100) == {"a" * 100: 1}
    with long_from(1000, 1):
        assert _text._counted_long_words("A" * 999, None, None) is None


def test_default_thresholds_take_a_word_of_a_mebibyte():
    word = "Ab" * (1 << 19)
    text = word + " " + word.lower()
    got = routed(text)
    assert got == {word.lower(): 2}
    assert _text._counted_long_words("ab " * (1 << 19), None, None) is None


@pytest.mark.parametrize("word", ["A" * 300, "a" * 299 + "Z", "Hello,World!" * 40,
                                  "".join(map(chr, range(33, 127))) * 3])
def test_an_ascii_word_is_lowered_by_the_engine_into_a_new_str(word):
    with long_from(0, 100):
        text = word + " x" * 3 + " " + word
        got = routed(text)
    assert list(got.items()) == list(reference(text).items())
    assert _text._new_ascii_str  # CPython: PyUnicode_New was found and used
    key = _text._ascii_lowered(_text._in_place(word, _text._OFFSETS)[0], len(word))
    assert type(key) is str and key == word.lower() and key.isascii()
    assert hash(key) == hash(word.lower())


def test_a_non_ascii_text_that_lower_changes_at_its_start_is_turned_away_without_a_scan(
        monkeypatch):
    calls = []
    real = _text.lib

    class Spy:
        def __getattr__(self, name):
            if name == "hl_text_long_words":
                calls.append(name)
            return getattr(real, name)

    monkeypatch.setattr(_text, "lib", Spy())
    with long_from(0, 100):
        assert _text._counted_long_words("ΑΣ" * 150 + "Σ", None, None) is None
        assert calls == []
        # Past the glance: the scan says so.
        text = "中" * (_text._LONG_GLANCE + 10) + "Σ"
        assert _text._counted_long_words(text, None, None) is None
        assert calls == ["hl_text_long_words"]
        assert hotloop.word_count(text) == reference(text)



# ---- bytes, files and progress take the route too ----

class Calls:
    """_text.lib, noting which of its functions are looked up (called)."""

    def __init__(self, real):
        self._real, self.names = real, []

    def __getattr__(self, name):
        if name.startswith("hl_text_long_words") or name.startswith("hl_word_table_count"):
            self.names.append(name)
        return getattr(self._real, name)


@pytest.fixture
def calls(monkeypatch):
    spy = Calls(_text.lib)
    monkeypatch.setattr(_text, "lib", spy)
    return spy.names


WORDS = ["a" * 300, "A" * 300, "中" * 300, "é" * 300, "\U0001f600" * 300, "İ" * 300,
         "ΑΣ" * 150 + "Σ"]


@pytest.mark.parametrize("word", WORDS)
@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_bytes_of_long_words_are_decoded_and_take_the_route(word, kind, calls):
    # Bytes went to the engine's tables (b"a" * 40M: 0.82x Counter's decode, lower, split).
    text = word + " " + word.lower() + "\t" + word
    data = kind(text.encode())
    with long_from(0, 100):
        got = hotloop.word_count(data)
        assert list(got.items()) == list(reference(text).items())
        assert hotloop.word_count(data, 1) == collections.Counter(text.lower().split()).most_common(1)
    # Decoded, then the str's route (or, for a word lower() changes, the engine's count of it).
    assert calls == (["hl_word_table_count"] * 2 if engines(text) else ["hl_text_long_words"] * 2)


@pytest.mark.parametrize("errors", ["replace", "ignore", "surrogateescape"])
def test_bytes_of_long_words_decode_as_bytes_decode(errors, calls):
    # Not ASCII once decoded (U+FFFD, lone surrogates): words that lower() leaves as they are.
    data = b"a" * 200 + b"\xff\xc3" + b"b" * 200 + b" " + b"a" * 200
    with long_from(0, 100):
        got = hotloop.word_count(data, errors=errors)
    assert list(got.items()) == list(reference(data.decode("utf-8", errors)).items())
    assert "hl_text_long_words" in calls


def test_bytes_of_long_words_raise_the_engines_decode_error():
    data = b"a" * 300 + b"\xe2\x82" + b"a" * 300
    with pytest.raises(hotloop.HotloopUnicodeDecodeError) as engine:
        hotloop.word_count(data)
    with long_from(0, 100), pytest.raises(hotloop.HotloopUnicodeDecodeError) as routed_error:
        hotloop.word_count(data)
    for a, b in [(engine.value, routed_error.value)]:
        assert (a.start, a.end, a.reason, a.object) == (b.start, b.end, b.reason, b.object)


def test_bytes_of_short_words_are_not_decoded_by_the_route(calls, monkeypatch):
    decoded = []
    real = _text._python_decoded
    monkeypatch.setattr(_text, "_python_decoded", lambda view, errors: (
        decoded.append(len(view)), real(view, errors))[1])
    data = b"ab " * 1000
    with long_from(0, 100):
        assert hotloop.word_count(data) == {"ab": 1000}
    assert decoded == [] and calls == ["hl_word_table_count"]


def write_bytes(path, data):
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize("word", WORDS)
def test_a_file_of_long_words_takes_the_route(word, tmp_path, calls):
    text = word + "\r\n" + word.lower() + "\r" + word + "\n"
    path = write_bytes(tmp_path / "long.txt", text.encode())
    want = collections.Counter(open(path, encoding="utf-8").read().lower().split())
    with long_from(0, 100):
        got = hotloop.word_count_file(path)
    assert list(got.items()) == list(dict(want).items())
    # A word that lower() changes, not ASCII, at the file's start: the engine reads the file.
    assert calls == (["hl_word_table_count_file"] if engines(text) else ["hl_text_long_words"])


def test_a_file_of_long_words_with_a_bom_and_errors(tmp_path, calls):
    data = b"\xef\xbb\xbf" + b"x" * 200 + b"\xff" + b" " + b"x" * 200
    path = write_bytes(tmp_path / "bom.txt", data)
    with long_from(0, 100):
        for encoding in ("utf-8", "utf-8-sig"):
            for errors in ("replace", "ignore"):
                want = collections.Counter(
                    open(path, encoding=encoding, errors=errors).read().lower().split())
                got = hotloop.word_count_file(path, encoding=encoding, errors=errors)
                assert list(got.items()) == list(dict(want).items())
    assert "hl_word_table_count_file" not in calls


def test_a_file_of_long_words_that_fails_to_decode_raises_as_the_engine(tmp_path, calls):
    path = write_bytes(tmp_path / "bad.txt", b"a" * 300 + b"\xe2\x82 " + b"a" * 300)
    with pytest.raises(hotloop.HotloopUnicodeDecodeError) as engine:
        hotloop.word_count_file(path)
    with long_from(0, 100), pytest.raises(hotloop.HotloopUnicodeDecodeError) as routed_error:
        hotloop.word_count_file(path)
    a, b = engine.value, routed_error.value
    assert (a.start, a.end, a.reason) == (b.start, b.end, b.reason)


def test_a_file_of_short_words_is_read_no_further_than_its_head(tmp_path, calls):
    path = write_bytes(tmp_path / "short.txt", b"ab " * 1000)
    with long_from(0, 100):
        assert hotloop.word_count_file(path) == {"ab": 1000}
    assert calls == ["hl_word_table_count_file"]


class Progress:
    def __init__(self):
        self.seen = []

    def __call__(self, done, total):
        self.seen.append((done, total))


def test_progress_of_long_words_reaches_the_end_once(calls):
    # progress= sent every such text to the engine's tables ("a" * 40M: 0.52x Counter).
    text = "A" * 300 + " " + "b" * 300 + " " + "a" * 300
    progress = Progress()
    with long_from(0, 100):
        got = hotloop.word_count(text, progress=progress)
    assert list(got.items()) == list(reference(text).items())
    assert calls == ["hl_text_long_words"]
    assert progress.seen == [(len(text), len(text))]


def test_progress_of_long_words_advances_through_the_words(monkeypatch):
    reports = []
    real = _text._TextProgress.__call__
    monkeypatch.setattr(_text._TextProgress, "__call__", lambda self, done: (
        reports.append((done, self.total)), real(self, done))[1])
    text = "A" * 300 + " " + "b" * 300 + " " + "a" * 300
    with long_from(0, 100):
        hotloop.word_count(text, progress=Progress())
    assert reports == [(300, 902), (601, 902), (902, 902), (902, 902)]


def test_progress_of_a_file_of_long_words_ends_at_its_size(tmp_path, calls):
    data = ("é" * 300 + " " + "é" * 300).encode()
    path = write_bytes(tmp_path / "long.txt", data)
    progress = Progress()
    with long_from(0, 100):
        assert hotloop.word_count_file(path, progress=progress) == {"é" * 300: 2}
    assert "hl_word_table_count_file" not in calls
    assert progress.seen == [(len(data), len(data))]


def test_a_progress_callable_that_raises_is_the_calls_outcome_or_a_warning():
    # The route's keys are made within run(): a callable that raises at the final report, once
    # the call has completed, becomes a RuntimeWarning and the result stands (as for the engine).
    def boom(done, total):
        raise ValueError("no")

    text = "A" * 300 + " " + "a" * 300
    with long_from(0, 100), pytest.warns(RuntimeWarning, match="no"):
        assert hotloop.word_count(text, progress=boom) == {"a" * 300: 2}


def test_a_file_turned_away_after_its_read_is_counted_from_that_str(tmp_path, calls):
    # A word that lower() changes past the glance: the route's scan turns the text away; the
    # engine counts the str already read rather than reading the file again.
    text = "中" * (_text._LONG_GLANCE + 10) + " " + "ΟΔΟΣ" * 100 + " " + "中" * 300
    path = write_bytes(tmp_path / "late.txt", text.encode())
    with long_from(0, 100):
        got = hotloop.word_count_file(path)
    assert list(got.items()) == list(reference(text).items())
    assert calls == ["hl_text_long_words", "hl_word_table_count"]


@pytest.mark.parametrize("text", ["A" * 300 + " " + "a" * 300 + "\x1c" + "b" * 300,
                                  "Hello" * 100 + "\t" + "hello" * 100, "é" * 300])
def test_pypys_route_reads_an_ascii_strs_utf8(text, monkeypatch, calls):
    # PyPy's str has no CPython layout (_OFFSETS is empty there): an ASCII str is read through
    # its UTF-8 as Latin-1 units and its keys lowered by str.lower(); a text that is not ASCII
    # is the engine's. Here CPython plays PyPy.
    monkeypatch.setattr(_text, "_OFFSETS", {})
    with long_from(0, 100):
        got = _text._counted_long_words(text, None, None)
        if not text.isascii():
            assert got is None and calls == []
            return
        assert list(got.items()) == list(reference(text).items())
        assert calls == ["hl_text_long_words"]


@pytest.mark.parametrize("prose_from", [0.3, 0.6, 0.9])
def test_a_file_whose_head_alone_is_long_is_streamed_by_the_engine(prose_from, tmp_path, calls,
                                                                   monkeypatch):
    # A long first line, then prose: the file is not read whole (the engine streams it).
    size = 4000
    head = int(size * prose_from)
    data = b"x" * head + b" " + b"ab " * ((size - head) // 3)
    path = write_bytes(tmp_path / "header.txt", data)
    read_piece = _text._read_piece
    monkeypatch.setattr(_text, "_read_piece", lambda f, name, n=None: pytest.fail(
        "read whole") if n == -1 else read_piece(f, name, n))
    with long_from(0, 100):
        assert hotloop.word_count_file(path) == reference(data.decode())
    assert calls == ["hl_word_table_count_file"]
