"""The `hotloop` command (also `python -m hotloop`): info, wordcount, stats, image.

    hotloop info [--json]
    hotloop wordcount PATH... [--top K] [--json] [--errors HANDLER] [--encoding CODEC]
    hotloop stats FILE [--column NAME] [--json]
    hotloop image OP IN OUT [--sigma S] [--radius R] [--amount A]

Long calls show a tqdm bar when stderr is a terminal and tqdm is installed; Ctrl-C stops them
cleanly (the engine is cancelled, nothing is written) with exit status 130, and so it does at
any other point, also while the package is still being imported (_cli_start.py). Bad arguments and
unreadable or malformed input give one line on stderr and exit status 2, never a traceback.
--json output is strict JSON: a non-finite number (nan, inf, -inf) is null, as JavaScript's
JSON.stringify writes it. `-` is standard input for wordcount and stats; image takes files only.
"""
import argparse
import array
import codecs
import contextlib
import csv
import io
import json
import math
import os
import re
import shlex
import signal
import sys
import warnings

from typing import (TYPE_CHECKING, Any, Dict, Iterator, List, NoReturn, Optional, Sequence,
                    Tuple, Union)

from . import _cli_start
from ._errors import EncodingError, HotloopError, MissingDependencyError

if TYPE_CHECKING:  # pragma: no cover
    from ._text import WordTable

EXIT_USAGE = _cli_start.EXIT_USAGE
EXIT_INTERRUPTED = _cli_start.EXIT_INTERRUPTED
EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE


