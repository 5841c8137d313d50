"""word_count against Counter(text.lower().split()), the plain-Python code it replaces."""
import atexit
import collections
import math
import os
import random
import tempfile

import hotloop
from harness import Case


def _counter(text):
    return dict(collections.Counter(text.lower().split()))


def _hello_world():
    return ("hello world " * 1_000_000,)


def _zipf_text(megabytes=50, vocabulary=50_000, seed=20261124):
    """Zipf-distributed words (s = 1, so the top word is ~8.8% of the tokens) from a vocabulary of
    lowercase ASCII words whose length grows with their rank; ~1 word in 20 is capitalised and
    ~1 separator in 12 is a newline. Deterministic for a given seed."""
    import numpy as np

    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words, seen = [], set()
    while len(words) < vocabulary:
        length = 1 + min(12, int(math.log2(len(words) + 2) / 1.6) + rng.randrange(3))
        word = "".join(rng.choice(letters) for _ in range(length))
        if word not in seen:
            seen.add(word)
            words.append(word)
    vocab = np.array(words + [w.capitalize() for w in words], dtype=object)
    weights = 1.0 / np.arange(1, vocabulary + 1)
    cumulative = np.cumsum(weights / weights.sum())
    gen = np.random.default_rng(seed)
    target = megabytes * 1_000_000
    n_tokens = target // 5
    ranks = np.minimum(np.searchsorted(cumulative, gen.random(n_tokens)), vocabulary - 1)
    ranks += vocabulary * (gen.random(n_tokens) < 0.05)
    tokens = vocab[ranks].tolist()
    seps = np.where(gen.random(n_tokens) < 1 / 12, "\n", " ").tolist()
    text = "".join(t + s for t, s in zip(tokens, seps))
    return text[:target]


def _zipf():
    return (_zipf_text(),)


def _cyrillic():
    """The Zipf text with its Latin letters replaced by Cyrillic ones (2 bytes each in UTF-8)."""
    latin = "abcdefghijklmnopqrstuvwxyz"
    cyrillic = "абвгдежзийклмнопрстуфхцчшщ"
    table = str.maketrans(latin + latin.upper(), cyrillic + cyrillic.upper())
    return (_zipf_text(megabytes=25).translate(table),)


def _zipf_file():
    text = _zipf_text()
    fd, path = tempfile.mkstemp(prefix="hotloop-bench-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    atexit.register(os.remove, path)  # the harness has no teardown
    return (path,)


def _counter_file(path):
    with open(path, encoding="utf-8") as f:
        return _counter(f.read())


def cases():
    return [
        Case(
            group="text",
            name="word_count, 'hello world ' * 1M (12 MB)",
            setup=_hello_world,
            hotloop=hotloop.word_count,
            peers={"Counter(text.lower().split())": _counter},
            goal_peer="Counter(text.lower().split())",
            goal=10.0,
            same=lambda a, b: a == b,
        ),
        Case(
            group="text",
            name="word_count, 50 MB Zipf text, 50k vocabulary",
            setup=_zipf,
            hotloop=hotloop.word_count,
            peers={"Counter(text.lower().split())": _counter},
            goal_peer="Counter(text.lower().split())",
            goal=10.0,
            repeat=5,
            same=lambda a, b: a == b,
        ),
        Case(
            group="text",
            name="word_count, 50 MB Zipf text, top=10",
            setup=_zipf,
            hotloop=lambda text: hotloop.word_count(text, top=10),
            peers={"Counter(text.lower().split()).most_common(10)":
                   lambda text: collections.Counter(text.lower().split()).most_common(10)},
            repeat=5,
            quick=False,
            same=lambda a, b: a == b,
        ),
        Case(
            group="text",
            name="word_count, Cyrillic Zipf text (25M chars, 46 MB UTF-8)",
            setup=_cyrillic,
            hotloop=hotloop.word_count,
            peers={"Counter(text.lower().split())": _counter},
            repeat=5,
            quick=False,
            same=lambda a, b: a == b,
        ),
        Case(
            group="text",
            name="word_count_file, 50 MB Zipf file (page cache)",
            setup=_zipf_file,
            hotloop=hotloop.word_count_file,
            peers={"Counter(open(path).read().lower().split())": _counter_file},
            repeat=5,
            quick=False,
            same=lambda a, b: a == b,
        ),
    ]
