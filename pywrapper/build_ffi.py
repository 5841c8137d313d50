"""Generates hotloop/_hotloop_ffi.py from capi/include/hotloop.h.

The C header is the single source of truth for the cffi declarations: this script takes the part
of the header between the cdef markers, drops the export macro and the two lines that fence the
testing section for C users (#ifdef HL_TESTING_API ... #endif), and lets cffi's out-of-line ABI
mode serialise the parsed declarations into a plain Python module. Parsing happens here, at build
time, so `import hotloop` parses nothing and no compiler is ever needed.

Usage: python3 build_ffi.py HEADER OUTPUT.py
"""
import os
import re
import sys

BEGIN = "/* ---- cdef begin ---- */"
END = "/* ---- cdef end ---- */"
# The testing section (hl_debug_throw, *_reference) is fenced for C users, as zstd fences its
# experimental API; the package declares it, so these two lines, and only these, are dropped.
TESTING_FENCE = ("#ifdef HL_TESTING_API", "#endif /* HL_TESTING_API */")


def cdef_from_header(header_text):
    """The cffi cdef source held by the public header, the testing section included."""
    try:
        start = header_text.index(BEGIN) + len(BEGIN)
        stop = header_text.index(END, start)
    except ValueError:
        raise SystemExit("build_ffi: the cdef markers are missing from the header")
    lines = [line for line in header_text[start:stop].splitlines()
             if line.strip() not in TESTING_FENCE]
    for line in lines:
        if re.match(r"\s*#\s*(?!define\b)", line):  # cffi's parser knows #define NAME <int> only
            raise SystemExit("build_ffi: preprocessor line in the cdef block: %r" % line.strip())
    return re.sub(r"\bHL_API\s+", "", "\n".join(lines))


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
