"""Files Python decodes (codecs and error handlers the engine has not) are read, decoded and
counted in pieces: the result must be exactly the count of the whole decoded text, whatever the
piece size (made tiny here), and decoding errors, cancellation and progress as for the whole."""
import codecs
import collections
import contextlib
import os
import tempfile
import threading
import time

import pytest
from hypothesis import example, given, strategies as st

import hotloop
from hotloop import _run, _text
from hotloop._loader import ffi, lib

# (codec, errors): each decodes in Python. The utf-8 ones get malformed bytes mixed in.
CODECS = [("latin-1", "strict"), ("cp1252", "strict"), ("utf-16", "strict"),
          ("utf-16-le", "strict"), ("utf-32", "strict"), ("shift_jis", "strict"),
          ("gb18030", "strict"), ("utf-8", "surrogateescape"), ("utf-8-sig", "backslashreplace")]
# What splits or lowers differently: final sigmas, PyPy's U+180E and U+001C..U+001F, CRLF, ...
SPECIAL = ["Σ", "ΑΣ", "ΟΔΥΣΣΕΥΣ", "ς", "\u180e", "Σ\u180e", "\x1c", "\x1d", "\x1e", "\x1f",
           "\r\n", "\r", "\n", " ", "\t", "\x0b", "\x0c", "\x85", "\xa0", "\u3000", "\u2028",
           "İ", "ß", "A\u0345Σ", "Ω'Σ", "\ufeff", "\U0001f600", "é", "€", "日本", "中文"]
text_strategy = st.lists(st.one_of(st.sampled_from(SPECIAL), st.text(max_size=4)),
                         max_size=40).map("".join)
junk = st.sampled_from([b"\xff", b"\x80", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xf0\x9f",
                        b"\xef\xbb\xbf"])


@contextlib.contextmanager
def pieces_of(n, batch=None):
    """Files are read n bytes at a time, and their text counted every `batch` bytes (default:
    each piece on its own). Hypothesis cannot take pytest's monkeypatch."""
    saved = _text._PIECE_BYTES, _text._COUNT_BYTES
    _text._PIECE_BYTES, _text._COUNT_BYTES = n, n if batch is None else batch
    try:
        yield
    finally:
        _text._PIECE_BYTES, _text._COUNT_BYTES = saved


def encoded(text, codec, errors, extra):
    if codec in ("utf-8", "utf-8-sig"):  # text with malformed bytes between its parts
        parts = [text[i::3] for i in range(3)]
        data = b"".join(p.encode("utf-8", "surrogatepass") + j for p, j in zip(parts, extra))
        return (codecs.BOM_UTF8 if codec == "utf-8-sig" and extra else b"") + data
    return text.encode(codec, "ignore")  # what the codec cannot hold is left out


def python_text(data, codec, errors):
    """What the previous implementation counted: the whole file, decoded at once."""
    return codecs.getincrementaldecoder(codec)(errors).decode(data, True)


def write(directory, data):
    path = os.path.join(directory, "t.txt")
    with open(path, "wb") as f:
        f.write(data)
    return path


@given(text_strategy, st.sampled_from(CODECS), st.integers(1, 24), st.integers(1, 60),
       st.lists(junk, max_size=3), st.integers(0, 4), st.integers(0, 2 ** 64 - 1))
@example("ab ΑΣ\u180ecd Σ\r\nx", ("utf-16", "strict"), 1, 1, [], 2, 0)
@example("\x1c a\x1db é", ("latin-1", "strict"), 2, 3, [], 1, 5)
@example("word " * 30, ("utf-32", "strict"), 3, 7, [], 1, 1)
def test_pieces_count_as_the_whole_text(text, codec_errors, piece, batch, extra, k, part):
    codec, errors = codec_errors
    data = encoded(text, codec, errors, extra)
    with tempfile.TemporaryDirectory() as d:
        path = write(d, data)
        with open(path, encoding=codec, errors=errors) as f:
            ref = collections.Counter(f.read().lower().split())
        with pieces_of(piece, batch):
            counts = hotloop.word_count_file(path, encoding=codec, errors=errors)
            top = hotloop.word_count_file(path, k, encoding=codec, errors=errors)
            table = hotloop.WordTable.from_file(path, part=part, encoding=codec, errors=errors)
    assert counts == dict(ref) and list(counts) == list(ref)
    assert top == ref.most_common(k)
    # The table itself - first occurrences (part, UTF-8 offset), spans, features - is the one
    # of the whole decoded text, as before.
    whole = hotloop.WordTable.from_text(python_text(data, codec, errors), part=part)
    assert table.to_bytes() == whole.to_bytes()


