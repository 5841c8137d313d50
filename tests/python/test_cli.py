"""The `hotloop` command, run as a subprocess (python -m hotloop): outputs against the plain
references (collections.Counter, statistics / NumPy, scipy.ndimage / PIL), stdin, errors as one
line with exit status 2, Ctrl-C, and the progress bar on a terminal."""
import bz2
import collections
import csv
import gzip
import json
import os
import pty
import re
import select
import signal
import statistics
import subprocess
import sys
import textwrap
import threading

import pytest
from hypothesis import given, settings, strategies as st

import hotloop

PYWRAPPER = os.path.dirname(os.path.dirname(os.path.abspath(hotloop.__file__)))
ENV = dict(os.environ, PYTHONPATH=PYWRAPPER)


def cli(*args, stdin=b"", env=ENV, **kwargs):
    return subprocess.run([sys.executable, "-m", "hotloop"] + [str(a) for a in args],
                          input=stdin, capture_output=True, env=env, timeout=300, **kwargs)


def ok(*args, stdin=b""):
    out = cli(*args, stdin=stdin)
    assert out.returncode == 0, out.stderr.decode()
    assert out.stderr == b""
    return out.stdout.decode("utf-8", "surrogateescape")


def fails_cleanly(*args, stdin=b"", **kwargs):
    """The command must fail with status 2 and one line on stderr, no traceback; returns it."""
    out = cli(*args, stdin=stdin, **kwargs)
    err = out.stderr.decode()
    assert out.returncode == 2, (out.returncode, err)
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert out.stdout == b""
    return err


# ---- wordcount ----

def reference_counts(texts, top=None):
    total = collections.Counter()
    for text in texts:
        total.update(collections.Counter(text.lower().split()))
    return total.most_common(top)


def parse_counts(stdout):
    return [(word, int(count)) for word, count in
            (line.split("\t") for line in stdout.splitlines())]


WORDS = st.sampled_from(["the", "The", "THE", "a", "B", "b", "Ünïcode", "ÜNÏCODE", "x1", "ß",
                         "İ", "word", "ΣΑΣ", "émoji🙂"])
SPACES = st.sampled_from([" ", "\n", "\t", "  ", "\u3000", "\xa0", "\r\n"])
TEXTS = st.lists(st.tuples(WORDS, SPACES), max_size=40).map(
    lambda pairs: "".join(w + s for w, s in pairs))


@settings(max_examples=15)
@given(texts=st.lists(TEXTS, min_size=1, max_size=3), top=st.none() | st.integers(0, 5))
def test_wordcount_matches_counter(tmp_path_factory, texts, top):
    folder = tmp_path_factory.mktemp("texts")
    paths = []
    for i, text in enumerate(texts):
        paths.append(folder / ("t%d.txt" % i))
        paths[-1].write_bytes(text.encode("utf-8"))
    args = ["wordcount"] + paths + ([] if top is None else ["--top", top])
    assert parse_counts(ok(*args)) == reference_counts(texts, top)


def test_wordcount_reads_stdin_and_sums_files(tmp_path):
    first = tmp_path / "first.txt"
    first.write_text("b a B\nc a\n")
    assert parse_counts(ok("wordcount", "-", stdin=b"b a B\nc a\n")) == [("b", 2), ("a", 2), ("c", 1)]
    # stdin between two files: counts are summed, ties keep the order of first occurrence.
    got = parse_counts(ok("wordcount", first, "-", first, stdin="z Z d".encode()))
    assert got == reference_counts(["b a B\nc a\n", "z Z d", "b a B\nc a\n"])


