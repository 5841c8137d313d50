"""hotloop.dask: the optional import, the tree-reduction machinery (partition order, split_every,
what crosses the network), monte_carlo_pi, word_count and word_count_files against the
single-machine calls, and a real distributed.LocalCluster (2 worker processes of 1 thread on
127.0.0.1): the same functions there, setup(client), mismatched workers, a worker killed in the
middle of a job, files changed between the graph's construction and its computation.

No timing anywhere: the cluster gets generous timeouts, and its ports are chosen by the OS."""
import collections
import doctest
import logging
import os
import pickle
import subprocess
import sys
import tempfile

import dask
import pytest
from dask.delayed import Delayed
from distributed import Client, LocalCluster
from hypothesis import given, settings, strategies as st

import hotloop
import hotloop.dask as hdask

pytestmark = pytest.mark.filterwarnings("ignore:make_current is deprecated:DeprecationWarning")
PYWRAPPER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "pywrapper")
MASK = 2**64 - 1
TIMEOUT = 300  # seconds: only ever reached when something is broken


def run_python(code):
    env = dict(os.environ, PYTHONPATH=PYWRAPPER)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=TIMEOUT)


# ---- the optional import ----

def test_import_hotloop_does_not_import_dask():
    done = run_python("import sys, hotloop; hotloop.monte_carlo_pi(10, 1); "
                      "print(sorted(m for m in sys.modules if m.split('.')[0] in "
                      "('dask', 'distributed', 'hotloop.dask')))")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_import_without_dask_is_a_missing_dependency_error():
    done = run_python(
        "import sys; sys.modules['dask'] = None\n"  # `import dask` now raises ImportError
        "import hotloop\n"
        "try:\n"
        "    import hotloop.dask\n"
        "except hotloop.MissingDependencyError as exc:\n"
        "    print('MissingDependencyError', isinstance(exc, ImportError), exc)\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("MissingDependencyError True")
    assert "python3-dask" in done.stdout and "python3-distributed" in done.stdout


# ---- the machinery, on Dask's local scheduler ----

def _concat_partial(index, part):
    return pickle.dumps([(index, [v.item() if hasattr(v, "item") else v for v in part])])


def _concat_merge(blobs):
    return pickle.dumps([item for blob in blobs for item in pickle.loads(blob)])


CONCAT = hdask.Reduction("test_concat", _concat_partial, _concat_merge, pickle.loads)


def _flat(pairs):
    return [v for _, values in pairs for v in values]


def _collections():
    import dask.array as da
    import dask.bag as db
    import dask.dataframe as dd
    import pandas as pd

    values = list(range(60))
    return values, {
        "array, uneven chunks": da.from_array(values, chunks=((7, 0, 20, 33),)),
        "2-D array chunked on both axes (raveled in C order)":
            da.arange(60).reshape(6, 10).rechunk((4, 3)),
        "Series": dd.from_pandas(pd.Series(values), npartitions=7),
        "bag of lists": db.from_sequence(values, npartitions=9),
        "bag of iterators (a mapped bag)": db.from_sequence(values, npartitions=5).map(int),
    }


@pytest.mark.parametrize("split_every", [None, False, 2, 3])
def test_partitions_reach_the_merges_in_order(split_every):
    values, collections = _collections()
    for label, x in collections.items():
        reduced = hdask.reduce_collection(CONCAT, x, "token-%s" % split_every,
                                          split_every=split_every)
        assert isinstance(reduced, Delayed)
        pairs = dask.compute(reduced, scheduler="sync")[0]
        assert [index for index, _ in pairs] == list(range(len(pairs))), label
        assert _flat(pairs) == values, label


@pytest.mark.parametrize("n,split_every,levels", [
    (1, None, []), (8, None, []), (9, None, [2]), (64, None, [8]), (65, None, [9, 2]),
    (10, 2, [5, 3, 2]), (10, 3, [4, 2]), (100, False, []),
])
def test_the_merge_tree_groups_split_every_consecutive_partials(n, split_every, levels):
    reduced = hdask.reduce_inputs(CONCAT, [(i,) for i in range(n)], "t", split_every=split_every)
    graph = dict(reduced.__dask_graph__())
    fan_in = split_every or hdask.DEFAULT_SPLIT_EVERY if split_every is not False else n
    found = []
    for depth in range(len(levels)):
        name = "hotloop-test_concat-merge%d-t" % depth
        tasks = sorted((key[1], task) for key, task in graph.items()
                       if isinstance(key, tuple) and key[0] == name)
        found.append(len(tasks))
        previous = "hotloop-test_concat-%s-t" % ("partial" if depth == 0 else "merge%d" % (depth - 1))
        inputs = [key for _, task in tasks for key in task[2]]
        assert inputs == [(previous, i) for i in range(len(inputs))]  # consecutive, in order
        assert all(len(task[2]) <= fan_in for _, task in tasks)
    assert found == levels
    assert len(graph["hotloop-test_concat-t"][3]) <= fan_in  # the root merges and finishes
    assert len(graph) == n + sum(levels) + 1


def _encode(index, text):
    return text.encode()


def test_literal_inputs_stay_literal_even_when_they_look_like_keys():
    reduction = hdask.Reduction("test_literal", _encode, b"|".join, bytes.decode)
    root = "hotloop-test_literal-t"  # the key of the reduction's own root
    reduced = hdask.reduce_inputs(reduction, [(root,), ("x",)], "t")
    assert reduced.key == root
    assert dask.compute(reduced, scheduler="sync")[0] == root + "|x"


def test_keys_are_deterministic_and_follow_the_arguments():
    a = hdask.monte_carlo_pi(1000, 5, chunks=100)
    b = hdask.monte_carlo_pi(1000, 5, chunks=100)
    assert a.key == b.key and a.key.startswith("hotloop-monte_carlo_pi-")
    assert hdask.monte_carlo_pi(1000, 6, chunks=100).key != a.key
    assert hdask.monte_carlo_pi(1000, 5, chunks=101).key != a.key
    assert hdask.monte_carlo_pi(1000, 5, chunks=100, split_every=2).key != a.key


def _not_a_partial(index, part):
    return list(part)


def test_partials_must_be_ints_or_bytes():
    import dask.bag as db

    reduction = hdask.Reduction("bad", _not_a_partial, _concat_merge, pickle.loads)
    reduced = hdask.reduce_collection(reduction, db.from_sequence([1, 2]), "t")
    with pytest.raises(hotloop.InternalError, match="partial returned list"):
        dask.compute(reduced, scheduler="sync")


def test_inputs_that_are_not_dask_collections_are_type_errors():
    import dask.dataframe as dd
    import numpy as np
    import pandas as pd

    for x in ([1, 2], np.arange(3), dask.delayed(sum)([1, 2])):
        with pytest.raises(hotloop.InvalidTypeError, match="dask array"):
            hdask.reduce_collection(CONCAT, x, "t")
    frame = dd.from_pandas(pd.DataFrame({"x": [1.0, 2.0]}), npartitions=1)
    with pytest.raises(hotloop.InvalidTypeError, match=r"one column, e.g. df\['x'\]"):
        hdask.reduce_collection(CONCAT, frame, "t", what="values")


@pytest.mark.parametrize("split_every,error", [
    (1, hotloop.InvalidArgumentError), (0, hotloop.InvalidArgumentError),
    (True, hotloop.InvalidTypeError), (2.0, hotloop.InvalidTypeError),
    ("8", hotloop.InvalidTypeError),
])
def test_bad_split_every(split_every, error):
    with pytest.raises(error, match="split_every"):
        hdask.monte_carlo_pi(100, 1, split_every=split_every)


class _Blob:
    """A stand-in for a hotloop partial object: from_bytes / merge (other after self) / to_bytes
    / close."""
    closed = 0

    def __init__(self, data):
        self.data = data

    @classmethod
    def from_bytes(cls, data):
        return cls(data)

    def merge(self, other):
        self.data += other.data

    def to_bytes(self):
        return self.data

    def close(self):
        type(self).closed += 1


def test_merge_serialized_merges_each_blob_after_the_previous_and_closes_them():
    _Blob.closed = 0
    assert hdask.merge_serialized(_Blob, [b"ab", b"c", b"", b"def"]) == b"abcdef"
    assert _Blob.closed == 4
    assert hdask.merge_serialized(_Blob, [b"xyz"]) == b"xyz"


class _Counted(_Blob):
    """A _Blob that counts the objects alive (made and not yet closed)."""
    alive = peak = 0

    def __init__(self, data):
        super().__init__(data)
        type(self).alive += 1
        type(self).peak = max(type(self).peak, type(self).alive)

    def close(self):
        type(self).alive -= 1


@pytest.mark.parametrize("k", [1, 2, 3, 5, 8, 13, 32, 33])
def test_a_balanced_merge_keeps_the_order_and_few_objects(k):
    blobs = [bytes([65 + i % 26]) for i in range(k)]
    _Counted.alive = _Counted.peak = 0
    assert hdask.merge_serialized(_Counted, blobs, balanced=True) == b"".join(blobs)
    assert _Counted.alive == 0  # every object closed
    assert _Counted.peak <= k.bit_length() + 1  # the binary counter's runs, and one more
    tables = [hotloop.WordTable.from_text("w%d shared" % (i % 5), part=i).to_bytes()
              for i in range(k)]
    merged = hotloop.WordTable.from_bytes(hdask.merge_serialized(hotloop.WordTable, tables,
                                                                 balanced=True))
    reference = collections.Counter(" ".join("w%d shared" % (i % 5) for i in range(k)).split())
    assert merged.to_dict() == dict(reference) and list(merged.to_dict()) == list(reference)


def test_merge_serialized_keeps_the_new_object_a_merge_returns():
    blobs = [hotloop.WordTable.from_text(text, part=i).to_bytes()
             for i, text in enumerate(["b a", "", "A c b"])]
    merged = hotloop.WordTable.from_bytes(hdask.merge_serialized(hotloop.WordTable, blobs))
    assert merged.to_dict() == {"b": 2, "a": 2, "c": 1}
    assert merged.to_dict(top=2) == [("b", 2), ("a", 2)]


def test_a_partial_on_a_mismatched_process_names_it():
    expected = ("0.0.0+other",) + hdask.environment()[1:]
    with pytest.raises(hdask.ClusterMismatchError, match=r"\(this process\) has hotloop"):
        hdask._run_partial(_concat_partial, expected, 0, [1])


def test_setup_wants_a_client():
    with pytest.raises(hotloop.InvalidTypeError, match="distributed.Client"):
        hdask.setup("tcp://127.0.0.1:8786")


def test_public_functions_are_annotated():
    import inspect

    functions = [getattr(hdask, name) for name in hdask.__all__
                 if inspect.isfunction(getattr(hdask, name))]
    functions += [hdask.reduce_inputs, hdask.reduce_collection, hdask.partitions,
                  hdask.merge_serialized]
    assert len(functions) >= 7
    for fn in functions:
        signature = inspect.signature(fn)
        assert all(p.annotation is not inspect.Parameter.empty
                   for p in signature.parameters.values()), fn.__name__
        assert signature.return_annotation is not inspect.Signature.empty, fn.__name__


def test_docstring_examples():
    threads = hotloop.get_num_threads()
    try:
        result = doctest.testmod(hdask, optionflags=doctest.ELLIPSIS)
    finally:
        hotloop.set_num_threads(threads)
    assert result.attempted >= 2 and result.failed == 0


# ---- monte_carlo_pi on the local scheduler ----

@st.composite
def partitionings(draw, max_n=3_000_000):
    """(n_samples, chunks as a tuple of range sizes): cuts anywhere, empty ranges included."""
    n = draw(st.integers(1, max_n))
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=12)))
    return n, tuple(b - a for a, b in zip([0] + cuts, cuts + [n]))


