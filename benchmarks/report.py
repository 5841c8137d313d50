"""Writes a benchmark run to benchmarks/results/: latest.md, latest.json and speedups.png.

latest.md holds the machine (CPU model, core count), the library versions the run used, one
table row per (case, peer) pair, and the notes of each case. speedups.png is a horizontal bar
chart of the speedups on a log scale (matplotlib, Agg backend: no display needed).
"""
import ctypes
import datetime
import json
import os
import platform
import sys

METHOD = (
    "Times: median of the timed runs after one warm-up call (7 runs; 3 with `--quick`), "
    "the contenders' runs interleaved round by round; "
    "spread = (max - min) / median. Speedup = peer median / hotloop median (> 1: hotloop is "
    "faster). Memory: each contender runs once more in a fresh interpreter of its own; "
    "**peak** is the rise of the resident-set high-water mark during one call (Linux "
    "`/proc/self/clear_refs` reset, then `VmHWM` - `VmRSS` before the call; native and Python "
    "memory alike, with glibc's mmap threshold fixed at 128 KiB so freed memory is returned "
    "rather than recycled), **py** the tracemalloc peak of another call (allocations made "
    "through Python's allocators, NumPy data included; hotloop's C++ allocations are invisible "
    "to it). The input built by setup() is not counted."
)


# ---- the machine and the libraries ----

def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _module_version(name, attr="__version__"):
    try:
        module = __import__(name)
        return str(getattr(module, attr))
    except Exception:
        return "not installed"


def _mapped_libraries(fragment):
    """Paths of the shared libraries this process has mapped whose file name holds fragment."""
    found = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1]
                if fragment in os.path.basename(path) and path not in found:
                    found.append(path)
    except OSError:
        pass
    return found


def _library_string(names, function):
    """The string that `function` (no arguments, returns char*) returns in the first of the
    libraries `names` that loads and has it; "not found" otherwise."""
    for name in names:
        try:
            getter = getattr(ctypes.CDLL(name), function)
            getter.restype = ctypes.c_char_p
            return getter().decode()
        except (OSError, AttributeError):
            continue
    return "not found"


def openblas_version():
    return _library_string(["libopenblas.so.0"] + _mapped_libraries("openblas"),
                           "openblas_get_config")


def tbb_version():
    return _library_string(["libtbb.so.12"] + _mapped_libraries("libtbb"), "TBB_runtime_version")