def test_wordcount_json(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("x y y z z z é É")
    out = json.loads(ok("wordcount", path, "--json"))
    assert list(out.items()) == reference_counts(["x y y z z z é É"])
    assert json.loads(ok("wordcount", path, "--json", "--top", 2)) == {"z": 3, "y": 2}


def test_wordcount_ties_follow_first_occurrence_across_files(tmp_path):
    # Every word occurs twice: the order is first occurrence in the files' sequence, so "late"
    # (first seen at the end of file 1) ranks before "early2" (first in file 2), and a file
    # given twice counts twice.
    texts = ["zeta late", "early2 zeta Late", "early2 only only", "alpha alpha"]
    paths = []
    for i, text in enumerate(texts):
        paths.append(tmp_path / ("f%d.txt" % i))
        paths[-1].write_text(text)
    got = parse_counts(ok("wordcount", *paths))
    assert got == reference_counts(texts)
    assert [w for w, _ in got] == ["zeta", "late", "early2", "only", "alpha"]
    again = [paths[3], paths[0], paths[3]]
    assert parse_counts(ok("wordcount", *again)) == reference_counts([texts[3], texts[0], texts[3]])
    # stdin in the middle is a part of its own; --top cuts the same order.
    got = parse_counts(ok("wordcount", paths[2], "-", paths[0], "--top", 3, stdin=b"only late"))
    assert got == reference_counts([texts[2], "only late", texts[0]], 3)


def test_wordcount_of_many_files_merges_in_a_tree(tmp_path, monkeypatch, capsys):
    # Each file's table was merged into a running total, which copied the whole total once per
    # file: O(words * files) (1,200 source files took 4.4 s, a Counter loop 0.6 s). Merged as a
    # binary counter carries, the words merged are at most (log2(files) + 1) times the total.
    from hotloop import _cli
    n_files, per_file = 64, 10
    paths = []
    for i in range(n_files):
        paths.append(str(tmp_path / ("f%d.txt" % i)))
        with open(paths[-1], "w") as f:
            f.write(" ".join("w%d_%d" % (i, j) for j in range(per_file)) + " common\n")
    merged = []
    merge = hotloop.WordTable.merge

    def counted(self, other, **kwargs):
        merged.append(len(self) + len(other))
        return merge(self, other, **kwargs)

    monkeypatch.setattr(hotloop.WordTable, "merge", counted)
    assert _cli.main(["wordcount", "--top", "1"] + paths) == 0
    assert capsys.readouterr().out == "common\t%d\n" % n_files
    words = n_files * per_file + 1
    assert sum(merged) <= words * (6 + 1)  # log2(64) + 1


def test_wordcount_invalid_utf8_strict_names_file_and_offset(tmp_path):
    good = tmp_path / "good.txt"
    good.write_bytes(b"fine words " * 1000)
    data = b"caf\xe9 caf\xe9 ok \xff\xfe ok ok"
    path = tmp_path / "latin1.txt"
    path.write_bytes(data)
    err = fails_cleanly("wordcount", path)
    assert str(path) in err and "byte offset 3" in err and "--errors replace" in err
    # The offset is in the file that holds the bad byte, not in the files summed before it.
    err = fails_cleanly("wordcount", good, path)
    assert str(path) in err and str(good) not in err and "byte offset 3 " in err
    err = fails_cleanly("wordcount", good, "-", stdin=b"ok \xc3(")
    assert err.startswith("hotloop wordcount: error: stdin: ") and "byte offset 3 " in err
    compressed = tmp_path / "text.gz"
    compressed.write_bytes(gzip.compress(b"some words"))
    assert "gzip" in fails_cleanly("wordcount", compressed)


def test_wordcount_compressed_input_names_the_command(tmp_path):
    # A command-line user is told the shell command that decompresses, not a Python reader, and
    # not "--errors replace", which would count the compressed bytes as words.
    compressed = tmp_path / "logs 1.gz"
    compressed.write_bytes(gzip.compress(b"some words"))
    err = fails_cleanly("wordcount", compressed)
    assert "gzip-compressed" in err and "zcat '%s' | hotloop wordcount -" % compressed in err
    assert "--errors replace" not in err and "gzip.open" not in err
    err = fails_cleanly("wordcount", "-", stdin=bz2.compress(b"some words"))
    assert err.startswith("hotloop wordcount: error: stdin: ")
    assert "bzip2-compressed" in err and "| bzcat | hotloop wordcount -" in err
    assert "--errors replace" not in err and "bz2.open" not in err


def test_wordcount_encoding(tmp_path):
    # Latin-1 logs and UTF-16 exports (with their BOM) count as open(path, encoding=...) reads
    # them, from files and from stdin, summed across inputs in one encoding.
    text = "Café CAFÉ naïve Straße\r\nok OK\n"
    latin = tmp_path / "old.txt"
    latin.write_bytes(text.encode("latin-1"))
    assert parse_counts(ok("wordcount", latin, "--encoding", "latin-1")) == reference_counts([text])
    assert (parse_counts(ok("wordcount", "-", latin, "--encoding", "cp1252",
                            stdin=text.encode("cp1252")))
            == reference_counts([text, text]))
    wide = "Σίσυφος ΣΊΣΥΦΟΣ \ufeffword\n" * 3
    utf16 = tmp_path / "export.csv"
    utf16.write_bytes(wide.encode("utf-16"))
    assert parse_counts(ok("wordcount", utf16, "--encoding", "utf-16")) == reference_counts([wide])
    assert (parse_counts(ok("wordcount", "-", "--encoding", "utf-16", stdin=wide.encode("utf-16")))
            == reference_counts([wide]))
    assert (parse_counts(ok("wordcount", "-", "--encoding", "utf-8-sig",
                            stdin=b"\xef\xbb\xbfword Word"))
            == [("word", 2)])
    err = fails_cleanly("wordcount", latin, "--encoding", "utf-8")
    assert "byte offset 3" in err and "--errors replace" in err
    err = fails_cleanly("wordcount", "-", "--encoding", "cp1252", stdin=b"ok \x81")
    assert err.startswith("hotloop wordcount: error: stdin: ") and "byte offset 3 " in err
    assert "unknown encoding: klingon" in fails_cleanly("wordcount", latin, "--encoding", "klingon")
    assert "not a text encoding" in fails_cleanly("wordcount", latin, "--encoding", "rot13")
    assert "BOM" in fails_cleanly("wordcount", "-", "--encoding", "utf-16", stdin=b"\xef\xbbab")
    # Read as UTF-8, a UTF-16 export is told the --encoding to add (not --errors replace,
    # which would count its bytes as words), from a file or stdin.
    for args, stdin in (([utf16], b""), (["-"], wide.encode("utf-16"))):
        err = fails_cleanly("wordcount", *args, stdin=stdin)
        assert err.endswith("byte order mark: add --encoding utf-16\n"), err
        assert "--errors" not in err and "encoding=" not in err


def test_wordcount_errors_handlers(tmp_path):
    data = b"caf\xe9 caf\xe9 ok \xff\xfe ok ok \xed\xa0\x80 x"
    path = tmp_path / "latin1.txt"
    path.write_bytes(data)
    other = tmp_path / "other.txt"
    other.write_bytes(b"ok \xfe caf\xe9")
    # replace and ignore are native; the others go through the library's fallback (Python
    # decodes): all must equal Counter over Python's decoding, files summed.
    for handler in ("replace", "ignore", "surrogateescape", "backslashreplace"):
        expected = reference_counts([data.decode("utf-8", handler)])
        assert parse_counts(ok("wordcount", path, "--errors", handler)) == expected, handler
        assert parse_counts(ok("wordcount", "-", "--errors", handler, stdin=data)) == expected
        both = reference_counts([data.decode("utf-8", handler), other.read_bytes().decode(
            "utf-8", handler)])
        assert parse_counts(ok("wordcount", path, other, "--errors", handler)) == both, handler
    # surrogateescape writes the original bytes back out.
    out = cli("wordcount", path, "--errors", "surrogateescape")
    assert b"caf\xe9\t2\n" in out.stdout and b"\xed\xa0\x80\t1\n" in out.stdout
    assert b"caf\\xe9\t2\n" in cli("wordcount", path, "--errors", "backslashreplace").stdout
    # --json stays valid UTF-8: lone surrogates as \u escapes that json.loads reads back.
    as_json = cli("wordcount", path, "--errors", "surrogateescape", "--json").stdout
    assert json.loads(as_json.decode("utf-8")) == dict(
        reference_counts([data.decode("utf-8", "surrogateescape")]))
    # surrogatepass lets an encoded surrogate through and still refuses other invalid bytes,
    # naming the byte offset as strict does.
    surrogate = tmp_path / "surrogate.txt"
    surrogate.write_bytes(b"a \xed\xa0\x80 A")
    assert cli("wordcount", surrogate, "--errors", "surrogatepass").stdout == (
        b"a\t2\n\xed\xa0\x80\t1\n")
    err = fails_cleanly("wordcount", path, "--errors", "surrogatepass")
    assert str(path) in err and "byte offset 3 " in err
    err = fails_cleanly("wordcount", "-", "--errors", "surrogatepass", stdin=data)
    assert err.startswith("hotloop wordcount: error: stdin: ") and "byte offset 3 " in err
    # Handlers that only encode cannot decode: refused before reading anything.
    for handler in ("xmlcharrefreplace", "namereplace"):
        assert "cannot decode" in fails_cleanly("wordcount", path, "--errors", handler)
        fails_cleanly("wordcount", "-", "--errors", handler, stdin=data)


def test_wordcount_bad_input_and_arguments(tmp_path):
    missing = tmp_path / "missing.txt"
    assert str(missing) in fails_cleanly("wordcount", missing)
    assert "Is a directory" in fails_cleanly("wordcount", tmp_path)
    fails_cleanly("wordcount")
    fails_cleanly("wordcount", "-", "--top", "x")
    fails_cleanly("wordcount", "-", "--top", "-1")
    fails_cleanly("wordcount", "-", "--errors", "no-such-handler")
    fails_cleanly("no-such-command")
    fails_cleanly()


def test_closed_standard_streams_fail_in_one_line(tmp_path):
    # `>&-` / `<&-`: Python starts with sys.stdout / sys.stdin set to None (this failed with
    # an AttributeError traceback, exit status 1).
    (tmp_path / "t.txt").write_text("x y x")
    command = "exec %s -m hotloop " % sys.executable
    cases = [("info >&-", "output"), ("info --json >&-", "output"),
             ("wordcount t.txt >&-", "output"), ("wordcount - <&-", "input"),
             ("wordcount t.txt - <&-", "input"), ("stats - <&-", "input")]
    for args, stream in cases:
        out = subprocess.run(["sh", "-c", command + args], capture_output=True, env=ENV,
                             cwd=tmp_path, timeout=120)
        err = out.stderr.decode()
        assert out.returncode == 2 and err.count("\n") == 1, (args, out.returncode, err)
        assert err.endswith(": error: standard %s is closed\n" % stream), (args, err)


@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_a_full_standard_output_fails_in_one_line(tmp_path, unbuffered):
    # /dev/full: every write fails with ENOSPC. The message says what was full, and Python's
    # flush at exit does not fail a second time ("Exception ignored ...", exit status 120).
    (tmp_path / "t.txt").write_text("x y x")
    env = dict(ENV, PYTHONUNBUFFERED=unbuffered)
    for args in (["info"], ["info", "--json"], ["wordcount", tmp_path / "t.txt"]):
        with open("/dev/full", "wb") as full:
            out = subprocess.run([sys.executable, "-m", "hotloop"] + [str(a) for a in args],
                                 stdout=full, stderr=subprocess.PIPE, env=env, timeout=120)
        err = out.stderr.decode()
        assert out.returncode == 2 and err.count("\n") == 1, (args, out.returncode, err)
        assert err.endswith(": error: standard output: No space left on device\n"), err


# ---- stats ----

def parse_stats(stdout):
    return {key: value for key, value in (line.split("\t") for line in stdout.splitlines())}


@settings(max_examples=10)
@given(values=st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=50))
def test_stats_of_a_csv_column_match_statistics(tmp_path_factory, values):
    path = tmp_path_factory.mktemp("csv") / "data.csv"
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "value"])
        writer.writerows([i, repr(v)] for i, v in enumerate(values))
    got = parse_stats(ok("stats", path, "--column", "value"))
    assert int(got["count"]) == len(values)
    assert float(got["min"]) == min(values) and float(got["max"]) == max(values)
    assert float(got["mean"]) == pytest.approx(statistics.fmean(values), rel=1e-12, abs=1e-9)
    assert float(got["std"]) == pytest.approx(statistics.stdev(values), rel=1e-9, abs=1e-9)
    ids = parse_stats(ok("stats", path, "--column", "id"))
    assert (ids["min"], ids["max"]) == ("0", str(len(values) - 1))  # integers stay integers