@settings(max_examples=60)
@given(partitionings(), st.integers(0, MASK), st.sampled_from([None, False, 2, 3]))
def test_any_partitioning_gives_the_single_call_bit_for_bit(case, seed, split_every):
    n, chunks = case
    pi = hdask.monte_carlo_pi(n, seed, chunks=chunks, split_every=split_every)
    assert dask.compute(pi, scheduler="sync")[0] == hotloop.monte_carlo_pi(n, seed)


@settings(max_examples=30)
@given(st.integers(1, 5_000_000), st.integers(1, 2_000_000), st.integers(0, MASK))
def test_int_chunks_give_the_single_call_bit_for_bit(n, chunk, seed):
    chunk = max(chunk, -(-n // 1000))  # at most 1000 tasks
    pi = hdask.monte_carlo_pi(n, seed, chunks=chunk)
    assert pi.compute(scheduler="threads") == hotloop.monte_carlo_pi(n, seed)


def test_range_hits_near_the_end_of_the_sample_space():
    # The last samples of the 2^64 space, in two ranges and in one.
    from hotloop import _montecarlo

    first = MASK - 1000  # samples 2^64 - 1001 .. 2^64 - 1
    whole = _montecarlo.monte_carlo_hits(first, 1001, 3)
    assert whole == (_montecarlo.monte_carlo_hits(first, 500, 3)
                     + _montecarlo.monte_carlo_hits(first + 500, 501, 3))
    with pytest.raises(hotloop.InvalidArgumentError, match="ends past"):
        _montecarlo.monte_carlo_hits(first, 1002, 3)


def test_seed_none_is_drawn_once_when_the_graph_is_built():
    pi = hdask.monte_carlo_pi(200_000, chunks=50_000)
    first = pi.compute(scheduler="sync")
    assert pi.compute(scheduler="threads") == first
    seeds = {hdask.monte_carlo_pi(1000).key for _ in range(5)}
    assert len(seeds) == 5


def test_the_default_chunks_cover_huge_sample_counts_with_few_tasks():
    pi = hdask.monte_carlo_pi(MASK, 1)  # built, never computed
    partials = [k for k in dict(pi.__dask_graph__()) if isinstance(k, tuple) and "-partial-" in k[0]]
    assert 1 <= len(partials) <= hdask.MAX_TASKS
    assert len(hdask.monte_carlo_pi(3 * hdask.MONTE_CARLO_CHUNK + 1, 1).__dask_graph__()) == 4 + 1


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(n_samples=0), hotloop.InvalidArgumentError, "n_samples"),
    (dict(n_samples=2**64), hotloop.InvalidArgumentError, "n_samples"),
    (dict(n_samples=10.0), hotloop.InvalidTypeError, "n_samples"),
    (dict(seed=-1), hotloop.InvalidArgumentError, "seed"),
    (dict(seed="1"), hotloop.InvalidTypeError, "seed"),
    (dict(chunks=0), hotloop.InvalidArgumentError, "chunks"),
    (dict(chunks=True), hotloop.InvalidTypeError, "chunks"),
    (dict(chunks=2.5), hotloop.InvalidTypeError, "chunks"),
    (dict(chunks=(50, 49)), hotloop.InvalidArgumentError, "add up to 99"),
    (dict(chunks=(60, -10, 50)), hotloop.InvalidArgumentError, "chunk"),
    (dict(chunks=()), hotloop.InvalidArgumentError, "chunks"),
    (dict(chunks=[1.0] * 100), hotloop.InvalidTypeError, "chunk"),
    (dict(n_samples=10**9, chunks=1), hotloop.InvalidArgumentError, "tasks"),
])
def test_bad_arguments(kwargs, error, match):
    arguments = dict(dict(n_samples=100, seed=1), **kwargs)
    with pytest.raises(error, match=match):
        hdask.monte_carlo_pi(arguments.pop("n_samples"), **arguments)


