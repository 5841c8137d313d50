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
        assert _text._counted_long_words("A" * 100, None, lambda done, total: None) is None
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