def test_a_text_without_ascii_whitespace_is_one_piece(tmp_path):
    # No place to cut: the pieces join until the end (correct, only bigger).
    text = "\u3000".join(["Ωμέγα", "ΣΟΦΟΣ", "ωμέγα"] * 200)  # ideographic spaces only
    path = tmp_path / "t.txt"
    path.write_bytes(text.encode("utf-16"))
    with pieces_of(7):
        assert hotloop.word_count_file(path, encoding="utf-16") == {
            "ωμέγα": 400, "σοφος": 200}


# ---- decoding errors: at file offsets, as the whole file's decode reports them ----

ERROR_CODECS = [("ascii", "strict"), ("cp1252", "strict"), ("utf-16", "strict"),
                ("utf-16-le", "strict"), ("utf-32", "strict"), ("shift_jis", "strict"),
                ("gb18030", "strict"), ("utf-8", "surrogatepass"), ("utf-8-sig", "surrogatepass")]
bad_bytes = st.sampled_from([b"\xff", b"\x81", b"\x8d", b"\x00", b"\x00\xd8", b"\xff\xff\x11\x00",
                             b"\x81\x30", b"\xed\xa0", b"\xc3", b"\xf0\x9f\x98"])


def whole_file_error(data, codec, errors):
    try:
        python_text(data, codec, errors)
    except UnicodeDecodeError as exc:
        return exc
    return None


@given(st.text(alphabet="abc Σé\n", max_size=30), bad_bytes, st.text(alphabet="xyz \n", max_size=30),
       st.sampled_from(ERROR_CODECS), st.integers(1, 16), st.booleans())
@example("ab", b"\xff", "", ("utf-16", "strict"), 1, False)
@example("abc de", b"\x81\x30", "", ("gb18030", "strict"), 2, False)
@example("", b"\xed\xa0", "xy", ("utf-8-sig", "surrogatepass"), 1, True)
@example("", b"\xff", "x", ("ascii", "strict"), 1, False)  # the error ends where the piece does
def test_decoding_errors_are_at_file_offsets(head, bad, tail, codec_errors, piece, bom):
    codec, errors = codec_errors
    data = head.encode(codec, "ignore") + bad + tail.encode(codec, "ignore")
    if bom and codec == "utf-8-sig":
        data = codecs.BOM_UTF8 + data
    expected = whole_file_error(data, codec, errors)
    with tempfile.TemporaryDirectory() as d:
        path = write(d, data)
        for count in (lambda: hotloop.word_count_file(path, encoding=codec, errors=errors),
                      lambda: hotloop.WordTable.from_file(path, encoding=codec, errors=errors)):
            with pieces_of(piece):
                if expected is None:  # the bytes happened to be valid
                    with open(path, encoding=codec, errors=errors) as f:
                        ref = collections.Counter(f.read().lower().split())
                    result = count()
                    assert (result if isinstance(result, dict) else result.to_dict()) == dict(ref)
                    continue
                with pytest.raises(hotloop.HotloopUnicodeDecodeError) as info:
                    count()
            e = info.value
            # utf-8-sig's decoder reports offsets after the BOM it skipped; ours are the file's.
            shift = 3 if codec == "utf-8-sig" and data.startswith(codecs.BOM_UTF8) else 0
            assert (e.start, e.end, e.reason) == (expected.start + shift, expected.end + shift,
                                                  expected.reason)
            assert e.object == data[e.start:e.end] and e.filename == path
            assert isinstance(e, UnicodeDecodeError) and path in str(e)
            assert "byte offset %d" % e.start in str(e)


