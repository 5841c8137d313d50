"""The release and ABI versions, read from their one home: capi/include/hotloop.h.

    python3 scripts/hotloop_version.py          # prints the release, e.g. 0.1.0
    python3 scripts/hotloop_version.py --abi    # prints HL_ABI_VERSION, e.g. 2

setup.py (the wheel's and sdist's version) and the shell scripts use this; CMake parses the same
lines itself (project() VERSION, SOVERSION = HL_ABI_VERSION); the Python package's __version__
comes from the same #defines through the generated cffi module. Nothing else states a version.
"""
import os
import re
import sys

HEADER = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "capi", "include",
                      "hotloop.h")


def _define(text, name):
    match = re.search(r"^#define %s (\d+)\b" % name, text, re.MULTILINE)
    if match is None:
        raise SystemExit("hotloop_version: %s is not defined in the header" % name)
    return int(match.group(1))


def read_version(header=HEADER):
    """"MAJOR.MINOR.PATCH" from HL_VERSION_MAJOR, _MINOR and _PATCH."""
    with open(header, encoding="utf-8") as f:
        text = f.read()
    return ".".join(str(_define(text, "HL_VERSION_" + part)) for part in ("MAJOR", "MINOR", "PATCH"))


def read_abi_version(header=HEADER):
    """HL_ABI_VERSION, the library's SOVERSION."""
    with open(header, encoding="utf-8") as f:
        return _define(f.read(), "HL_ABI_VERSION")


if __name__ == "__main__":
    print(read_abi_version() if sys.argv[1:] == ["--abi"] else read_version())
