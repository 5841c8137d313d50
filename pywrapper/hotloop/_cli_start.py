"""Ctrl-C while the `hotloop` command starts and ends, outside what _cli.main() catches.

Both ways in import the whole package before _cli.main() runs: the console script
(`from hotloop._cli import main`, setup.py's entry point) and `python -m hotloop` (runpy imports
the package, then runs __main__.py). That is ~0.1 s of cffi, the library, TBB and OpenBLAS, then
argparse and the parser, where a Ctrl-C used to end in a KeyboardInterrupt traceback. So the
package's first statement calls install(): when this process is the command, Ctrl-C from then on
prints one line and exits with status 130 (SystemExit: the imports under way unwind, nothing is
printed). main() lets Ctrl-C raise KeyboardInterrupt only around the command's work
(keyboard_interrupts()), which the library's long calls need to cancel the engine, and reports
it with the same status. A program that merely imports hotloop is left alone.

Before the package's first statement the interpreter's handling stays: Python's own start-up
(site), the console script's `import re` and the search for the package, 10-20 ms on a loaded
machine without bytecode caches; a Ctrl-C there is Python's KeyboardInterrupt traceback, as for
any Python program. So this module imports nothing but what site has imported already (os,
sys, contextlib) and signal before install() runs.
"""
import contextlib
import os
import signal
import sys

# Not typing: its import (10 ms and more, with re) would come before install(), and a Ctrl-C
# then is a traceback. The annotations are strings, for mypy.
TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Iterator, List, Optional

EXIT_INTERRUPTED = 128 + signal.SIGINT
EXIT_USAGE = 2  # bad arguments, unreadable or malformed input (argparse's status too)
COMMAND = "hotloop"


_interrupted = False  # interrupted() ran: the command must end with status 130
_ended = False  # main() has returned (or exited): the interpreter is ending


def interrupted(signum: int, frame: "Any") -> None:
    """The SIGINT handler of the command outside its work: one line, exit status 130."""
    global _interrupted
    _interrupted = True
    try:
        sys.stderr.write("%s: interrupted\n" % COMMAND)
        sys.stderr.flush()
    except (AttributeError, OSError, ValueError):  # stderr closed (None) or gone
        pass
    if _ended:
        # Once main() has ended, the handler may run inside the interpreter's own exit
        # (threading's shutdown, an atexit callback), which drops a SystemExit silently: the
        # command said "interrupted" and exited with main()'s status, 0. Its output is written
        # and flushed by then, so ending the process here loses nothing.
        os._exit(EXIT_INTERRUPTED)
    raise SystemExit(EXIT_INTERRUPTED)


def exit_if_interrupted() -> None:
    """Raises SystemExit(130) if interrupted() ran before. main() calls it when it starts: the
    SystemExit that interrupted() raised can be lost on the way, in code that swallows it (an
    import hook's or a library's `except BaseException`; CPython itself, now and then, while it
    compiles a module being imported), and the command then ran to the end with status 0 after
    saying "interrupted"."""
    if _interrupted:
        raise SystemExit(EXIT_INTERRUPTED)


def ended() -> None:
    """main() calls this when it returns or exits: a Ctrl-C from then on ends the process
    with status 130 at once (interrupted())."""
    global _ended
    _ended = True
    exit_if_interrupted()


def install() -> None:
    """Ctrl-C exits quietly with status 130 from now on, if this process is the command and
    Ctrl-C is Python's KeyboardInterrupt (an ignored SIGINT, as in a background job, stays
    ignored)."""
    if is_command() and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        try:
            signal.signal(signal.SIGINT, interrupted)
        except ValueError:  # not the main thread: no signal handler can be set here
            pass


def cannot_start(error: BaseException) -> None:
    """When this process is the command and the package cannot start (its library does not
    load), one line and exit status 2, as for the command's other errors: `hotloop info`, the
    command one runs to see what is wrong, ended in a traceback of the imports and status 1. A
    program that imports hotloop gets the exception."""
    if not is_command():
        return
    message = str(error)
    if message.startswith(COMMAND + ": "):  # the library's messages name the package already
        message = message[len(COMMAND) + 2:]
    try:
        sys.stderr.write("%s: error: %s\n" % (COMMAND, message))
        sys.stderr.flush()
    except (AttributeError, OSError, ValueError):  # stderr closed (None) or gone
        pass
    raise SystemExit(EXIT_USAGE)


@contextlib.contextmanager
def keyboard_interrupts() -> "Iterator[None]":
    """Ctrl-C raises KeyboardInterrupt inside (the library cancels the engine on it), and exits
    quietly again after. Nothing changes where install() did not install the handler (main()
    called from Python)."""
    if signal.getsignal(signal.SIGINT) is not interrupted:
        yield
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, interrupted)


def is_command() -> bool:
    """True when this process runs the command: the console script, or `python -m hotloop`."""
    argv = getattr(sys, "argv", None)
    if not argv:  # embedded interpreters may have none
        return False
    if argv[0] == "-m":
        return _module_run() == COMMAND
    path = getattr(sys.modules.get("__main__"), "__file__", None)
    return path == argv[0] and os.path.basename(path) == COMMAND


def _module_run() -> "Optional[str]":
    """The module `python -m` runs, while runpy imports its package. Then sys.argv is ["-m",
    ARGS...] (documented with the -m option), and the item before ARGS in the interpreter's own
    command line names the module: `-m hotloop`, or joined to the options (`-mhotloop`,
    `-Imhotloop`)."""
    line = _interpreter_command_line()
    count = len(sys.argv)
    if line is None or len(line) < count + 1:
        return None
    name, before = line[-count], line[-count - 1]
    if before[:1] == "-" and before[1:2] != "-" and before.endswith("m"):
        return name
    if name[:1] == "-" and name[1:2] != "-" and "m" in name:
        return name.partition("m")[2]
    return None


def _interpreter_command_line() -> "Optional[List[str]]":
    """sys.orig_argv (Python 3.10+), else the kernel's copy (PyPy 3.9, CPython 3.8 and 3.9)."""
    line = getattr(sys, "orig_argv", None)
    if line is not None:
        return list(line)
    try:
        with open("/proc/self/cmdline", "rb") as f:
            return [os.fsdecode(item) for item in f.read().split(b"\0")[:-1]]
    except OSError:
        return None
