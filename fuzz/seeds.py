"""Seed corpora of the fuzz targets, one text file per target (fuzz/seeds/<target>.txt): a line
per input, in hex ("-" for the empty input); "# comment" lines (anywhere: a finding appended
at the end keeps one saying what it found) and blank lines are not inputs, and the inputs are
numbered from 0 (seed-NNNN) without them. Text files review and merge better than hundreds of
binary files.

    python3 fuzz/seeds.py unpack fuzz/seeds BUILD/fuzz-seeds     # run.sh does this
    python3 fuzz/seeds.py pack CORPUS_DIR_OR_FILE >> fuzz/seeds/<target>.txt   # keep a finding
"""
import os
import sys


def unpack(seeds_dir, out_dir):
    for name in sorted(os.listdir(seeds_dir)):
        if not name.endswith(".txt"):
            continue
        target_dir = os.path.join(out_dir, name[:-4])
        os.makedirs(target_dir, exist_ok=True)
        with open(os.path.join(seeds_dir, name)) as f:
            lines = [line.strip() for line in f if line.strip() and not line.startswith("#")]
        for i, line in enumerate(lines):
            data = b"" if line == "-" else bytes.fromhex(line)
            with open(os.path.join(target_dir, "seed-%04d" % i), "wb") as out:
                out.write(data)


def pack(corpus):
    names = [corpus] if os.path.isfile(corpus) else [os.path.join(corpus, n) for n in sorted(os.listdir(corpus))]
    for name in names:
        with open(name, "rb") as f:
            data = f.read()
        print(data.hex() or "-")


if __name__ == "__main__":
    if sys.argv[1:2] == ["unpack"] and len(sys.argv) == 4:
        unpack(sys.argv[2], sys.argv[3])
    elif sys.argv[1:2] == ["pack"] and len(sys.argv) == 3:
        pack(sys.argv[2])
    else:
        sys.exit(__doc__)
