"""The hot kernels at AVX2, as on a CPU without AVX-512 (most laptops, many servers): hotloop runs
with HOTLOOP_SIMD_LEVEL=avx2 while its peer runs at its own best level on this AVX-512 machine
(NumPy and OpenCV pick AVX-512 where they have it), so the ratios are, if anything, low.

Each contender times itself in a child process (median of 5 calls after a warm-up) and reports
seconds per call; the hotloop child checks that it really runs at AVX2."""
import importlib.util
import json
import os
import subprocess
import sys

from harness import Case

_HERE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_TIMER = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
import hotloop
kind, who = sys.argv[2], sys.argv[3]
rng = np.random.default_rng(7)
if kind == "blur":
    args = (rng.integers(0, 256, (2160, 3840, 3)).astype(np.uint8),)
    if who == "hotloop":
        fn = lambda img: hotloop.gaussian_blur(img, 2.0)
    else:
        import cv2
        cv2.setNumThreads(2)
        fn = lambda img: cv2.GaussianBlur(img, (17, 17), 2, borderType=cv2.BORDER_REFLECT)
else:
    args = (rng.standard_normal(10_000_000),)
    if kind == "stats":
        fn = hotloop.compute_stats if who == "hotloop" else (
            lambda x: (x.mean(), x.std(ddof=1), x.min(), x.max()))
    else:
        fn = hotloop.parallel_sum if who == "hotloop" else np.sum
if who == "hotloop":
    level = hotloop.show_config(mode="dicts")["hotloop"]["simd"]
    assert level in ("avx2", "baseline"), level
fn(*args)
runs = []
for _ in range(5):
    t0 = time.perf_counter()
    fn(*args)
    runs.append(time.perf_counter() - t0)
print(json.dumps(sorted(runs)[2]))
"""


def _timed(kind, who):
    env = dict(os.environ)
    env.pop("HOTLOOP_SIMD_LEVEL", None)
    if who == "hotloop":
        env["HOTLOOP_SIMD_LEVEL"] = "avx2"

    def timed():
        done = subprocess.run([sys.executable, "-c", _TIMER, os.path.join(_HERE, "pywrapper"), kind,
                               who], capture_output=True, text=True, timeout=600, check=True, env=env)
        return json.loads(done.stdout.strip().splitlines()[-1])
    return timed


def _has_cv2():
    return importlib.util.find_spec("cv2") is not None


def cases():
    found = [
        Case("avx2", "compute_stats, 10M float64, hotloop at AVX2 (vs NumPy at its best)",
             lambda: (), _timed("stats", "hotloop"),
             {"numpy: mean, std(ddof=1), min, max": _timed("stats", "numpy")},
             goal_peer="numpy: mean, std(ddof=1), min, max", goal=2.0, repeat=1,
             self_timed=True, memory=False, quick=False,
             note="the same case at AVX-512 has goal 5 (arrays group)"),
        Case("avx2", "parallel_sum, 10M float64 (exact), hotloop at AVX2 (vs numpy.sum at its best)",
             lambda: (), _timed("sum", "hotloop"), {"numpy.sum": _timed("sum", "numpy")},
             goal_peer="numpy.sum", goal=1.0, repeat=1, self_timed=True, memory=False, quick=False),
    ]
    if _has_cv2():
        found.append(Case(
            "avx2", "gaussian_blur sigma=2, 3840x2160 RGB uint8, hotloop at AVX2 (vs OpenCV at "
            "its best)", lambda: (), _timed("blur", "hotloop"),
            {"cv2.GaussianBlur (2 threads, 17 taps, BORDER_REFLECT)": _timed("blur", "cv2")},
            goal_peer="cv2.GaussianBlur (2 threads, 17 taps, BORDER_REFLECT)", goal=1.0, repeat=1,
            self_timed=True, memory=False, quick=False))
    return found
