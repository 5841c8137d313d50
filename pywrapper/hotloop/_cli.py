"""The `hotloop` command (also `python -m hotloop`): info, wordcount, stats, image.

    hotloop info [--json]
    hotloop wordcount PATH... [--top K] [--json] [--errors HANDLER]
    hotloop stats FILE [--column NAME] [--json]
    hotloop image OP IN OUT [--sigma S] [--radius R] [--amount A]

Long calls show a tqdm bar when stderr is a terminal and tqdm is installed; Ctrl-C stops them
cleanly (the engine is cancelled, nothing is written) with exit status 130. Bad arguments and
unreadable or malformed input give one line on stderr and exit status 2, never a traceback.
"""
import argparse
import array
import codecs
import csv
import json
import math
import operator
import os
import signal
import sys

from typing import Any, Dict, Iterable, List, NoReturn, Optional, Sequence, Tuple, Union

from ._errors import EncodingError, HotloopError, MissingDependencyError

EXIT_USAGE = 2  # bad arguments, unreadable or malformed input (argparse's status too)
EXIT_INTERRUPTED = 128 + signal.SIGINT
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


def _write(text: str) -> None:
    """Writes UTF-8 to stdout. Words decoded with surrogateescape get their bytes back; other
    lone surrogates (which UTF-8 cannot hold) are written as \\udXXX escapes."""
    try:
        data = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        data = text.encode("utf-8", "backslashreplace")
    sys.stdout.buffer.write(data)


def _write_json(value: Any) -> None:
    try:
        _write(json.dumps(value, ensure_ascii=False) + "\n")
    except UnicodeEncodeError:  # pragma: no cover - _write handles every str
        _write(json.dumps(value) + "\n")


# ---- hotloop info ----

def _info(args: argparse.Namespace) -> None:
    from ._info import show_config

    if args.json:
        _write_json(show_config(mode="dicts"))
    else:
        show_config()


# ---- hotloop wordcount ----

def _count_path(path: str, errors: str, progress: Optional[bool]) -> Dict[str, int]:
    """word_count of one file ("-": stdin). Invalid UTF-8 follows `errors`, a codec error
    handler: "strict" raises EncodingError; the others decode the bytes with Python first."""
    try:
        return _count_source(path, errors, progress)
    except EncodingError as exc:
        raise UsageError("%s: %s (--errors replace counts it anyway)"
                         % ("stdin" if path == "-" else path, exc)) from None


def _count_source(path: str, errors: str, progress: Optional[bool]) -> Dict[str, int]:
    from ._text import word_count, word_count_file

    if path == "-":
        data = sys.stdin.buffer.read()
        text: Union[str, bytes] = data if errors == "strict" else data.decode("utf-8", errors)
        return word_count(text, progress=progress)
    if errors == "strict":
        return word_count_file(path, progress=progress)
    # Until word_count_file takes errors= (the text work): Python decodes, the engine counts.
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", errors)
    return word_count(text, progress=progress)


def _sum_counts(tables: Iterable[Dict[str, int]]) -> Dict[str, int]:
    """The tables added up; words keep the order of their first occurrence across the tables."""
    total: Dict[str, int] = {}
    for table in tables:
        for word, count in table.items():
            total[word] = total.get(word, 0) + count
    return total


def _wordcount(args: argparse.Namespace) -> None:
    try:
        codecs.lookup_error(args.errors)
    except LookupError:
        raise UsageError("--errors: unknown error handler %r (strict, replace, ignore, "
                         "surrogateescape, backslashreplace, ...)" % args.errors) from None
    if args.top is not None and args.top < 0:
        raise UsageError("--top must be >= 0, got %d" % args.top)
    progress = _progress()
    total = _sum_counts(_count_path(path, args.errors, progress) for path in args.paths)
    # Counter.most_common's order: by count, ties in order of first occurrence (sorted is stable).
    ranked = sorted(total.items(), key=operator.itemgetter(1), reverse=True)
    if args.top is not None:
        ranked = ranked[:args.top]
    if args.json:
        _write_json(dict(ranked))
    else:
        _write("".join("%s\t%d\n" % pair for pair in ranked))


