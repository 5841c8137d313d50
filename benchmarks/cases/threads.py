"""Threads: hotloop releases the GIL, so two Python threads calling it use two cores at once.

Each call sums 32768 float64 values: exactly one engine block, which the engine runs inline on the
calling thread (no TBB worker joins), so each Python thread keeps one core busy on its own. Two
threads doing one share each should finish in about the time one thread takes for one share
(speedup ~1.0x against it, ~2x against doing both shares in turn). If the GIL were held during
native calls the threads would take turns: 0.5x and 1.0x.
"""
import threading

from harness import Case

CALLS = 2000  # per share, ~0.1 s
N = 32768     # one block of the float sum: computed inline on the calling thread


def _setup():
    import numpy as np

    return (np.random.default_rng(7).standard_normal(N),)


def _share(data):
    import hotloop

    total = 0.0
    for _ in range(CALLS):
        total += hotloop.parallel_sum(data)
    return total


def _two_threads(data):
    results = []
    threads = [threading.Thread(target=lambda: results.append(_share(data))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _both_shares_in_turn(data):
    return [_share(data), _share(data)]


def cases():
    return [
        Case(
            group="threads",
            name="2 Python threads x %d parallel_sum(32K f64)" % CALLS,
            setup=_setup,
            hotloop=_two_threads,
            peers={
                "1 thread, 1 share (same time = ideal)": _share,
                "1 thread, both shares in turn": _both_shares_in_turn,
            },
            goal_peer="1 thread, 1 share (same time = ideal)",
            goal=0.8,  # two shares on two threads take at most 1.25x the time of one share
            repeat=5,
            note="needs 2 idle cores; 0.5x would mean the GIL is held during native calls",
        ),
    ]