# ---- word counts: the texts, the files, and what the single-machine calls give ----

# Pieces that make exact counting subtle: final sigma, İ (lowers to two code points), ß,
# multi-byte whitespace (U+3000, U+2028, U+0085, U+00A0), \x1c, a 4-byte character, a BOM.
TEXT_PIECES = ["a", "B", "é", "Σ", "ΑΣ", "ß", "İ", "xyz", "\U0001f600", "\ufeff", " ", "\n",
               "\u3000", "\u2028", "\x85", "\xa0", "\x1c"]
# Bytes for errors="replace"/"ignore": malformed sequences, and whitespace of 2 and 3 bytes.
BYTE_PIECES = [b"\xff", b"\x80", b"\xc3", b"\xe2\x82", b"\xf0\x9f\x98", b"\xed\xa0\x80",
               b"\xc0\xaf", b"\xe3\x80\x80", b"\xe2\x80\xa8", b"\xc2\x85", b" ", b"a", b"A",
               b"\xce\xa3", b"\xc3\xa9"]


def texts(errors):
    """One element of a bag: a str, or bytes (valid UTF-8 unless errors is not strict)."""
    text = st.lists(st.sampled_from(TEXT_PIECES), max_size=12).map("".join)
    valid = text.map(str.encode)
    if errors == "strict":
        return st.one_of(text, valid)
    return st.one_of(text, valid, st.lists(st.sampled_from(BYTE_PIECES), max_size=12).map(b"".join))


@st.composite
def partitioned_texts(draw, errors="strict", max_partitions=7):
    """A list of partitions (lists of texts), empty partitions included."""
    elements = draw(st.lists(texts(errors), max_size=16))
    n = draw(st.integers(1, max_partitions))
    cuts = sorted(draw(st.lists(st.integers(0, len(elements)), min_size=n - 1, max_size=n - 1)))
    return [elements[a:b] for a, b in zip([0] + cuts, cuts + [len(elements)])]


