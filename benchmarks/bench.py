"""make bench: times every case in benchmarks/cases against its peers and prints the ratios."""
import argparse
import importlib
import os
import pkgutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import run_case  # noqa: E402


def load_cases(quick):
    import cases as package

    found = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module("cases." + info.name)
        found.extend(c for c in module.cases() if c.quick or not quick)
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the reduced set")
    parser.add_argument("--only", default="", help="run the groups whose name contains this")
    args = parser.parse_args()
    failures = 0
    for case in load_cases(args.quick):
        if args.only and args.only not in case.group:
            continue
        ours, peers, problems = run_case(case, repeat=3 if args.quick else None)
        print("%-10s %-52s hotloop %9.3f ms" % (case.group, case.name, ours.median * 1e3))
        for label, t in peers.items():
            ratio = t.median / ours.median if ours.median else float("inf")
            goal = ""
            if label == case.goal_peer and case.goal:
                ok = ratio >= case.goal
                goal = "  goal >= %.2fx: %s" % (case.goal, "met" if ok else "MISSED")
            print("%-10s   vs %-47s %9.3f ms  speedup %6.2fx%s" % ("", label, t.median * 1e3, ratio, goal))
        for problem in problems:
            failures += 1
            print("%-10s   PROBLEM: %s" % ("", problem))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