def test_stats_of_a_npy_array(tmp_path):
    np = pytest.importorskip("numpy")
    data = np.random.default_rng(3).normal(5.0, 2.0, size=(40, 25)).astype(np.float32)
    path = tmp_path / "a.npy"
    np.save(path, data)
    got = json.loads(ok("stats", path, "--json"))
    assert got["count"] == data.size
    assert got["min"] == float(data.min()) and got["max"] == float(data.max())
    wide = data.astype(np.float64)
    assert got["mean"] == pytest.approx(wide.mean(), rel=1e-12)
    assert got["std"] == pytest.approx(wide.std(ddof=1), rel=1e-12)


# sitecustomize: the file HOTLOOP_TEST_TRUNCATE is cut to its first 4096 bytes as the command's
# work begins (the statistics of a .npy's first block, the filter of an image read already), as
# another process could do while the command reads it.
TRUNCATE_AT_FIRST_WORK = """
import os
import hotloop._imaging as imaging
import hotloop._stats as stats

def truncating(function):
    def wrapper(*args, **kwargs):
        path = os.environ["HOTLOOP_TEST_TRUNCATE"]
        if os.path.getsize(path) > 4096:
            os.truncate(path, 4096)
        return function(*args, **kwargs)
    return wrapper

stats.compute_stats = truncating(stats.compute_stats)
stats.Moments.of = classmethod(truncating(stats.Moments.of.__func__))
imaging.process_image = truncating(imaging.process_image)
"""


def truncating_env(tmp_path, path):
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(TRUNCATE_AT_FIRST_WORK)
    return dict(ENV, PYTHONPATH=os.pathsep.join([str(hook), PYWRAPPER]),
                HOTLOOP_TEST_TRUNCATE=str(path))


def test_stats_of_a_npy_truncated_while_read_fails_cleanly(tmp_path):
    # A .npy mapped with mmap died with SIGBUS (exit status 135) when another process cut
    # the file while its pages were read: now it is read block by block, and a short file is
    # one line naming how far it got.
    np = pytest.importorskip("numpy")
    path = tmp_path / "big.npy"
    np.save(path, np.arange(3 * 2**20, dtype=np.float64))
    err = fails_cleanly("stats", path, env=truncating_env(tmp_path, path))
    assert "big.npy ends after 1048576 of its 3145728 values" in err


def test_stats_of_a_npy_of_a_forged_negative_shape_names_the_file(tmp_path):
    np = pytest.importorskip("numpy")
    np.save(tmp_path / "a.npy", np.zeros(3))
    data = (tmp_path / "a.npy").read_bytes()
    assert b"'shape': (3,)" in data
    (tmp_path / "neg.npy").write_bytes(data.replace(b"'shape': (3,)", b"'shape': (3,-1)"))
    assert "neg.npy: its header gives the shape (3, -1)" in fails_cleanly("stats",
                                                                          tmp_path / "neg.npy")


def test_stats_of_a_npy_from_a_named_pipe(tmp_path):
    # the header and values are read in order, never seeked or mapped: a pipe works (it was
    # "File or stream is not seekable." without the file's name)
    np = pytest.importorskip("numpy")
    data = np.arange(70000, dtype=np.int32)
    np.save(tmp_path / "a.npy", data)
    fifo = tmp_path / "p.npy"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes((tmp_path / "a.npy").read_bytes()))
    writer.start()
    try:
        got = json.loads(ok("stats", fifo, "--json"))
    finally:
        writer.join(timeout=60)
    assert got == hotloop.compute_stats(data)


@settings(max_examples=10, deadline=None)
@given(order=st.sampled_from("CF"), dtype=st.sampled_from(["<f8", ">f8", "<i8", ">u2", "f4",
                                                           "e", "?"]),
       extra=st.integers(0, 40000))
def test_stats_of_a_npy_is_compute_stats_bit_for_bit(tmp_path_factory, order, dtype, extra):
    # read block by block (32 engine blocks each), merged in the file's order: the same bits
    # as compute_stats of the whole array, in either order and byte order
    np = pytest.importorskip("numpy")
    data = np.random.default_rng(extra).normal(1e6, 3.0, size=(2**20 + extra) * 2)
    data = np.asarray(data.astype(dtype).reshape(2, -1), order=order)
    path = tmp_path_factory.mktemp("npy") / "a.npy"
    np.save(path, data)
    got = json.loads(ok("stats", path, "--json"))
    want = hotloop.compute_stats(data)
    assert got == {k: (None if isinstance(v, float) and not np.isfinite(v) else v)
                   for k, v in want.items()}


