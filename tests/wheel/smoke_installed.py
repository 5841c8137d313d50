"""Run inside a fresh venv holding only the installed wheel (tests/wheel/test_wheel.sh): the
package must come from the venv, carry its typing marker and license notes, and work; NumPy is
exercised when the interpreter has it."""
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

assert hotloop.parallel_sum(range(10**6)) == sum(range(10**6))
try:
    import numpy as np
except ImportError:
    np = None
if np is not None:
    a = np.arange(-10**6, 10**6, dtype=np.int64)
    assert hotloop.parallel_sum(a) == int(a.sum())
    assert np.array_equal(hotloop.process_numbers(a, 10), a[a > 10] * 2)
# hotloop.dask ships in the wheel; without Dask its import is a clear MissingDependencyError.
assert "dask.py" in files, files
try:
    import hotloop.dask  # noqa: F401
except hotloop.MissingDependencyError as exc:
    assert "python3-dask" in str(exc), exc
print("smoke_installed: passed on %s %s (numpy: %s)" % (
    sys.implementation.name, sys.version.split()[0], "yes" if np is not None else "no"))
