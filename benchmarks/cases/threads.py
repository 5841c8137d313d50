"""Threads: hotloop releases the GIL, so two Python threads calling it use two cores at once.

Each call is monte_carlo_pi(2**20): exactly one engine block, which the engine runs inline on the
calling thread (no TBB worker joins), so each Python thread keeps one core busy on its own; the
native work (~0.5 ms) dwarfs the Python-side handling of the call, which holds the GIL. Two
threads doing one share each should finish in about the time one thread takes for one share
(speedup ~1.0x against it, ~2x against doing both shares in turn). If the GIL were held during
native calls the threads would take turns: 0.5x and 1.0x. (A 32K-element parallel_sum, ~2 us of
native work per call, measures the GIL handoffs of the Python wrapper instead.)
"""
import threading

from harness import Case

CALLS = 100    # per share, ~50 ms
N = 1 << 20    # one block of monte_carlo_pi: computed inline on the calling thread


def _setup():
    return (N,)


def _share(n):
    import hotloop

    total = 0.0
    for seed in range(CALLS):
        total += hotloop.monte_carlo_pi(n, seed)
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
            name="2 Python threads x %d monte_carlo_pi(2**20)" % CALLS,
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
