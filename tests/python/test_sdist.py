"""The sdist holds the whole source tree (build outputs aside): `make sdist` packs what
MANIFEST.in names, and a packager builds and tests from that alone."""
import fnmatch
import glob
import os
import shutil
import subprocess
import sys
import tarfile

import hotloop

ROOT = os.path.abspath(os.path.join(os.path.dirname(hotloop.__file__), "..", ".."))
# setuptools adds these itself, or writes them into the sdist.
AUTOMATIC = {"setup.py", "pyproject.toml", "MANIFEST.in", "PKG-INFO", "setup.cfg"}
# Build outputs and files of git, the CI and editors (never shipped).
NOT_SOURCE = ["build", "build-*", "dist", "*.egg-info", ".*", "__pycache__"]


def manifest_names():
    """The top-level files and folders MANIFEST.in's include and graft lines name."""
    names = set()
    with open(os.path.join(ROOT, "MANIFEST.in"), encoding="utf-8") as f:
        for line in f:
            words = line.split()
            if words and words[0] in ("include", "graft"):
                names.update(word.split("/")[0] for word in words[1:])
    return names


def test_the_sdist_holds_every_top_level_source():
    # CONTRIBUTING.md (which README.md links to, and test_contributing.py reads) and fuzz/
    # (`make fuzz`, `make test-fuzz`, HOTLOOP_FUZZ=ON) were left out: from the sdist,
    # test_contributing failed and the fuzz targets could not be built.
    sources = [name for name in os.listdir(ROOT)
               if not any(fnmatch.fnmatch(name, pattern) for pattern in NOT_SOURCE)]
    missing = sorted(set(sources) - manifest_names() - AUTOMATIC)
    assert not missing, "MANIFEST.in leaves out %s" % ", ".join(missing)


def test_make_sdist_works_outside_a_git_checkout(tmp_path):
    # From an unpacked sdist (or any copy without .git), `git ls-files` failed inside a pipe
    # whose status was tar's: an empty archive, then "can't open file .../setup.py".
    source = tmp_path / "hotloop-src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        "build", "build-*", "dist", ".git", "*.egg-info", "__pycache__", "*.so"))
    sdist_path = build_sdist(source, dict(os.environ, PYTHON=sys.executable,
                                          GIT_CEILING_DIRECTORIES=str(tmp_path)))
    with tarfile.open(sdist_path) as sdist:
        names = sdist.getnames()
    assert any(name.endswith("/setup.py") for name in names)
    assert any(name.endswith("/CMakeLists.txt") for name in names)


def build_sdist(source, env):
    out = subprocess.run(["sh", str(source / "scripts" / "build_dist.sh")], capture_output=True,
                         text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    return glob.glob(str(source / "dist" / "hotloop-*.tar.gz"))[0]


def test_the_same_sources_give_the_same_sdist(tmp_path):
    # setuptools dated each member with its file's time, the gzip header with the clock, and took
    # modes from the umask: two builds a minute apart differed. Two copies of the tree, one with
    # newer files and group-writable modes, built at different times: the same bytes.
    env = dict(os.environ, PYTHON=sys.executable, GIT_CEILING_DIRECTORIES=str(tmp_path),
               SOURCE_DATE_EPOCH="1700000000")
    sdists = []
    for name in ("a", "b"):
        source = tmp_path / name / "hotloop-src"
        shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
            "build", "build-*", "dist", ".git", "*.egg-info", "__pycache__", "*.so"))
        if name == "b":
            for path in source.rglob("*"):
                os.utime(path, (2_000_000_000, 2_000_000_000))
                path.chmod(path.stat().st_mode | 0o020)
        sdists.append(build_sdist(source, env))
    with open(sdists[0], "rb") as a, open(sdists[1], "rb") as b:
        assert a.read() == b.read()
    with tarfile.open(sdists[0]) as sdist:
        members = sdist.getmembers()
    assert [m.name for m in members] == sorted(m.name for m in members)
    assert {m.mtime for m in members} == {1700000000}
    assert {m.mode for m in members} <= {0o644, 0o755}
    assert any(m.name.endswith("/scripts/build_dist.sh") and m.mode == 0o755 for m in members)
