"""Shared pytest configuration: hypothesis profiles and the in-tree package on sys.path."""
import os
import sys

from hypothesis import HealthCheck, settings

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "pywrapper"))

# No deadline: the first call of a function may warm up the thread pool. "ci" is the default.
settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HOTLOOP_HYPOTHESIS_PROFILE", "ci"))
