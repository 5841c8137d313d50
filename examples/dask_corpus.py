"""hotloop.dask on a corpus: word counts and statistics on a Dask cluster, checked against one machine.

By default it generates a multi-file corpus in a temporary folder, starts a LocalCluster (2
worker processes of 1 thread, on 127.0.0.1) and stops it at the end:

    PYTHONPATH=pywrapper /usr/bin/python3 examples/dask_corpus.py [--files 6] [--megabytes 4]

On a real cluster, point it at the scheduler and at a folder every worker sees at the same path
(NFS, a cluster filesystem; the client must see it too: it reads the files' sizes to cut them
into byte ranges), with the same hotloop installed on every worker (setup() checks it):

    dask scheduler                                    # on one machine: tcp://scheduler:8786
    dask worker tcp://scheduler:8786 --nthreads 8     # on every worker machine
    python3 examples/dask_corpus.py --scheduler tcp://scheduler:8786 --corpus /shared/corpus

With --corpus, the folder's *.txt files are used (and generated first if there are none).
The single-machine checks read the whole corpus on the client: skip them with --no-check on a
corpus bigger than its memory.

It runs, each checked against the single-machine call unless --no-check:
- word counts: word_count_files over the files, word_count over a bag of their lines;
- statistics: parallel_sum of the words per line (a bag of ints: the same total as the word
  counts), compute_stats and parallel_sum of a dask array of measurements generated on the
  workers (far from zero: 1e12 + noise), and add_data of it into a DataProcessor (the state
  one add_data of the whole gives, bit for bit);
- monte_carlo_pi, bit for bit.
"""
import argparse
import collections
import glob
import logging
import math
import os
import random
import tempfile
import time

import dask
import dask.array as da
import dask.bag as db
from distributed import Client, LocalCluster

import hotloop
import hotloop.dask

BLOCKSIZE = 1 << 20  # bytes of file per word-count task: small, so that a small corpus has many


def generate_corpus(folder, files, megabytes, seed=2024):
    """`files` text files of about `megabytes` MB: Zipf-distributed words from a vocabulary of
    lowercase ASCII words, some capitalised, some non-ASCII (Greek, German), a few lines ending
    in CRLF, and a few non-breaking and ideographic spaces: what makes exact counting subtle."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocabulary = sorted({"".join(rng.choice(letters) for _ in range(rng.randint(1, 9)))
                         for _ in range(20_000)})  # sorted: set order varies between runs
    rng.shuffle(vocabulary)
    vocabulary[5:5] = ["Straße", "STRASSE", "ΣΊΣΥΦΟΣ", "σίσυφος", "naïve", "Ǆemal"]
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]
    separators = [" "] * 40 + ["\n"] * 4 + ["\r\n", "\u00a0", "\u3000", "\t"]
    paths = []
    for i in range(files):
        words = rng.choices(vocabulary, weights, k=megabytes * 1_000_000 // 6)
        text = "".join((w.capitalize() if rng.random() < 0.05 else w) + rng.choice(separators)
                       for w in words)
        path = os.path.join(folder, "part-%03d.txt" % i)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        paths.append(path)
    return paths


def single_machine_counts(paths):
    """The reference: Counter of the corpus's words, file after file (first occurrences in
    that order, which decides most_common's ties)."""
    counts = collections.Counter()
    for path in paths:
        with open(path, encoding="utf-8", newline="") as f:
            counts.update(f.read().lower().split())
    return counts


def connect(scheduler):
    if scheduler:
        return Client(scheduler), None
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None, silence_logs=logging.ERROR)
    return Client(cluster), cluster


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scheduler", help="address of a running scheduler, e.g. "
                        "tcp://scheduler:8786 (default: a LocalCluster of 2 processes)")
    parser.add_argument("--corpus", help="folder of *.txt files, seen by every worker "
                        "(default: a generated corpus in a temporary folder)")
    parser.add_argument("--files", type=int, default=6)
    parser.add_argument("--megabytes", type=int, default=4, help="per generated file")
    parser.add_argument("--pi-samples", type=int, default=10**9,
                        help="samples of the Monte Carlo estimate of pi")
    parser.add_argument("--measurements", type=int, default=1 << 21,
                        help="values of the generated dask array of measurements")
    parser.add_argument("--no-check", action="store_true",
                        help="skip the single-machine comparisons")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="hotloop-corpus-") as scratch:
        folder = args.corpus or scratch
        paths = sorted(glob.glob(os.path.join(folder, "*.txt")))
        if not paths:
            paths = generate_corpus(folder, args.files, args.megabytes)
        size = sum(os.path.getsize(p) for p in paths)
        print("corpus: %d files, %.1f MB in %s" % (len(paths), size / 1e6, folder))

        client, cluster = connect(args.scheduler)
        try:
            threads = hotloop.dask.setup(client)  # same hotloop everywhere; threads per worker
            print("workers (hotloop threads):", threads)
            run(client, paths, args.pi_samples, check=not args.no_check,
                measurement_count=args.measurements)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