def bag_of(partitions):
    """A dask bag with exactly these partitions (empty ones too)."""
    import dask.bag as db

    name = "test-texts-" + dask.base.tokenize(partitions)
    graph = {(name, i): list(part) for i, part in enumerate(partitions)}
    return db.Bag(graph, name, len(partitions))


def decoded(element, errors):
    return element if isinstance(element, str) else bytes(element).decode("utf-8", errors)


def whole_of(partitions, errors="strict"):
    """The documented meaning of a bag of texts: its elements in order, joined by newlines."""
    return "\n".join(decoded(e, errors) for part in partitions for e in part)


def assert_counts(result, top_result, whole, top):
    reference = collections.Counter(whole.lower().split())
    assert result == dict(reference)
    assert list(result) == list(reference)  # Counter's order: first occurrence
    assert top_result == reference.most_common(top)  # ties in order of first occurrence
    assert result == hotloop.word_count(whole)
    assert top_result == hotloop.word_count(whole, top=top)


@settings(max_examples=100)
@given(st.sampled_from(["strict", "replace", "ignore"]).flatmap(
           lambda errors: st.tuples(st.just(errors), partitioned_texts(errors))),
       st.integers(0, 6), st.sampled_from([None, False, 2, 3]))
def test_word_count_of_a_bag_is_the_single_call_on_the_joined_texts(case, top, split_every):
    errors, partitions = case
    bag = bag_of(partitions)
    counts = hdask.word_count(bag, split_every=split_every, errors=errors)
    most = hdask.word_count(bag, top, split_every=split_every, errors=errors)
    assert isinstance(counts, Delayed)
    result, top_result = dask.compute(counts, most, scheduler="sync")
    assert_counts(result, top_result, whole_of(partitions, errors), top)


def test_word_count_of_a_dask_series_of_text():
    import dask.dataframe as dd
    import pandas as pd

    values = ["The ΑΣ cat", "and\u3000THE", "", "hat İ the", "Straße STRASSE", "σ ς Σ"]
    whole = "\n".join(values)
    for series in (pd.Series(values), pd.Series(values, dtype="string"),
                   pd.Series(values, dtype="category")):
        for npartitions in (1, 2, 4):
            s = dd.from_pandas(series, npartitions=npartitions)
            result, top = dask.compute(hdask.word_count(s), hdask.word_count(s, top=3),
                                       scheduler="sync")
            assert_counts(result, top, whole, 3)


def test_a_bag_of_lines_counts_as_its_files(tmp_path):
    import dask.bag as db

    contents = ["Hello wörld\r\nHELLO\u3000x", "", "tail ΑΣ\nno newline at the end", "Σ\n\n"]
    paths = []
    for i, text in enumerate(contents):
        paths.append(str(tmp_path / ("f%d.txt" % i)))
        with open(paths[-1], "w", encoding="utf-8", newline="") as f:
            f.write(text)
    lines = db.read_text(paths, blocksize=7, encoding="utf-8")
    from_lines, from_files = dask.compute(hdask.word_count(lines, top=4),
                                          hdask.word_count_files(paths, top=4, blocksize=5),
                                          scheduler="sync")
    assert from_lines == from_files == collections.Counter("\n".join(contents).lower().split()
                                                           ).most_common(4)


def _first_bad(partitions):
    for i, part in enumerate(partitions):
        for j, element in enumerate(part):
            if not isinstance(element, str):
                try:
                    bytes(element).decode("utf-8")
                except UnicodeDecodeError as exc:
                    return i, j, exc
    return None


@pytest.mark.parametrize("partitions", [
    [["ok"], [b"fine", b"ab\xe2\x82", b"\xff"]],           # bytes only: the engine decodes
    [[b"x"], ["a str", bytearray(b"\xce\xa3\xce")]],       # mixed: Python decodes
    [[memoryview(b"\xed\xa0\x80 surrogate")]],
])
def test_invalid_utf8_in_an_element_raises_what_element_decode_raises(partitions):
    i, j, expected = _first_bad(partitions)
    with pytest.raises(hotloop.HotloopUnicodeDecodeError) as info:
        dask.compute(hdask.word_count(bag_of(partitions)), scheduler="sync")
    found = info.value
    assert isinstance(found, UnicodeDecodeError)
    assert (found.object, found.start, found.end, found.reason) == (
        expected.object, expected.start, expected.end, expected.reason)
    assert "of element %d of partition %d" % (j, i) in str(found)


@pytest.mark.parametrize("element,match", [
    (None, r"None \(NoneType\).*dropna"), (float("nan"), "nan.*dropna"), (3, r"\(int\)"),
    (["a", "b"], r"\(list\)"), (__import__("array").array("i", [1]), r"\(array\)"),
])
def test_elements_that_are_not_texts(element, match):
    bag = bag_of([["fine"], ["a", element]])
    with pytest.raises(hotloop.InvalidTypeError, match="element 1 of partition 1 is .*" + match):
        dask.compute(hdask.word_count(bag), scheduler="sync")


def test_word_count_refuses_what_holds_no_text_when_the_graph_is_built():
    import dask.array as da
    import dask.dataframe as dd
    import pandas as pd

    frame = dd.from_pandas(pd.DataFrame({"text": ["a"], "n": [1]}), npartitions=1)
    with pytest.raises(hotloop.InvalidTypeError, match=r"one column, e.g. df\['text'\]"):
        hdask.word_count(frame)
    with pytest.raises(hotloop.InvalidTypeError, match="dtype int64 holds no text"):
        hdask.word_count(frame["n"])
    for x in (da.arange(3), ["some text"], "some text"):
        with pytest.raises(hotloop.InvalidTypeError, match="hotloop.word_count"):
            hdask.word_count(x)
    bag = bag_of([["a"]])
    with pytest.raises(hotloop.InvalidTypeError, match="top"):
        hdask.word_count(bag, top="3")
    with pytest.raises(hotloop.InvalidArgumentError, match="top"):
        hdask.word_count(bag, top=-1)
    with pytest.raises(LookupError):
        hdask.word_count(bag, errors="no-such-handler")
    with pytest.raises(hotloop.InvalidArgumentError, match="split_every"):
        hdask.word_count(bag, split_every=1)


