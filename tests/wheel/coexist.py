"""The wheel's bundled TBB and OpenBLAS next to the system's copies in one process (run by
tests/wheel/test_wheel.sh in a venv that sees Debian's NumPy, which uses the system OpenBLAS):

- NumPy imported first: hotloop still runs with its bundled copies (the renamed SONAMEs keep the
  loader from reusing the system's), and setting hotloop's threads leaves NumPy's OpenBLAS pool
  as it was;
- the system's libtbb and libopenblas loaded after hotloop are separate copies, untouched by
  hotloop's calls;
- a process that loaded the system copies into the global scope first (RTLD_GLOBAL) makes the
  loader bind hotloop's calls to them: show_config() must then say so (bundled: False).
"""
import ctypes
import os
import subprocess
import sys

import numpy as np

import hotloop


def mapped_files():
    with open("/proc/self/maps") as f:
        return {os.path.realpath(parts[5].strip()) for parts in (line.split(None, 5) for line in f)
                if len(parts) == 6 and parts[5].startswith("/")}


def system_openblas_of_numpy():
    """NumPy's OpenBLAS (the system copy): dlopen of a loaded file returns the loaded copy."""
    libs_dir = os.path.realpath(os.path.dirname(hotloop.show_config(mode="dicts")["blas"]["library"]))
    found = [p for p in mapped_files()
             if os.path.basename(p).startswith("libopenblas") and os.path.dirname(p) != libs_dir]
    assert len(found) == 1, found
    return ctypes.CDLL(found[0])


config = hotloop.show_config(mode="dicts")
assert config["tbb"]["bundled"] and config["blas"]["bundled"], config
numpy_blas = system_openblas_of_numpy()
assert os.path.realpath(config["blas"]["library"]) != os.path.realpath(numpy_blas._name)

numpy_blas.openblas_set_num_threads(3)
before = hotloop.get_num_threads()
hotloop.set_num_threads(1)
a = np.arange(200 * 200, dtype=np.float64).reshape(200, 200) % 5
assert np.array_equal(hotloop.matrix_multiply(a, a), a @ a)
assert numpy_blas.openblas_get_num_threads() == 3, "hotloop changed NumPy's OpenBLAS pool"
hotloop.set_num_threads(before)

system_tbb = ctypes.CDLL("libtbb.so.12")
system_tbb.TBB_runtime_version.restype = ctypes.c_char_p
tbb_files = {p for p in mapped_files() if os.path.basename(p).startswith("libtbb")}
assert len(tbb_files) == 2, tbb_files  # the bundled copy and the system's, side by side
assert system_tbb.TBB_runtime_version().decode() == config["tbb"]["version"]

# RTLD_GLOBAL first: the loader binds hotloop's calls to the global copies; show_config says so.
probe = subprocess.run([sys.executable, "-I", "-c", """
import ctypes
ctypes.CDLL("libopenblas.so.0", mode=ctypes.RTLD_GLOBAL)
import hotloop
c = hotloop.show_config(mode="dicts")
print(c["blas"]["bundled"], c["tbb"]["bundled"])
"""], capture_output=True, text=True, check=True)
assert probe.stdout.split() == ["False", "True"], probe.stdout
print("coexist: passed (bundled %s and system %s side by side)"
      % (os.path.basename(config["blas"]["library"]), os.path.basename(numpy_blas._name)))
