"""Shared pytest configuration: hypothesis profiles and the in-tree package on sys.path."""
import os
import signal
import sys

import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "pywrapper"))

# No deadline: the first call of a function may warm up the thread pool.
# "ci" (the default, `make test`): derandomized - each test draws the same examples on every
# machine and every run - and no example database, so a result never depends on what an earlier
# run on this machine happened to find. A counterexample found by "explore" becomes an explicit
# @example in its test, and from then on "ci" checks it on every run.
settings.register_profile(
    "ci", max_examples=200, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# "explore" (`make test-explore`): fresh random seeds and many more examples, looking for new
# counterexamples; failures print the falsifying example to copy into an @example.
settings.register_profile(
    "explore", max_examples=int(os.environ.get("HOTLOOP_HYPOTHESIS_EXAMPLES", "2000")),
    deadline=None, derandomize=False, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HOTLOOP_HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def sigint_raises():
    """Ctrl-C raises KeyboardInterrupt in this process for the test, as in an interactive Python,
    and in the children it starts meanwhile (exec resets a handled signal to its default), even
    if pytest was started with SIGINT ignored (from a background job, nohup, some CI runners):
    then Python installs no handler, _thread.interrupt_main() does nothing, and a child inherits
    the ignored SIGINT, so no Ctrl-C reaches it."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)