def test_word_count_keys_follow_the_arguments():
    bag = bag_of([["a b"], ["c"]])
    key = hdask.word_count(bag).key
    assert key.startswith("hotloop-word_count-") and hdask.word_count(bag).key == key
    assert len({key, hdask.word_count(bag, 1).key, hdask.word_count(bag, errors="replace").key,
                hdask.word_count(bag, split_every=2).key, hdask.word_count(bag_of([["a"]])).key}) == 5


# ---- word_count_files ----

def write_files(folder, contents):
    paths = []
    for i, data in enumerate(contents):
        paths.append(os.path.join(folder, "part-%d.txt" % i))
        with open(paths[-1], "wb") as f:
            f.write(data)
    return paths


def files_whole(paths, encoding, errors):
    """The documented meaning of several files: each decoded on its own, joined by newlines."""
    texts_ = []
    for path in paths:
        with open(path, encoding=encoding, errors=errors) as f:
            texts_.append(f.read())
    return "\n".join(texts_)


@st.composite
def file_contents(draw, errors, max_files=4):
    """Bytes of 1..max_files files (empty ones likely): valid UTF-8 for strict, else with
    malformed sequences and multi-byte whitespace anywhere (so at range edges too)."""
    text = st.lists(st.sampled_from(TEXT_PIECES), max_size=20).map(lambda p: "".join(p).encode())
    content = text if errors == "strict" else st.one_of(
        text, st.lists(st.sampled_from(BYTE_PIECES + [p.encode() for p in TEXT_PIECES]),
                       max_size=24).map(b"".join))
    return draw(st.lists(content, min_size=1, max_size=max_files))


def file_cases(max_files=4):
    """(errors, encoding, contents): a BOM is only special for utf-8-sig."""
    return st.sampled_from(["strict", "replace", "ignore"]).flatmap(lambda errors: st.tuples(
        st.just(errors), st.sampled_from(["utf-8", "utf-8-sig"]),
        file_contents(errors, max_files)))


@settings(max_examples=100)
@given(file_cases(), st.one_of(st.integers(1, 12), st.none()), st.integers(0, 5),
       st.sampled_from([None, False, 2, 3]))
def test_word_count_files_is_the_single_call_on_the_files_one_after_the_other(
        case, blocksize, top, split_every):
    errors, encoding, contents = case
    with tempfile.TemporaryDirectory() as folder:
        paths = write_files(folder, contents)
        kwargs = dict(blocksize=blocksize, split_every=split_every, errors=errors,
                      encoding=encoding)
        result, top_result = dask.compute(hdask.word_count_files(paths, **kwargs),
                                          hdask.word_count_files(paths, top, **kwargs),
                                          scheduler="sync")
        assert_counts(result, top_result, files_whole(paths, encoding, errors), top)
        if len(paths) == 1:
            assert result == hotloop.word_count_file(paths[0], encoding=encoding, errors=errors)
            assert top_result == hotloop.word_count_file(paths[0], top, encoding, errors=errors)


def test_each_task_gets_one_byte_range_and_no_text(tmp_path):
    data = ("Zipf wörd\u3000" * 200_000).encode()  # 2.6 MB
    paths = write_files(str(tmp_path), [data, b""])
    counts = hdask.word_count_files(paths, blocksize="512KiB")
    graph = dict(counts.__dask_graph__())
    partials = [task for key, task in sorted(
        ((k, v) for k, v in graph.items() if isinstance(k, tuple) and "-partial-" in k[0]),
        key=lambda item: item[0][1])]
    block, stats = 512 * 1024, [os.stat(p) for p in paths]
    expected = [(paths[0], 0, start, min(start + block, len(data)), len(data),
                 stats[0].st_mtime_ns) for start in range(0, len(data), block)]
    expected.append((paths[1], 1, 0, 0, 0, stats[1].st_mtime_ns))  # an empty file: one empty range
    assert [task[0].args[3:] for task in partials] == expected
    assert len(pickle.dumps(graph)) < 20_000  # paths and ranges, never the 2.6 MB of text
    assert dask.compute(counts, scheduler="sync")[0] == hotloop.word_count(data)


def test_relative_paths_are_made_absolute_on_the_client(tmp_path, monkeypatch):
    write_files(str(tmp_path), [b"a b a"])
    monkeypatch.chdir(tmp_path)
    counts = hdask.word_count_files("part-0.txt", blocksize=2)
    monkeypatch.chdir(os.path.dirname(str(tmp_path)))  # where a worker may run
    assert dask.compute(counts, scheduler="sync")[0] == {"a": 2, "b": 1}


def test_the_same_file_twice_counts_twice(tmp_path):
    paths = write_files(str(tmp_path), [b"b a B"])
    counts = hdask.word_count_files(paths * 2, top=2, blocksize=2)
    assert dask.compute(counts, scheduler="sync")[0] == [("b", 4), ("a", 2)]


def test_other_codecs_count_whole_files_decoded_by_python(tmp_path):
    contents = ["Ærø ÆRØ\xa0x".encode("latin-1"), "ΣΑΣ σας".encode("cp1253")]
    paths = write_files(str(tmp_path), contents)
    for encoding in ("latin-1", "cp1253"):
        counts = hdask.word_count_files(paths, blocksize=1, encoding=encoding)
        partials = [k for k in dict(counts.__dask_graph__()) if "-partial-" in str(k)]
        assert len(partials) == len(paths)  # one task per file
        assert dask.compute(counts, scheduler="sync")[0] == dict(
            collections.Counter(files_whole(paths, encoding, "strict").lower().split()))
    counts = hdask.word_count_files(paths, blocksize=1, errors="backslashreplace")
    assert dask.compute(counts, scheduler="sync")[0] == dict(collections.Counter(
        files_whole(paths, "utf-8", "backslashreplace").lower().split()))


