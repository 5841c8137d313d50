"""A str whose words are nearly all distinct is counted with Counter's own loop, in pieces cut
after ASCII whitespace (see _text._counted_by_python): the result must be exactly
dict(Counter(text.lower().split())) whatever the pieces, the route must follow the share of new
characters, and progress and cancellation work as on the engine's route."""
import collections
import contextlib
import os
import random
import sys
import tempfile

import pytest
from hypothesis import example, given, strategies as st

import hotloop
from hotloop import _run, _text
from hotloop._progress import read_progress
from test_text_pieces import SPECIAL, CountingLib, junk, pieces_of


@contextlib.contextmanager
def routed(piece, always=True):
    """Pieces of `piece` code points; with `always`, every text with a word takes the Counter
    route (a look of any length, any share of new characters). Hypothesis cannot take pytest's
    monkeypatch."""
    names = ("_TEXT_PIECE", "_LOOK_FROM", "_LOOK_WORDS", "_LOOK_NEW", "_SAMPLE_NEW", "_GLANCE_NEW",
             "_HAND_OFF_NEW", "_HAND_OFF_WORDS")
    saved = [getattr(_text, name) for name in names]
    _text._TEXT_PIECE = piece
    if always:  # (and no hand-off to the engine: hand_offs() makes them)
        _text._LOOK_FROM = _text._LOOK_WORDS = _text._LOOK_NEW = 0
        _text._GLANCE_NEW = _text._HAND_OFF_NEW = 0
        _text._SAMPLE_NEW = float("-inf")  # (a share foreseen may be below 0)
    try:
        yield
    finally:
        for name, value in zip(names, saved):
            setattr(_text, name, value)


@contextlib.contextmanager
def counting_calls():
    counting = CountingLib(_text.lib)
    _text.lib = counting
    try:
        yield counting
    finally:
        _text.lib = counting._real


@contextlib.contextmanager
def cancelled_job():
    """Calls made inside run as one of hotloop.aio's jobs whose control is cancelled already."""
    ctl = _run.new_control()
    _text.lib.hl_control_cancel(ctl)
    _run.set_job_control(ctl)
    try:
        yield
    finally:
        _run.set_job_control(None)


def reference(text, k=None):
    counts = collections.Counter(text.lower().split())
    return dict(counts) if k is None else counts.most_common(k)


def assert_exact(got, want):
    assert got == want
    if isinstance(want, dict):
        assert list(got) == list(want)  # Counter's insertion order


def outcome(call):
    """(call(), None), or (None, the HotloopUnicodeDecodeError it raised)."""
    try:
        return call(), None
    except hotloop.HotloopUnicodeDecodeError as exc:
        return None, exc


def distinct_ids(n, seed=0):
    """n distinct words of 9 characters (what a column of IDs is)."""
    rng = random.Random(seed)
    return ["id%07x" % w for w in rng.sample(range(1 << 28), n)]


# Final sigmas, case-ignorables beside them, every ASCII whitespace (where pieces are cut) and
# other whitespace (where they are not), lone surrogates, astral and wide characters.
pieces_text = st.lists(st.one_of(st.sampled_from(SPECIAL + ["'Σ", "Σ'", "Σ.", " ", "\n"]),
                                 st.text(max_size=5)), min_size=1, max_size=60).map("".join)


@given(pieces_text, st.integers(1, 30), st.none() | st.integers(0, 8))
@example("ΑΣ ΑΣ'x Σ\u180e Σ", 3, None)  # sigmas just before and after each cut
@example("AΣ'\nΣ'A \tΣ", 2, 2)
@example("word" * 40, 1, None)  # no whitespace: one piece
@example("\ud800 \udfff\n\U0001f600 İ ẞ", 1, 3)
def test_counters_route_counts_exactly_whatever_the_pieces(text, piece, k):
    with routed(piece), counting_calls() as calls:
        got = hotloop.word_count(text, top=k)
    assert_exact(got, reference(text, k))
    if text.split():  # (a text without words leaves the sample nothing to measure)
        assert calls.calls["hl_word_table_count"] == 0  # the engine counted nothing


def test_nearly_all_distinct_words_take_counters_route():
    text = " ".join(distinct_ids(120_000))  # 1.2M code points, every word new
    with counting_calls() as calls:
        got = hotloop.word_count(text)
    assert calls.calls["hl_word_table_count"] == 0
    assert_exact(got, reference(text))
    with counting_calls() as calls:
        assert hotloop.word_count(text, top=3) == reference(text, 3)
    assert calls.calls["hl_word_table_count"] == 0


