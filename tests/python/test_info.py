"""show_config: every fact checked against an independent source (the process's memory map, the
kernel's CPU flags, the interpreter, NumPy)."""
import contextlib
import importlib.machinery
import io
import os
import subprocess
import sys
import unicodedata

import pytest

import hotloop
from hotloop import _loader


def loaded_files():
    """The files this process has mapped (what the dynamic loader really loaded)."""
    with open("/proc/self/maps") as f:
        return {line.split(None, 5)[5].strip() for line in f if len(line.split(None, 5)) == 6}


def cpu_flags():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


@pytest.fixture(scope="module")
def config():
    return hotloop.show_config(mode="dicts")


def test_versions_and_library(config):
    info = config["hotloop"]
    assert info["version"] == hotloop.__version__
    assert info["library version"] == hotloop.__version__
    assert info["abi"] == _loader.lib.HL_ABI_VERSION
    assert os.path.realpath(info["library"]) == os.path.realpath(_loader.library_path())
    assert info["compiler"].startswith(("GCC ", "Clang "))


def test_the_reported_libraries_are_the_loaded_ones(config):
    files = {os.path.realpath(f) for f in loaded_files()}
    for section, stem in (("tbb", "libtbb"), ("blas", "libopenblas")):
        path = config[section]["library"]
        assert os.path.realpath(path) in files, (section, path)
        assert os.path.basename(path).startswith(stem)


def test_the_reported_libraries_do_not_depend_on_who_loaded_them_first():
    # dladdr names a library as it was first loaded: NumPy loads OpenBLAS as
    # /lib/x86_64-linux-gnu/libopenblas.so.0, hotloop through /usr/lib/...; the CLI test
    # comparing `hotloop info` with this process failed after other tests imported NumPy.
    import subprocess

    code = ("import sys; %s; import hotloop, json; c = hotloop.show_config(mode='dicts'); "
            "print(json.dumps([c[s]['library'] for s in ('hotloop', 'tbb', 'blas')]))")
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(hotloop.__file__)))
    seen = [subprocess.run([sys.executable, "-c", code % first], env=env, check=True,
                           capture_output=True, text=True).stdout
            for first in ("import numpy", "pass")]
    assert seen[0] == seen[1]


LEVELS = ("baseline", "avx2", "avx512")  # lowest first


def cpu_level():
    flags = cpu_flags()
    avx512 = "avx512f" in flags and "avx512bw" in flags  # the level needs both
    return "avx512" if avx512 else "avx2" if "avx2" in flags else "baseline"


def lower(a, b):
    return LEVELS[min(LEVELS.index(a), LEVELS.index(b))]


def test_simd_level_matches_the_cpu(config):
    asked = os.environ.get("HOTLOOP_SIMD_LEVEL")
    asked = asked.lower() if asked is not None and asked.isascii() else asked
    expected = lower(asked, cpu_level()) if asked in LEVELS else cpu_level()
    assert config["hotloop"]["simd"] == expected


# Prints the level, then digests of results whose every kernel has a copy per level (image
# filters, exact sums and statistics, in float64 and float32).
SIMD_CHILD = """
import hashlib, numpy as np, hotloop
rng = np.random.default_rng(5)
img = rng.integers(0, 256, (37, 53, 4), dtype=np.uint8)
x = rng.standard_normal(100003) * 1e3
results = [hotloop.gaussian_blur(img, 1.7), hotloop.sobel_edges(img.astype(np.float32)),
           hotloop.sharpen(img[..., :3], 1.2, 0.8), hotloop.parallel_sum(x),
           hotloop.compute_stats(x), hotloop.compute_stats(x.astype(np.float32))]
print(hotloop.show_config(mode="dicts")["hotloop"]["simd"])
print(hashlib.sha256(repr([r.tobytes() if hasattr(r, "tobytes") else r
                           for r in results]).encode()).hexdigest())
"""


def run_child(code, level):
    import subprocess
    env = {k: v for k, v in os.environ.items() if k != "HOTLOOP_SIMD_LEVEL"}
    if level is not None:
        env["HOTLOOP_SIMD_LEVEL"] = level
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)


# Any ASCII case names a level (engine and import-time check alike); nothing else does.
@pytest.mark.parametrize("value", ["baseline", "avx2", "avx512", "AVX2", "Baseline", "AvX512",
                                   "sse", "", "avx2 "])
def test_simd_level_environment_variable_lowers_the_level_and_keeps_the_bits(value):
    pytest.importorskip("numpy")
    best = run_child(SIMD_CHILD, None)
    got = run_child(SIMD_CHILD, value)
    assert best.returncode == 0 and got.returncode == 0, best.stderr + got.stderr
    best_level, best_digest = best.stdout.split()
    level, digest = got.stdout.split()
    assert best_level == cpu_level()
    named = value.lower() in LEVELS
    assert level == (lower(value.lower(), cpu_level()) if named else cpu_level())
    assert digest == best_digest  # every level computes the same bits
    warned = "RuntimeWarning: HOTLOOP_SIMD_LEVEL=%r is not one of" % value
    assert (warned in got.stderr) == (not named), got.stderr


