"""show_config: what this hotloop was built with and runs with (`hotloop info` prints it).

The native facts come from the library itself (hl_info_string / hl_info_int): the instruction set
its kernels picked at load time, and the oneTBB and OpenBLAS it really runs with -- found with
dladdr, so the paths name the copies this process loaded (the wheel's bundled ones, or the
system's), not the ones it was linked against.
"""
import importlib.machinery
import importlib.util
import os
import sys
import unicodedata
import warnings

from typing import Any, Dict, Literal, Optional, overload

from ._errors import InvalidArgumentError, InvalidTypeError, check
from ._loader import ffi, lib

_CHAR_PP = ffi.typeof("const char **")
_INT64_P = ffi.typeof("int64_t *")
#: Where a wheel keeps the libraries it bundles (scripts/repair_wheel.py): next to the package.
BUNDLE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "hotloop.libs")


def _string(key):
    out = ffi.new(_CHAR_PP)
    check(lib.hl_info_string(key, out))
    return ffi.string(out[0]).decode("utf-8", "replace")


def _path(key):
    """The file behind a path the library reports (dladdr: the name it was first loaded under),
    symlinks resolved: the same OpenBLAS is /lib/x86_64-linux-gnu/libopenblas.so.0 when NumPy
    loaded it first and /usr/lib/.../openblas-pthread/libopenblas.so.0 when hotloop did (also
    without the loader's "hotloop/../hotloop.libs" detour). The bytes are a file name: decoded
    as os.fsdecode does, so that any path (not UTF-8, or under an ASCII locale) names the file."""
    out = ffi.new(_CHAR_PP)
    check(lib.hl_info_string(key, out))
    return os.path.realpath(os.fsdecode(ffi.string(out[0])))


def _integer(key):
    out = ffi.new(_INT64_P)
    check(lib.hl_info_int(key, out))
    return int(out[0])


def _bundled(path):
    """True when the file is one the wheel bundles (in hotloop.libs next to the package)."""
    return os.path.dirname(os.path.realpath(path)) == os.path.realpath(BUNDLE_DIR)


def _module_version(name):
    """The version of the module `name` as this interpreter imports it, or None when it cannot.

    Without importing it (NumPy costs ~100 ms and loads an OpenBLAS of its own): an imported
    module gives its __version__; one not imported yet must be found on sys.path, and a
    package whose compiled modules are all built for other interpreters cannot be imported
    (Debian's pypy3 has CPython's /usr/lib/python3/dist-packages on its path, NumPy included).
    Its version is then that of the distribution installed where it was found: not
    importlib.metadata.version(name), the first distribution of that name anywhere on sys.path,
    for this interpreter or not."""
    if name in sys.modules:  # None there: imports of it are blocked
        return getattr(sys.modules[name], "__version__", None)
    try:
        spec = importlib.util.find_spec(name)  # a top-level name: imports nothing
    except (ImportError, ValueError):
        return None
    if spec is None or not _loadable(spec):
        return None
    return _installed_version(name, spec)


def _loadable(spec):
    """False for a package that holds compiled modules, none of them for this interpreter."""
    compiled = False
    for folder in spec.submodule_search_locations or ():
        for _, _, files in os.walk(folder):
            for file in files:
                if file.endswith((".so", ".pyd")):
                    if file[file.index("."):] in importlib.machinery.EXTENSION_SUFFIXES:
                        return True
                    compiled = True
    return not compiled


def _installed_version(name, spec):
    """The version of the distribution `name` in the sys.path folder the package was found in."""
    try:
        from importlib import metadata
    except ImportError:  # pragma: no cover - Python < 3.8
        return None
    location = spec.submodule_search_locations or [spec.origin]
    folder = os.path.dirname(os.path.normpath(list(location)[0]))
    try:
        for distribution in metadata.distributions(name=name, path=[folder]):
            return distribution.version
    except Exception:  # unreadable metadata
        pass
    return None


