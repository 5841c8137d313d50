"""CONTRIBUTING.md's layout table, walks and steps name real files and real functions: every
path in backquotes exists, and every name in backquotes occurs in one of the files its section
cites (so a rename that leaves the walk behind fails here)."""
import glob
import os
import re

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
CHECKED = ("## The layout of the house", "## Walk 1", "## Walk 2", "## Adding a function")
# Placeholders of the "adding a function" recipe, and Python builtins / syntax named in passing.
PLACEHOLDERS = {"f", "hl_f", "x", "s", "str", "dict", "memoryview", "encode", "top", "progress",
                "KeyboardInterrupt", "twin", "__all__", "asyncio", "hotloop"}
PATH = re.compile(r"^[\w.*/-]+\.(py|cpp|hpp|h|md|sh|map|ini|typed)$|^[\w.-]+(/[\w.*-]+)+/?$")
NAME = re.compile(r"^[A-Za-z_]\w*(?:(?:::|\.)[A-Za-z_]\w*)*(?:\(\))?=?$")


def sections(text):
    parts = re.split(r"^(?=## )", text, flags=re.M)
    return {part.splitlines()[0]: part for part in parts if part.startswith("## ")}


def cited(text):
    return re.findall(r"`([^`\n]+)`", text)


def problems(text, root):
    found = []
    for title, body in sections(text).items():
        if not title.startswith(CHECKED):
            continue
        files = []
        for token in cited(body):
            if "<" in token or not PATH.match(token):
                continue
            matches = glob.glob(os.path.join(root, token))
            if not matches:
                found.append("%s: no file %s" % (title, token))
            files += [m for m in matches if os.path.isfile(m)]
        corpus = ""
        for name in files:
            with open(name, encoding="utf-8", errors="replace") as f:
                corpus += f.read()
        for token in cited(body):
            if PATH.match(token) or not NAME.match(token):
                continue
            for part in re.split(r"::|\.", token.rstrip("=").replace("()", "")):
                if part not in PLACEHOLDERS and not re.search(r"\b%s\b" % re.escape(part), corpus):
                    found.append("%s: %r is in none of the files the section cites" % (title, part))
    return found


def test_every_cited_file_and_name_exists():
    with open(os.path.join(ROOT, "CONTRIBUTING.md"), encoding="utf-8") as f:
        text = f.read()
    assert all(any(t.startswith(c) for t in sections(text)) for c in CHECKED)
    assert problems(text, ROOT) == []


def test_a_stale_name_is_caught():
    text = ("## Walk 1: x\n\n1. `pywrapper/hotloop/_text.py` has `word_count` and `_run_text`, "
            "and `no_such_function` in `core/src/no_such_file.cpp`.\n")
    assert problems(text, ROOT) == [
        "## Walk 1: x: no file core/src/no_such_file.cpp",
        "## Walk 1: x: 'no_such_function' is in none of the files the section cites"]