@pytest.mark.parametrize("encode", [False, True])
def test_counters_route_counts_into_a_table_of_hashes(encode):
    # Counter's dict of str keys reads each key's hash from its str on every growth and probe:
    # Counter's loop into a dict that keeps hashes took 0.81-0.87x the time (IDs 10% again
    # nearby went from 0.93x Counter's time to 1.14x). The result is still exactly Counter's,
    # the key that made the table one of hashes gone; its table is the larger one.
    text = " ".join(distinct_ids(120_000))
    with counting_calls() as calls:
        got = hotloop.word_count(text.encode() if encode else text)
    assert calls.calls["hl_word_table_count"] == 0
    want = reference(text)
    assert_exact(got, want)
    assert type(got) is dict and None not in got and len(got) == len(want)
    # (the layout, where there is one to tell: CPython 3.11's dicts of str keys keep no hashes)
    assert _text._HASHED_TABLE == (sys.implementation.name == "cpython")
    if _text._HASHED_TABLE and sys.version_info >= (3, 11):
        assert sys.getsizeof(got) > sys.getsizeof(want)


def words_used_twice(n, seed=1):
    """n distinct IDs, each used twice, in random order: a repeat is as likely anywhere."""
    words = distinct_ids(n, seed) * 2
    random.Random(seed).shuffle(words)
    return "\n".join(words)


def test_words_used_twice_go_to_the_engine_though_the_sample_is_mostly_new():
    # The first sixteenth is 95% new characters (0.98 in its first half, 0.93 in its second):
    # the share foreseen for the text is 0.3, below _SAMPLE_NEW, and the engine counts the
    # text, after Counter's loop counted the sixteenth (discarded): the result is still exact.
    text = words_used_twice(65_000)
    assert len(text) >= _text._LOOK_FROM and _text._mostly_new(text[:_text._LOOK])
    with counting_calls() as calls:
        got = hotloop.word_count(text)
    assert calls.calls["hl_word_table_count"] == 1
    assert_exact(got, reference(text))


@pytest.mark.parametrize("again", [0.05, 0.2])
def test_ids_used_again_nearby_take_counters_route(again):
    # 5% or 20% of the IDs come back a few words on: 0.95 or 0.80 new throughout, where the
    # engine took 0.54-0.68x Counter's time (they went to it below a sample's share of 0.96).
    rng = random.Random(3)
    words = distinct_ids(120_000, seed=1)
    for i in range(10, len(words)):
        if rng.random() < again:
            words[i] = words[i - rng.randint(1, 10)]
    text = "\n".join(words)
    with counting_calls() as calls:
        got = hotloop.word_count(text)
    assert calls.calls["hl_word_table_count"] == 0
    assert_exact(got, reference(text))


def ids_again(again, n=120_000, seed=1, afar=False):
    """n IDs, a share `again` of them (after the tenth) one of the ten words before it, or with
    `afar` any word before it."""
    rng = random.Random(seed)
    words = distinct_ids(n, seed=seed)
    for i in range(10, len(words)):
        if rng.random() < again:
            words[i] = words[rng.randrange(i) if afar else i - rng.randint(1, 10)]
    return "\n".join(words)


def ids_and_levels(n=80_000, seed=2):
    """Lines of an ID and a level (INFO or WARN): a log of IDs each met once."""
    levels = random.Random(seed).choices(["INFO", "WARN"], k=n)
    return "\n".join("%s %s" % pair for pair in zip(distinct_ids(n, seed=seed), levels))


@pytest.mark.parametrize("make", [lambda: ids_again(0.3), lambda: ids_again(0.5),
                                  ids_and_levels])
@pytest.mark.parametrize("encode", [False, True])
def test_new_words_at_a_steady_share_below_the_looks_take_counters_route_unsampled(
        make, encode):
    # 50-70% of the characters new, below _LOOK_NEW: they went to the engine (IDs again nearby:
    # 0.69-0.96x Counter's time, where Counter's loop takes 1.02-1.10x; IDs and levels 0.86x,
    # 1.20x). Their words come back nearby, or are a few met everywhere (_nearby_only): the
    # whole text is counted with Counter's loop, no sample first.
    text = make()
    assert _text._mostly_new(text[:_text._LOOK]) == _text._NEARBY
    tallied, tally = [], _text._tally
    with counting_calls() as calls, pytest.MonkeyPatch.context() as mp:
        mp.setattr(_text, "_tally", lambda *a, **k: (tallied.append(a[2]), tally(*a, **k))[1])
        got = hotloop.word_count(text.encode() if encode else text)
        top = hotloop.word_count(text.encode() if encode else text, top=4)
    assert calls.calls["hl_word_table_count"] == 0
    assert tallied == [None, None]  # no sample: one tally of the whole text a call
    assert_exact(got, reference(text))
    assert top == reference(text, 4)


@pytest.mark.parametrize("look", [
    ids_again(0.4, n=12_000, afar=True),  # IDs again from afar: a share of ~0.6
    # IDs with one of 200 words (a vocabulary met in every block)
    " ".join("%s w%d" % (w, i % 200) for i, w in enumerate(distinct_ids(8000, seed=3))),
])
def test_a_look_whose_words_come_back_from_afar_is_not_nearby(look):
    look = look[:_text._LOOK]
    assert _text._NEARBY_NEW <= _text._new_share(look.split()) < _text._LOOK_NEW
    assert not _text._nearby_only(look.split())
    assert not _text._mostly_new(look)