# ---- hotloop stats ----

def _csv_column(path: str, column: Optional[str]) -> Tuple[str, "array.array[Any]"]:
    """(column name, its values): int64 when every cell is an integer, else float64."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        header = next(rows, None)
        if not header:
            raise UsageError("%s: empty CSV file" % path)
        if column is None:
            if len(header) != 1:
                raise UsageError("%s has %d columns (%s): choose one with --column"
                                 % (path, len(header), ", ".join(header)))
            column = header[0]
        if column not in header:
            raise UsageError("%s: no column %r (columns: %s)" % (path, column, ", ".join(header)))
        index = header.index(column)
        cells = [(rows.line_num, row[index].strip() if index < len(row) else "") for row in rows]
    return column, _numbers(path, column, cells)


def _numbers(path: str, column: str, cells: List[Tuple[int, str]]) -> "array.array[Any]":
    try:
        return array.array("q", [int(text) for _, text in cells])
    except (ValueError, OverflowError):
        pass
    values = array.array("d")
    for line, text in cells:
        try:
            values.append(float(text))
        except ValueError:
            raise UsageError("%s line %d: %r in column %r is not a number"
                             % (path, line, text, column)) from None
    return values


def _npy_array(path: str) -> Any:
    try:
        import numpy
    except ImportError:
        raise MissingDependencyError("reading .npy files needs NumPy") from None
    try:
        return numpy.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as exc:  # not an .npy file, or object arrays
        raise UsageError("%s: %s" % (path, exc)) from None


def _stats(args: argparse.Namespace) -> None:
    from ._arrays import compute_stats

    if args.file.endswith(".npy"):
        if args.column is not None:
            raise UsageError("--column applies to CSV files, not .npy arrays")
        name, data = os.path.basename(args.file), _npy_array(args.file)
    else:
        name, data = _csv_column(args.file, args.column)
    if len(data) == 0:
        raise UsageError("%s: no values in %s" % (args.file, name))
    result = compute_stats(data, progress=_progress())
    ordered = {key: result[key] for key in ("count", "mean", "std", "min", "max")}
    if args.json:
        _write_json({k: (v if not (isinstance(v, float) and math.isnan(v)) else None)
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
    """What the input carries that the output should keep: ICC profile, DPI, EXIF, palette
    transparency, and for JPEG the input's quantization tables and subsampling."""
    options = {key: image.info[key] for key in ("icc_profile", "dpi", "exif")
               if image.info.get(key) is not None}
    if "transparency" in image.info and result.mode == image.mode:
        options["transparency"] = image.info["transparency"]
    if fmt == "JPEG" and getattr(image, "quantization", None):
        from PIL import JpegImagePlugin

        options["qtables"] = image.quantization
        options["subsampling"] = JpegImagePlugin.get_sampling(image)
    return options


# Until the image functions take and return PIL images (the imaging work), PIL images go
# through NumPy here: L, RGB and RGBA as uint8 arrays, F as float32, 16- and 32-bit integer
# modes through float32 (rounded and clipped back), LA as L plus its alpha, every other mode
# through RGB(A) and back.
_INTEGER_LIMITS = {"I;16": (0, 65535), "I": (-2**31, 2**31 - 1)}