class UsageError(Exception):
    """A problem with the command's arguments or input, reported as one line (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line (it prints the usage first)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, "%s: error: %s (see %s --help)\n" % (self.prog, message, self.prog))


def _progress() -> Optional[bool]:
    """progress=True (a tqdm bar) when someone watches stderr and tqdm is there, else None."""
    if not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()):
        return None
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return None
    return True


def _write(text: str, surrogates: str = "surrogateescape") -> None:
    """Writes UTF-8 to stdout. Words that came with lone surrogates get their input bytes back
    through the handler that decoded them (`surrogates`: surrogateescape or surrogatepass);
    anything else UTF-8 cannot hold is written as \\udXXX escapes."""
    try:
        data = text.encode("utf-8", surrogates)
    except UnicodeEncodeError:
        data = text.encode("utf-8", "backslashreplace")
    with _writing_stdout():
        _standard("stdout").buffer.write(data)


def _standard(name: str) -> Any:
    """sys.stdin or sys.stdout. Python sets it to None when the shell started us with it closed
    (`<&-`, `>&-`): that is a one-line UsageError, not an AttributeError traceback."""
    stream = getattr(sys, name)
    if stream is None:
        raise UsageError("standard %s is closed" % ("input" if name == "stdin" else "output"))
    return stream


@contextlib.contextmanager
def _writing_stdout() -> Iterator[None]:
    """Names standard output in a write error (a full disk, /dev/full: "[Errno 28] No space
    left on device" alone does not say what was full), and drops what could not be written, so
    that Python's flush at exit does not fail again (exit status 120 and "Exception ignored").
    A broken pipe stays itself: main() ends quietly on it."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as exc:
        _discard_stdout()
        raise UsageError("standard output: %s" % (exc.strerror or exc)) from None


def _discard_stdout() -> None:
    """Points standard output at /dev/null: the output still buffered goes nowhere at exit."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _write_json(value: Any) -> None:
    """One JSON line, valid UTF-8: non-ASCII as is, unless some string holds a lone surrogate
    (--errors surrogateescape): then every non-ASCII character is a \\uXXXX escape, which
    json.loads turns back into the same string."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)  # NaN, Infinity: not JSON
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(value, allow_nan=False)
    _write(text + "\n")


# ---- hotloop info ----

def _info(args: argparse.Namespace) -> None:
    from ._info import show_config

    if args.json:
        _write_json(show_config(mode="dicts"))
    else:
        with _writing_stdout():
            show_config()


# ---- hotloop wordcount ----

def _check_handler(errors: str) -> None:
    """--errors must name a handler that can decode: strict, replace and ignore are counted
    natively; any other decoding handler (surrogateescape, backslashreplace, surrogatepass, a
    registered one) through the library's fallback, where Python decodes the file first.
    Encode-only handlers (xmlcharrefreplace, namereplace) are refused here, before any input is
    read."""
    try:
        b"\xff".decode("utf-8", errors)
    except LookupError:
        raise UsageError("--errors: unknown error handler %r (strict, replace, ignore, "
                         "surrogateescape, backslashreplace, ...)" % errors) from None
    except UnicodeDecodeError:  # strict, surrogatepass: invalid bytes stay an error
        pass
    except Exception:  # TypeError: "don't know how to handle UnicodeDecodeError"
        raise UsageError("--errors: %r cannot decode (it is an encoding error handler); use "
                         "strict, replace, ignore, surrogateescape or backslashreplace"
                         % errors) from None


def _check_encoding(encoding: str) -> str:
    """The codec's name for --encoding, checked as open() checks it, before any input is read."""
    from ._text import _codec_name

    try:
        return str(_codec_name(encoding, "--encoding"))
    except HotloopError as exc:
        raise UsageError(str(exc)) from None


def _count_path(path: str, part: int, errors: str, codec: str,
                progress: Optional[bool]) -> "WordTable":
    """The WordTable of one file ("-": stdin) as input number `part`: its words' first
    occurrences rank after those of the inputs before it."""
    from ._text import WordTable

    try:
        if path == "-":
            return WordTable.from_text(_stdin_text(codec, errors), part=part, errors=errors,
                                       progress=progress)
        return WordTable.from_file(path, part=part, errors=errors, encoding=codec,
                                   progress=progress)
    except UnicodeDecodeError as exc:
        raise UsageError(_decode_problem(exc, path)) from None
    except EncodingError as exc:  # not about one sequence: UTF-16/32 without a BOM
        raise UsageError(str(exc)) from None


def _stdin_text(codec: str, errors: str) -> Union[bytes, str]:
    """Standard input's bytes (UTF-8: the library decodes them), or its text as open() would
    decode it: one incremental decoder, given it all (final=True)."""
    data = _standard("stdin").buffer.read()
    if codec == "utf-8":
        return data
    try:
        return codecs.getincrementaldecoder(codec)(errors).decode(data, final=True)
    except UnicodeDecodeError:
        raise  # _count_path words it, offsets and all
    except UnicodeError as exc:  # not about one sequence: UTF-16/32 without a BOM
        raise UsageError("stdin: %s" % exc) from None


def _decode_problem(exc: UnicodeDecodeError, path: str) -> str:
    """The invalid bytes as one line naming the input and the byte offset, and what to do
    (_decode_advice). The library's HotloopUnicodeDecodeError says the rest; Python's own
    decoder (the fallback of other handlers, which decodes the whole input at once, so `start`
    is the byte offset) gets the same wording."""
    from ._text import _file_head, _hint_for

    if isinstance(exc, EncodingError):
        message = str(exc)
    else:
        codec = "UTF-8" if exc.encoding == "utf-8" else exc.encoding
        message = "invalid %s at byte offset %d (byte 0x%02x)%s: %s" % (
            codec, exc.start, exc.object[exc.start], "" if path == "-" else " of file %r" % path,
            exc.reason)
    head = bytes(exc.object[:8]) if path == "-" else _file_head(path)
    # The library's hint names a Python reader or argument: the command line's replaces it.
    message = message.replace(_hint_for(head, exc.encoding), "")
    return ("stdin: " if path == "-" else "") + message + _decode_advice(head, exc.encoding, path)


def _decode_advice(head: bytes, codec: str, path: str) -> str:
    """For compressed input (a file or stdin), the command that decompresses it; for UTF-16/32
    read as UTF-8, the --encoding; otherwise --errors replace (which would count compressed or
    UTF-16 bytes as words, so it is not offered for them)."""
    from ._text import _bom_encoding, _compression_of

    found = _compression_of(head)
    wide = _bom_encoding(head) if codec == "utf-8" else None
    if found is not None:
        pipe = ("... | %s | hotloop wordcount -" % found[2] if path == "-"
                else "%s %s | hotloop wordcount -" % (found[2], shlex.quote(path)))
        return " - the input is %s-compressed: decompress it first (%s)" % (found[0], pipe)
    if wide is not None:
        return " - the input starts with a %s byte order mark: add --encoding %s" % (
            wide.upper(), wide)
    return " (--errors replace counts it anyway)"


def _count_all(paths: Sequence[str], errors: str, codec: str,
               progress: Optional[bool]) -> "WordTable":
    """The merged WordTable of all inputs, input i being part i: exactly the table of their
    words in sequence, so most_common's ties follow first occurrence across the files.

    The tables are merged as a binary counter carries (_text._MergeStack): n inputs cost
    O(words * log n) merge work, where merging each into a running total copied the total once
    per input (1,200 source files: 4.4 s)."""
    from ._text import WordTable, _MergeStack

    stack = _MergeStack(lambda a, b: a.merge(b), lambda t: t.close())
    try:
        for part, path in enumerate(paths):
            stack.push(_count_path(path, part, errors, codec, progress))
        total = stack.result()
    except BaseException:
        stack.discard()
        raise
    return WordTable() if total is None else total


def _wordcount(args: argparse.Namespace) -> None:
    _check_handler(args.errors)
    codec = _check_encoding(args.encoding)
    if args.top is not None and args.top < 0:
        raise UsageError("--top must be >= 0, got %d" % args.top)
    with _count_all(args.paths, args.errors, codec, _progress()) as total:
        # Counter.most_common's order (by count, ties in order of first occurrence), in C++.
        ranked = total.to_dict(top=len(total) if args.top is None else args.top)
    if args.json:
        _write_json(dict(ranked))
    else:
        surrogates = "surrogatepass" if args.errors == "surrogatepass" else "surrogateescape"
        _write("".join("%s\t%d\n" % pair for pair in ranked), surrogates)


# ---- hotloop stats ----

#: The longest CSV line `hotloop stats` reads, in characters with its line ending. csv.reader
#: parses a line once it is read whole, so a line without end (`hotloop stats /dev/zero`, a
#: binary file or stream without newlines) filled memory until the OOM killer came. Each field
#: is bounded already (csv.field_size_limit(): 128 Ki characters); this bounds a line of many
#: fields, as csv.field_size_limit bounds one field.
LINE_LIMIT = 4 << 20


def _csv_column(path: str, column: Optional[str]) -> Tuple[str, "array.array[Any]"]:
    """(column name, its values): int64 (or uint64) when every cell is an integer, else float64.
    A byte-order mark (as Excel writes) is skipped; "-" reads standard input."""
    if path == "-":
        f = io.TextIOWrapper(_standard("stdin").buffer, encoding="utf-8-sig", newline="")
    else:
        f = open(path, newline="", encoding="utf-8-sig")
    with f:
        try:
            return _read_column(path, csv.reader(_bounded_lines(f, path)), column)
        except UnicodeDecodeError as exc:
            raise UsageError("%s is not UTF-8 text (%s); arrays go in .npy files"
                             % (_input_name(path), exc)) from None


def _bounded_lines(f: Any, path: str) -> Iterator[str]:
    """The lines of f for csv.reader, none longer than LINE_LIMIT: a longer line is refused when
    LINE_LIMIT + 1 characters of it are read, and the rest of it is never read."""
    number = 0
    while True:
        line = f.readline(LINE_LIMIT + 1)
        if not line:
            return
        number += 1
        if len(line) > LINE_LIMIT:
            raise UsageError("%s line %d is longer than %d characters, the limit of a CSV line "
                             "(is it CSV text?)" % (_input_name(path), number, LINE_LIMIT))
        yield line


def _read_column(path: str, rows: Any, column: Optional[str]) -> Tuple[str, "array.array[Any]"]:
    name = _input_name(path)
    header = next(rows, None)
    if not header:
        raise UsageError("%s: empty CSV file" % name)
    if column is None:
        if len(header) != 1:
            raise UsageError("%s has %d columns (%s): choose one with --column"
                             % (name, len(header), ", ".join(header)))
        column = header[0]
    if column not in header:
        raise UsageError("%s: no column %r (columns: %s)" % (name, column, ", ".join(header)))
    if header.count(column) > 1:  # taking the first would describe one of them silently
        raise UsageError("%s: the header names %d columns %r (columns %s): which one is meant "
                         "is ambiguous; rename them" % (
                             name, header.count(column), column,
                             ", ".join(str(i + 1) for i, h in enumerate(header) if h == column)))
    index = header.index(column)
    cells = [(rows.line_num, row[index].strip() if index < len(row) else "") for row in rows]
    return column, _numbers(name, column, cells)


def _input_name(path: str) -> str:
    return "standard input" if path == "-" else path


def _numbers(name: str, column: str, cells: List[Tuple[int, str]]) -> "array.array[Any]":
    """The cells as int64 or uint64 when all are integers, else as float64. Python's own
    literal forms that no CSV reader takes ("1_000") are refused."""
    for line, text in cells:
        if "_" in text:
            raise UsageError("%s line %d: %r in column %r is not a number"
                             % (name, line, text, column))
    try:
        ints = [_integer(text) for _, text in cells]
    except ValueError:
        ints = None
    if ints is not None:
        for typecode in ("q", "Q"):
            try:
                return array.array(typecode, ints)
            except OverflowError:
                pass
        raise UsageError(_beyond_64_bits(name, column, cells, ints))
    values = array.array("d")
    for line, text in cells:
        try:
            values.append(float(text))
        except ValueError:
            raise UsageError("%s line %d: %r in column %r is not a number"
                             % (name, line, text, column)) from None
    return values


def _beyond_64_bits(name: str, column: str, cells: List[Tuple[int, str]],
                    ints: List[int]) -> str:
    """Why integers that neither int64 nor uint64 holds are refused: one value beyond both, or
    (each value fitting one of them) a negative value beside one above int64's maximum."""
    def shown(text: str) -> str:
        return text if len(text) <= 40 else "%s...%s (%d characters)" % (text[:12], text[-6:],
                                                                          len(text))
    pairs = list(zip(cells, ints))
    beyond = [cell for cell, value in pairs if not -2**63 <= value < 2**64]
    if beyond:
        line, text = beyond[0]
        return ("%s line %d: %s in column %r is beyond 64-bit integers (float64 would round it)"
                % (name, line, shown(text), column))
    (high_line, high), (low_line, low) = (
        next(cell for cell, value in pairs if value >= 2**63),
        next(cell for cell, value in pairs if value < 0))
    return ("%s line %d: %s in column %r is beyond int64, and line %d holds the negative %s, "
            "which uint64 cannot hold (float64 would round them)"
            % (name, high_line, shown(high), column, low_line, shown(low)))


_DIGITS = re.compile(r"([+-]?)0*(\d+)")


def _integer(text: str) -> int:
    """int(text), but an integer literal longer than Python's int-string limit
    (sys.get_int_max_str_digits(), 4300 by default) is not a ValueError (which would make the
    column float64 and the value inf): it gives a stand-in beyond 64 bits with its sign, so the
    column is refused as beyond 64-bit integers, as a shorter one is."""
    try:
        return int(text)
    except ValueError:
        match = _DIGITS.fullmatch(text)
        if match is None:
            raise
        sign, digits = match.groups()
        if len(digits) <= 20:  # only leading zeros made it long: its value fits
            return int(sign + digits)
        return -2**64 if sign == "-" else 2**64


_NPY_MAGIC = b"\x93NUMPY"

# Values of a .npy read at a time (8 MiB of float64): whole blocks of the engine's 32768 values,
# so that their moments merged in order are compute_stats's of the whole array, bit for bit.
_NPY_BLOCK_VALUES = 32 * 32768


def _npy_stats(path: str) -> Dict[str, Any]:
    """compute_stats of the array a .npy file holds, read block by block with read(), never
    mapped: a file truncated by another process while it is read is an error, where a page of a
    mapping past the new end is SIGBUS (the process killed). Memory stays one block."""
    with open(path, "rb") as f:
        # checked first: a file that is no .npy is that, NumPy or not (numpy.load would take
        # it for a pickle, or say "no data left")
        if f.read(len(_NPY_MAGIC)) != _NPY_MAGIC:
            raise UsageError("%s is not a valid .npy file (it does not start with NumPy's "
                             "\\x93NUMPY header); save arrays with numpy.save" % path)
        shape, dtype = _npy_header(f, path)
        count = math.prod(shape)  # a 0-d array is one value, as NumPy counts it
        if count == 0:  # a shape with a 0 in it has no values, whatever its first side
            raise UsageError("%s: no values in %s" % (path, os.path.basename(path)))
        return _npy_moments(f, path, dtype, count).result()


def _npy_header(f: Any, path: str) -> Tuple[Tuple[int, ...], Any]:
    """The shape and dtype of the .npy file `f` read past its magic string, positioned at its
    data (never seeking: a pipe is read as a file is). The values are in the file's order (C or
    Fortran): the statistics do not depend on it."""
    try:
        from numpy.lib import format as npy_format
    except ImportError:
        raise MissingDependencyError("reading .npy files needs NumPy") from None
    try:
        version = tuple(f.read(2))  # after the magic string: major, minor
        if version == (1, 0):
            shape, _, dtype = npy_format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, _, dtype = npy_format.read_array_header_2_0(f)
        elif len(version) < 2:
            raise UsageError("%s ends in its header" % path)
        else:  # 3.0: only for structured dtypes whose names need UTF-8, which are no numbers
            raise UsageError("%s: .npy format version %d.%d holds no array of numbers"
                             % ((path,) + version))
    except (ValueError, EOFError) as exc:  # a damaged header
        raise UsageError("%s: %s" % (path, exc)) from None
    if any(side < 0 for side in shape):  # NumPy's header check lets a forged one through
        raise UsageError("%s: its header gives the shape %r, of a negative side" % (path, shape))
    if dtype.kind not in "biuf" or dtype.itemsize > 8:  # objects, complex, strings, structs
        raise UsageError("%s holds values of dtype %s: compute_stats takes bool, integer and "
                         "float (up to float64) arrays" % (path, dtype))
    return shape, dtype


def _npy_moments(f: Any, path: str, dtype: Any, count: int) -> Any:
    import numpy

    from ._progress import make_reporter
    from ._stats import Moments

    reporter = make_reporter(_progress(), "hotloop stats")
    buffer = bytearray(min(count, _NPY_BLOCK_VALUES) * dtype.itemsize)
    moments: Any = None
    done = 0
    try:
        while done < count:
            size = min(count - done, _NPY_BLOCK_VALUES)
            view = memoryview(buffer)[:size * dtype.itemsize]
            filled = 0
            while filled < len(view):
                got = f.readinto(view[filled:])
                if not got:
                    raise UsageError("%s ends after %d of its %d values (truncated?)"
                                     % (path, done + filled // dtype.itemsize, count))
                filled += got
            block = Moments.of(numpy.frombuffer(buffer, dtype, size))
            moments = block if moments is None else moments.merge(block)
            done += size
            if reporter is not None:
                reporter.update(done, count)
    except BaseException:
        if reporter is not None:
            reporter.abandon()
        raise
    if reporter is not None:
        reporter.close(done, count)
    return moments


def _stats(args: argparse.Namespace) -> None:
    from ._stats import compute_stats

    suffix = os.path.splitext(args.file)[1].lower()
    if suffix == ".npz":
        raise UsageError("%s: an .npz archive holds several arrays: save the one to describe "
                         "with numpy.save (.npy)" % args.file)
    if suffix == ".npy":
        if args.column is not None:
            raise UsageError("--column applies to CSV files, not .npy arrays")
        result = _npy_stats(args.file)
    else:
        name, data = _csv_column(args.file, args.column)
        if len(data) == 0:
            raise UsageError("%s: no values in %s" % (_input_name(args.file), name))
        result = compute_stats(data, progress=_progress())
    ordered = {key: result[key] for key in ("count", "mean", "std", "min", "max")}
    if args.json:
        # JSON has no NaN or infinity: non-finite values are null, as JavaScript's
        # JSON.stringify writes them (the text output shows nan, inf, -inf).
        _write_json({k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                     for k, v in ordered.items()})
    else:
        _write("".join("%s\t%r\n" % (key, value) for key, value in ordered.items()))


# ---- hotloop image ----

# op -> the options it takes (the same names as process_image's ops; "gray" is short for
# "grayscale").
_IMAGE_OPS = {
    "blur": ("sigma",),
    "box_blur": ("radius",),
    "edges": (),
    "sharpen": ("sigma", "amount"),
    "grayscale": (),
    "gray": (),
}


def _image_params(args: argparse.Namespace) -> Dict[str, Any]:
    accepted = _IMAGE_OPS[args.op]
    params = {}
    for name in ("sigma", "radius", "amount"):
        value = getattr(args, name)
        if value is None:
            continue
        if name not in accepted:
            raise UsageError("%s takes %s; --%s does not apply"
                             % (args.op, ", ".join("--" + a for a in accepted) or "no option", name))
        params[name] = value
    return params


def _output_format(image: Any, path: str) -> str:
    """The input's format; an output name whose extension says another format is an error."""
    from PIL import Image

    extension = os.path.splitext(path)[1].lower()
    named = Image.registered_extensions().get(extension)
    if named is not None and named != image.format:
        raise UsageError("%s would be %s, but the input is %s: the output keeps the input's "
                         "format" % (path, named, image.format))
    return image.format


def _save_options(image: Any, result: Any, fmt: str) -> Dict[str, Any]:
    """Save arguments for what the result's `info` carries (the library copies the input's) but
    Pillow's writers only take as arguments: ICC profile, DPI, EXIF, transparency (when the mode
    is unchanged: for a palette input the library moves it into the alpha channel); for JPEG
    the input's quantization tables and subsampling, so that the output is not re-quantized
    more coarsely than the input was."""
    options = {key: result.info[key] for key in ("icc_profile", "dpi", "exif")
               if result.info.get(key) is not None}
    if "transparency" in result.info and result.mode == image.mode:
        options["transparency"] = result.info["transparency"]
    if fmt == "TIFF" and "exif" not in options:
        options["exif"] = _tiff_tags(image)
    if fmt == "ICO" and result.info.get("sizes"):
        # the input's icon sizes: Pillow's default list (16x16 ... 256x256) keeps only those
        # that fit the image, none at all for an icon under 16 pixels high (a 16x11 icon gave an
        # empty, unreadable file)
        options["sizes"] = sorted(result.info["sizes"])
    if fmt == "JPEG" and getattr(image, "quantization", None):
        from PIL import JpegImagePlugin

        options["qtables"] = image.quantization
        options["subsampling"] = JpegImagePlugin.get_sampling(image)
    return options


# TIFF tags that describe the input's pixels and their storage (sizes, samples, compression,
# strips and tiles, palette, photometric, ink set, JPEG tables): Pillow's writer sets the
# result's own, and a copied one could contradict them (an RGB layout on a grayscale result).
# Orientation (274) too: Pillow's TIFF reader has already turned the pixels upright.
_TIFF_LAYOUT_TAGS = frozenset([254, 255, 256, 257, 258, 259, 262, 263, 264, 265, 266, 273, 274,
                               277, 278, 279, 280, 281, 284, 317, 320, 322, 323, 324, 325, 332,
                               333, 334, 338, 339, 340, 341, 347, 529, 530, 531, 532]
                              + list(range(512, 522)))


def _tiff_tags(image: Any) -> Any:
    """The EXIF of a TIFF (Make, Model, Orientation, DateTime, Artist, GeoTIFF keys, ...): a
    TIFF holds it as tags of its own directory, not as info["exif"] as JPEG, PNG and WebP do.
    A copy (the input's Exif is left alone) without the layout tags."""
    from PIL import Image

    tags = Image.Exif()
    tags.load(image.getexif().tobytes())
    for tag in _TIFF_LAYOUT_TAGS.intersection(tags):
        del tags[tag]
    return tags


@contextlib.contextmanager
def _open_image(path: str) -> Iterator[Any]:
    """Image.open of the file, loaded, or a one-line UsageError naming the file: for an image
    over Pillow's decompression-bomb limit (Image.MAX_IMAGE_PIXELS; Pillow only warns up to
    twice it, the command refuses it from the limit on, before decoding anything) and for files
    Pillow cannot read (not an image, truncated, damaged). Opened from a file object, not the
    path: given a path, Pillow maps an uncompressed image's file (mmap) and reads its pixels
    from the mapping as they are used, and a file another process truncated meanwhile killed
    the process (SIGBUS); read(), a short file is Pillow's "image file is truncated"."""
    from PIL import Image

    with open(path, "rb") as file:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            try:
                image = Image.open(file)
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
                size = re.search(r"\((\d+) pixels\)", str(exc))
                raise UsageError("%s: %s pixels is over Pillow's limit of %d (PIL.Image.MAX_"
                                 "IMAGE_PIXELS, a guard against decompression bombs)"
                                 % (path, size.group(1) if size else "its",
                                    Image.MAX_IMAGE_PIXELS)) from None
            except Image.UnidentifiedImageError:  # its message would name the file object
                raise UsageError("cannot identify image file %r" % path) from None
        with image:
            try:
                image.load()
            except (OSError, ValueError, SyntaxError, EOFError) as exc:  # Pillow's decoders'
                raise UsageError("%s: not a readable image (%s)" % (path, exc)) from None
            yield image


def _image(args: argparse.Namespace) -> None:
    try:
        from PIL import Image  # noqa: F401
    except ImportError:
        raise MissingDependencyError("hotloop image needs Pillow (Debian: apt-get install "
                                     "python3-pil; or pip install pillow)") from None
    from ._imaging import process_image

    params = _image_params(args)
    op = "grayscale" if args.op == "gray" else args.op
    for role, path in (("IN", args.input), ("OUT", args.output)):
        if path == "-":  # it means stdin for wordcount and stats: do not make a file named "-"
            raise UsageError("%s '-': image reads and writes files, not standard input or "
                             "output (name a file; ./- for one called '-')" % role)
    with _open_image(args.input) as image:
        if getattr(image, "n_frames", 1) > 1:
            raise UsageError("%s has %d frames: only single images are supported"
                             % (args.input, image.n_frames))
        fmt = _output_format(image, args.output)
        # PIL in, PIL out, in the mode of the library's table (docs/api/imaging.md): the same
        # mode, but RGB(A) for a palette image, L for grayscale of a colour image. A mode the
        # table refuses raises InvalidTypeError, whose message names the convert() to make.
        result = process_image(image, op, progress=_progress(), **params)
        options = _save_options(image, result, fmt)
    temporary = "%s.tmp-%d" % (args.output, os.getpid())
    try:
        result.save(temporary, format=fmt, **options)
        os.replace(temporary, args.output)  # a failed or interrupted write leaves OUT as it was
    except OSError as exc:
        if exc.filename == temporary:  # name the user's path, not our temporary file
            exc.filename = args.output
        raise
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


# ---- the parser and the entry point ----

def _parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(prog="hotloop", description="Parallel hot loops from the shell.")
    parser.add_argument("--version", action="version", version="hotloop " + __version__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    info = commands.add_parser("info", help="how hotloop is built and what it runs with")
    info.add_argument("--json", action="store_true", help="print a JSON object")
    info.set_defaults(run=_info)

    words = commands.add_parser(
        "wordcount", help="count the words of text files, lowercased",
        description="One word<TAB>count line per word of the files (UTF-8 unless --encoding, "
                    "lowercased, split on "
                    "whitespace as str.split does), most common first, ties in order of first "
                    "occurrence; several files are summed; '-' reads stdin.")
    words.add_argument("paths", nargs="+", metavar="PATH")
    words.add_argument("--top", type=int, metavar="K", help="only the K most common words")
    words.add_argument("--json", action="store_true", help="print a JSON object word: count")
    words.add_argument("--errors", default="strict", metavar="HANDLER",
                       help="what to do with bytes invalid in the encoding: strict (the "
                            "default: fail, "
                            "naming the byte offset), replace or ignore (counted natively), "
                            "or another decoding handler of Python's such as "
                            "surrogateescape or backslashreplace (Python decodes first)")
    words.add_argument("--encoding", default="utf-8", metavar="CODEC",
                       help="the files' and stdin's encoding, as open() takes it: utf-8 (the "
                            "default) and utf-8-sig (a leading BOM skipped) are read natively, "
                            "others (latin-1, cp1252, utf-16, ...) decoded by Python in pieces")
    words.set_defaults(run=_wordcount)

    stats = commands.add_parser(
        "stats", help="count, mean, std, min and max of a CSV column or a .npy array",
        description="compute_stats of a column of a CSV file (UTF-8, a byte-order mark allowed, "
                    "with a header row; '-' reads standard input) or of every element of a .npy "
                    "array: count, mean, sample standard deviation (ddof=1), min and max. A "
                    "column of integers stays integers (int64 or uint64; beyond them it is an "
                    "error, as float64 would round them). A CSV line may hold up to %d "
                    "characters (%d MiB of ASCII); a .npy array is read in blocks of 8 MiB, "
                    "bit for bit compute_stats of the whole." % (LINE_LIMIT, LINE_LIMIT >> 20))
    stats.add_argument("file", metavar="FILE", help="a .csv file, '-' (CSV on stdin) or a .npy file")
    stats.add_argument("--column", metavar="NAME", help="the CSV column (needed when there are "
                                                        "several)")
    stats.add_argument("--json", action="store_true",
                       help="print a JSON object; a non-finite value (nan, inf, -inf) is null, "
                            "as JavaScript's JSON.stringify writes it, since JSON has none")
    stats.set_defaults(run=_stats)

    image = commands.add_parser(
        "image", help="filter an image file (Pillow)",
        description="Filter IN into OUT, in IN's format, keeping its ICC profile, DPI and EXIF. "
                    "OP: blur (--sigma), box_blur (--radius), edges, sharpen (--sigma, "
                    "--amount), grayscale or gray. The mode stays IN's (16-bit stays 16-bit), "
                    "except: a palette image gives RGB or RGBA, grayscale of a colour image "
                    "gives L; modes that cannot be filtered (1, HSV, ...) are refused with the "
                    "convert() to make. IN and OUT are files ('-' is refused); images over "
                    "Pillow's decompression-bomb limit (PIL.Image.MAX_IMAGE_PIXELS pixels) are "
                    "refused.")
    image.add_argument("op", choices=sorted(_IMAGE_OPS), metavar="OP")
    image.add_argument("input", metavar="IN")
    image.add_argument("output", metavar="OUT")
    image.add_argument("--sigma", type=float, metavar="S", help="Gaussian sigma in pixels")
    image.add_argument("--radius", type=int, metavar="R", help="box_blur's radius in pixels")
    image.add_argument("--amount", type=float, metavar="A", help="sharpen's strength")
    image.set_defaults(run=_image)
    return parser


def _describe(exc: BaseException) -> str:
    """One line for an error the user can fix."""
    if isinstance(exc, OSError) and exc.strerror and exc.filename is not None:
        return "%s: %s" % (exc.filename, exc.strerror)
    return str(exc) or type(exc).__name__


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the command line `argv` (default: sys.argv[1:]); returns the exit status.

    Started as the command, Ctrl-C outside args.run() exits with status 130 through
    _cli_start's handler (also while the package was being imported); inside, it is the
    KeyboardInterrupt on which the library cancels the engine, reported here the same way."""
    try:
        _cli_start.exit_if_interrupted()
        return _main(argv)
    finally:
        _cli_start.ended()


def _main(argv: Optional[Sequence[str]]) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.error("a command is required: info, wordcount, stats or image")
    try:
        _standard("stdout")  # closed: refused before any work (info would print nowhere)
        with _cli_start.keyboard_interrupts():
            args.run(args)
        with _writing_stdout():
            sys.stdout.flush()
    except KeyboardInterrupt:
        print("hotloop %s: interrupted" % args.command, file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `hotloop wordcount ... | head`: the reader has what it wanted
        _discard_stdout()
        return EXIT_BROKEN_PIPE
    except (UsageError, HotloopError, OSError, ValueError, csv.Error) as exc:
        print("hotloop %s: error: %s" % (args.command, _describe(exc)), file=sys.stderr)
        return EXIT_USAGE
    return 0
