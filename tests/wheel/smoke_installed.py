"""Run inside a fresh venv holding only the installed wheel (tests/wheel/test_wheel.sh, and inside
a bare Debian root by tests/wheel/test_bare_root.sh): the package must come from the venv, carry
its typing marker and license notes, use the TBB and OpenBLAS the wheel bundles (and keep them
out of the process's global symbol scope), and work; NumPy is exercised when the interpreter has
it, the matrix product included."""
import os
import sys

import hotloop

package_dir = os.path.dirname(os.path.abspath(hotloop.__file__))
assert package_dir.startswith(os.path.realpath(sys.prefix)) or package_dir.startswith(sys.prefix), (
    "hotloop was imported from %s, not from the venv %s" % (package_dir, sys.prefix))
assert os.path.isfile(os.path.join(package_dir, "libhotloop.so"))
assert os.path.isfile(os.path.join(package_dir, "py.typed"))
assert hotloop._loader.library_path() == os.path.join(package_dir, "libhotloop.so")

from importlib import metadata  # noqa: E402

dist = metadata.distribution("hotloop")
assert dist.version == hotloop.__version__, (dist.version, hotloop.__version__)
files = {str(f).rsplit("/", 1)[-1] for f in dist.files}
assert {"LICENSE", "THIRD_PARTY_NOTICES.md", "libhotloop.so"} <= files, files

# The manylinux wheel bundles TBB and OpenBLAS in hotloop.libs; the library must run with those
# copies (not a system one), and they must stay out of the global scope (RTLD_LOCAL).
libs_dir = os.path.join(os.path.dirname(package_dir), "hotloop.libs")
assert os.path.isdir(libs_dir), "the wheel has no hotloop.libs: was it repaired?"
config = hotloop.show_config(mode="dicts")
for section in ("tbb", "blas"):
    library = config[section]["library"]
    assert config[section]["bundled"], (section, library)
    assert os.path.dirname(os.path.realpath(library)) == os.path.realpath(libs_dir), library
import ctypes  # noqa: E402

global_scope = ctypes.CDLL(None)
for symbol in ("TBB_runtime_version", "openblas_get_config", "cblas_dgemm", "hl_version"):
    assert not hasattr(global_scope, symbol), symbol + " leaked into the global symbol scope"
bundled_note = [f for f in dist.files if str(f).endswith("licenses/BUNDLED.txt")][0].read_text()
for name in os.listdir(libs_dir):
    assert name in bundled_note, name + " is bundled without a license note"

assert hotloop.parallel_sum(range(10**6)) == sum(range(10**6))
try:
    import numpy as np
except ImportError:
    np = None
if np is not None:
    a = np.arange(-10**6, 10**6, dtype=np.int64)
    assert hotloop.parallel_sum(a) == int(a.sum())
    assert np.array_equal(hotloop.process_numbers(a, 10), a[a > 10] * 2)
    # The matrix product through the bundled OpenBLAS, against the plain triple loop. Small
    # integers: every partial sum is exact, so any correct BLAS gives these very bits.
    m, k, n = 37, 53, 29
    left = [[float((3 * i + 7 * j) % 11 - 5) for j in range(k)] for i in range(m)]
    right = [[float((5 * i - 2 * j) % 13 - 6) for j in range(n)] for i in range(k)]
    expected = [[sum(left[i][p] * right[p][j] for p in range(k)) for j in range(n)]
                for i in range(m)]
    for dtype in (np.float64, np.float32):
        product = hotloop.matrix_multiply(np.array(left, dtype), np.array(right, dtype))
        assert product.dtype == dtype and product.tolist() == expected, dtype
    big = np.arange(300 * 300, dtype=np.float64).reshape(300, 300) % 7  # BLAS's threaded path
    assert np.array_equal(hotloop.matrix_multiply(big, big.T), big @ big.T)
# hotloop.dask ships in the wheel; without Dask its import is a clear MissingDependencyError.
assert "dask.py" in files, files
try:
    import hotloop.dask  # noqa: F401
except hotloop.MissingDependencyError as exc:
    assert "python3-dask" in str(exc), exc
print("smoke_installed: passed on %s %s (numpy: %s)" % (
    sys.implementation.name, sys.version.split()[0], "yes" if np is not None else "no"))