def _filter_pil(image: Any, op: str, params: Dict[str, Any], progress: Optional[bool]) -> Any:
    """The filtered image, in the input's mode (grayscale: its one-channel counterpart)."""
    import numpy
    from PIL import Image

    from ._imaging import process_image

    mode = image.mode
    if mode in ("L", "RGB", "RGBA", "F"):
        pixels = numpy.asarray(image, dtype=numpy.float32 if mode == "F" else numpy.uint8)
        filtered = process_image(pixels, op, progress=progress, **params)
        if op == "grayscale" and mode == "RGBA":
            return Image.merge("LA", (Image.fromarray(filtered, "L"), image.getchannel("A")))
        return Image.fromarray(filtered, mode if filtered.ndim == 3 or mode == "F" else "L")
    if mode in _INTEGER_LIMITS:
        low, high = _INTEGER_LIMITS[mode]
        pixels = numpy.asarray(image).astype(numpy.float32)
        levels = numpy.clip(numpy.rint(process_image(pixels, op, progress=progress, **params)),
                            low, high)
        return Image.fromarray(levels.astype(numpy.uint16 if mode == "I;16" else numpy.int32), mode)
    if mode == "LA":
        gray = _filter_pil(image.getchannel("L"), op, params, progress)
        return Image.merge("LA", (gray, image.getchannel("A")))
    alpha = mode in ("PA", "RGBa", "La") or "transparency" in image.info
    result = _filter_pil(image.convert("RGBA" if alpha else "RGB"), op, params, progress)
    if op == "grayscale":
        return result
    if mode == "P":
        none = getattr(Image, "Dither", Image).NONE
        return result.convert("RGB").quantize(palette=image, dither=none)
    return result.convert(mode)


def _image(args: argparse.Namespace) -> None:
    try:
        from PIL import Image
    except ImportError:
        raise MissingDependencyError("hotloop image needs Pillow (Debian: apt-get install "
                                     "python3-pil; or pip install pillow)") from None
    params = _image_params(args)
    op = "grayscale" if args.op == "gray" else args.op
    with Image.open(args.input) as image:
        if getattr(image, "n_frames", 1) > 1:
            raise UsageError("%s has %d frames: only single images are supported"
                             % (args.input, image.n_frames))
        image.load()
        fmt = _output_format(image, args.output)
        result = _filter_pil(image, op, params, _progress())
        options = _save_options(image, result, fmt)
    temporary = "%s.tmp-%d" % (args.output, os.getpid())
    try:
        result.save(temporary, format=fmt, **options)
        os.replace(temporary, args.output)  # a failed or interrupted write leaves OUT as it was
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
        description="One word<TAB>count line per word of the files (UTF-8, lowercased, split on "
                    "whitespace as str.split does), most common first, ties in order of first "
                    "occurrence; several files are summed; '-' reads stdin.")
    words.add_argument("paths", nargs="+", metavar="PATH")
    words.add_argument("--top", type=int, metavar="K", help="only the K most common words")
    words.add_argument("--json", action="store_true", help="print a JSON object word: count")
    words.add_argument("--errors", default="strict", metavar="HANDLER",
                       help="what to do with invalid UTF-8: strict (the default: fail), "
                            "replace, ignore, surrogateescape, ... (Python's error handlers)")
    words.set_defaults(run=_wordcount)

    stats = commands.add_parser(
        "stats", help="count, mean, std, min and max of a CSV column or a .npy array",
        description="compute_stats of a column of a CSV file (with a header row) or of every "
                    "element of a .npy array: count, mean, sample standard deviation (ddof=1), "
                    "min and max.")
    stats.add_argument("file", metavar="FILE")
    stats.add_argument("--column", metavar="NAME", help="the CSV column (needed when there are "
                                                        "several)")
    stats.add_argument("--json", action="store_true", help="print a JSON object")
    stats.set_defaults(run=_stats)

    image = commands.add_parser(
        "image", help="filter an image file (Pillow)",
        description="Filter IN into OUT, in IN's mode and format. OP: blur (--sigma), box_blur "
                    "(--radius), edges, sharpen (--sigma, --amount), grayscale or gray.")
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
    """Runs the command line `argv` (default: sys.argv[1:]); returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.error("a command is required: info, wordcount, stats or image")
    try:
        args.run(args)
        sys.stdout.flush()
    except KeyboardInterrupt:
        print("hotloop %s: interrupted" % args.command, file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `hotloop wordcount ... | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except (UsageError, HotloopError, OSError, ValueError, csv.Error) as exc:
        print("hotloop %s: error: %s" % (args.command, _describe(exc)), file=sys.stderr)
        return EXIT_USAGE
    return 0