def test_stats_errors(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b\n1,2\n3,x\n")
    assert "line 3" in fails_cleanly("stats", path, "--column", "b")
    assert "--column" in fails_cleanly("stats", path)
    assert "'c'" in fails_cleanly("stats", path, "--column", "c")
    (tmp_path / "empty.csv").write_text("")
    fails_cleanly("stats", tmp_path / "empty.csv")
    (tmp_path / "header.csv").write_text("a\n")
    fails_cleanly("stats", tmp_path / "header.csv")
    fails_cleanly("stats", tmp_path / "missing.csv")
    (tmp_path / "bad.npy").write_bytes(b"not an array")
    fails_cleanly("stats", tmp_path / "bad.npy")
    (tmp_path / "binary.csv").write_bytes(b"a\n\xd0\x00\xff\n")
    assert "binary.csv is not UTF-8" in fails_cleanly("stats", tmp_path / "binary.csv")
    (tmp_path / "a.npz").write_bytes(b"PK")
    assert "numpy.save" in fails_cleanly("stats", tmp_path / "a.npz")
    (tmp_path / "u.csv").write_text("x\n1_000\n")  # Python's literal, no CSV reader's number
    assert "'1_000'" in fails_cleanly("stats", tmp_path / "u.csv")
    (tmp_path / "huge.csv").write_text("x\n1\n%d\n" % 10**22)  # float64 would round it
    assert "line 3" in fails_cleanly("stats", tmp_path / "huge.csv")


def test_stats_reads_excel_csv_stdin_uint64_and_any_npy_suffix_case(tmp_path):
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbfa,b\r\n1,2\r\n3,4\r\n")  # Excel's UTF-8
    assert parse_stats(ok("stats", tmp_path / "bom.csv", "--column", "a"))["max"] == "3"
    assert parse_stats(ok("stats", "-", stdin=b"v\n1\n2\n"))["count"] == "2"
    (tmp_path / "u64.csv").write_text("x\n1\n%d\n" % (2**64 - 1))
    assert parse_stats(ok("stats", tmp_path / "u64.csv"))["max"] == str(2**64 - 1)
    np = pytest.importorskip("numpy")
    with open(tmp_path / "A.NPY", "wb") as f:
        np.save(f, np.arange(4.0))
    assert parse_stats(ok("stats", tmp_path / "A.NPY"))["count"] == "4"


def test_stats_of_a_0d_npy_is_its_one_value(tmp_path):
    # numpy.load gives a 0-d array; NumPy counts it as one value (size 1), as compute_stats does.
    np = pytest.importorskip("numpy")
    np.save(tmp_path / "scalar.npy", np.float64(3.5))
    data = np.load(tmp_path / "scalar.npy")
    got = json.loads(ok("stats", tmp_path / "scalar.npy", "--json"))
    assert got["count"] == data.size == 1
    assert got["mean"] == float(data.mean()) and got["min"] == got["max"] == float(data)
    with pytest.warns(RuntimeWarning):  # NumPy too: one value has no sample std (nan)
        assert got["std"] is None and np.isnan(np.std(data, ddof=1))
    np.save(tmp_path / "wide.npy", np.zeros((3, 0)))  # len() 3, but no values
    assert "no values" in fails_cleanly("stats", tmp_path / "wide.npy")


def test_stats_refuses_integers_beyond_pythons_digit_limit(tmp_path):
    # int() refuses over sys.get_int_max_str_digits() digits: that must not make the column
    # float64 (1 followed by 4999 ones would be inf), it is an integer beyond 64 bits.
    err = fails_cleanly("stats", "-", stdin=("v\n%s\n2\n" % ("1" * 5000)).encode())
    assert "line 2" in err and "beyond 64-bit" in err and len(err) < 200
    assert "line 3" in fails_cleanly("stats", "-", stdin=("v\n1\n-%s\n" % ("9" * 5000)).encode())
    zeros = "0" * 5000 + "7"  # long, but its value fits
    assert parse_stats(ok("stats", "-", stdin=("v\n%s\n2\n" % zeros).encode()))["max"] == "7"


def test_stats_refuses_negatives_beside_integers_above_int64(tmp_path):
    # Each value fits int64 or uint64, but no one of them holds the column: a clear error, not
    # a traceback from looking for a value beyond both.
    err = fails_cleanly("stats", "-", stdin=("v\n-1\n%d\n" % (2**64 - 1)).encode())
    assert "line 3" in err and "line 2" in err and "int64" in err and "uint64" in err


def test_stats_refuses_a_column_name_the_header_repeats():
    err = fails_cleanly("stats", "-", "--column", "a", stdin=b"a,b,a\n1,2,30\n3,4,50\n")
    assert "ambiguous" in err and "1, 3" in err
    assert parse_stats(ok("stats", "-", "--column", "b", stdin=b"a,b,a\n1,2,3\n"))["max"] == "2"


def test_stats_json_is_strict_json_with_non_finite_values_as_null(tmp_path):
    def strict(text):
        return json.loads(text, parse_constant=lambda name: pytest.fail("not JSON: " + name))

    got = strict(ok("stats", "-", "--json", stdin=b"v\n1\ninf\n"))
    assert got == {"count": 2, "mean": None, "std": None, "min": 1.0, "max": None}
    got = strict(ok("stats", "-", "--json", stdin=b"v\n-inf\n2\n4\n"))
    assert (got["mean"], got["min"], got["max"]) == (None, None, 4.0)
    assert parse_stats(ok("stats", "-", stdin=b"v\n1\ninf\n"))["max"] == "inf"  # text keeps it


@pytest.mark.parametrize("head, line", [(b"", 1), (b"x,y\r\n1,2\r\n", 3)])
def test_stats_refuses_an_endless_line_without_reading_it_whole(tmp_path, head, line):
    # A line without end into the command's stdin, as from /dev/zero: offered up to 2 MiB past
    # the limit, more than a pipe holds (64 KiB; at most 1 MiB, pipe-max-size) plus the reader's
    # buffers. A reader that stops at the limit leaves the writer a broken pipe; one that buffers
    # the whole line (until the OOM killer, when it has no end) reads all of it.
    from hotloop._cli import LINE_LIMIT

    with open(tmp_path / "out", "wb") as out, open(tmp_path / "err", "wb") as err:
        child = subprocess.Popen([sys.executable, "-m", "hotloop", "stats", "-", "--column", "x"],
                                 bufsize=0, stdin=subprocess.PIPE, stdout=out, stderr=err, env=ENV)
    chunk = b"1," * (1 << 15)
    written, cut_off = 0, False
    try:
        written += child.stdin.write(head)
        while written < len(head) + LINE_LIMIT + (2 << 20):
            written += child.stdin.write(chunk)
    except BrokenPipeError:
        cut_off = True
    finally:
        child.stdin.close()
    child.wait(timeout=300)
    out, err = (tmp_path / "out").read_bytes(), (tmp_path / "err").read_bytes()
    assert child.returncode == 2, err.decode()[:1000]
    assert err.decode() == ("hotloop stats: error: standard input line %d is longer than %d "
                            "characters, the limit of a CSV line (is it CSV text?)\n"
                            % (line, LINE_LIMIT))
    assert out == b"" and cut_off, written


def test_stats_messages_name_the_input_plainly(tmp_path):
    assert fails_cleanly("stats", "-", stdin=b"v\n").startswith(
        "hotloop stats: error: standard input: no values")
    for name, content in (("empty.npy", b""), ("junk.npy", b"not an array at all")):
        (tmp_path / name).write_bytes(content)
        err = fails_cleanly("stats", tmp_path / name)
        assert "not a valid .npy file" in err and name in err and "pickle" not in err


# ---- image ----

def test_image_ops_match_scipy_and_keep_mode_format_and_dpi(tmp_path):
    np = pytest.importorskip("numpy")
    ndimage = pytest.importorskip("scipy.ndimage")
    Image = pytest.importorskip("PIL.Image")
    pixels = np.random.default_rng(1).integers(0, 256, (30, 41, 3), dtype=np.uint8)
    source = tmp_path / "in.png"
    Image.fromarray(pixels).save(source, dpi=(150, 150))
    with Image.open(source) as original:
        dpi = original.info["dpi"]  # PNG stores pixels per metre: 150.0124 dpi
    x = pixels.astype(np.float64)
    channels = lambda f: np.stack([f(x[..., c]) for c in range(3)], axis=-1)  # noqa: E731
    blurred = channels(lambda ch: ndimage.gaussian_filter(ch, 1.5, mode="reflect", truncate=4.0))
    expected = {
        ("blur", "--sigma", "1.5"): blurred,
        ("box_blur", "--radius", "2"): channels(lambda ch: ndimage.uniform_filter(ch, 5, mode="reflect")),
        ("edges",): channels(lambda ch: np.hypot(ndimage.sobel(ch, 0), ndimage.sobel(ch, 1))),
        ("sharpen", "--sigma", "1.5", "--amount", "0.7"): x + 0.7 * (x - blurred),
        ("gray",): 0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2],
    }
    for args, reference in expected.items():
        target = tmp_path / ("out-%s.png" % args[0])
        ok("image", args[0], source, target, *args[1:])
        with Image.open(target) as out:
            assert out.format == "PNG" and out.mode == ("L" if args[0] == "gray" else "RGB")
            assert out.info["dpi"] == dpi
            got = np.asarray(out).astype(np.int64)
        assert np.abs(got - np.clip(np.rint(reference), 0, 255)).max() <= 1, args