@given(pieces_text, st.integers(1, 30), st.none() | st.integers(0, 8), st.booleans())
@example("ΑΣ ΑΣ'x Σ\u180e Σ", 3, None, True)
@example("\ud800 \udfff\n\U0001f600 İ ẞ", 1, 3, False)
def test_counters_route_unsampled_counts_exactly_whatever_the_pieces(text, piece, k, encode):
    data = text.encode("utf-8", "surrogatepass") if encode else text
    with routed(piece), counting_calls() as calls, pytest.MonkeyPatch.context() as mp:
        mp.setattr(_text, "_mostly_new", lambda look: _text._NEARBY)
        got, error = outcome(lambda: hotloop.word_count(data, top=k))
    if encode and error is not None:  # lone surrogates: malformed UTF-8, as the engine says
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        return
    assert_exact(got, reference(text, k))
    assert calls.calls["hl_word_table_count"] == 0


def test_real_text_fails_the_nearby_test_on_its_first_blocks(monkeypatch):
    # The look of real text (Zipf's words, 0.60 new) passes the glance: the nearby test of all
    # its words added a quarter to the look's cost; the first _NEARBY_HEAD blocks tell.
    rng = random.Random(9)
    vocabulary = distinct_ids(50_000, seed=9)
    weights = [1 / (i + 1) ** 0.8 for i in range(len(vocabulary))]  # 0.67 new
    words = rng.choices(vocabulary, weights, k=6000)
    measured, kept = [], _text._kept
    monkeypatch.setattr(_text, "_kept", lambda words: (measured.append(len(words)),
                                                        kept(words))[1])
    assert _text._NEARBY_NEW <= _text._new_share(words) < _text._LOOK_NEW
    assert not _text._nearby_only(words)
    assert measured == [_text._NEARBY_HEAD * _text._NEARBY_BLOCK]


def test_progress_and_cancel_of_counters_route_unsampled(monkeypatch):
    text = ids_again(0.5)
    seen = []
    with counting_calls() as calls:
        got = hotloop.word_count(text, progress=lambda done, total: seen.append((done, total)))
    assert_exact(got, reference(text))
    assert calls.calls["hl_word_table_count"] == 0
    assert seen[-1] == (len(text), len(text))
    tallied = []
    monkeypatch.setattr(_text, "_count_elements", lambda counts, words: tallied.append(words))
    with cancelled_job(), pytest.raises(hotloop.HotloopCancelledError):
        hotloop.word_count(text)
    assert tallied == []


@pytest.mark.parametrize("make", [
    lambda: "the cat and the hat " * 60_000,  # real text: words repeat
    lambda: " ".join(["x" * 5000 + str(i) for i in range(250)]),  # long words: few in the look
    lambda: type("S", (str,), {})(" ".join(distinct_ids(120_000))),  # a str subclass
    lambda: " ".join(distinct_ids(60_000)),  # under 1M code points
])
def test_other_texts_go_to_the_engine(make):
    text = make()
    with counting_calls() as calls:
        got = hotloop.word_count(text)
    assert calls.calls["hl_word_table_count"] >= 1
    assert_exact(got, reference(str(text)))


def test_progress_covers_the_whole_call():
    text = " ".join(distinct_ids(3000))
    seen = []
    with routed(1000), counting_calls() as calls:
        got = hotloop.word_count(text, progress=lambda done, total: seen.append((done, total)))
    assert_exact(got, reference(text))
    dones = [done for done, _ in calls.progress]
    assert len(dones) > len(text) // 1000 - 2  # one report a piece
    assert dones == sorted(dones) and dones[-1] == len(text)
    assert all(total == len(text) for _, total in calls.progress)
    assert seen[-1] == (len(text), len(text))


@pytest.mark.parametrize("space", ["\u3000", "\u2028", "\x85", "\x1e", "\u3000\u180e"])
def test_words_between_other_whitespace_are_counted_in_pieces(space, monkeypatch):
    # IDs (or CJK lines) separated by U+3000, U+2028, NEL or U+001E (records) alone: pieces cut
    # after ASCII whitespace only made the text one piece, lowered whole (no Ctrl-C, no cancel
    # until its end) by the sample, which reports no progress: the callable got nothing.
    text = space.join(distinct_ids(3000))
    sizes, tally = [], _text._count_elements
    monkeypatch.setattr(_text, "_count_elements", lambda counts, words: (
        sizes.append(sum(map(len, words))), tally(counts, words)))
    seen = []
    with routed(1000):
        got = hotloop.word_count(text, progress=lambda done, total: seen.append((done, total)))
    assert_exact(got, reference(text))
    assert len(sizes) > len(text) // 1000 - 2 and max(sizes) <= 1000
    assert seen[-1] == (len(text), len(text))


def test_progress_ends_at_the_whole_text_when_the_sample_counted_it():
    # A long last word: the sample's last piece runs to the text's end, the rest has nothing.
    text = " ".join(distinct_ids(150)) + " " + "x" * 40_000
    seen = []
    with routed(1000):
        got = hotloop.word_count(text, progress=lambda done, total: seen.append((done, total)))
    assert_exact(got, reference(text))
    assert seen[-1] == (len(text), len(text))