def test_invalid_utf8_in_a_file_names_the_file_and_the_offset(tmp_path):
    bad = b"ok ok \xe2\x82 more"
    paths = write_files(str(tmp_path), [b"fine text", bad])
    with pytest.raises(UnicodeDecodeError) as python:
        bad.decode("utf-8")
    for blocksize in (1, 3, 7, None):
        with pytest.raises(hotloop.HotloopUnicodeDecodeError) as info:
            dask.compute(hdask.word_count_files(paths, blocksize=blocksize), scheduler="sync")
        found = info.value
        assert (found.start, found.end, found.reason, found.filename) == (
            python.value.start, python.value.end, python.value.reason, paths[1])


def test_a_missing_file_is_named_when_the_graph_is_built(tmp_path):
    paths = write_files(str(tmp_path), [b"x"]) + [str(tmp_path / "missing.txt")]
    with pytest.raises(FileNotFoundError) as info:
        hdask.word_count_files(paths)
    assert isinstance(info.value, hotloop.HotloopOSError) and info.value.filename == paths[1]
    assert "missing.txt" in str(info.value)
    with pytest.raises(FileNotFoundError, match=r"glob\.glob"):
        hdask.word_count_files(str(tmp_path / "*.txt"))
    with pytest.raises(FileNotFoundError, match="no URLs"):
        hdask.word_count_files("s3://bucket/corpus.txt")
    with pytest.raises(IsADirectoryError) as info:
        hdask.word_count_files([paths[0], str(tmp_path)])
    assert isinstance(info.value, hotloop.HotloopOSError) and info.value.filename == str(tmp_path)


def test_a_pipe_is_refused_without_being_opened(tmp_path):
    fifo = str(tmp_path / "fifo")
    os.mkfifo(fifo)  # opening it would block: the check must only stat it
    with pytest.raises(hotloop.InvalidArgumentError, match="not a regular file"):
        hdask.word_count_files(fifo)


@pytest.mark.parametrize("change", ["append", "same size, new mtime", "truncate", "remove"])
def test_a_file_changed_after_the_graph_was_built_raises(tmp_path, change):
    paths = write_files(str(tmp_path), [b"one two three", b"four five"])
    counts = hdask.word_count_files(paths, blocksize=4)
    before = os.stat(paths[1])
    if change == "append":
        with open(paths[1], "ab") as f:
            f.write(b" six")
    elif change == "same size, new mtime":
        with open(paths[1], "r+b") as f:
            f.write(b"FOUR")
        os.utime(paths[1], ns=(before.st_atime_ns, before.st_mtime_ns + 10**9))
    elif change == "truncate":
        os.truncate(paths[1], 3)
    else:
        os.remove(paths[1])
    expected = FileNotFoundError if change == "remove" else hdask.FileChangedError
    with pytest.raises(expected) as info:
        dask.compute(counts, scheduler="sync")
    assert isinstance(info.value, hotloop.HotloopOSError) and info.value.filename == paths[1]
    assert ("changed after the graph was built" if change != "remove"
            else "every worker must see the files") in str(info.value)
    if change != "remove":  # a new graph counts the file as it is now
        assert dask.compute(hdask.word_count_files(paths, blocksize=4), scheduler="sync")[0] == \
            dict(collections.Counter(files_whole(paths, "utf-8", "strict").lower().split()))


def test_file_changed_error_pickles_for_the_trip_to_the_client():
    error = hdask.FileChangedError("the message", "/some/file")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is hdask.FileChangedError and isinstance(copy, hotloop.HotloopOSError)
    assert (str(copy), copy.filename) == ("the message", "/some/file")


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(paths=[]), hotloop.InvalidArgumentError, "no paths"),
    (dict(paths=3), hotloop.InvalidTypeError, "paths must be"),
    (dict(paths=[3]), hotloop.InvalidTypeError, "path must be"),
    (dict(paths="a\0b"), hotloop.InvalidArgumentError, "null byte"),
    (dict(blocksize=0), hotloop.InvalidArgumentError, "at least 1 byte"),
    (dict(blocksize="0 B"), hotloop.InvalidArgumentError, "at least 1 byte"),
    (dict(blocksize="lots"), hotloop.InvalidArgumentError, "not a size"),
    (dict(blocksize=True), hotloop.InvalidTypeError, "blocksize"),
    (dict(blocksize=1.5), hotloop.InvalidTypeError, "blocksize"),
    (dict(top=-2), hotloop.InvalidArgumentError, "top"),
    (dict(top=1.0), hotloop.InvalidTypeError, "top"),
    (dict(split_every=1), hotloop.InvalidArgumentError, "split_every"),
    (dict(encoding="no-such-codec"), LookupError, "no-such-codec"),
    (dict(encoding=8), hotloop.InvalidTypeError, "encoding"),
    (dict(errors="no-such-handler"), LookupError, "no-such-handler"),
])
def test_word_count_files_bad_arguments(tmp_path, kwargs, error, match):
    arguments = dict(dict(paths=write_files(str(tmp_path), [b"x"])), **kwargs)
    with pytest.raises(error, match=match):
        hdask.word_count_files(arguments.pop("paths"), **arguments)


