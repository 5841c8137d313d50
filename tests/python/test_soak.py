"""Soak: 100,000 calls of every top-level function (and of a DataProcessor's add, process and
statistics, and of the mergeable records' of / merge / to_bytes / from_bytes: ExactSum, Moments,
WordTable, ChunkPartial) on small inputs (successes and failures) and 1,000 on large ones leave
the resident set where it was: nothing leaks per call, in the engine, the C API or the wrapper.
Runs in a fresh interpreter (tests/python/soak_child.py); measures
memory, never time."""
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SMALL_CALLS = 100_000
LARGE_CALLS = 1_000
# A leak of 40 bytes per call grows the resident set by 4 MB over 100,000 calls; allocator and
# interpreter noise stays far below (a few pages).
LIMIT = 4 << 20


@pytest.fixture(scope="module")
def growth():
    pytest.importorskip("numpy")
    env = dict(os.environ, PYTHONPATH=os.path.join(HERE, "..", "..", "pywrapper"))
    done = subprocess.run([sys.executable, os.path.join(HERE, "soak_child.py"), str(SMALL_CALLS),
                           str(LARGE_CALLS)], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_public_function_is_soaked(growth):
    import hotloop

    names = " ".join(growth)
    functions = [n for n in hotloop.__all__ if n[0].islower() and n != "aio"] + [
        "DataProcessor", "ExactSum", "Moments", "WordTable", "ChunkPartial"]
    assert [n for n in functions if n not in names] == []
    assert "aio twins" in names


def test_resident_set_stays_flat(growth):
    print("\n".join("%-50s %+8.1f KB" % (name, rss / 1024) for name, rss in growth.items()))
    grown = {name: rss for name, rss in growth.items() if rss > LIMIT}
    assert grown == {}