def test_a_cancelled_control_stops_counters_route_before_its_sample(monkeypatch):
    # hotloop.aio's jobs run the whole function under one control: cancelled, the call stops
    # before its first piece, the sample's included, and nothing is returned.
    text = " ".join(distinct_ids(3000))
    tallied = []
    monkeypatch.setattr(_text, "_count_elements", lambda counts, words: tallied.append(words))
    with cancelled_job(), routed(1000), counting_calls() as calls, pytest.raises(
            hotloop.HotloopCancelledError):
        hotloop.word_count(text)
    assert tallied == [] and calls.progress == []


def test_the_sample_leaves_the_engines_progress_to_the_engine():
    # The sample reports no progress to the job's control: had it, the engine's count (which
    # this text gets) would no longer report its own, and the job's bar would stop at the sample.
    text = words_used_twice(65_000)
    ctl = _run.new_control()
    _run.set_job_control(ctl)
    try:
        with counting_calls() as calls:
            got = hotloop.word_count(text)
    finally:
        _run.set_job_control(None)
    assert_exact(got, reference(text))
    assert calls.calls["hl_word_table_count"] >= 1 and calls.progress == []
    done, total = read_progress(ctl)
    assert 0 < total and done == total  # the engine's own units


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview])
def test_bytes_of_distinct_words_are_decoded_and_take_counters_route(wrap):
    text = " ".join(distinct_ids(120_000)) + " Ωμέγα ΟΔΥΣΣΕΥΣ"
    with counting_calls() as calls:
        got = hotloop.word_count(wrap(text.encode("utf-8")))
    assert calls.calls["hl_word_table_count"] == 0
    assert_exact(got, reference(text))


@pytest.mark.parametrize("errors", ["strict", "replace", "ignore", "surrogateescape"])
def test_malformed_bytes_on_counters_route_decode_as_the_engine_does(errors):
    # As bytes.decode(errors) decodes them: replaced, dropped, escaped, or the engine's error
    # (same class, offsets and reason) for "strict".
    data = " ".join(distinct_ids(120_000)).encode() + b" ok \xe2\x82 \xff end"
    with counting_calls() as calls:
        got, routed_error = outcome(lambda: hotloop.word_count(data, errors=errors))
    if routed_error is None:
        assert_exact(got, reference(data.decode("utf-8", errors)))
    assert calls.calls["hl_word_table_count"] == 0
    if errors == "strict":
        with routed(1 << 16, always=False):
            _text._LOOK_FROM = 1 << 62  # the engine's route
            with pytest.raises(hotloop.HotloopUnicodeDecodeError) as engine:
                hotloop.word_count(data)
        assert routed_error is not None
        assert (routed_error.start, routed_error.end, routed_error.reason) == (
            engine.value.start, engine.value.end, engine.value.reason)
        assert routed_error.object == engine.value.object == data


def test_a_buffer_of_other_items_is_refused_before_any_route():
    data = memoryview(" ".join(distinct_ids(120_000)).encode() + b" ").cast("H")  # even length
    with pytest.raises(hotloop.InvalidTypeError, match="a buffer of bytes is needed"):
        hotloop.word_count(data)


def chinese_lines(n, seed=2):
    """n lines of 60-180 ideographs, as Chinese text without word segmentation comes."""
    rng = random.Random(seed)
    ideographs = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    return "\n".join("".join(rng.choices(ideographs, k=rng.randrange(60, 180)))
                     for _ in range(n))


@pytest.mark.parametrize("encode", [False, True])
def test_chinese_lines_take_counters_route_as_str_and_as_bytes(encode):
    # 64K bytes of these lines hold ~180 of them (too few for the look): the look reads 64K code
    # points (~540 lines), not 64K bytes.
    text = chinese_lines(9_000)
    data = text.encode() if encode else text
    assert len(data) >= _text._LOOK_FROM
    with counting_calls() as calls:
        got = hotloop.word_count(data)
    assert calls.calls["hl_word_table_count"] == 0
    assert_exact(got, reference(text))


def test_bytes_are_measured_in_bytes():
    # 1.4 MB of Chinese lines, 0.48M code points: bytes of 2**20 bytes or more take the route
    # (they were decoded, then left to the engine for having fewer than 2**20 code points).
    text = chinese_lines(4_000)
    data = text.encode()
    assert len(text) < _text._LOOK_FROM <= len(data)
    with counting_calls() as calls:
        got = hotloop.word_count(data)
    assert calls.calls["hl_word_table_count"] == 0
    assert_exact(got, reference(text))


# ---- the hand-off: the rest of a text to the engine ----

