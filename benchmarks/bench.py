"""make bench: times every case in benchmarks/cases against its peers and writes the results.

Prints one block per case (median, spread, speedup, goal, memory) and writes
benchmarks/results/latest.md (table + machine + library versions), latest.json (the same data)
and speedups.png (a bar chart of the speedups). `--quick` runs the reduced set (`Case.quick`)
with fewer repeats. The exit status is 1 when a result differs from a peer's (goals missed are
reported, not fatal: timings on a shared 2-core machine are noisy).
"""
import argparse
import importlib
import json
import os
import pkgutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from harness import Result, measure_memory, probe, run_case  # noqa: E402


def load_cases(quick, only=""):
    """[(module name, Case)] of every case module, in name order; problems importing a module are
    returned as (module name, exception) in the second list."""
    import cases as package

    found, broken = [], []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        try:
            module = importlib.import_module("cases." + info.name)
            module_cases = module.cases()
        except Exception as exc:  # one broken module must not hide the others' results
            broken.append((info.name, exc))
            continue
        for case in module_cases:
            if (case.quick or not quick) and (not only or only in case.group):
                found.append((info.name, case))
    return found, broken


def finish_module(module_name):
    """Calls the case module's finish() after its last case, if it has one: what a module started
    for its cases (dask's LocalCluster: a scheduler and two worker processes) must not keep
    running beside the next groups' timings."""
    finish = getattr(importlib.import_module("cases." + module_name), "finish", None)
    if finish is not None:
        finish()


def memory_probe_main(spec):
    """`bench.py --memory-probe '["module", "case name", "label"]'`: prints the Memory as JSON."""
    module_name, case_name, label = json.loads(spec)
    module = importlib.import_module("cases." + module_name)
    case = next(c for c in module.cases() if c.name == case_name)
    fn = case.hotloop if label == "hotloop" else case.peers[label]
    memory = probe(fn, case.setup())
    print(json.dumps({"rss": memory.rss, "traced": memory.traced}))


def _mb(memory):
    return "%.1f MB (py %.1f)" % (memory.rss / 1e6, memory.traced / 1e6) if memory else "-"


def print_result(result):
    case, ours = result.case, result.ours
    print("%-10s %-52s hotloop %s  +-%3.0f%%  mem %s" % (
        case.group, case.name, _fmt_time(ours.median), ours.spread * 100,
        _mb(result.memory.get("hotloop"))))
    for label, t in result.peers.items():
        goal = ""
        if label == case.goal_peer and case.goal:
            met = result.speedup(label) >= case.goal
            goal = "  goal >= %.2fx: %s" % (case.goal, "met" if met else "MISSED")
        print("%-10s   vs %-47s %s  +-%3.0f%%  speedup %6.2fx%s  mem %s" % (
            "", label, _fmt_time(t.median), t.spread * 100, result.speedup(label), goal,
            _mb(result.memory.get(label))))
    if case.limit is not None:
        print("%-10s   goal: hotloop <= %s: %s" % (
            "", _fmt_time(case.limit), "met" if ours.median <= case.limit else "MISSED"))
    for problem in result.problems:
        print("%-10s   PROBLEM: %s" % ("", problem))
    sys.stdout.flush()


def _fmt_time(seconds):
    if seconds < 1e-6:
        return "%7.0f ns" % (seconds * 1e9)
    if seconds < 1e-3:
        return "%7.2f us" % (seconds * 1e6)
    return "%7.2f ms" % (seconds * 1e3)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the reduced set, 3 repeats")
    parser.add_argument("--only", default="", help="run the groups whose name contains this")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory probes")
    parser.add_argument("--output", default=None,
                        help="folder for latest.md, latest.json and speedups.png (default: "
                             "benchmarks/results, or benchmarks/results/only with --only, so a "
                             "partial run never replaces the published results)")
    parser.add_argument("--memory-probe", metavar="JSON", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.output is None:
        args.output = os.path.join(HERE, "results", "only" if args.only else "")
    if args.memory_probe:
        memory_probe_main(args.memory_probe)
        return 0

    started = time.time()
    load_at_start = os.getloadavg()[0]
    selected, broken = load_cases(args.quick, args.only)
    results = []
    for index, (module_name, case) in enumerate(selected):
        ours, peers, problems = run_case(case, repeat=3 if args.quick else None)
        result = Result(case, ours, peers, problems)
        if case.memory and not args.no_memory:
            for label in ["hotloop"] + list(case.peers):
                memory = measure_memory(module_name, case, label)
                if memory is not None:
                    result.memory[label] = memory
        print_result(result)
        results.append(result)
        if index + 1 == len(selected) or selected[index + 1][0] != module_name:
            finish_module(module_name)
    for module_name, exc in broken:
        print("PROBLEM: benchmarks/cases/%s.py failed to load: %r" % (module_name, exc))

    import report

    os.makedirs(args.output, exist_ok=True)
    paths = report.write_all(results, broken, args.output, quick=args.quick,
                             memory=not args.no_memory, seconds=time.time() - started,
                             load_at_start=load_at_start)
    print("wrote " + ", ".join(os.path.relpath(p) for p in paths))
    failed = broken or any(r.problems for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
