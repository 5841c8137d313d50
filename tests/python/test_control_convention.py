"""Every C entry point that takes an hl_control must run its body through guard(ctl, ...): that
is what records the outcome in the control, so that hl_control_wait() returns for it. This reads
capi/src/*.cpp and names any entry point that uses plain guard() instead."""
import glob
import os
import re

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "capi", "src")
ENTRY = re.compile(r"HL_API\s+hl_status\s+(hl_\w+)\s*\(([^)]*)\)\s*\{")


def entry_points_taking_a_control():
    for path in sorted(glob.glob(os.path.join(SRC, "*.cpp"))):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        matches = list(ENTRY.finditer(text))
        for match, following in zip(matches, matches[1:] + [None]):
            params = match.group(2)
            if re.search(r"hl_control\s*\*\s*ctl\b", params) and not match.group(1).startswith("hl_control_"):
                body = text[match.end():following.start() if following else len(text)]
                yield os.path.basename(path), match.group(1), body


def test_heavy_entry_points_record_their_outcome_in_the_control():
    found = list(entry_points_taking_a_control())
    assert len(found) >= 8  # sums, filter, processor calls, sleep
    offenders = ["%s: %s" % (path, name) for path, name, body in found if "guard(ctl," not in body]
    assert not offenders, (
        "use `return guard(ctl, [&] { ... });` in these (see docs/architecture.md): %s" % offenders
    )