def test_word_count_files_blocksizes_and_keys(tmp_path):
    paths = write_files(str(tmp_path), [b"x " * 3000, b"y"])
    def n_partials(**kwargs):
        graph = dict(hdask.word_count_files(paths, **kwargs).__dask_graph__())
        return sum(1 for k in graph if isinstance(k, tuple) and "-partial-" in k[0])
    assert n_partials() == 2  # 64 MiB: one range per file
    assert n_partials(blocksize="1 kB") == 6 + 1 and n_partials(blocksize=1000) == 6 + 1
    assert n_partials(blocksize=None) == 2
    key = hdask.word_count_files(paths).key
    assert key.startswith("hotloop-word_count_files-") and hdask.word_count_files(paths).key == key
    os.utime(paths[1], ns=(0, 10**9))  # a changed file is another graph
    assert hdask.word_count_files(paths).key != key


# ---- on a real cluster: 2 worker processes with 1 thread each ----

@pytest.fixture(scope="module")
def client():
    settings_ = {
        "distributed.comm.timeouts.connect": "%ds" % TIMEOUT,
        "distributed.comm.timeouts.tcp": "%ds" % TIMEOUT,
        "distributed.scheduler.allowed-failures": 3,
    }
    with dask.config.set(settings_):
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None, scheduler_port=0,
                               silence_logs=logging.ERROR)
        try:
            with Client(cluster, timeout=TIMEOUT) as c:
                c.wait_for_workers(2, timeout=TIMEOUT)
                yield c
        finally:
            cluster.close(timeout=TIMEOUT)


def _on_cluster(c, collection, **kwargs):
    return c.compute(collection, **kwargs).result(timeout=TIMEOUT)


@settings(max_examples=5)
@given(partitionings(max_n=20_000_000), st.integers(0, MASK), st.sampled_from([None, 2, 3]))
def test_cluster_monte_carlo_pi_is_the_single_call(client, case, seed, split_every):
    n, chunks = case
    pi = hdask.monte_carlo_pi(n, seed, chunks=chunks, split_every=split_every)
    assert _on_cluster(client, pi) == hotloop.monte_carlo_pi(n, seed)


def test_cluster_reductions_keep_the_partition_order(client):
    values, collections = _collections()
    for label, x in collections.items():
        reduced = hdask.reduce_collection(CONCAT, x, "cluster", split_every=2)
        assert _flat(_on_cluster(client, reduced)) == values, label


def _set_version(version):
    old, hotloop.__version__ = hotloop.__version__, version
    return old


def _set_unidata(version):
    import unicodedata

    old, unicodedata.unidata_version = unicodedata.unidata_version, version
    return old


_SAVED = {}  # on a worker: what _break_reports replaced


def _break_reports():
    def broken(dask_worker=None):
        raise ImportError("No module named 'hotloop'")

    _SAVED["report"], hdask._worker_report = hdask._worker_report, broken


def _restore_reports():
    hdask._worker_report = _SAVED.pop("report")


def test_setup_sizes_hotloop_threads_to_each_workers_threads(client):
    client.run(hotloop.set_num_threads, 3)
    assert set(client.run(hotloop.get_num_threads).values()) == {3}
    configured = hdask.setup(client)
    assert sorted(configured) == sorted(client.scheduler_info()["workers"])
    assert set(configured.values()) == {1}
    assert set(client.run(hotloop.get_num_threads).values()) == {1}
    assert hdask.setup(client) == configured  # again: harmless


@pytest.mark.parametrize("patch,restore,shown", [
    (lambda c, w: c.run(_set_version, "0.0.0+odd", workers=[w])[w],
     lambda c, w, old: c.run(_set_version, old, workers=[w]), "hotloop 0.0.0+odd"),
    (lambda c, w: c.run(_set_unidata, "1.1.0", workers=[w])[w],
     lambda c, w, old: c.run(_set_unidata, old, workers=[w]), "Unicode 1.1.0"),
    (lambda c, w: c.run(_break_reports, workers=[w]),
     lambda c, w, old: c.run(_restore_reports, workers=[w]), "cannot run hotloop"),
])
def test_setup_names_the_odd_worker_and_changes_nothing(client, patch, restore, shown):
    odd, fine = sorted(client.scheduler_info()["workers"])
    client.run(hotloop.set_num_threads, 2)
    old = patch(client, odd)
    try:
        with pytest.raises(hdask.ClusterMismatchError) as info:
            hdask.setup(client)
    finally:
        restore(client, odd, old)
    message = str(info.value)
    assert "1 of 2 workers" in message
    assert odd + " " in message and shown in message and fine + " " not in message
    assert set(client.run(hotloop.get_num_threads).values()) == {2}  # nothing was set


def test_tasks_on_a_mismatched_worker_fail_loudly(client):
    odd = sorted(client.scheduler_info()["workers"])[0]
    pi = hdask.monte_carlo_pi(10_000, 11, chunks=2_500)
    old = client.run(_set_version, "0.0.0+odd", workers=[odd])[odd]
    try:
        with pytest.raises(hdask.ClusterMismatchError, match="worker %s has hotloop 0.0.0" % odd):
            _on_cluster(client, pi, workers=[odd], allow_other_workers=False)
    finally:
        client.run(_set_version, old, workers=[odd])
    # Restored, the worker computes (a new graph: the failed keys may still be remembered).
    pi = hdask.monte_carlo_pi(10_000, 11, chunks=2_000)
    assert _on_cluster(client, pi, workers=[odd]) == hotloop.monte_carlo_pi(10_000, 11)


def _die_the_first_time(marker, value):
    """Passes value through, except the first time (marker absent): kills its worker process."""
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return value
    os.close(fd)
    os._exit(1)