def load_average():
    """The 1-minute load average: how busy the machine was (2 cores: above ~1, other work
    competes with the benchmark and the parallel figures suffer most)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def environment(load_at_start=None):
    """{label: value}: the machine and every library version the comparison depends on."""
    import hotloop

    info = {
        "CPU": cpu_model(),
        "Cores": "%d logical (%d usable by this process)" % (
            os.cpu_count() or 0, len(os.sched_getaffinity(0))),
        "OS": "%s %s" % (platform.system(), platform.release()),
        "Python": "%s %s (%s)" % (platform.python_implementation(), platform.python_version(),
                                  sys.executable),
        "hotloop": "%s (%d threads; %s)" % (hotloop.__version__, hotloop.get_num_threads(),
                                            hotloop._loader.library_path()),
        "NumPy": _module_version("numpy"),
        "SciPy": _module_version("scipy"),
        "OpenCV": _module_version("cv2"),
        "Pillow": _module_version("PIL"),
        "Numba": _module_version("numba"),
        "OpenBLAS": openblas_version(),
        "TBB": tbb_version(),
        "BLAS NumPy loaded": ", ".join(_mapped_libraries("blas")) or "none",
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
        "Load average (1 min)": "%.2f at the start, %.2f at the end of the run" % (
            load_at_start if load_at_start is not None else float("nan"), load_average()),
    }
    return info


# ---- formatting ----

def _time(seconds):
    if seconds < 1e-6:
        return "%.0f ns" % (seconds * 1e9)
    if seconds < 1e-3:
        return "%.2f µs" % (seconds * 1e6)
    if seconds < 1:
        return "%.2f ms" % (seconds * 1e3)
    return "%.2f s" % seconds


def _timing(t):
    return "%s ±%.0f%%" % (_time(t.median), t.spread * 100)


def _memory(memory):
    if memory is None:
        return "–"
    return "%.1f MB (py %.1f)" % (memory.rss / 1e6, memory.traced / 1e6)


def _goal_text(result, label):
    case = result.case
    texts = []
    if label == case.goal_peer and case.goal:
        texts.append("≥ %.2gx" % case.goal)
    if case.limit is not None and label == _first_peer(result):
        texts.append("hotloop ≤ %s" % _time(case.limit))
    return ", ".join(texts)


def _first_peer(result):
    return next(iter(result.peers), None)


def _verdict(result, label):
    case = result.case
    if label == case.goal_peer and case.goal or (case.limit is not None and label == _first_peer(result)):
        return "met" if result.goal_met() else "**MISSED**"
    return ""


def rows(results):
    """One dict per (case, peer) pair, for the table and the JSON."""
    out = []
    for r in results:
        for label, t in r.peers.items():
            out.append({
                "group": r.case.group, "case": r.case.name, "peer": label,
                "hotloop_s": r.ours.median, "hotloop_spread": r.ours.spread,
                "peer_s": t.median, "peer_spread": t.spread, "speedup": r.speedup(label),
                "goal": _goal_text(r, label), "verdict": _verdict(r, label).strip("*"),
                "hotloop_mem": _mem_dict(r.memory.get("hotloop")),
                "peer_mem": _mem_dict(r.memory.get(label)),
                "problems": r.problems,
            })
    return out


def _mem_dict(memory):
    return None if memory is None else {"rss": memory.rss, "traced": memory.traced}


def markdown(results, broken, env, quick, memory, seconds):
    lines = [
        "# hotloop benchmarks",
        "",
        "%s run of `benchmarks/bench.py`%s, %s UTC, %.0f s. These figures come from a %s-core "
        "machine shared with other work: expect a few percent of noise." % (
            "Quick (`make bench-quick`)" if quick else "Full (`make bench`)",
            "" if memory else " without memory probes",
            datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"), seconds,
            os.cpu_count()),
        "",
        "| | |", "|---|---|",
    ]
    lines += ["| %s | %s |" % (k, str(v).replace("|", "/")) for k, v in env.items()]
    lines += [
        "",
        "| group | case | vs | hotloop | peer | speedup | goal | | hotloop peak mem | peer peak mem |",
        "|---|---|---|---:|---:|---:|---|---|---:|---:|",
    ]
    for r in results:
        first = True
        for label, t in r.peers.items():
            lines.append("| %s | %s | %s | %s | %s | %.2fx | %s | %s | %s | %s |" % (
                r.case.group if first else "", r.case.name if first else "", label,
                _timing(r.ours) if first else "″", _timing(t), r.speedup(label),
                _goal_text(r, label), _verdict(r, label),
                _memory(r.memory.get("hotloop")) if first else "″", _memory(r.memory.get(label))))
            first = False
        if first:  # no peer: hotloop's own figures, and its absolute goal if it has one
            limit = "hotloop ≤ %s" % _time(r.case.limit) if r.case.limit is not None else ""
            verdict = ("met" if r.goal_met() else "**MISSED**") if limit else ""
            lines.append("| %s | %s | – | %s | – | – | %s | %s | %s | – |" % (
                r.case.group, r.case.name, _timing(r.ours), limit, verdict,
                _memory(r.memory.get("hotloop"))))
    problems = [(r.case.name, p) for r in results for p in r.problems]
    problems += [("benchmarks/cases/%s.py" % name, "failed to load: %r" % exc) for name, exc in broken]
    if problems:
        lines += ["", "## Problems", ""] + ["- %s: %s" % p for p in problems]
    notes = [r for r in results if r.case.note]
    if notes:
        lines += ["", "## Notes", ""] + ["- **%s**: %s" % (r.case.name, r.case.note) for r in notes]
    lines += ["", "## Method", "", METHOD, "", "![speedups](speedups.png)", ""]
    return "\n".join(lines)


def chart(results, path):
    """A horizontal bar per (case, peer): the speedup on a log axis, a tick at the goal."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bars = []  # (label, speedup, colour, goal or None)
    for r in results:
        for label, _ in r.peers.items():
            goal = r.case.goal if label == r.case.goal_peer else None
            colour = "#4c72b0"  # no speedup goal against this peer
            if goal:
                met = r.speedup(label) >= goal
                colour = "#55a868" if met else "#c44e52"
            text = "%s\nvs %s" % (r.case.name, label)
            if r.case.limit is not None and label == _first_peer(r):
                text += " (hotloop %s, goal ≤ %s)" % (_time(r.ours.median), _time(r.case.limit))
            bars.append((text, r.speedup(label), colour, goal))
    fig, ax = plt.subplots(figsize=(11, 0.55 * max(len(bars), 1) + 1.6))
    if bars:
        labels, values, colours, goals = zip(*bars)
        ys = list(range(len(bars)))[::-1]
        ax.barh(ys, values, color=colours, height=0.7)
        ax.set_yticks(ys)
        ax.set_yticklabels(labels, fontsize=7)
        for y, value, goal in zip(ys, values, goals):
            ax.text(value * 1.05, y, "%.2fx" % value, va="center", fontsize=7)
            if goal:
                ax.plot([goal, goal], [y - 0.4, y + 0.4], color="black", linewidth=1.5)
        ax.set_xscale("log")
        ax.set_xlim(min(min(values), 0.5) / 1.5, max(max(values), 2) * 2.5)
    ax.axvline(1.0, color="grey", linestyle="--", linewidth=1)
    ax.set_xlabel("speedup of hotloop (peer time / hotloop time, log scale; > 1 = hotloop faster)")
    ax.set_title("hotloop speedups on %s (%d cores)\ngreen: goal met, red: goal missed, "
                 "blue: no speedup goal against this peer; black tick: the goal" % (cpu_model(), os.cpu_count()),
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_all(results, broken, folder, quick, memory, seconds, load_at_start=None):
    env = environment(load_at_start)
    md_path = os.path.join(folder, "latest.md")
    json_path = os.path.join(folder, "latest.json")
    png_path = os.path.join(folder, "speedups.png")
    for path, text in ((md_path, markdown(results, broken, env, quick, memory, seconds)),
                       (json_path, json.dumps({"quick": quick, "environment": env,
                                               "rows": rows(results)}, indent=1))):
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(path + ".tmp", path)
    chart(results, png_path + ".tmp.png")
    os.replace(png_path + ".tmp.png", png_path)
    return [md_path, json_path, png_path]