def scipy_blur(x, sigma):
    """scipy.ndimage's Gaussian of each channel of x (H x W or H x W x C), in float64."""
    import numpy as np
    from scipy import ndimage

    x = np.asarray(x, dtype=np.float64)
    blur = lambda ch: ndimage.gaussian_filter(ch, sigma, mode="reflect", truncate=4.0)  # noqa: E731
    if x.ndim == 2:
        return blur(x)
    return np.stack([blur(x[..., c]) for c in range(x.shape[-1])], axis=-1)


def assert_rounded(got, reference, top, near):
    """got is reference rounded half up and saturated to 0..top (docs/api/imaging.md), except
    one level off where reference lies within `near` of a half (the working precision's error)."""
    import numpy as np

    expected = np.clip(np.floor(reference + 0.5), 0, top).astype(np.int64)
    off = np.abs(np.asarray(got).astype(np.int64) - expected)
    assert off.max() <= 1
    at_half = np.abs(reference - np.floor(reference) - 0.5) < near
    assert not (off.astype(bool) & ~at_half).any(), np.argwhere(off.astype(bool) & ~at_half)[:5]


def filtered(tmp_path, name, image, *args, **save):
    """Saves image as tmp_path/name, runs `hotloop image ARGS` on it, returns (input, output) as
    loaded PIL images."""
    Image = pytest.importorskip("PIL.Image")
    source, target = tmp_path / name, tmp_path / ("out-" + name)
    image.save(source, **save)
    ok("image", args[0], source, target, *args[1:])
    with Image.open(source) as before, Image.open(target) as after:
        before.load()
        after.load()
    return before, after


def test_image_16_bit_png_and_tiff_stay_16_bit_and_match_scipy(tmp_path):
    np = pytest.importorskip("numpy")
    pytest.importorskip("scipy.ndimage")
    Image = pytest.importorskip("PIL.Image")
    deep = np.random.default_rng(2).integers(0, 65536, (24, 33), dtype=np.uint16)
    # Pillow 9 reads a 16-bit gray PNG as mode "I" (int32: computed in float64), a 16-bit TIFF
    # as "I;16" (uint16: computed in float32); newer Pillows read the PNG as "I;16" too.
    for name, near in (("deep.png", 1e-6), ("deep.tif", 0.02)):
        before, after = filtered(tmp_path, name, Image.fromarray(deep), "blur", "--sigma", "1.5")
        assert before.mode in ("I", "I;16") and (after.mode, after.format) == (before.mode,
                                                                                before.format)
        assert np.array_equal(np.asarray(before), deep)
        assert np.asarray(after).max() > 255  # not clipped to 8 bits on the way
        assert_rounded(np.asarray(after), scipy_blur(deep, 1.5), 65535, near)
    header = (tmp_path / "out-deep.png").read_bytes()
    assert header[12:16] == b"IHDR" and header[24] == 16  # the file's bit depth


def test_image_rgba_keeps_alpha_and_matches_scipy(tmp_path):
    np = pytest.importorskip("numpy")
    pytest.importorskip("scipy.ndimage")
    Image = pytest.importorskip("PIL.Image")
    pixels = np.random.default_rng(4).integers(0, 256, (21, 30, 4), dtype=np.uint8)
    before, after = filtered(tmp_path, "alpha.png", Image.fromarray(pixels, "RGBA"),
                             "blur", "--sigma", "1")
    assert (after.mode, after.format) == ("RGBA", "PNG")
    got = np.asarray(after)
    assert np.array_equal(got[..., 3], pixels[..., 3])  # alpha copied, not blurred
    assert_rounded(got[..., :3], scipy_blur(pixels[..., :3], 1.0), 255, 1e-3)


def test_image_palette_gives_the_colours_it_shows_filtered(tmp_path):
    np = pytest.importorskip("numpy")
    pytest.importorskip("scipy.ndimage")
    Image = pytest.importorskip("PIL.Image")
    rgb = Image.fromarray(np.random.default_rng(5).integers(0, 256, (20, 28, 3), dtype=np.uint8))
    palette = rgb.convert("P", palette=Image.ADAPTIVE, colors=16)
    before, after = filtered(tmp_path, "palette.png", palette, "blur", "--sigma", "1")
    # A palette cannot hold blurred colours: RGB out (the library's table), still a PNG.
    assert before.mode == "P" and (after.mode, after.format) == ("RGB", "PNG")
    assert_rounded(np.asarray(after), scipy_blur(before.convert("RGB"), 1.0), 255, 1e-3)
    # With a transparent palette entry: RGBA out, the transparency as its alpha, unblurred.
    before, after = filtered(tmp_path, "clear.png", palette, "blur", "--sigma", "1",
                             transparency=0)
    assert before.mode == "P" and (after.mode, after.format) == ("RGBA", "PNG")
    shown = np.asarray(before.convert("RGBA"))
    assert (shown[..., 3] == 0).any()
    assert np.array_equal(np.asarray(after)[..., 3], shown[..., 3])
    assert_rounded(np.asarray(after)[..., :3], scipy_blur(shown[..., :3], 1.0), 255, 1e-3)


def test_image_of_a_png_with_a_transparent_colour_key(tmp_path):
    # tRNS on an RGB PNG: grayscale wrote the RGB key into an L PNG (a traceback from Pillow's
    # writer); a filter gives RGBA, the key as its alpha.
    np = pytest.importorskip("numpy")
    Image = pytest.importorskip("PIL.Image")
    rgb = np.random.default_rng(8).integers(1, 256, (12, 16, 3), dtype=np.uint8)
    rgb[3, 4] = (0, 0, 0)
    before, after = filtered(tmp_path, "key.png", Image.fromarray(rgb), "gray",
                             transparency=(0, 0, 0))
    assert after.mode == "L" and after.info["transparency"] == 0
    assert np.array_equal(np.asarray(after), np.asarray(before.convert("L")))
    before, after = filtered(tmp_path, "key.png", Image.fromarray(rgb), "blur",
                             transparency=(0, 0, 0))
    assert after.mode == "RGBA"
    assert np.array_equal(np.asarray(after)[..., 3], np.asarray(before.convert("RGBA"))[..., 3])


def test_image_cmyk_tiff_and_jpeg(tmp_path):
    np = pytest.importorskip("numpy")
    pytest.importorskip("scipy.ndimage")
    Image = pytest.importorskip("PIL.Image")
    inks = np.random.default_rng(6).integers(0, 256, (22, 31, 4), dtype=np.uint8)
    cmyk = Image.fromarray(inks, "CMYK")
    # TIFF is lossless: all four inks blurred (K is an ink, not alpha).
    before, after = filtered(tmp_path, "inks.tif", cmyk, "blur", "--sigma", "1")
    assert (after.mode, after.format) == ("CMYK", "TIFF")
    assert_rounded(np.asarray(after), scipy_blur(inks, 1.0), 255, 1e-3)
    # JPEG: CMYK stays CMYK; the output is within JPEG's loss of the blurred input pixels.
    smooth = Image.fromarray(np.asarray(scipy_blur(inks, 3.0)).astype(np.uint8), "CMYK")
    before, after = filtered(tmp_path, "inks.jpg", smooth, "blur", "--sigma", "1", quality=95)
    assert (before.mode, after.mode, after.format) == ("CMYK", "CMYK", "JPEG")
    error = np.abs(np.asarray(after).astype(np.float64) - scipy_blur(before, 1.0))
    assert error.mean() < 2 and error.max() < 24


