"""Finds and loads libhotloop.so through cffi's ABI mode, and checks that it is the library
these declarations were generated for.

Where the library comes from, in order:
  1. the HOTLOOP_LIBRARY environment variable (a path to a libhotloop.so);
  2. libhotloop.so inside this package's folder (placed there by `make build` or `pip install`).
Paths are made absolute before dlopen, so the current directory is never searched.
"""
import glob
import os
import sys

from . import _cli_start
from ._errors import LibraryLoadError, ffi  # ffi: the generated declarations (or that error)

_BUILD_HINT = (
    "Build it with `make build` in the hotloop source tree (or install the package with "
    "`pip install .`), or set HOTLOOP_LIBRARY=/path/to/libhotloop.so."
)
_WHEEL_HINT = (
    "This installation of the hotloop wheel is damaged (the wheel brings the library and, in "
    "hotloop.libs, the TBB and OpenBLAS it needs): reinstall it with "
    "`pip install --force-reinstall hotloop-<version>-*.whl`."
)


def _advice():
    """What to do about a library that cannot be used, by where it came from: the advice to
    build from source misled both a wheel's user and one whose HOTLOOP_LIBRARY was wrong."""
    override = os.environ.get("HOTLOOP_LIBRARY")
    if override:
        return ("It was chosen by HOTLOOP_LIBRARY=%s: point HOTLOOP_LIBRARY to a libhotloop.so "
                "built from the same sources as this package, or unset it to load the "
                "package's own library." % override)
    return _WHEEL_HINT if _installed_from_wheel() else _BUILD_HINT


def _installed_from_wheel():
    """True when this package was installed by a wheel that bundles libraries (its RECORD lists
    hotloop.libs), even if the files themselves are gone."""
    site = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for record in glob.glob(os.path.join(glob.escape(site), "hotloop-*.dist-info", "RECORD")):
        try:
            with open(record, encoding="utf-8") as f:
                if "hotloop.libs/" in f.read():
                    return True
        except (OSError, ValueError):
            pass
    return False


def library_path():
    """The absolute path of the libhotloop.so this package loads."""
    override = os.environ.get("HOTLOOP_LIBRARY")
    if override:
        return os.path.abspath(override)
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "libhotloop.so")


def _dlopen(path, flags):
    """ffi.dlopen(path, flags), for any path. cffi encodes a str path strictly in the file
    system encoding (and takes no bytes), so a folder name with a byte that is not UTF-8 (a
    surrogate escape) or, under an ASCII locale (LC_ALL=C, UTF-8 mode off), any non-ASCII
    character made `import hotloop` fail with UnicodeEncodeError. ctypes opens any path
    (os.fsencode); cffi then adopts its handle."""
    try:
        path.encode(sys.getfilesystemencoding())
    except UnicodeEncodeError:
        import ctypes

        try:
            handle = ctypes.CDLL(path, mode=flags)._handle
        except OSError as exc:  # ctypes loses dlerror()'s message when it holds such a path
            raise OSError(str(exc) or "the dynamic loader refused it (its message, which "
                          "names this path, is not UTF-8 and was lost)") from None
        return ffi.dlopen(ffi.cast("void *", handle))
    return ffi.dlopen(path, flags)


def _load():
    path = library_path()
    if not os.path.isfile(path):
        raise LibraryLoadError("hotloop: the native library was not found at %s. %s"
                               % (path, _advice()))
    try:
        # RTLD_LOCAL: the libraries a wheel bundles (hotloop.libs) stay out of the global symbol
        # scope, so no library loaded later can bind to our copies of TBB or OpenBLAS.
        library = _dlopen(path, ffi.RTLD_NOW | ffi.RTLD_LOCAL)
    except OSError as exc:
        raise LibraryLoadError("hotloop: cannot load %s: %s. %s"
                               % (path, exc, _load_advice(str(exc)))) from exc
    try:
        abi = library.hl_abi_version()
    except (AttributeError, ffi.error):  # no such symbol
        raise LibraryLoadError("hotloop: %s is not a hotloop library (no hl_abi_version). %s"
                               % (path, _advice())) from None
    if abi != library.HL_ABI_VERSION:
        raise LibraryLoadError(
            "hotloop: %s has ABI version %d, but this package needs ABI version %d; rebuild the "
            "library from the same source as the package. %s"
            % (path, abi, library.HL_ABI_VERSION, _advice())
        )
    _check_functions(library, path)
    return library


def _load_advice(message):
    """What to do when dlopen() refused the library. The manylinux wheel bundles TBB and
    OpenBLAS; a build from source (pip install ., the sdist, make build) uses the system's, which
    may be missing: only then does installing them help."""
    if "cannot open shared object file" not in message:  # not a library, another machine's, ...
        return _advice()
    system = ("A build from source needs oneTBB and OpenBLAS from the system (Debian/Ubuntu: "
              "apt-get install libtbb12 libopenblas0).")
    if os.environ.get("HOTLOOP_LIBRARY"):
        return system + " " + _advice()
    return _WHEEL_HINT if _installed_from_wheel() else system


def _check_functions(library, path):
    """Every function the header declares is in the library: one of the same ABI version but
    older than the package lacks the functions added since (additions keep the version), and
    would otherwise fail at the first call of one of them, with cffi's error."""
    missing = []
    for name in dir(library):
        if name.startswith("hl_"):
            try:
                getattr(library, name)
            except (AttributeError, ffi.error):
                missing.append(name)
    if missing:
        raise LibraryLoadError(
            "hotloop: %s lacks %s, which this package calls: it was built from older sources "
            "than the package; rebuild the library from the same source as the package. %s"
            % (path, ", ".join(missing), _advice()))


# PyPy's garbage collector sees the Python objects of a DataProcessor or WordTable, not the
# engine's memory behind their handles: dropped without close(), 20,000 tables of 5,000 words
# grew the process to 4 GB before a collection freed them, where CPython frees each at once.
# Their owners report what the engine allocated for them, so that PyPy collects in time.
try:
    from __pypy__ import add_memory_pressure as _add_memory_pressure
except ImportError:  # CPython: reference counting frees a handle as its owner goes
    _add_memory_pressure = None
GC_NEEDS_SIZES = _add_memory_pressure is not None  # skip estimates that cost a call elsewhere


def native_memory(nbytes):
    """Tells PyPy's garbage collector that the engine allocated about nbytes for a handle that
    a collected Python object frees (a no-op elsewhere)."""
    if GC_NEEDS_SIZES and nbytes > 0:
        _add_memory_pressure(nbytes)


try:
    lib = _load()
except LibraryLoadError as exc:
    _cli_start.cannot_start(exc)  # the `hotloop` command: one line and status 2, no traceback
    raise