@contextlib.contextmanager
def hand_offs(words):
    """The rest of a text on Counter's route goes to the engine once `words` words past the
    sample are counted (any share of new words is below 2, no piece's words come back only
    nearby); yields the code points (bytes, in a file) where each hand-off started. Inside
    routed(), which turns hand-offs off (and whose look passes before any _nearby_only)."""
    saved = (_text._HAND_OFF_NEW, _text._HAND_OFF_WORDS, _text._engine_counts_from,
             _text._file_counts_from, _text._nearby_only)
    starts = []

    def engine_counts_from(text, start, ctl):
        starts.append(start)
        return saved[2](text, start, ctl)

    def file_counts_from(name, encoded, start, flags, ctl):
        starts.append(start)
        return saved[3](name, encoded, start, flags, ctl)

    _text._HAND_OFF_NEW, _text._HAND_OFF_WORDS = 2, words
    _text._engine_counts_from, _text._file_counts_from = engine_counts_from, file_counts_from
    _text._nearby_only = lambda words: False
    try:
        yield starts
    finally:
        (_text._HAND_OFF_NEW, _text._HAND_OFF_WORDS, _text._engine_counts_from,
         _text._file_counts_from, _text._nearby_only) = saved


@given(pieces_text, st.integers(1, 30), st.integers(1, 8), st.none() | st.integers(0, 8))
@example("ΑΣ ΑΣ'x Σ\u180e Σ ΑΣ ΑΣ'x Σ", 3, 1, None)  # sigmas just before and after the cut
@example("x AΣ'\nΣ'A \tΣ ΑΣ\x85ΑΣ\u3000Σ", 2, 1, 2)
@example("\ud800 \udfff\n\U0001f600 İ ẞ \ud800 ẞ \U0001f600", 1, 2, 3)
@example("a b a c " * 20, 3, 2, None)  # words before the cut counted again after it
def test_a_hand_off_at_any_piece_counts_exactly(text, piece, words, k):
    with routed(piece), hand_offs(words) as starts, counting_calls() as calls:
        got = hotloop.word_count(text, top=k)
    assert_exact(got, reference(text, k))
    if text.split():  # (else the engine counts the text: the sample had nothing to measure)
        # (a hand-off at the text's end has nothing to count)
        assert calls.calls["hl_word_table_count"] == len(starts) - starts.count(len(text)) <= 1
    for start in starts:  # just after whitespace that lower() does not see across
        assert 0 < start <= len(text)
        assert start == len(text) or not text[start - 1].strip()


@given(st.lists(st.one_of(junk, st.sampled_from([b" ", b"\n", "ΑΣ".encode(), "Σ'".encode()]),
                          st.binary(max_size=4), st.text(max_size=4).map(str.encode)),
                max_size=60).map(b"".join),
       st.integers(1, 30), st.integers(1, 8),
       st.sampled_from(["strict", "replace", "ignore", "surrogateescape", "backslashreplace"]))
@example(b"a \xff b \xed\xa0\x80 a \xff \xe2\x82 b c", 2, 1, "surrogateescape")
def test_a_hand_off_in_decoded_bytes_counts_exactly(data, piece, words, errors):
    try:
        want = reference(data.decode("utf-8", errors))
    except UnicodeDecodeError:
        want = None
    with routed(piece), hand_offs(words) as starts:
        got, error = outcome(lambda: hotloop.word_count(data, errors=errors))
    assert (error is None) == (want is not None)
    if want is not None:
        assert_exact(got, want)
    assert len(starts) <= 1


@pytest.mark.parametrize("extra", ["", " é", " €", " \U0001f600"])  # each kind of str
def test_a_hand_off_reads_the_rest_of_each_kind_of_str(extra):
    ids = distinct_ids(3000)
    text = " ".join(ids + [extra] + ids[:50] + ["x", "y", "x"] + [extra])
    with routed(1000), hand_offs(100) as starts, counting_calls() as calls:
        got = hotloop.word_count(text)
    assert starts and calls.calls["hl_word_table_count"] == 1
    assert_exact(got, reference(text))


