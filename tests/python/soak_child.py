"""Child process of test_soak.py: calls every public function many times and reports how much
the resident set grew (JSON on stdout). Run in a fresh interpreter, so what other tests left in
memory does not count. Usage: soak_child.py SMALL_CALLS LARGE_CALLS"""
import array
import asyncio
import gc
import json
import mmap
import os
import sys
import tempfile

import numpy as np

import hotloop
from hotloop import aio


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * mmap.PAGESIZE


def expect(error, call, *args):
    try:
        call(*args)
    except error:
        return
    raise AssertionError("%r did not raise %s" % (call, error.__name__))


def small_cases(path):
    ints, floats = list(range(10)), [0.5 * i for i in range(10)]
    arr, farr = np.arange(10, dtype=np.int64), np.linspace(0, 1, 10)
    mat = np.arange(16.0).reshape(4, 4)
    img = (np.arange(9 * 9 * 3) % 251).astype(np.uint8).reshape(9, 9, 3)
    kept = hotloop.DataProcessor(4)
    closed = hotloop.DataProcessor(4)
    closed.close()

    def processor_lifecycle():
        with hotloop.DataProcessor(3) as p:
            p.add_data(floats)
            p.process_chunks()
            p.get_statistics()

    def processor_long_lived():
        kept.add_data(farr)
        kept.process_chunks()
        kept.get_statistics()

    def exact_sum_record():
        s = hotloop.ExactSum.of(farr).merge(hotloop.ExactSum.of(arr))
        return hotloop.ExactSum.from_bytes(s.to_bytes()).value()

    def moments_record():
        m = hotloop.Moments.of(farr).merge(hotloop.Moments.of(farr[::-1]))
        return hotloop.Moments.from_bytes(m.to_bytes()).result()

    def word_table_record():
        with hotloop.WordTable.from_text("a b A", part=0) as a, \
                hotloop.WordTable.from_text("b c", part=1) as b, a.merge(b) as m, \
                hotloop.WordTable.from_bytes(m.to_bytes()) as back:
            return back.to_dict()

    def chunk_partial_record():
        part = hotloop.DataProcessor.partial(floats, chunk_size=3, offset=0)
        with hotloop.DataProcessor(3) as p:
            p.add_partials([hotloop.ChunkPartial.from_bytes(part.to_bytes())])
            return p.process_chunks()

    return {
        "parallel_sum list": lambda: hotloop.parallel_sum(ints),
        "parallel_sum ndarray": lambda: hotloop.parallel_sum(farr),
        "parallel_sum array.array": lambda: hotloop.parallel_sum(array.array("q", ints)),
        "process_numbers list": lambda: hotloop.process_numbers(ints, 3),
        "process_numbers ndarray": lambda: hotloop.process_numbers(arr, 3),
        "DataProcessor create/add/process/close": processor_lifecycle,
        "DataProcessor long-lived": processor_long_lived,
        "array_multiply": lambda: hotloop.array_multiply(farr, farr),
        "compute_stats": lambda: hotloop.compute_stats(farr),
        "matrix_multiply": lambda: hotloop.matrix_multiply(mat, mat),
        "gaussian_blur": lambda: hotloop.gaussian_blur(img, 1.0),
        "box_blur": lambda: hotloop.box_blur(img, 1),
        "sharpen": lambda: hotloop.sharpen(img, 1.0),
        "sobel_edges": lambda: hotloop.sobel_edges(img),
        "grayscale": lambda: hotloop.grayscale(img),
        "process_image": lambda: hotloop.process_image(img, "edges"),
        "monte_carlo_pi": lambda: hotloop.monte_carlo_pi(100, seed=1),
        "word_count": lambda: hotloop.word_count("a b A c"),
        "word_count_file": lambda: hotloop.word_count_file(path),
        "ExactSum of/merge/to_bytes/from_bytes/value": exact_sum_record,
        "Moments of/merge/to_bytes/from_bytes/result": moments_record,
        "WordTable from_text/merge/to_bytes/from_bytes/to_dict/close": word_table_record,
        "ChunkPartial partial/to_bytes/from_bytes/add_partials": chunk_partial_record,
        "bad WordTable bytes": lambda: expect(hotloop.InvalidArgumentError,
                                              hotloop.WordTable.from_bytes, b"HLWT junk"),
        "sum_as_string": lambda: hotloop.sum_as_string(5, 20),
        "divide": lambda: hotloop.divide(1.0, 3.0),
        "show_config": lambda: hotloop.show_config(mode="dicts"),
        "get_num_threads + set_num_threads": lambda: hotloop.set_num_threads(hotloop.get_num_threads()),
        # Failures must free what they allocated too.
        "divide by zero": lambda: expect(hotloop.DivisionByZeroError, hotloop.divide, 1.0, 0.0),
        "bad list element": lambda: expect(hotloop.InvalidTypeError, hotloop.parallel_sum, [1, "x"]),
        "invalid UTF-8": lambda: expect(hotloop.EncodingError, hotloop.word_count, b"ok \xff"),
        "overflowing product": lambda: expect(
            hotloop.NumericOverflowError, hotloop.array_multiply, arr + 2**62, arr + 2**62),
        "closed processor": lambda: expect(hotloop.ClosedHandleError, closed.add_data, floats),
        "missing file": lambda: expect(FileNotFoundError, hotloop.word_count_file, path + ".missing"),
    }


def large_cases(path):
    big = np.random.default_rng(1).standard_normal(1 << 18)
    ints = np.arange(1 << 18, dtype=np.int64)
    mat = np.ones((128, 128))
    img = np.zeros((256, 256, 3), dtype=np.uint8)
    text = "lorem ipsum dolor sit amet " * 10000
    p = hotloop.DataProcessor(1000)

    def processor():
        p.add_data(big)
        p.process_chunks()

    return {
        "parallel_sum": lambda: hotloop.parallel_sum(big),
        "process_numbers": lambda: hotloop.process_numbers(ints, 1000),
        "DataProcessor add/process": processor,
        "array_multiply": lambda: hotloop.array_multiply(big, big),
        "compute_stats": lambda: hotloop.compute_stats(big),
        "matrix_multiply": lambda: hotloop.matrix_multiply(mat, mat),
        "gaussian_blur": lambda: hotloop.gaussian_blur(img, 2.0),
        "sobel_edges": lambda: hotloop.sobel_edges(img),
        "word_count": lambda: hotloop.word_count(text),
        "word_count_file": lambda: hotloop.word_count_file(path),
    }


def aio_case():
    farr = np.linspace(0, 1, 10)

    async def batch():
        await asyncio.gather(*(aio.parallel_sum(farr) for _ in range(50)),
                             *(aio.compute_stats(farr) for _ in range(50)))

    return lambda: asyncio.run(batch())


def growth(call, times):
    for _ in range(min(times, 1000)):  # warm-up: caches, pools, lazily built tables
        call()
    gc.collect()
    before = rss()
    for _ in range(times):
        call()
    gc.collect()
    return rss() - before


def main():
    small, large = int(sys.argv[1]), int(sys.argv[2])
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "words.txt")
        with open(path, "w") as f:
            f.write("alpha beta Alpha gamma " * 10)
        big_path = os.path.join(d, "big.txt")
        with open(big_path, "w") as f:
            f.write("lorem ipsum dolor sit amet " * 40000)
        report = {}
        for name, call in small_cases(path).items():
            report["small: " + name] = growth(call, small)
        for name, call in large_cases(big_path).items():
            report["large: " + name] = growth(call, large)
        report["aio twins (100 per call)"] = growth(aio_case(), large // 10)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