def _config():
    from . import __version__
    from ._threads import get_num_threads

    threads = get_num_threads()
    tbb_path = _path(lib.HL_INFO_TBB_PATH)
    blas_path = _path(lib.HL_INFO_BLAS_PATH)
    return {
        "hotloop": {
            "version": __version__,
            "library version": ffi.string(lib.hl_version()).decode("ascii"),
            "abi": lib.hl_abi_version(),
            "library": _path(lib.HL_INFO_LIBRARY_PATH),
            "compiler": _string(lib.HL_INFO_COMPILER),
            "simd": _string(lib.HL_INFO_SIMD_LEVEL),
            "threads": threads,
            "HOTLOOP_NUM_THREADS": os.environ.get("HOTLOOP_NUM_THREADS"),
            "HOTLOOP_SIMD_LEVEL": os.environ.get("HOTLOOP_SIMD_LEVEL"),
        },
        "python": {
            "implementation": sys.implementation.name,
            "version": sys.version.split()[0],
            "executable": sys.executable,
            "cffi": _module_version("_cffi_backend"),  # what the library is called through
            "numpy": _module_version("numpy"),
        },
        "tbb": {
            "name": "oneTBB",
            "version": _string(lib.HL_INFO_TBB_VERSION),
            "built against": _string(lib.HL_INFO_TBB_BUILD_VERSION),
            "library": tbb_path,
            "bundled": _bundled(tbb_path),
            "threads": threads,
            "default concurrency": _integer(lib.HL_INFO_TBB_DEFAULT_CONCURRENCY),
        },
        "blas": {
            "name": _string(lib.HL_INFO_BLAS_NAME),
            "version": _string(lib.HL_INFO_BLAS_VERSION),
            "core": _string(lib.HL_INFO_BLAS_CORE),
            "config": _string(lib.HL_INFO_BLAS_CONFIG),
            "library": blas_path,
            "bundled": _bundled(blas_path),
            "threads": _integer(lib.HL_INFO_BLAS_NUM_THREADS),
        },
        "unicode": {
            # word_count lowers words with this interpreter's str.lower(): its tables count.
            "version": unicodedata.unidata_version,
        },
    }


# The python section's modules: None there means this interpreter cannot import them (elsewhere,
# an environment variable that is not set).
_DISTRIBUTIONS = ("cffi", "numpy")


def _format(config):
    lines = []
    for section, values in config.items():
        lines.append("%s:" % section)
        width = max(len(key) for key in values)
        for key, value in values.items():
            missing = "(not installed)" if key in _DISTRIBUTIONS else "(not set)"
            shown = missing if value is None else str(value)
            lines.append("  %-*s %s" % (width + 1, key + ":", shown))
    return "\n".join(lines)


@overload
def show_config(mode: Literal["stdout"] = ...) -> None: ...
@overload
def show_config(mode: Literal["dicts"]) -> Dict[str, Dict[str, Any]]: ...


def show_config(mode: str = "stdout") -> Optional[Dict[str, Dict[str, Any]]]:
    """Shows how hotloop is built and what it runs with, for bug reports (numpy.show_config's
    convention).

    Parameters
    ----------
    mode : {"stdout", "dicts"}, optional
        "stdout" prints the report; "dicts" returns it instead.

    Returns
    -------
    None or dict
        With mode="dicts", one dict per section: "hotloop" (package and library versions, ABI,
        library path, compiler, the SIMD level the kernels picked at run time -- "avx512",
        "avx2" or "baseline", the best the CPU has unless the HOTLOOP_SIMD_LEVEL environment
        variable names a lower one -- the thread count, and the values of HOTLOOP_NUM_THREADS
        and HOTLOOP_SIMD_LEVEL, None when unset), "python" (interpreter; the version of
        cffi's backend in use; that of the NumPy this interpreter imports, found without
        importing it, None when it cannot: not installed, or built for another interpreter
        only), "tbb" and "blas" (name, version, the file really loaded, whether it is the
        wheel's bundled copy, threads; TBB's build version and default concurrency, OpenBLAS's
        kernel and build configuration), "unicode" (the Unicode version of the interpreter's
        str.lower(), which word_count uses).

    Raises
    ------
    InvalidArgumentError
        For another mode.
    InvalidTypeError
        When mode is not a str.

    Examples
    --------
    >>> config = show_config(mode="dicts")
    >>> config["blas"]["name"], config["hotloop"]["simd"] in ("avx512", "avx2", "baseline")
    ('OpenBLAS', True)
    """
    if not isinstance(mode, str):
        raise InvalidTypeError("show_config: mode must be a str, not %s" % type(mode).__name__)
    if mode not in ("stdout", "dicts"):
        raise InvalidArgumentError("show_config: mode must be 'stdout' or 'dicts', got %r" % mode)
    config = _config()
    if mode == "dicts":
        return config
    print(_format(config))
    return None


#: The values HOTLOOP_SIMD_LEVEL may take, in any ASCII case (the engine lowers its level to
#: one, never raises it).
SIMD_LEVELS = ("avx512", "avx2", "baseline")


def _names_simd_level(value):
    """Whether value names a level as the engine reads it: in any ASCII case ("AVX2"). The
    engine lowers ASCII letters only, so a non-ASCII value never names one here either."""
    return value.isascii() and value.lower() in SIMD_LEVELS


def _check_environment():
    """Warns when HOTLOOP_SIMD_LEVEL is set but names no level: the engine then ignores it."""
    value = os.environ.get("HOTLOOP_SIMD_LEVEL")
    if value is not None and not _names_simd_level(value):
        warnings.warn("HOTLOOP_SIMD_LEVEL=%r is not one of %s: ignored, hotloop runs at %s"
                      % (value, ", ".join(SIMD_LEVELS), _string(lib.HL_INFO_SIMD_LEVEL)),
                      RuntimeWarning, stacklevel=3)


_check_environment()
