"""Loading the library, versions, optional NumPy, and the thread count."""
import os
import re
import shutil
import subprocess
import sys

import pytest

import hotloop
from hotloop._loader import ffi, lib

PACKAGE_DIR = os.path.dirname(hotloop.__file__)
ROOT = os.path.abspath(os.path.join(PACKAGE_DIR, "..", ".."))


def run_python(code, env_extra=None, cwd=None, pythonpath=None):
    env = {k: v for k, v in os.environ.items() if k not in ("HOTLOOP_LIBRARY", "HOTLOOP_NUM_THREADS")}
    env["PYTHONPATH"] = pythonpath or os.path.dirname(PACKAGE_DIR)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=cwd)


def test_version_matches_library_and_header():
    assert hotloop.__version__ == ffi.string(lib.hl_version()).decode()
    with open(os.path.join(ROOT, "capi", "include", "hotloop.h")) as f:
        header = f.read()
    parts = [re.search(r"#define HL_VERSION_%s (\d+)" % p, header).group(1) for p in ("MAJOR", "MINOR", "PATCH")]
    assert hotloop.__version__ == ".".join(parts)
    reader = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "hotloop_version.py")],
                            capture_output=True, text=True, check=True)
    assert reader.stdout.strip() == hotloop.__version__


def test_soname_follows_the_abi_version():
    """The build's libhotloop.so carries SONAME libhotloop.so.<HL_ABI_VERSION>."""
    with open(os.path.join(PACKAGE_DIR, "libhotloop.so"), "rb") as f:
        from elftools.elf.elffile import ELFFile

        soname = [t.soname for t in ELFFile(f).get_section_by_name(".dynamic").iter_tags()
                  if t.entry.d_tag == "DT_SONAME"]
    assert soname == ["libhotloop.so.%d" % lib.HL_ABI_VERSION]


UNLOAD = """
import _ctypes, ctypes, os, sys
path = os.path.realpath(sys.argv[1])
handle = ctypes.CDLL(path)._handle
_ctypes.dlclose(handle)
print(any(line.rstrip().endswith(path) for line in open("/proc/self/maps")))
"""


def test_the_library_stays_mapped_after_dlclose():
    # cffi dlcloses the library when its lib object dies at interpreter exit, while a oneTBB
    # worker thread may still run; unmapped with its oneTBB, the worker then crashed the exit
    # (SIGSEGV in 5 of 6 runs of two Python threads calling monte_carlo_pi). Linked with
    # -z nodelete, dlclose leaves it mapped, as CPython leaves its extension modules.
    path = hotloop._loader.library_path()
    out = subprocess.run([sys.executable, "-c", UNLOAD, path], capture_output=True, text=True,
                         timeout=300)
    assert (out.returncode, out.stdout.strip()) == (0, "True"), out.stderr


