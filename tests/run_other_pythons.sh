#!/bin/sh
# Runs tests/python/smoke_no_numpy.py under every other Python found: pypy3, and the python3 on
# PATH when it is not the build interpreter (e.g. a pyenv CPython without NumPy). These prove
# that the package needs no compiler-bound ABI and no NumPy. pypy3 is required (make deps-test
# installs it); the PATH python3 is only tested when it differs and has cffi.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build_python=${PYTHON:-/usr/bin/python3}
status=0
run() {
  echo "== $1 ($($1 -c 'import sys; print(sys.version.split()[0], sys.implementation.name)'))"
  PYTHONPATH="$here/pywrapper" "$1" "$here/tests/python/smoke_no_numpy.py" || status=1
}
command -v pypy3 >/dev/null || { echo "pypy3 is missing: run make deps-test"; exit 1; }
run "$(command -v pypy3)"
path_python=$(command -v python3 || true)
if [ -n "$path_python" ] && [ "$(readlink -f "$path_python")" != "$(readlink -f "$build_python")" ]; then
  if "$path_python" -c "import cffi" 2>/dev/null; then
    run "$path_python"
  else
    echo "== $path_python has no cffi; not tested"
  fi
fi
exit $status