def test_threads_follow_set_num_threads():
    before = hotloop.get_num_threads()
    try:
        hotloop.set_num_threads(1)
        assert hotloop.show_config(mode="dicts")["hotloop"]["threads"] == 1
        assert hotloop.show_config(mode="dicts")["tbb"]["threads"] == 1
    finally:
        hotloop.set_num_threads(before)
    assert hotloop.show_config(mode="dicts")["tbb"]["default concurrency"] >= 1


def test_blas_and_tbb_versions(config):
    blas = config["blas"]
    assert blas["name"] == "OpenBLAS"
    assert blas["config"].startswith("OpenBLAS %s " % blas["version"])
    assert blas["version"].count(".") == 2 and blas["threads"] >= 1
    assert config["tbb"]["version"].split(".")[0] == config["tbb"]["built against"].split(".")[0]


def test_python_section(config):
    import _cffi_backend  # what the library is called through

    numpy = pytest.importorskip("numpy")
    assert config["python"]["numpy"] == numpy.__version__
    assert config["python"]["cffi"] == _cffi_backend.__version__
    assert config["python"]["version"] == "%d.%d.%d" % sys.version_info[:3]
    assert config["unicode"]["version"] == unicodedata.unidata_version


# ---- the NumPy version: only of a NumPy this interpreter can import, found without importing it
# (each case in a child, where NumPy was not imported before)

PYWRAPPER = os.path.dirname(os.path.dirname(os.path.abspath(hotloop.__file__)))
REPORT_NUMPY = """
import sys
%s
import hotloop
reported = hotloop.show_config("dicts")["python"]["numpy"]
print("imported by show_config" if sys.modules.get("numpy") else "not imported")
try:
    import numpy
except ImportError:
    print("cannot import", reported)
else:
    print("imports", numpy.__version__, reported)
"""


def report_numpy(before="", path=()):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(list(path) + [PYWRAPPER]))
    out = subprocess.run([sys.executable, "-c", REPORT_NUMPY % before], capture_output=True,
                         env=env, timeout=300)
    assert out.returncode == 0, out.stderr.decode()
    return out.stdout.decode().split("\n", 1)


def test_numpy_version_of_the_numpy_found_and_not_imported():
    numpy = pytest.importorskip("numpy")
    assert report_numpy() == ["not imported", "imports %s %s\n" % ((numpy.__version__,) * 2)]


def test_numpy_hidden_is_not_installed():
    # sys.modules["numpy"] = None: `import numpy` raises ImportError, as without NumPy.
    assert report_numpy('sys.modules["numpy"] = None') == ["not imported", "cannot import None\n"]


def test_numpy_built_for_another_interpreter_is_not_installed(tmp_path):
    # What Debian's pypy3 sees: a NumPy, with its metadata, whose compiled modules are another
    # interpreter's (here first on the path, in front of any real one).
    other = next(suffix for suffix in (".pypy39-pp73-x86_64-linux-gnu.so",
                                       ".cpython-311-x86_64-linux-gnu.so")
                 if suffix not in importlib.machinery.EXTENSION_SUFFIXES)
    core = tmp_path / "numpy" / "core"
    core.mkdir(parents=True)
    (tmp_path / "numpy" / "__init__.py").write_text("from .core import _multiarray_umath\n")
    (core / "__init__.py").write_text("")
    (core / ("_multiarray_umath" + other)).write_bytes(b"\x7fELF")
    (tmp_path / "numpy-99.0.0.dist-info").mkdir()
    (tmp_path / "numpy-99.0.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: numpy\nVersion: 99.0.0\n")
    assert report_numpy(path=[str(tmp_path)]) == ["not imported", "cannot import None\n"]


def test_stdout_mode_prints_every_value(config):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert hotloop.show_config() is None
    text = out.getvalue()
    for section, values in config.items():
        assert "\n%s:\n" % section in "\n" + text
        for key, value in values.items():
            if key not in ("threads", "HOTLOOP_NUM_THREADS", "HOTLOOP_SIMD_LEVEL"):
                assert "  %s: " % key in text and str(value) in text, (section, key)


def test_bad_modes():
    with pytest.raises(hotloop.InvalidArgumentError, match="'stdout' or 'dicts'"):
        hotloop.show_config(mode="yaml")
    with pytest.raises(hotloop.InvalidTypeError):
        hotloop.show_config(mode=1)
