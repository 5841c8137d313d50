"""Finds and loads libhotloop.so through cffi's ABI mode, and checks that it is the library
these declarations were generated for.

Where the library comes from, in order:
  1. the HOTLOOP_LIBRARY environment variable (a path to a libhotloop.so);
  2. libhotloop.so inside this package's folder (placed there by `make build` or `pip install`).
Paths are made absolute before dlopen, so the current directory is never searched.
"""
import os

from ._errors import LibraryLoadError, ffi  # ffi: the generated declarations (or that error)

_BUILD_HINT = (
    "Build it with `make build` in the hotloop source tree (or install the package with "
    "`pip install .`), or set HOTLOOP_LIBRARY=/path/to/libhotloop.so."
)


def library_path():
    """The absolute path of the libhotloop.so this package loads."""
    override = os.environ.get("HOTLOOP_LIBRARY")
    if override:
        return os.path.abspath(override)
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "libhotloop.so")


def _load():
    path = library_path()
    if not os.path.isfile(path):
        raise LibraryLoadError("hotloop: the native library was not found at %s. %s"
                               % (path, _BUILD_HINT))
    try:
        # RTLD_LOCAL: the libraries a wheel bundles (hotloop.libs) stay out of the global symbol
        # scope, so no library loaded later can bind to our copies of TBB or OpenBLAS.
        library = ffi.dlopen(path, ffi.RTLD_NOW | ffi.RTLD_LOCAL)
    except OSError as exc:
        # The manylinux wheel bundles TBB and OpenBLAS; a build from source (pip install ., the
        # sdist, make build) uses the system's, which may be missing.
        raise LibraryLoadError(
            "hotloop: cannot load %s: %s. A build from source needs oneTBB and OpenBLAS from the "
            "system (Debian/Ubuntu: apt-get install libtbb12 libopenblas0)." % (path, exc)
        ) from exc
    try:
        abi = library.hl_abi_version()
    except (AttributeError, ffi.error):  # no such symbol
        raise LibraryLoadError("hotloop: %s is not a hotloop library (no hl_abi_version)"
                               % path) from None
    if abi != library.HL_ABI_VERSION:
        raise LibraryLoadError(
            "hotloop: %s has ABI version %d, but this package needs ABI version %d; rebuild the "
            "library from the same source as the package. %s"
            % (path, abi, library.HL_ABI_VERSION, _BUILD_HINT)
        )
    return library


lib = _load()
