"""Generates hotloop/_hotloop_ffi.py from capi/include/hotloop.h.

The C header is the single source of truth for the cffi declarations: this script takes the part
of the header between the cdef markers, drops the export macro, and lets cffi's out-of-line ABI
mode serialise the parsed declarations into a plain Python module. Parsing happens here, at build
time, so `import hotloop` parses nothing and no compiler is ever needed.

Usage: python3 build_ffi.py HEADER OUTPUT.py
"""
import os
import re
import sys

BEGIN = "/* ---- cdef begin ---- */"
END = "/* ---- cdef end ---- */"


def cdef_from_header(header_text):
    """The cffi cdef source held by the public header."""
    try:
        start = header_text.index(BEGIN) + len(BEGIN)
        stop = header_text.index(END, start)
    except ValueError:
        raise SystemExit("build_ffi: the cdef markers are missing from the header")
    text = header_text[start:stop]
    text = re.sub(r"\bHL_API\s+", "", text)
    return text


def build(header_path, output_path):
    import cffi

    with open(header_path, encoding="utf-8") as f:
        cdef = cdef_from_header(f.read())
    ffibuilder = cffi.FFI()
    ffibuilder.cdef(cdef)
    ffibuilder.set_source("hotloop._hotloop_ffi", None)  # None: ABI mode, nothing to compile
    tmp = output_path + ".tmp"
    ffibuilder.emit_python_code(tmp)
    os.replace(tmp, output_path)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    build(sys.argv[1], sys.argv[2])