def test_missing_bom_is_still_an_encoding_error(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes("no bom here".encode("utf-16-le"))
    with pieces_of(3), pytest.raises(hotloop.EncodingError, match="BOM") as info:
        hotloop.word_count_file(path, encoding="utf-16")
    assert not isinstance(info.value, UnicodeDecodeError) and str(path) in str(info.value)


def test_compressed_file_is_named_so_when_it_does_not_decode(tmp_path):
    import gzip
    path = tmp_path / "t.txt.gz"
    path.write_bytes(gzip.compress(b"words " * 5000))
    with pieces_of(64), pytest.raises(hotloop.HotloopUnicodeDecodeError, match="gzip-compressed"):
        hotloop.word_count_file(path, encoding="utf-16-le", errors="strict")


# ---- the C calls: tables freed, progress, cancellation ----

class CountingLib:
    """The C library, counting the word tables made and freed, and recording the progress the
    package reports (hl_control_set_progress)."""

    MAKERS = ("hl_word_table_count", "hl_word_table_count_at", "hl_word_table_merge",
              "hl_word_table_from_bytes")

    def __init__(self, real):
        self._real = real
        self.made = self.freed = 0
        self.progress = []
        self.calls = collections.Counter()  # the functions looked up, by name

    def __getattr__(self, name):
        attr = getattr(self._real, name)
        self.calls[name] += 1
        if name in self.MAKERS:
            def make(*args):
                status = attr(*args)
                self.made += status == 0
                return status
            return make
        if name == "hl_word_table_destroy":
            def destroy(table):
                self.freed += table != ffi.NULL
                return attr(table)
            return destroy
        if name == "hl_control_set_progress":
            def report(ctl, done, total):
                self.progress.append((done, total))
                return attr(ctl, done, total)
            return report
        return attr


@pytest.fixture
def counting_lib(monkeypatch):
    counting = CountingLib(lib)
    monkeypatch.setattr(_text, "lib", counting)
    return counting


def words_file(tmp_path, n=3000, codec="latin-1"):
    text = "\n".join("Wört%d straße ÉTÉ" % (i % 700) for i in range(n))
    path = tmp_path / "words.txt"
    path.write_bytes(text.encode(codec))
    return path, collections.Counter(text.lower().split())


def test_progress_counts_the_bytes_of_the_whole_call(tmp_path, counting_lib):
    path, ref = words_file(tmp_path)
    size = path.stat().st_size
    seen = []
    with pieces_of(1000):
        counts = hotloop.word_count_file(path, encoding="latin-1",
                                         progress=lambda done, total: seen.append((done, total)))
    assert counts == dict(ref)
    reported = counting_lib.progress
    assert len(reported) > size // 1000  # one per piece, at least
    assert all(total == size + 1 for _, total in reported)  # one bar: the total never moves
    dones = [done for done, _ in reported]
    assert dones == sorted(dones) and dones[-1] == size + 1  # 100% once, at the very end
    assert all(done < size + 1 for done in dones[:-1])
    assert seen[-1] == (size + 1, size + 1)  # what the callable saw last
    assert counting_lib.made == counting_lib.freed + 0  # every table made was freed


def test_a_table_from_pieces_is_the_only_table_left(tmp_path, counting_lib):
    path, ref = words_file(tmp_path)
    with pieces_of(500):
        table = hotloop.WordTable.from_file(path, encoding="latin-1", part=3)
    assert table.to_dict() == dict(ref)
    assert counting_lib.made == counting_lib.freed + 1  # the table returned
    table.close()
    assert counting_lib.made == counting_lib.freed


def test_batches_of_every_str_kind_count_at_their_utf8_offsets(tmp_path, counting_lib):
    # Batches whose text is an ASCII, a Latin-1, a UCS-2 and a UCS-4 str (read in place: the
    # count measures each one's UTF-8 size, where the next batch starts), words first seen in
    # one batch and seen again in later ones: the table is the whole text's, byte for byte,
    # made of counts at offsets and merges only (no serialized round trip).
    kinds = ["Plain words %d\n", "Caf\xe9 NA\xcfVE %d\n",
             "\u20ac \u03a3\u039f\u03a6\u039f\u03a3 %d\n", "\U0001f600 \u1e9e%d\n"]
    text = "".join(kind % (i % 37) for kind in kinds * 3 for i in range(60))
    path = tmp_path / "t.txt"
    path.write_bytes(text.encode("utf-16"))
    with pieces_of(256, 1024):
        table = hotloop.WordTable.from_file(path, encoding="utf-16", part=7)
    assert counting_lib.calls["hl_word_table_count_at"] > 8  # batches
    assert counting_lib.calls["hl_word_table_merge"] == (
        counting_lib.calls["hl_word_table_count_at"] - 1)
    assert counting_lib.calls["hl_word_table_to_bytes"] == 0
    assert counting_lib.calls["hl_word_table_from_bytes"] == 0
    assert table.to_bytes() == hotloop.WordTable.from_text(text, part=7).to_bytes()
    assert table.to_dict() == dict(collections.Counter(text.lower().split()))


def test_decoding_error_frees_the_tables_of_earlier_pieces(tmp_path, counting_lib):
    path = tmp_path / "t.txt"
    path.write_bytes(b"fine words\n" * 500 + b"\x81 bad")
    with pieces_of(100), pytest.raises(hotloop.HotloopUnicodeDecodeError) as info:
        hotloop.word_count_file(path, encoding="cp1252")
    assert info.value.start == 5500
    assert counting_lib.made > 1 and counting_lib.made == counting_lib.freed


class Stop(Exception):
    pass


def blocked_after_first_piece(monkeypatch):
    """Makes the job's third read wait until its control is cancelled - the first piece (read
    first, decoded once the second was read) has then been reported and counted - so that no
    test depends on how soon anything happens."""
    real = _text._read_piece
    reads = []

    def read(f, name):
        reads.append(1)
        if len(reads) == 3:
            ctl = _run._job.control  # the hl_control of the job running on this thread
            cancelled = ffi.new("int *")
            deadline = time.monotonic() + 600  # only a broken cancel gets there
            while lib.hl_control_is_cancelled(ctl, cancelled) == 0 and not cancelled[0]:
                assert time.monotonic() < deadline, "the call was never cancelled"
                time.sleep(0.001)
        return real(f, name)

    monkeypatch.setattr(_text, "_read_piece", read)
    return reads


@pytest.mark.parametrize("raised", [Stop, KeyboardInterrupt])
@pytest.mark.parametrize("make_table", [False, True])
def test_a_cancelled_call_returns_nothing_and_frees_everything(tmp_path, monkeypatch,
                                                                counting_lib, raised, make_table):
    # The progress callable raises at its first report after the first piece, as Ctrl-C would
    # interrupt the wait: the call is cancelled between pieces and raises that exception.
    path, _ = words_file(tmp_path)
    reads = blocked_after_first_piece(monkeypatch)
    seen = []

    def progress(done, total):
        seen.append((done, total))
        if done > 0:
            raise raised()

    count = hotloop.WordTable.from_file if make_table else hotloop.word_count_file
    with pieces_of(1000), pytest.raises(raised):
        count(path, encoding="latin-1", progress=progress)
    assert seen[-1][0] > 0 and seen[-1][0] < seen[-1][1]
    assert len(reads) < path.stat().st_size // 1000  # it stopped early
    assert counting_lib.made >= 1 and counting_lib.made == counting_lib.freed
    if raised is KeyboardInterrupt:
        assert not _run.take_pending_interrupt()  # nothing owed: the call did not complete


def test_a_control_cancelled_before_the_first_piece_reads_nothing(tmp_path, counting_lib):
    # hotloop.aio's jobs run the whole function under one control: cancelled, it stops.
    path, _ = words_file(tmp_path)
    ctl = _run.new_control()
    lib.hl_control_cancel(ctl)
    _run.set_job_control(ctl)
    try:
        with pieces_of(1000), pytest.raises(hotloop.HotloopCancelledError):
            hotloop.word_count_file(path, encoding="latin-1")
    finally:
        _run.set_job_control(None)
    assert counting_lib.made == 0 and counting_lib.freed == 0


def test_fifo_in_another_codec_is_read_then_counted_in_pieces(tmp_path):
    path = str(tmp_path / "fifo")
    os.mkfifo(path)
    text = "Grüße GRÜSSE\n" * 2000

    def writer():
        with open(path, "wb") as f:
            f.write(text.encode("latin-1"))

    t = threading.Thread(target=writer)
    t.start()
    with pieces_of(333):
        counts = hotloop.word_count_file(path, encoding="latin-1")
    t.join()
    assert counts == {"grüße": 2000, "grüsse": 2000}