def run(client, paths, pi_samples, check, measurement_count=1 << 21):
    # ---- word counts: one task per byte range of a file, word tables merged in order ----
    counts = hotloop.dask.word_count_files(paths, blocksize=BLOCKSIZE)
    top = hotloop.dask.word_count_files(paths, top=10, blocksize=BLOCKSIZE)
    start = time.perf_counter()
    counts, top = dask.compute(counts, top)  # one graph; nothing ran before this line
    print("\nword_count_files: %d distinct words in %.2f s" % (len(counts),
                                                             time.perf_counter() - start))
    for word, count in top:
        print("  %-12s %9d" % (word, count))
    if check:
        reference = single_machine_counts(paths)
        assert counts == dict(reference), "word counts differ from Counter"
        assert list(counts) == list(reference), "first occurrences differ from Counter"
        assert top == reference.most_common(10), "top 10 (ties included) differ from Counter"
        print("  = Counter(text.lower().split()) file by file, most_common(10) ties included")

    # ---- the same words through a bag of lines (the text reaches the workers as strings) ----
    lines = db.read_text(paths, blocksize=BLOCKSIZE, encoding="utf-8")
    line_top = hotloop.dask.word_count(lines, top=10).compute()
    print("\nword_count over a bag of the files' lines (dask.bag.read_text): the same top 10: %s"
          % (line_top == top))
    assert line_top == top

    # ---- statistics: exact partials (ExactSum, Moments, ChunkPartial) merged in a tree ----
    words_per_line = lines.map(lambda line: len(line.split()))  # a bag of ints
    total = hotloop.dask.parallel_sum(words_per_line).compute()
    print("\nparallel_sum(words per line) = %d" % total)
    assert total == sum(counts.values())  # the word counts' total, whatever the partitioning
    print("  = the total of the word counts")

    measurements = da.random.RandomState(7).normal(0.0, 1e-3, size=measurement_count,
                                                   chunks=1 << 18) + 1e12
    measurements = client.persist(measurements)  # generated on the workers; kept there
    stats, exact_sum = dask.compute(hotloop.dask.compute_stats(measurements),
                                    hotloop.dask.parallel_sum(measurements))
    print("\ncompute_stats of %d measurements (1e12 + noise), %d chunks: mean %r, std %r"
          % (measurement_count, measurements.numblocks[0], stats["mean"], stats["std"]))
    print("parallel_sum = %r" % exact_sum)
    processor = hotloop.DataProcessor(chunk_size=1000)
    hotloop.dask.add_data(processor, measurements)  # eager: partials computed on the workers
    print("DataProcessor after add_data: %d values, statistics %r"
          % (len(processor), processor.get_statistics()))
    if check:
        whole = measurements.compute()  # the single-machine reference reads it all here
        single = hotloop.compute_stats(whole)
        assert {k: stats[k] for k in ("count", "mean", "min", "max")} == \
            {k: single[k] for k in ("count", "mean", "min", "max")}
        assert abs(stats["std"] - single["std"]) <= 2 * math.ulp(single["std"])
        assert exact_sum == hotloop.parallel_sum(whole) == math.fsum(whole.tolist())
        with hotloop.DataProcessor(chunk_size=1000) as reference:
            reference.add_data(whole)
            assert processor.to_bytes() == reference.to_bytes()
        print("  = hotloop.compute_stats (count, mean, min, max exactly; std within 2 ulp: "
              "each is within 1 ulp of the correctly rounded value), parallel_sum (math.fsum), "
              "and one DataProcessor.add_data of the whole: the same state, bit for bit")
    processor.close()

    # ---- Monte Carlo: ranges of samples, bit-identical to the single call ----
    pi = hotloop.dask.monte_carlo_pi(pi_samples, seed=1)
    estimate = client.compute(pi).result()
    print("\nmonte_carlo_pi(%d samples) = %.10f" % (pi_samples, estimate))
    if check:
        assert estimate == hotloop.monte_carlo_pi(pi_samples, seed=1)
        print("  = hotloop.monte_carlo_pi, bit for bit")


if __name__ == "__main__":
    main()
