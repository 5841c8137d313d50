#!/bin/sh
# Runs inside the bare Debian 12 root that tests/wheel/test_bare_root.sh builds: checks the root
# has no TBB and no OpenBLAS, installs the wheel with pip into a venv (--system-site-packages for
# Debian's NumPy and cffi: PyPI is unreachable), and runs the smoke tests and the CLI there.
# Usage (in the root): bare_root_inside.sh WHEEL_FILE_NAME
set -eu
cd /tmp/hotloop-test
echo "== the root is bare: no libtbb, no libopenblas"
ldconfig -p > loader-cache.txt
if grep -E 'libtbb|libopenblas' loader-cache.txt; then echo "the loader's cache has them"; exit 1; fi
found=$(find / -xdev \( -name 'libtbb*' -o -name 'libopenblas*' \) -print)
[ -z "$found" ] || { echo "found: $found"; exit 1; }

echo "== python3 -m venv + pip install $1"
python3 -m venv --system-site-packages /opt/venv
/opt/venv/bin/python -m pip install --quiet --no-index --no-deps "./$1"
libhotloop=$(/opt/venv/bin/python -I -c 'import hotloop._loader as l; print(l.library_path())')
if ldd "$libhotloop" | grep -q "not found"; then ldd "$libhotloop"; exit 1; fi

echo "== smoke tests"
/opt/venv/bin/python -I smoke_installed.py
/opt/venv/bin/python -I smoke_no_numpy.py

echo "== the hotloop command"
/opt/venv/bin/hotloop info
printf 'b a B\nc a\n' | /opt/venv/bin/hotloop wordcount - > counts.txt
printf 'b\t2\na\t2\nc\t1\n' | cmp - counts.txt
# Two inputs summed (ties in first-occurrence order across them), invalid UTF-8 replaced natively.
printf 'x y\n' > one.txt
printf 'y \377 x z' | /opt/venv/bin/hotloop wordcount one.txt - --errors replace > counts.txt
printf 'x\t2\ny\t2\n\357\277\275\t1\nz\t1\n' | cmp - counts.txt