def test_ids_then_prose_hand_the_prose_to_the_engine():
    # The first sixteenth is all IDs (the route takes the text); at the prose, the share of new
    # words falls and the engine counts the rest: the IDs met again in it add to their counts,
    # the prose's words follow in their order.
    text, prose = ids_then_prose()
    starts = []
    engine_counts_from = _text._engine_counts_from

    def spy(text, start, ctl):
        starts.append(start)
        return engine_counts_from(text, start, ctl)

    with counting_calls() as calls:
        _text._engine_counts_from = spy
        try:
            got = hotloop.word_count(text)
            top = hotloop.word_count(text, top=5)
        finally:
            _text._engine_counts_from = engine_counts_from
    assert_exact(got, reference(text))
    assert top == reference(text, 5)
    assert calls.calls["hl_word_table_count"] == len(starts) == 2
    assert all(len(text) - len(prose) < start < len(text) // 2 for start in starts)


def test_ids_met_again_in_another_order_stay_on_counters_route():
    # The second half holds no new word, but its pieces hold no repeat either: the engine's
    # count of it would come back with as many words to merge as Counter's loop counts (random
    # words used twice, handed off: 0.65-0.82x Counter's time where the route took 0.95x).
    ids = distinct_ids(60_000, seed=5)
    again = ids[:]
    random.Random(5).shuffle(again)
    text = " ".join(ids + again)
    with counting_calls() as calls:
        got = hotloop.word_count(text)
    assert calls.calls["hl_word_table_count"] == 0
    assert_exact(got, reference(text))


def test_ids_again_nearby_after_distinct_ones_stay_on_counters_route():
    # Distinct IDs (sampled: Counter's route), then IDs 60% of them again nearby: their
    # stretches have 0.4 new words and their pieces 0.4 distinct, which handed the rest off to
    # the engine (IDs half again nearby took 0.76x Counter's time, 0.97-1.02x on this loop).
    # Words that come back only nearby (_nearby_only) are not prose's: they stay here.
    text = " ".join(distinct_ids(60_000, seed=7)) + "\n" + ids_again(0.6, seed=8)
    with counting_calls() as calls:
        got = hotloop.word_count(text)
    assert calls.calls["hl_word_table_count"] == 0
    assert_exact(got, reference(text))


def test_words_met_before_are_looked_at_one_stretch_in_eight(monkeypatch):
    # A set() of a piece's words costs 10-15% of the loop: after one that shows no repeats
    # within, _HAND_OFF_QUIET stretches go unexamined, and prose after them is still handed off.
    ids = distinct_ids(3000, seed=6)
    again = ids[:]
    random.Random(6).shuffle(again)
    text = " ".join(ids + again + ["the cat and the hat"] * 2000)
    looked, within = [], _text._repeats_within
    monkeypatch.setattr(_text, "_repeats_within", lambda words: (
        looked.append(len(words)), within(words))[1])
    with routed(1000), counting_calls() as calls:
        _text._HAND_OFF_NEW, _text._HAND_OFF_WORDS = 0.5, 100
        got = hotloop.word_count(text)
    assert_exact(got, reference(text))
    assert calls.calls["hl_word_table_count"] == 1  # the prose
    stretches = len(again) // 100  # ~30 of words met before, a piece (~100 words) each
    assert 2 <= len(looked) - 1 <= stretches // (_text._HAND_OFF_QUIET + 1) + 2


def test_progress_goes_through_a_hand_off_once_to_the_end():
    # The route's reports stand for the whole call: the engine's count of the rest adds none of
    # its own (in its own units), and the end is reported once, when the counts are merged.
    text = " ".join(distinct_ids(3000) + ["the cat"] * 3000)
    n, seen = len(text), []
    with routed(1000), hand_offs(500) as starts, counting_calls() as calls:
        got = hotloop.word_count(text, progress=lambda done, total: seen.append((done, total)))
    assert_exact(got, reference(text))
    assert len(starts) == 1 and calls.calls["hl_word_table_count"] == 1
    dones = [done for done, _ in calls.progress]
    assert dones == sorted(dones) and dones.count(n) == 1 and dones[-1] == n
    assert dones[-2] == starts[0]  # the last piece before the hand-off, then the end
    assert all(total == n for _, total in calls.progress)
    assert seen[-1] == (n, n)


def cancelled_in_hand_off(text, engine_counts_from):
    """word_count(text) under an aio job's control, on Counter's route and handed off after 100
    words to engine_counts_from(text, start, ctl) (which cancels): HotloopCancelledError."""
    _run.set_job_control(_run.new_control())
    try:
        with routed(1000), hand_offs(100):
            _text._engine_counts_from = engine_counts_from
            with pytest.raises(hotloop.HotloopCancelledError):
                hotloop.word_count(text)
    finally:
        _run.set_job_control(None)


def test_a_cancel_during_the_hand_off_stops_the_call():
    text = " ".join(distinct_ids(3000))
    engine_counts_from = _text._engine_counts_from

    def cancelled_first(text, start, c):
        _text.lib.hl_control_cancel(c)
        return engine_counts_from(text, start, c)

    cancelled_in_hand_off(text, cancelled_first)


def test_a_cancel_during_the_merge_stops_it(monkeypatch):
    # The engine's count of the rest has ended; a cancel then is seen between the merge's
    # batches of _FILL_KEYS words.
    text = " ".join(distinct_ids(3000))
    monkeypatch.setattr(_text, "_FILL_KEYS", 10)
    checks, check = [], _text._stop_if_cancelled
    monkeypatch.setattr(_text, "_stop_if_cancelled", lambda c: (checks.append(c), check(c)))
    engine_counts_from = _text._engine_counts_from

    def cancelled_after(text, start, c):
        words, counts = engine_counts_from(text, start, c)
        assert len(words) > 20
        checks.clear()
        _text.lib.hl_control_cancel(c)
        return words, counts

    cancelled_in_hand_off(text, cancelled_after)
    assert len(checks) == 1  # the first check between batches


def test_the_engine_that_cannot_follow_leaves_the_rest_to_python():
    text = " ".join(distinct_ids(3000) + ["the cat"] * 3000)
    with routed(1000), hand_offs(100) as starts, counting_calls() as calls:
        _text._engine_counts_from = lambda text, start, ctl: starts.append(start)  # None
        got = hotloop.word_count(text)
    assert_exact(got, reference(text))
    assert len(starts) > 5 and calls.calls["hl_word_table_count"] == 0  # tried again and again


# ---- files ----

def test_a_file_of_distinct_words_takes_counters_route(tmp_path):
    text = "\n".join(distinct_ids(120_000)) + "\nΟΔΥΣΣΕΥΣ Ωμέγα"
    path = tmp_path / "ids.txt"
    path.write_text(text, encoding="utf-8")
    seen = []
    with counting_calls() as calls:
        got = hotloop.word_count_file(path, progress=lambda done, total: seen.append((done, total)))
        top = hotloop.word_count_file(path, top=3)
    assert calls.calls["hl_word_table_count_file"] == 0 and calls.made == 0
    assert_exact(got, reference(text))
    assert top == reference(text, 3)
    size = path.stat().st_size
    assert seen[-1] == (size + 1, size + 1)  # bytes read, then one unit for the result


def test_a_file_of_ids_again_nearby_takes_counters_route(tmp_path):
    text = ids_again(0.5)
    path = tmp_path / "ids.txt"
    path.write_text(text, encoding="utf-8")
    with counting_calls() as calls:
        got = hotloop.word_count_file(path)
    assert calls.calls["hl_word_table_count_file"] == 0 and calls.made == 0
    assert_exact(got, reference(text))


def test_a_file_of_chinese_lines_with_a_bom_takes_counters_route(tmp_path):
    text = chinese_lines(9_000)
    path = tmp_path / "zh.txt"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    with counting_calls() as calls:
        got = hotloop.word_count_file(path, encoding="utf-8-sig")
    assert calls.calls["hl_word_table_count_file"] == 0
    assert_exact(got, reference(text))


@pytest.mark.parametrize("errors", ["strict", "replace", "ignore", "surrogateescape"])
@pytest.mark.parametrize("where", [100, 3_000_000])  # in the sample; past it
def test_malformed_bytes_in_a_file_on_counters_route(tmp_path, errors, where):
    data = bytearray("\n".join(distinct_ids(400_000)).encode())
    data[where:where + 1] = b"\xff"
    path = tmp_path / "bad.txt"
    path.write_bytes(bytes(data))
    with counting_calls() as calls:
        got, routed = outcome(lambda: hotloop.word_count_file(path, errors=errors))
    if routed is None:
        assert_exact(got, reference(bytes(data).decode("utf-8", errors)))
    assert calls.calls["hl_word_table_count_file"] == 0
    if errors == "strict":
        with routed_off(), pytest.raises(hotloop.HotloopUnicodeDecodeError) as engine:
            hotloop.word_count_file(path)
        assert routed is not None
        assert (routed.start, routed.end, routed.reason, routed.filename) == (
            engine.value.start, engine.value.end, engine.value.reason, engine.value.filename)


def file_outcome(path, **options):
    """word_count_file(path, **options)'s (result, None), or (None, (the message, offsets and
    reason of the HotloopUnicodeDecodeError it raised))."""
    got, error = outcome(lambda: hotloop.word_count_file(path, **options))
    if error is not None:
        error = (str(error), error.start, error.end, error.reason, error.object, error.filename)
    return got, error


@given(st.lists(st.one_of(junk, st.sampled_from([b" ", b"\n", b"\t", "ΑΣ".encode(),
                                                 "Σ'".encode(), b"\xef\xbb\xbf"]),
                          st.binary(max_size=4), st.text(max_size=4).map(str.encode)),
                max_size=60).map(b"".join),
       st.integers(1, 30), st.integers(1, 8),
       st.sampled_from(["strict", "replace", "ignore", "surrogateescape"]),
       st.sampled_from(["utf-8", "utf-8-sig"]))
@example(b"a \xff b \xe2\x82 a\tb \xff\xe2\x82\nb c", 2, 1, "replace", "utf-8")
@example(b"\xef\xbb\xbfa b a \xff b", 3, 1, "strict", "utf-8-sig")  # an error past the cut
def test_a_file_handed_off_at_any_piece_counts_exactly(data, piece, words, errors, codec):
    # The engine reads the rest of the file from the byte after the piece's cut: each result,
    # and each decoding error (its offsets in the file, its message), as the engine's route.
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "words.txt")
        with open(path, "wb") as f:
            f.write(data)
        with routed_off():
            want = file_outcome(path, encoding=codec, errors=errors)
        with routed(piece), pieces_of(piece), hand_offs(words) as starts:
            with counting_calls() as calls:
                got = file_outcome(path, encoding=codec, errors=errors)
    assert got[1] == want[1]
    if want[1] is None:
        assert_exact(got[0], want[0])
        if want[0]:  # (else the engine counts the file: the sample had nothing to measure)
            assert calls.calls["hl_word_table_count_file"] == len(starts) <= 1
    if errors == "surrogateescape":  # a handler the engine has not: Python decodes it all
        assert not starts
    for start in starts:  # just after an ASCII whitespace byte (or at the end)
        assert 0 < start <= len(data)
        assert start == len(data) or data[start - 1:start] in (b" ", b"\n", b"\t")


