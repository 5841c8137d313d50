"""Hostile input at the Python boundary (properties in hostile_props.py): each property runs in a
child interpreter, so that a crash - a segfault, an abort - fails its test with the child's
output instead of killing pytest. A deadlock fails too, when the child outlives the limit."""
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PROPERTIES = [
    "prop_public_functions_survive_hostile_arguments",
    "prop_public_functions_raise_hotloop_errors_for_hostile_arguments",
    "prop_a_failing_add_changes_nothing",
    "prop_progress_callables_never_crash_deadlock_or_half_change",
]


def test_every_property_is_run():
    pytest.importorskip("numpy")
    import hostile_props

    assert sorted(PROPERTIES) == sorted(hostile_props.PROPERTIES)


@pytest.mark.parametrize("prop", PROPERTIES)
def test_hostile_inputs(prop):
    pytest.importorskip("numpy")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([HERE, os.path.join(HERE, "..", "..", "pywrapper")]))
    try:
        done = subprocess.run([sys.executable, "-c", "import hostile_props as h; h.%s()" % prop],
                              capture_output=True, text=True, env=env, cwd=HERE, timeout=1800)
    except subprocess.TimeoutExpired as exc:  # a deadlock: no timing assumption below 30 minutes
        raise AssertionError("%s hung:\n%s" % (prop, exc.stderr)) from None
    crashed = done.returncode < 0
    assert done.returncode == 0, "%s %s (status %d):\n%s%s" % (
        prop, "CRASHED" if crashed else "failed", done.returncode, done.stdout[-4000:],
        done.stderr[-8000:])
