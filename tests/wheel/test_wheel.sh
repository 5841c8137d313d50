#!/bin/sh
# Checks dist/hotloop-<version>-py3-none-manylinux_*.whl (scripts/repair_wheel.py --check), then
# installs it into fresh venvs outside the source tree -- Debian's CPython and PyPy -- and runs
# the smoke tests there, from a folder that is not the repository and with no PYTHONPATH, so only
# the installed copy can be imported; coexist.py runs it next to the system's TBB and OpenBLAS.
# The venvs use --system-site-packages for cffi (and NumPy on CPython): PyPI is not reachable,
# so pip installs the wheel alone (--no-index --no-deps).
# Usage: tests/wheel/test_wheel.sh [PYTHON...]   (default: /usr/bin/python3 pypy3)
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
version=$("${PYTHON:-/usr/bin/python3}" "$here/scripts/hotloop_version.py")
wheel=$(ls "$here"/dist/hotloop-"$version"-py3-none-manylinux_*.whl 2>/dev/null | head -n 1)
[ -n "$wheel" ] || { echo "no manylinux wheel for $version in dist/: run make wheel"; exit 1; }
echo "== $(basename "$wheel"): NEEDED entries, RUNPATHs and tag"
"${PYTHON:-/usr/bin/python3}" "$here/scripts/repair_wheel.py" --check "$wheel"
# Reproducible: the repair step (strip, patchelf, bundling, the archive) run again on the same
# input, in another folder and later, gives the same bytes. The compile step's part is checked in
# full by `make test-reproducible` (a second build from the sdist: minutes on two cores, too slow
# here); here only that no build folder reaches the wheel's files (the library's paths).
echo "== $(basename "$wheel"): reproducible"
PYTHON="${PYTHON:-/usr/bin/python3}" "$here/scripts/build_dist.sh" --check-reproducible
"${PYTHON:-/usr/bin/python3}" - "$wheel" <<'PY'
import re, sys, zipfile
archive = zipfile.ZipFile(sys.argv[1])
named = [n for n in archive.namelist() if re.search(rb"/tmp/hotloop-(dist|build)", archive.read(n))]
if named:
    sys.exit("a build folder (/tmp/hotloop-dist.*, /tmp/hotloop-build-*) is named in %s"
             % ", ".join(named))
PY
[ $# -gt 0 ] || set -- /usr/bin/python3 pypy3
work=$(mktemp -d /tmp/hotloop-wheel-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$here/tests/python/smoke_no_numpy.py" "$here/tests/wheel/smoke_installed.py" \
   "$here/tests/wheel/coexist.py" "$work/"
unset PYTHONPATH HOTLOOP_LIBRARY
for python in "$@"; do
  name=$(basename "$python")
  echo "== $name: venv + pip install $(basename "$wheel")"
  "$python" -m venv --system-site-packages "$work/venv-$name"
  "$work/venv-$name/bin/python" -m pip install --quiet --no-index --no-deps "$wheel"
  (cd "$work" && "$work/venv-$name/bin/python" -I smoke_installed.py \
              && "$work/venv-$name/bin/python" -I smoke_no_numpy.py)
  # The console script and python -m both run the installed CLI.
  (cd "$work" && "$work/venv-$name/bin/hotloop" info >/dev/null \
              && "$work/venv-$name/bin/python" -I -m hotloop --version)
  # Next to the system's TBB and NumPy's (system) OpenBLAS in one process (CPython has NumPy).
  if "$work/venv-$name/bin/python" -c "import numpy" 2>/dev/null; then
    (cd "$work" && "$work/venv-$name/bin/python" -I coexist.py)
  fi
done
echo "wheel test: all passed"