def test_image_keeps_icc_profile_dpi_and_exif(tmp_path):
    np = pytest.importorskip("numpy")
    Image = pytest.importorskip("PIL.Image")
    ImageCms = pytest.importorskip("PIL.ImageCms")
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[0x010E] = "hotloop test"  # ImageDescription
    rgb = Image.fromarray(np.random.default_rng(7).integers(0, 256, (16, 20, 3), dtype=np.uint8))
    for name, save in (("icc.png", {}), ("icc.jpg", {"exif": exif.tobytes()}), ("icc.tif", {})):
        before, after = filtered(tmp_path, name, rgb, "sharpen", icc_profile=profile,
                                 dpi=(300, 300), **save)
        assert after.format == before.format and after.mode == "RGB", name
        assert after.info.get("icc_profile") == profile, name
        assert after.info.get("dpi") == before.info["dpi"], name
        assert np.allclose([float(d) for d in after.info["dpi"]], 300, atol=0.01), name
        if "exif" in save:
            assert after.getexif()[0x010E] == "hotloop test"
        # grayscale (mode L out) keeps them too
        gray = tmp_path / ("gray-" + name)
        ok("image", "gray", tmp_path / name, gray)
        with Image.open(gray) as out:
            assert out.mode == "L" and out.info.get("icc_profile") == profile, name


def test_image_keeps_a_tiffs_exif_tags_and_its_pixels_upright(tmp_path):
    # A TIFF's EXIF is tags of its own directory (no info["exif"]): Make, DateTime, Artist and
    # Copyright were dropped. Orientation is not copied: Pillow's TIFF reader has already
    # turned the pixels upright, and a copied tag would turn the result once more.
    np = pytest.importorskip("numpy")
    Image = pytest.importorskip("PIL.Image")
    exif = Image.Exif()
    tags = {0x010F: "HotloopCam", 0x0132: "2026:12:06 10:00:00", 0x013B: "Ada", 0x8298: "CC0"}
    for tag, value in tags.items():
        exif[tag] = value
    exif[0x0112] = 3  # Orientation: rotated 180 degrees
    rgb = Image.fromarray(np.random.default_rng(9).integers(0, 256, (16, 20, 3), dtype=np.uint8))
    for op, mode in (("blur", "RGB"), ("gray", "L")):
        before, after = filtered(tmp_path, op + ".tif", rgb, op, exif=exif, dpi=(300, 300))
        assert (after.format, after.mode) == ("TIFF", mode)
        assert {tag: after.getexif().get(tag) for tag in tags} == tags
        assert after.info.get("dpi") == before.info["dpi"]
        expected = hotloop.process_image(before, "grayscale" if op == "gray" else op)
        assert np.array_equal(np.asarray(after), np.asarray(expected))


def test_image_writes_an_icon_of_the_inputs_sizes(tmp_path):
    np = pytest.importorskip("numpy")
    Image = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(10)
    wide = Image.fromarray(rng.integers(0, 256, (20, 30, 4), dtype=np.uint8), "RGBA")
    square = Image.fromarray(rng.integers(0, 256, (48, 48, 4), dtype=np.uint8), "RGBA")
    # Pillow stores the wide one as a 16x11 icon, the square one at 16, 32 and 48 pixels.
    for name, image, sizes in (("wide.ico", wide, None),
                               ("square.ico", square, [(16, 16), (32, 32), (48, 48)])):
        save = {"sizes": sizes} if sizes else {}
        before, after = filtered(tmp_path, name, image, "blur", **save)
        assert after.format == "ICO" and after.size == before.size
        assert after.info["sizes"] == before.info["sizes"], name
        expected = hotloop.gaussian_blur(before, 1.0)
        assert np.abs(np.asarray(after).astype(int) - np.asarray(expected)).max() <= 1, name


def test_image_refused_modes_say_which_convert(tmp_path):
    np = pytest.importorskip("numpy")
    Image = pytest.importorskip("PIL.Image")
    rgb = Image.fromarray(np.random.default_rng(8).integers(0, 256, (12, 14, 3), dtype=np.uint8))
    rgb.convert("1").save(tmp_path / "bilevel.png")
    err = fails_cleanly("image", "blur", tmp_path / "bilevel.png", tmp_path / "out.png")
    assert 'mode "1"' in err and 'convert("L")' in err
    rgb.convert("LAB").save(tmp_path / "lab.tif")
    err = fails_cleanly("image", "edges", tmp_path / "lab.tif", tmp_path / "out.tif")
    assert 'mode "LAB"' in err and 'convert("RGB")' in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bilevel.png", "lab.tif"]
    ok("image", "blur", tmp_path / "lab.tif", tmp_path / "out.tif")  # LAB blurs fine
    with Image.open(tmp_path / "out.tif") as out:
        assert out.mode == "LAB"


