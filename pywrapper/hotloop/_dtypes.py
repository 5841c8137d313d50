"""Element types: the C API's HL_DTYPE_* codes and how NumPy dtypes and buffer formats map to them."""
from ._loader import lib

# (kind, itemsize) as NumPy spells kinds: b bool, i signed, u unsigned, f float.
BY_KIND_SIZE = {
    ("b", 1): lib.HL_DTYPE_BOOL,
    ("i", 1): lib.HL_DTYPE_INT8,
    ("i", 2): lib.HL_DTYPE_INT16,
    ("i", 4): lib.HL_DTYPE_INT32,
    ("i", 8): lib.HL_DTYPE_INT64,
    ("u", 1): lib.HL_DTYPE_UINT8,
    ("u", 2): lib.HL_DTYPE_UINT16,
    ("u", 4): lib.HL_DTYPE_UINT32,
    ("u", 8): lib.HL_DTYPE_UINT64,
    ("f", 4): lib.HL_DTYPE_FLOAT32,
    ("f", 8): lib.HL_DTYPE_FLOAT64,
}
NAMES = {
    code: ("bool" if kind == "b" else {"i": "int", "u": "uint", "f": "float"}[kind] + str(8 * size))
    for (kind, size), code in BY_KIND_SIZE.items()
}
# The C type of each code, for cffi casts and unpacking.
C_TYPES = {
    lib.HL_DTYPE_BOOL: "_Bool", lib.HL_DTYPE_INT8: "int8_t", lib.HL_DTYPE_INT16: "int16_t",
    lib.HL_DTYPE_INT32: "int32_t", lib.HL_DTYPE_INT64: "int64_t", lib.HL_DTYPE_UINT8: "uint8_t",
    lib.HL_DTYPE_UINT16: "uint16_t", lib.HL_DTYPE_UINT32: "uint32_t",
    lib.HL_DTYPE_UINT64: "uint64_t", lib.HL_DTYPE_FLOAT32: "float", lib.HL_DTYPE_FLOAT64: "double",
}
# struct-module format characters (PEP 3118 buffers) -> NumPy kind; the size comes from the
# buffer's itemsize (native or standard, as the format's byte-order prefix says). "e" is float16.
FORMAT_KINDS = {
    "?": "b", "b": "i", "h": "i", "i": "i", "l": "i", "q": "i", "n": "i",
    "B": "u", "H": "u", "I": "u", "L": "u", "Q": "u", "N": "u", "e": "f", "f": "f", "d": "f",
}
FLOAT_CODES = frozenset((lib.HL_DTYPE_FLOAT32, lib.HL_DTYPE_FLOAT64))
UNSIGNED_CODES = frozenset(code for (kind, _), code in BY_KIND_SIZE.items() if kind in "bu")


def numpy_dtype(code):
    """The NumPy dtype string of a code (for building result arrays)."""
    return {"bool": "?"}.get(NAMES[code], NAMES[code])