def ids_then_prose(n_ids=40_000, lines=50_000):
    """(text, prose): distinct IDs, then prose in which some of them come back."""
    ids = distinct_ids(n_ids)
    prose = "The cat and THE hat " * lines + " ".join(ids[:100]) + " ΟΔΥΣΣΕΥΣ"
    return " ".join(ids) + "\n" + prose, prose


def test_a_file_of_ids_then_prose_hands_the_prose_to_the_engine(tmp_path):
    # Files are read 1 MiB at a time: 4 MB of IDs make the sample's piece all IDs.
    text, prose = ids_then_prose(400_000, 150_000)
    path = tmp_path / "ids.txt"
    path.write_text(text, encoding="utf-8")
    size = len(text.encode())
    seen = []
    with hand_offs(_text._HAND_OFF_WORDS) as starts, counting_calls() as calls:
        _text._HAND_OFF_NEW = 0.5  # (hand_offs makes any share hand off)
        got = hotloop.word_count_file(path, progress=lambda done, total: seen.append(done))
        top = hotloop.word_count_file(path, top=5)
    assert_exact(got, reference(text))
    assert top == reference(text, 5)
    assert calls.calls["hl_word_table_count_file"] == len(starts) == 2
    assert all(size - len(prose) < start < size - len(prose) // 2 for start in starts)
    assert seen == sorted(seen) and seen[-1] == size + 1 and seen.count(size + 1) == 1


def test_a_file_decoded_by_python_is_not_handed_off(tmp_path):
    # surrogateescape: the engine has not this handler, so Counter's loop counts the whole file.
    text, _ = ids_then_prose(400_000, 150_000)
    path = tmp_path / "ids.txt"
    path.write_bytes(text.encode() + b" \xff")
    with counting_calls() as calls:
        got = hotloop.word_count_file(path, errors="surrogateescape")
    assert calls.calls["hl_word_table_count_file"] == 0
    assert_exact(got, reference((text.encode() + b" \xff").decode("utf-8", "surrogateescape")))


@pytest.mark.parametrize("lines, engine", [(False, 0), (True, 1)])
def test_under_pypy_a_file_of_distinct_words_is_decoded_whole_first(tmp_path, monkeypatch,
                                                                    lines, engine):
    # PyPy does not split an ASCII-only text on U+001C..U+001F (_ASCII_TEXT_KEEPS, made so here:
    # CPython splits on them anyway), and whether a file is ASCII is known only at its end: the
    # file is decoded whole, then counted as a str; one of long words (Chinese lines) goes to
    # the engine, which reads its bytes.
    monkeypatch.setattr(_text, "_ASCII_TEXT_KEEPS", {0x1C: " "})
    text = (chinese_lines(9_000) if lines else "\n".join(distinct_ids(120_000))) + " a\x1cb é"
    path = tmp_path / "words.txt"
    path.write_text(text, encoding="utf-8")
    read, decoded = [], _text._python_read
    monkeypatch.setattr(_text, "_python_read", lambda *a: (read.append(a), decoded(*a))[1])
    with counting_calls() as calls:
        got = hotloop.word_count_file(path)
    assert_exact(got, reference(text))
    assert calls.calls["hl_word_table_count_file"] == engine and len(read) == 1 - engine


def test_files_of_repeated_words_go_to_the_engine(tmp_path):
    path = tmp_path / "cats.txt"
    path.write_text("the cat and the hat\n" * 60_000, encoding="utf-8")
    with counting_calls() as calls:
        got = hotloop.word_count_file(path)
    assert calls.calls["hl_word_table_count_file"] == 1
    assert_exact(got, reference(path.read_text(encoding="utf-8")))


@contextlib.contextmanager
def routed_off():
    saved = _text._LOOK_FROM
    _text._LOOK_FROM = 1 << 62
    try:
        yield
    finally:
        _text._LOOK_FROM = saved


def test_words_used_one_and_a_half_times_take_counters_route():
    # Repeats spread over the whole text: the sample (its first two pieces here) sees few of
    # them (a share of new characters of 0.976: at or above 0.96, below 0.98), where the engine
    # took 0.71-1.01x Counter's time.
    rng = random.Random(4)
    ids = distinct_ids(100_000, seed=4)
    words = ids + rng.choices(ids, k=30_000)
    rng.shuffle(words)
    text = " ".join(words)
    with counting_calls() as calls:
        got = hotloop.word_count(text)
    assert calls.calls["hl_word_table_count"] == 0
    assert_exact(got, reference(text))


@pytest.mark.parametrize("words", [800, 1000])
def test_a_glance_at_real_text_turns_it_away_before_the_look(words):
    # 4-5K code points of words of a vocabulary, then distinct IDs: the glance (8K code points,
    # a share of 0.62-0.73 < 0.75, its vocabulary in each block: not _nearby_only) sends the
    # text to the engine though the whole look (64K, ~0.96) passes.
    rng = random.Random(7)
    vocabulary = ["w%d" % i for i in range(300)]
    text = " ".join(rng.choices(vocabulary, k=words) + distinct_ids(120_000))
    look = text[:_text._LOOK]
    assert _text._new_share(look.split()) >= _text._LOOK_NEW
    assert not _text._mostly_new(look)
    with counting_calls() as calls:
        got = hotloop.word_count(text)
    assert calls.calls["hl_word_table_count"] >= 1
    assert_exact(got, reference(text))