def test_image_refused_hsv(tmp_path, monkeypatch, capsys):
    # No Pillow writer stores HSV, so no file opens as HSV: the CLI gets one from a patched
    # Image.open, in process.
    Image = pytest.importorskip("PIL.Image")
    from hotloop import _cli

    Image.new("RGB", (8, 8), (200, 30, 10)).save(tmp_path / "in.png")
    opened = Image.open

    def open_as_hsv(path):
        with opened(path) as image:
            hsv = image.convert("HSV")
        hsv.format = "PNG"
        return hsv

    monkeypatch.setattr(Image, "open", open_as_hsv)
    assert _cli.main(["image", "blur", str(tmp_path / "in.png"), str(tmp_path / "out.png")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and 'mode "HSV"' in err and 'convert("RGB")' in err
    assert not (tmp_path / "out.png").exists()


def test_image_errors_leave_no_output(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    source = tmp_path / "in.png"
    Image.new("RGB", (20, 20), "red").save(source)
    target = tmp_path / "out.png"
    assert "JPEG" in fails_cleanly("image", "blur", source, tmp_path / "out.jpg")
    assert "--sigma" in fails_cleanly("image", "edges", source, target, "--sigma", "2")
    assert "--radius" in fails_cleanly("image", "blur", source, target, "--radius", "2")
    fails_cleanly("image", "blur", source, target, "--sigma", "-1")  # scipy takes 0 (a copy); < 0 is refused
    fails_cleanly("image", "melt", source, target)
    fails_cleanly("image", "blur", tmp_path / "missing.png", target)
    (tmp_path / "text.png").write_text("not an image")
    fails_cleanly("image", "blur", tmp_path / "text.png", target)
    assert not target.exists() and not (tmp_path / "out.jpg").exists()
    assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []


def png_header_only(path, width, height):
    """A PNG whose header claims width x height gray pixels (and holds none)."""
    import struct
    import zlib

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    path.write_bytes(b"\x89PNG\r\n\x1a\n"
                     + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))


def test_image_over_pillows_pixel_limit_is_refused_in_one_line(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    limit = Image.MAX_IMAGE_PIXELS
    # Pillow raises DecompressionBombError beyond twice its limit and warns from the limit on.
    for name, side in (("bomb.png", 30000), ("warned.png", int((1.5 * limit) ** 0.5))):
        assert side * side > limit
        png_header_only(tmp_path / name, side, side)
        err = fails_cleanly("image", "blur", tmp_path / name, tmp_path / "o.png")
        assert name in err and str(limit) in err and "MAX_IMAGE_PIXELS" in err
    assert not (tmp_path / "o.png").exists()


def test_image_unreadable_inputs_name_the_file(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    Image.new("RGB", (64, 64), "red").save(tmp_path / "whole.png")
    data = (tmp_path / "whole.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[:len(data) // 2])
    (tmp_path / "text.png").write_text("not an image")
    for name in ("cut.png", "text.png"):
        assert name in fails_cleanly("image", "blur", tmp_path / name, tmp_path / "o.png")
    assert not (tmp_path / "o.png").exists()


@pytest.mark.parametrize("name, mode", [("raw.tif", "RGBA"), ("raw.pgm", "L")])
def test_image_of_a_file_truncated_once_read_is_filtered_as_read(tmp_path, name, mode):
    # Pillow maps an uncompressed image opened by its path (mmap) and reads the pixels from the
    # mapping when they are used: a file cut meanwhile killed the command with SIGBUS (exit
    # status 135). Opened from a file object it is read once, whole: cut after that, the
    # pixels read are filtered.
    np = pytest.importorskip("numpy")
    Image = pytest.importorskip("PIL.Image")
    pixels = np.random.default_rng(9).integers(0, 256, (300, 400, 4), dtype=np.uint8)
    path = tmp_path / name
    Image.fromarray(pixels, "RGBA").convert(mode).save(path)
    want = hotloop.grayscale(Image.open(path))
    out = cli("image", "grayscale", path, tmp_path / ("out-" + name),
              env=truncating_env(tmp_path, path))
    assert (out.returncode, out.stderr) == (0, b"")
    assert os.path.getsize(path) == 4096  # the hook did cut it
    assert np.array_equal(np.asarray(Image.open(tmp_path / ("out-" + name))), np.asarray(want))


def test_image_output_errors_name_the_users_path_and_dash_is_refused(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    Image.new("RGB", (8, 8), "red").save(tmp_path / "in.png")
    target = tmp_path / "missing" / "o.png"
    err = fails_cleanly("image", "blur", tmp_path / "in.png", target)
    assert "%s: " % target in err and ".tmp-" not in err
    err = fails_cleanly("image", "blur", tmp_path / "in.png", "-", cwd=tmp_path)
    assert "'-'" in err and not (tmp_path / "-").exists()


# ---- info ----

def test_info_prints_show_config():
    text = ok("info")
    config = hotloop.show_config(mode="dicts")
    for section in ("hotloop", "python", "tbb", "blas", "unicode"):
        assert "%s:\n" % section in text
    assert config["blas"]["config"] in text and config["hotloop"]["simd"] in text
    as_json = json.loads(ok("info", "--json"))
    assert as_json["blas"] == config["blas"] and as_json["tbb"]["library"] == config["tbb"]["library"]
    assert ok("--version") == "hotloop %s\n" % hotloop.__version__


# ---- Ctrl-C and the progress bar, on a word count fed through a FIFO ----
# A FIFO has no size, so run() treats the count as long: a worker thread runs it, watched.

def test_ctrl_c_stops_cleanly(tmp_path, sigint_raises):
    # sigint_raises: the child starts with SIGINT at its default, as under a terminal.
    fifo = tmp_path / "words"
    os.mkfifo(fifo)
    child = subprocess.Popen([sys.executable, "-m", "hotloop", "wordcount", str(fifo)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    stop = threading.Event()
    with open(fifo, "wb") as f:
        # Once more than a pipe's worth is written, the engine is reading: the call is running.
        f.write(b"lorem ipsum\n" * (1 << 16))
        child.send_signal(signal.SIGINT)
        writer = threading.Thread(target=feed, args=(f, stop))
        writer.start()
        try:
            out, err = child.communicate(timeout=120)
        finally:
            stop.set()
            writer.join()
    assert child.returncode == 128 + signal.SIGINT, err.decode()
    assert err.decode() == "hotloop wordcount: interrupted\n" and out == b""


# Ctrl-C while the command starts: the package's import (cffi, the library, TBB, OpenBLAS), then
# _cli's and argparse's. A sitecustomize on the child's path sends the child SIGINT from inside the
# import system, at the first import of a chosen module: a real signal at a known point.

AT_FIRST_IMPORT = """
import os, signal, sys


class AtFirstImport:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name == %r:
            sys.meta_path.remove(AtFirstImport)
%s
        return None


sys.meta_path.insert(0, AtFirstImport)
"""


def at_first_import(module, action):
    """sitecustomize code that runs `action` (lines of Python) once, at the first import of
    `module`, from inside the import system."""
    return AT_FIRST_IMPORT % (module, textwrap.indent(textwrap.dedent(action).strip(), " " * 12))


def sigint_at_import(module):
    return at_first_import(module, "os.kill(os.getpid(), signal.SIGINT)")


def run_with_hook(tmp_path, entry, hook_code, args):
    """The command (`python -m hotloop` or its console script) run with args, with hook_code as
    the sitecustomize on its path."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(hook_code)
    command = ([sys.executable, "-m", "hotloop"] if entry == "python -m"
               else console_script(tmp_path))
    env = dict(ENV, PYTHONPATH=os.pathsep.join([str(hook), PYWRAPPER]))
    return subprocess.run(command + args, capture_output=True, env=env, timeout=300)

# The wrapper pip (and installer, distlib) writes for a console_scripts entry point.
CONSOLE_SCRIPT = """#!%s
# -*- coding: utf-8 -*-
import re
import sys
from %s import %s
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit(%s())
"""


def console_script(folder):
    """bin/hotloop as installing the package makes it, from setup.py's entry point."""
    with open(os.path.join(os.path.dirname(PYWRAPPER), "setup.py")) as f:
        module, function = re.search(r'"hotloop = ([\w.]+):(\w+)"', f.read()).groups()
    path = folder / "bin" / "hotloop"
    path.parent.mkdir()
    path.write_text(CONSOLE_SCRIPT % (sys.executable, module, function, function))
    path.chmod(0o755)
    return [str(path)]


# (module whose first import gets the SIGINT, the line on stderr)
STARTING = [
    ("hotloop._errors", "hotloop"),  # the package's first imports
    ("hotloop._loader", "hotloop"),  # loading libhotloop.so, TBB, OpenBLAS
    ("hotloop._text", "hotloop"),
    ("hotloop._cli", "hotloop"),
    ("argparse", "hotloop"),  # _cli's own imports
    ("numpy", "hotloop stats"),  # inside the command's work (stats of a .npy): KeyboardInterrupt
]


@pytest.mark.parametrize("entry, module, message", [
    (entry, module, message) for entry in ("python -m", "console script")
    for module, message in STARTING] + [
    ("python -m", "hotloop.__main__", "hotloop"),  # runpy, between the package and __main__.py
])
def test_ctrl_c_while_starting_exits_130_without_traceback(tmp_path, sigint_raises, entry, module,
                                                           message):
    np = pytest.importorskip("numpy")
    np.save(tmp_path / "x.npy", np.arange(3))
    out = run_with_hook(tmp_path, entry, sigint_at_import(module),
                        ["stats", str(tmp_path / "x.npy")])
    assert (out.returncode, out.stderr.decode()) == (130, "%s: interrupted\n" % message)
    assert out.stdout == b""


# A SystemExit lost on its way up: code that swallows it (an import hook's or a library's
# `except BaseException`; CPython did it while compiling hotloop._filter for the import, without
# a bytecode cache, about one start in six when the Ctrl-C came then).
SIGINT_SWALLOWED_AT_IMPORT = at_first_import("hotloop._filter", """
    try:
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(1000):  # the handler runs here, on the main thread
            pass
    except BaseException:
        pass
""")

# Ctrl-C once main() has returned, while the interpreter ends (an atexit callback runs after the
# command's own). A SystemExit raised there is dropped silently.
SIGINT_AT_EXIT = """
import atexit, os, signal


def sigint():
    os.kill(os.getpid(), signal.SIGINT)
    for _ in range(1000):  # the handler runs here, on the main thread
        pass


atexit.register(sigint)
"""


@pytest.mark.parametrize("entry", ["python -m", "console script"])
@pytest.mark.parametrize("hook_code, output", [(SIGINT_SWALLOWED_AT_IMPORT, False),
                                               (SIGINT_AT_EXIT, True)],
                         ids=["swallowed at import", "at exit"])
def test_ctrl_c_exits_130_even_where_its_system_exit_is_lost(tmp_path, sigint_raises, entry,
                                                              hook_code, output):
    # Both said "hotloop: interrupted" and exited with status 0 (the swallowed one after
    # running the whole command).
    out = run_with_hook(tmp_path, entry, hook_code, ["info", "--json"])
    assert (out.returncode, out.stderr.decode()) == (130, "hotloop: interrupted\n")
    assert bool(out.stdout) == output


# Who holds SIGINT when a module is first imported, written to stderr.
SIGINT_HANDLER = 'sys.stderr.write(getattr(signal.getsignal(signal.SIGINT), "__qualname__", "?"))'


@pytest.mark.parametrize("entry", ["python -m", "console script"])
def test_the_command_takes_ctrl_c_before_it_imports_typing(tmp_path, entry):
    # _cli_start imported typing (10-20 ms with re, without a bytecode cache) before install():
    # a Ctrl-C then was a KeyboardInterrupt traceback.
    out = run_with_hook(tmp_path, entry, at_first_import("typing", SIGINT_HANDLER),
                        ["info", "--json"])
    assert (out.returncode, out.stderr.decode()) == (0, "interrupted")


@pytest.mark.parametrize("entry", ["python -m", "console script"])
def test_a_library_that_does_not_load_is_one_line_and_status_2(tmp_path, entry):
    # `hotloop info`, what one runs to see what is wrong, ended in a traceback of the imports
    # (LibraryLoadError, status 1) when libhotloop.so could not be loaded.
    (tmp_path / "junk.so").write_bytes(b"not a library")
    command = ([sys.executable, "-m", "hotloop"] if entry == "python -m"
               else console_script(tmp_path))
    env = dict(ENV, HOTLOOP_LIBRARY=str(tmp_path / "junk.so"))
    out = subprocess.run(command + ["info"], capture_output=True, env=env, timeout=300)
    err = out.stderr.decode()
    assert out.returncode == 2 and out.stdout == b"", err
    assert err.startswith("hotloop: error: cannot load %s: " % (tmp_path / "junk.so")), err
    assert err.count("\n") == 1 and "HOTLOOP_LIBRARY" in err
    # A program that imports hotloop gets the exception.
    out = subprocess.run([sys.executable, "-c", "import hotloop"], capture_output=True, env=env,
                         timeout=300)
    assert out.returncode == 1 and "hotloop.LibraryLoadError: " in out.stderr.decode()


def test_a_python_without_cffi_is_one_line_and_status_2(tmp_path):
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text("import sys\nsys.modules['_cffi_backend'] = None\n")
    env = dict(ENV, PYTHONPATH=os.pathsep.join([str(hook), PYWRAPPER]))
    out = subprocess.run([sys.executable, "-m", "hotloop", "info"], capture_output=True, env=env,
                         timeout=300)
    err = out.stderr.decode()
    assert out.returncode == 2 and err.startswith("hotloop: error: hotloop needs cffi"), err
    assert err.count("\n") == 1


@pytest.mark.parametrize("program", ["-c", "-m"])
def test_a_program_importing_hotloop_keeps_its_keyboard_interrupt(tmp_path, sigint_raises,
                                                                  program):
    # Only the command exits quietly: Ctrl-C while another program (here python -c, or a
    # python -m package whose import imports hotloop) imports hotloop is its KeyboardInterrupt.
    hook = tmp_path / "hook"
    (hook / "tool").mkdir(parents=True)
    (hook / "sitecustomize.py").write_text(sigint_at_import("hotloop._loader"))
    (hook / "tool" / "__init__.py").write_text("import hotloop\n")
    (hook / "tool" / "__main__.py").write_text("")
    env = dict(ENV, PYTHONPATH=os.pathsep.join([str(hook), PYWRAPPER]))
    command = ["-c", "import hotloop"] if program == "-c" else ["-m", "tool", "hotloop"]
    out = subprocess.run([sys.executable] + command, capture_output=True, env=env, timeout=300)
    assert out.returncode == -signal.SIGINT, out.stderr.decode()
    assert out.stderr.decode().endswith("KeyboardInterrupt\n")


@pytest.mark.parametrize("line, argv, command", [
    (["python3", "-m", "hotloop", "info"], ["-m", "info"], True),
    (["python3", "-X", "importtime", "-mhotloop"], ["-m"], True),
    (["python3", "-Im", "hotloop", "-m", "x"], ["-m", "-m", "x"], True),
    (["pypy3", "-Imhotloop", "stats", "-"], ["-m", "stats", "-"], True),
    (["python3", "-m", "tool", "hotloop"], ["-m", "hotloop"], False),
    (["python3", "-m", "hotloop_extra"], ["-m"], False),
    (["python3", "-c", "import hotloop", "hotloop"], ["-c", "hotloop"], False),
])
def test_which_python_m_is_the_command(monkeypatch, line, argv, command):
    # While runpy imports the package, sys.argv is ["-m", ARGS...]; the interpreter's own
    # command line says which module -m runs.
    from hotloop import _cli_start

    monkeypatch.setattr(sys, "argv", argv)
    monkeypatch.setattr(_cli_start, "_interpreter_command_line", lambda: line)
    assert _cli_start.is_command() is command


def test_the_interpreters_command_line_without_orig_argv(monkeypatch):
    # PyPy 3.9 and CPython before 3.10 have no sys.orig_argv: the kernel's copy says the same.
    from hotloop import _cli_start

    expected = list(sys.orig_argv) if hasattr(sys, "orig_argv") else None
    monkeypatch.delattr(sys, "orig_argv", raising=False)
    line = _cli_start._interpreter_command_line()
    if expected is None:  # the arguments after the script or module are sys.argv's
        expected = line[:len(line) - len(sys.argv) + 1] + sys.argv[1:]
    assert line == expected


def feed(f, stop):
    """Writes words into the open FIFO until stop is set or the reader is gone."""
    chunk = b"lorem ipsum dolor sit amet\n" * 4096
    while not stop.is_set():
        try:
            f.write(chunk)
        except (BrokenPipeError, ValueError):
            return


def test_progress_bar_on_a_terminal(tmp_path):
    # The CLI asks the library for its tqdm bar when stderr is a terminal (the bar itself, which
    # appears at the first poll of a long call, is tested with the library's progress=True), and
    # not otherwise; a FIFO is read whole first (where Ctrl-C can stop the wait), then counted.
    pytest.importorskip("tqdm")
    probe = "from hotloop import _cli; print(_cli._progress())"
    main, secondary = pty.openpty()
    on_terminal = subprocess.run([sys.executable, "-c", probe], stdout=subprocess.PIPE,
                                 stderr=secondary, env=ENV, timeout=120)
    os.close(secondary)
    os.close(main)
    assert on_terminal.stdout == b"True\n"
    piped = subprocess.run([sys.executable, "-c", probe], capture_output=True, env=ENV, timeout=120)
    assert piped.stdout == b"None\n"
    fifo = tmp_path / "words"
    os.mkfifo(fifo)
    main, secondary = pty.openpty()
    child = subprocess.Popen([sys.executable, "-m", "hotloop", "wordcount", str(fifo), "--top", "1"],
                             stdout=subprocess.PIPE, stderr=secondary, env=ENV)
    os.close(secondary)
    with open(fifo, "wb") as f:
        f.write(b"lorem ipsum lorem\n" * (1 << 16))
    out, _ = child.communicate(timeout=120)
    os.close(main)
    assert child.returncode == 0
    assert out == b"lorem\t131072\n"