def test_a_worker_killed_mid_job_changes_nothing(client, tmp_path):
    hdask.setup(client)
    n, seed = 12_000_000, 2024
    pi = hdask.monte_carlo_pi(n, seed, chunks=500_000, split_every=3)
    # Partial 12 of 24 kills its worker the first time it runs: Dask reruns it, and every
    # partial or merge that lived on the dead worker, elsewhere.
    graph = dict(pi.__dask_graph__())
    victim = sorted(k for k in graph if isinstance(k, tuple) and "-partial-" in k[0])[12]
    marker = str(tmp_path / "killed")
    graph[victim] = (_die_the_first_time, marker, graph[victim])
    pids = set(client.run(os.getpid).values())
    assert _on_cluster(client, Delayed(pi.key, graph)) == hotloop.monte_carlo_pi(n, seed)
    assert os.path.exists(marker)
    client.wait_for_workers(2, timeout=TIMEOUT)
    after = client.run(os.getpid)
    assert len(set(after.values()) - pids) == 1  # the nanny started a new worker process
    # setup's plugin sized hotloop's threads on the new worker too.
    assert set(client.run(hotloop.get_num_threads).values()) == {1}


# ---- word counts on the cluster ----

@settings(max_examples=10)
@given(partitioned_texts("replace"), st.integers(0, 5), st.sampled_from([None, 2]))
def test_cluster_word_count_is_the_single_call(client, partitions, top, split_every):
    bag = bag_of(partitions)
    result = _on_cluster(client, hdask.word_count(bag, split_every=split_every, errors="replace"))
    top_result = _on_cluster(client, hdask.word_count(bag, top, split_every=split_every,
                                                      errors="replace"))
    assert_counts(result, top_result, whole_of(partitions, "replace"), top)


@settings(max_examples=10)
@given(file_cases(), st.integers(1, 9), st.integers(0, 5), st.sampled_from([None, 2]))
def test_cluster_word_count_files_is_the_single_call(client, case, blocksize, top, split_every):
    errors, encoding, contents = case
    with tempfile.TemporaryDirectory() as folder:
        paths = write_files(folder, contents)
        kwargs = dict(blocksize=blocksize, split_every=split_every, errors=errors,
                      encoding=encoding)
        result = _on_cluster(client, hdask.word_count_files(paths, **kwargs))
        top_result = _on_cluster(client, hdask.word_count_files(paths, top, **kwargs))
        assert_counts(result, top_result, files_whole(paths, encoding, errors), top)


def test_cluster_errors_reach_the_client_as_the_single_call_raises_them(client, tmp_path):
    bad = b"ok \xf0\x9f\x98 ok"
    paths = write_files(str(tmp_path), [b"fine", bad, b"changing"])
    with pytest.raises(hotloop.HotloopUnicodeDecodeError) as info:
        _on_cluster(client, hdask.word_count_files(paths[:2], blocksize=2))
    with pytest.raises(UnicodeDecodeError) as python:
        bad.decode("utf-8")
    assert (info.value.start, info.value.end, info.value.reason, info.value.filename) == (
        python.value.start, python.value.end, python.value.reason, paths[1])
    counts = hdask.word_count_files([paths[0], paths[2]], blocksize=3)
    before = os.stat(paths[2])
    os.utime(paths[2], ns=(before.st_atime_ns, before.st_mtime_ns - 10**9))
    with pytest.raises(hdask.FileChangedError) as changed:
        _on_cluster(client, counts)
    assert changed.value.filename == paths[2] and "changed after the graph" in str(changed.value)
    counts = hdask.word_count_files(paths[:1], blocksize=3)
    os.remove(paths[0])
    with pytest.raises(FileNotFoundError, match="on worker tcp://127.0.0.1:") as missing:
        _on_cluster(client, counts)
    assert missing.value.filename == paths[0]


def _with_victim(delayed, stage, number, marker):
    """The graph of `delayed` with its `number`-th task of `stage` ("partial", "merge0")
    killing its worker the first time it runs."""
    graph = dict(delayed.__dask_graph__())
    keys = sorted(k for k in graph if isinstance(k, tuple) and "-%s-" % stage in k[0])
    graph[keys[number]] = (_die_the_first_time, marker, graph[keys[number]])
    return Delayed(delayed.key, graph)


def test_a_worker_killed_mid_word_count_files_changes_nothing(client, tmp_path):
    contents = [("Zipf wörd\u3000ΑΣ %d Σ\n" % (i % 37)).encode() * 400 for i in range(4)]
    paths = write_files(str(tmp_path), contents)
    counts = hdask.word_count_files(paths, top=7, blocksize=1000, split_every=3)
    pids = set(client.run(os.getpid).values())
    marker = str(tmp_path / "killed")
    found = _on_cluster(client, _with_victim(counts, "partial", 20, marker))
    assert os.path.exists(marker)
    assert found == collections.Counter(files_whole(paths, "utf-8", "strict").lower().split()
                                        ).most_common(7)
    client.wait_for_workers(2, timeout=TIMEOUT)
    assert len(set(client.run(os.getpid).values()) - pids) == 1  # a new worker process


def test_a_worker_killed_in_a_merge_of_word_count_changes_nothing(client, tmp_path):
    partitions = [["The ΑΣ cat %d" % i, b"and THE\xe3\x80\x80hat"] * (i % 3) for i in range(30)]
    counts = hdask.word_count(bag_of(partitions), split_every=2)
    marker = str(tmp_path / "killed")
    found = _on_cluster(client, _with_victim(counts, "merge0", 7, marker))
    assert os.path.exists(marker)
    reference = collections.Counter(whole_of(partitions).lower().split())
    assert found == dict(reference) and list(found) == list(reference)
    client.wait_for_workers(2, timeout=TIMEOUT)


def test_the_corpus_example_runs_and_checks_itself():
    example = os.path.join(PYWRAPPER, "..", "examples", "dask_corpus.py")
    env = dict(os.environ, PYTHONPATH=PYWRAPPER)
    done = subprocess.run([sys.executable, example, "--files", "3", "--megabytes", "1",
                           "--pi-samples", "100000"], env=env, capture_output=True, text=True,
                          timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    assert "most_common(10) ties included" in done.stdout  # its own asserts passed
    assert "the same top 10: True" in done.stdout
    assert "pending phase 2b" in done.stdout and "bit for bit" in done.stdout