def test_import_does_not_import_numpy():
    out = run_python("import sys, hotloop; print('numpy' in sys.modules)")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_hotloop_library_override(tmp_path):
    copy = tmp_path / "libhotloop-copy.so"
    shutil.copy(os.path.join(PACKAGE_DIR, "libhotloop.so"), copy)
    out = run_python("import hotloop, hotloop._loader as l; print(l.library_path()); print(hotloop.parallel_sum([1, 2]))",
                     env_extra={"HOTLOOP_LIBRARY": str(copy)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [str(copy), "3"]


@pytest.mark.parametrize("name, locale", [
    (b"lib-\xe9", {}),  # a byte that is not UTF-8: a surrogate escape in Python's str
    (b"j\xc3\xb6", {"LC_ALL": "C", "PYTHONUTF8": "0"}),  # UTF-8, under an ASCII locale
])
def test_a_library_in_a_folder_of_any_name_loads(tmp_path, name, locale):
    # cffi encodes a str path strictly in the file system encoding: `import hotloop` failed
    # with UnicodeEncodeError, and show_config() could not name such a path either.
    folder = tmp_path / os.fsdecode(name)
    folder.mkdir()
    copy = os.path.realpath(folder / "libhotloop.so")
    shutil.copy(os.path.join(PACKAGE_DIR, "libhotloop.so"), copy)
    out = run_python("import hotloop, os; c = hotloop.show_config(mode='dicts'); "
                     "print(os.fsencode(c['hotloop']['library']).hex(), hotloop.parallel_sum([1, 2]))",
                     env_extra=dict(locale, HOTLOOP_LIBRARY=copy))
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [os.fsencode(copy).hex(), "3"]
    # A file there that is no library is refused as anywhere else, with a reason (ctypes loses
    # dlerror()'s message when it holds such a path: it said "cannot load ...: .").
    (folder / "junk.so").write_bytes(b"not a library")
    out = run_python("import hotloop", env_extra=dict(locale, HOTLOOP_LIBRARY=str(folder / "junk.so")))
    assert out.returncode != 0 and "LibraryLoadError: hotloop: cannot load" in out.stderr
    assert "junk.so: ." not in out.stderr and "junk.so: " in out.stderr


def test_missing_library_gives_one_clear_error():
    out = run_python("import hotloop", env_extra={"HOTLOOP_LIBRARY": "/nonexistent/libhotloop.so"})
    assert out.returncode != 0
    assert ("hotloop.LibraryLoadError: hotloop: the native library was not found at "
            "/nonexistent/libhotloop.so") in out.stderr
    # The advice names the variable that chose the file, not a build from source.
    assert "chosen by HOTLOOP_LIBRARY=/nonexistent/libhotloop.so" in out.stderr
    assert "unset it" in out.stderr and "make build" not in out.stderr
    # One class a caller can catch as an ImportError and as a HotloopError.
    out = run_python("import sys\ntry:\n    import hotloop\nexcept ImportError as e:\n"
                     "    print(type(e).__name__, [c.__name__ for c in type(e).__mro__])",
                     env_extra={"HOTLOOP_LIBRARY": "/nonexistent/libhotloop.so"})
    assert out.stdout.startswith("LibraryLoadError") and "'HotloopError'" in out.stdout


def fake_wheel_install(tmp_path, library_source=None, linked=()):
    """The layout pip leaves from the wheel (hotloop/, hotloop.libs/, a RECORD that lists
    them), with libhotloop.so missing or replaced by one built from library_source (linked
    with the libraries `linked`)."""
    site = tmp_path / "site"
    shutil.copytree(PACKAGE_DIR, site / "hotloop",
                    ignore=shutil.ignore_patterns("libhotloop.so*", "__pycache__"))
    (site / "hotloop.libs").mkdir()
    (site / "hotloop-0.1.0.dist-info").mkdir()
    (site / "hotloop-0.1.0.dist-info" / "RECORD").write_text(
        "hotloop.libs/libtbb-4d79fbbd.so.12,sha256=x,1\nhotloop/libhotloop.so,sha256=x,1\n")
    if library_source is not None:
        (tmp_path / "lib.c").write_text(library_source)
        subprocess.run(["cc", "-shared", "-fPIC", "-o", str(site / "hotloop" / "libhotloop.so"),
                        str(tmp_path / "lib.c")] + list(linked), check=True)
    return site


def test_a_damaged_wheel_install_says_to_reinstall_it(tmp_path):
    """A wheel's user was told to run `make build` in a source tree (no library) or to
    apt-get install TBB and OpenBLAS (its bundled, renamed copies are missing): neither helps."""
    site = fake_wheel_install(tmp_path / "a")
    out = run_python("import hotloop", pythonpath=str(site))
    assert "the native library was not found" in out.stderr
    assert "pip install --force-reinstall" in out.stderr and "make build" not in out.stderr
    # libhotloop.so is there, but the bundled TBB it needs is gone.
    tbb = tmp_path / "tbb"
    tbb.mkdir()
    (tbb / "tbb.c").write_text("int tbb_thing(void) { return 1; }\n")
    subprocess.run(["cc", "-shared", "-fPIC", "-Wl,-soname,libtbb-4d79fbbd.so.12", "-o",
                    str(tbb / "libtbb-4d79fbbd.so.12"), str(tbb / "tbb.c")], check=True)
    site = fake_wheel_install(tmp_path / "b", "int tbb_thing(void);\n"
                              "int hl_abi_version(void) { return tbb_thing(); }\n",
                              linked=[str(tbb / "libtbb-4d79fbbd.so.12")])
    shutil.rmtree(tbb)
    out = run_python("import hotloop", pythonpath=str(site))
    assert "libtbb-4d79fbbd.so.12: cannot open shared object file" in out.stderr
    assert "pip install --force-reinstall" in out.stderr and "apt-get" not in out.stderr
    # The same library chosen by HOTLOOP_LIBRARY from a source tree: what it needs, and the
    # variable that chose it.
    out = run_python("import hotloop", env_extra={
        "HOTLOOP_LIBRARY": str(site / "hotloop" / "libhotloop.so")})
    assert "apt-get install libtbb12" in out.stderr and "chosen by HOTLOOP_LIBRARY" in out.stderr


def test_a_python_without_cffi_is_told_to_install_it():
    # It was told that hotloop/_hotloop_ffi.py was missing and to run `make build`.
    out = run_python("import sys\nsys.modules['_cffi_backend'] = None\nimport hotloop")
    assert "MissingDependencyError: hotloop needs cffi" in out.stderr, out.stderr
    assert "_hotloop_ffi.py) are missing" not in out.stderr
    out = run_python("import sys\nsys.modules['_cffi_backend'] = None\ntry:\n    import hotloop\n"
                     "except ImportError as e:\n    print(type(e).__mro__[1].__name__)")
    assert out.stdout.split() == ["HotloopError"]


def test_a_stray_library_in_the_current_directory_is_never_loaded(tmp_path):
    package = tmp_path / "pkg" / "hotloop"
    shutil.copytree(PACKAGE_DIR, package, ignore=shutil.ignore_patterns("libhotloop.so", "__pycache__"))
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    (cwd / "libhotloop.so").write_bytes(b"not a library")
    out = run_python("import hotloop", cwd=str(cwd), pythonpath=str(tmp_path / "pkg"))
    assert out.returncode != 0
    assert "the native library was not found at %s" % (package / "libhotloop.so") in out.stderr


def test_a_library_of_another_abi_is_refused(tmp_path):
    source = tmp_path / "fake.c"
    source.write_text("int hl_abi_version(void) { return 999; }\n")
    fake = tmp_path / "libfake.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(fake), str(source)], check=True)
    out = run_python("import hotloop", env_extra={"HOTLOOP_LIBRARY": str(fake)})
    assert out.returncode != 0
    assert "has ABI version 999, but this package needs ABI version %d" % lib.HL_ABI_VERSION in out.stderr


def test_a_library_older_than_the_package_is_refused(tmp_path):
    """Same ABI version (additions keep it), but without the functions added since: refused at
    import, naming them, not at the first call of one."""
    source = tmp_path / "old.c"
    source.write_text("int hl_abi_version(void) { return %d; }\n"
                      "int hl_divide(double a, double b, double *out) { return 0; }\n"
                      % lib.HL_ABI_VERSION)
    old = tmp_path / "libold.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(old), str(source)], check=True)
    out = run_python("import hotloop", env_extra={"HOTLOOP_LIBRARY": str(old)})
    assert out.returncode != 0
    assert "LibraryLoadError" in out.stderr and "built from older sources" in out.stderr
    assert "hl_word_table_export_grouped" in out.stderr and "hl_divide," not in out.stderr


def test_a_library_that_is_not_hotloop_is_refused(tmp_path):
    source = tmp_path / "other.c"
    source.write_text("int something_else(void) { return 1; }\n")
    other = tmp_path / "libother.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(other), str(source)], check=True)
    out = run_python("import hotloop", env_extra={"HOTLOOP_LIBRARY": str(other)})
    assert "is not a hotloop library" in out.stderr


def test_list_functions_work_without_numpy():
    smoke = os.path.join(ROOT, "tests", "python", "smoke_no_numpy.py")
    out = subprocess.run([sys.executable, smoke], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.path.dirname(PACKAGE_DIR)})
    assert out.returncode == 0, out.stderr
    assert "all passed" in out.stdout


def test_set_and_get_num_threads():
    saved = hotloop.get_num_threads()
    try:
        hotloop.set_num_threads(1)
        assert hotloop.get_num_threads() == 1
        assert hotloop.parallel_sum(list(range(100))) == 4950
        hotloop.set_num_threads(3)
        assert hotloop.get_num_threads() == 3
    finally:
        hotloop.set_num_threads(saved)
    for bad in (0, -1, 5000):
        with pytest.raises(hotloop.InvalidArgumentError):
            hotloop.set_num_threads(bad)
    for bad in (1.0, "2", None, True):
        with pytest.raises(hotloop.InvalidTypeError):
            hotloop.set_num_threads(bad)


def test_more_threads_than_cpus_work_quietly():
    # oneTBB runs at most one thread per usable CPU; an arena asking for more made it print a
    # warning on stderr (seen by every user of a CLI or notebook). Both the setting and the
    # environment variable ask for far more threads than any machine here has.
    code = ("import hotloop, sys; hotloop.set_num_threads(4096); "
            "print(hotloop.get_num_threads(), hotloop.parallel_sum(range(1, 200_001)), "
            "hotloop.word_count('a b ' * 100_000))")
    for env in ({}, {"HOTLOOP_NUM_THREADS": "4000"}):
        out = run_python(code, env_extra=env)
        assert out.returncode == 0, out.stderr
        assert out.stdout.split() == ["4096", "20000100000", "{'a':", "100000,", "'b':", "100000}"]
        assert out.stderr == ""


def default_num_threads():
    """The thread count without HOTLOOP_NUM_THREADS: TBB's default concurrency, which counts
    the CPUs this process may use (a cpuset or `taskset` gives fewer than os.cpu_count())."""
    out = run_python("import hotloop; print(hotloop.get_num_threads())")
    assert out.returncode == 0, out.stderr
    return int(out.stdout)


def test_the_default_is_the_usable_cpus():
    assert 1 <= default_num_threads() <= os.cpu_count()
    if hasattr(os, "sched_getaffinity"):
        assert default_num_threads() <= len(os.sched_getaffinity(0))


@pytest.mark.parametrize("value, expected", [("1", 1), ("3", 3), (" +2", 2), ("junk", None),
                                             ("0", None), ("4097", None), ("2 ", None), ("", None)])
def test_environment_variable_sets_the_default(value, expected):
    out = run_python("import hotloop; print(hotloop.get_num_threads())", env_extra={"HOTLOOP_NUM_THREADS": value})
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) == (expected if expected is not None else default_num_threads())
    warned = "RuntimeWarning: HOTLOOP_NUM_THREADS=%r is not an integer in 1 .. 4096: ignored" % value
    assert (warned in out.stderr) == (expected is None), out.stderr


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_child_forked_beside_set_num_threads_can_call_hotloop():
    # A fork while another thread was inside set_num_threads copied the engine's lock held: the
    # child's next call waited for it for ever (25 children of 300). The fork now takes that
    # lock first. Each fork lands somewhere in the loop below, so the test counts: 200 forks
    # caught it every run without the fix; with it none can hang. A hang ends the child with
    # SIGALRM, a failure.
    import array
    import signal
    import threading

    data = array.array("q", range(1_000_000))
    threads = hotloop.get_num_threads()
    stop = threading.Event()

    def toggle():
        n = 0
        while not stop.is_set():
            lib.hl_set_num_threads(1 + n % 2)
            n += 1

    togglers = [threading.Thread(target=toggle) for _ in range(2)]
    for t in togglers:
        t.start()
    statuses = []
    try:
        for _ in range(200):
            pid = os.fork()
            if pid == 0:
                signal.alarm(10)
                ok = hotloop.parallel_sum(data) == 499_999_500_000
                os._exit(0 if ok and hotloop.get_num_threads() in (1, 2) else 1)
            statuses.append(os.waitpid(pid, 0)[1])
    finally:
        stop.set()
        for t in togglers:
            t.join()
        hotloop.set_num_threads(threads)
    assert statuses == [0] * 200
