#!/bin/sh
# make sdist / make wheel: builds dist/hotloop-<version>.tar.gz, then (with --wheel) the wheel
# dist/hotloop-<version>-py3-none-manylinux_2_X_x86_64.whl *from that sdist*, in a temporary
# folder, so the wheel proves the sdist is complete and the source tree is left untouched; then
# scripts/repair_wheel.py bundles TBB and OpenBLAS into it and computes its manylinux tag.
# Offline: uses Debian's setuptools, wheel and cffi (no build isolation, no PyPI).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-/usr/bin/python3}
dist="$here/dist"
work=$(mktemp -d /tmp/hotloop-dist.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$dist"
version=$("$python" "$here/scripts/hotloop_version.py")
rm -f "$dist/hotloop-$version.tar.gz" "$dist"/hotloop-"$version"-*.whl

# setup.py sdist writes its egg-info next to the sources; build from a copy (of the files git
# tracks or would track) to keep the tree clean. Outside a git checkout (an unpacked sdist), the
# whole tree but build outputs: git's failure used to vanish in the pipe, leaving an empty copy.
cd "$here"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf "$work/src.tar"
else
  tar --exclude=./build --exclude='./build-*' --exclude=./dist --exclude='*.egg-info' \
      --exclude=__pycache__ -cf "$work/src.tar" .
fi
mkdir "$work/src" && tar -xf "$work/src.tar" -C "$work/src"
(cd "$work/src" && "$python" setup.py -q sdist -d "$dist" >/dev/null 2>"$work/sdist.log") \
  || { cat "$work/sdist.log"; exit 1; }
echo "built $dist/hotloop-$version.tar.gz"
[ "${1:-}" = "--wheel" ] || exit 0

mkdir "$work/unpacked"
tar -xzf "$dist/hotloop-$version.tar.gz" -C "$work/unpacked"
"$python" -m pip wheel --quiet --no-index --no-deps --no-build-isolation -w "$dist" \
  "$work/unpacked/hotloop-$version"
# Bundle TBB, OpenBLAS and their runtimes (renamed SONAMEs, $ORIGIN RUNPATHs) and tag the wheel
# with the lowest manylinux its binaries allow; the linux_x86_64 wheel is replaced.
"$python" "$here/scripts/repair_wheel.py" "$dist/hotloop-$version-py3-none-linux_$(uname -m).whl"
wheel=$(ls "$dist"/hotloop-"$version"-py3-none-manylinux_*.whl)
echo "built $wheel ($(du -h "$wheel" | cut -f1))"
"$python" - "$wheel" <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
need = ["hotloop/libhotloop.so", "hotloop/_hotloop_ffi.py", "hotloop/py.typed", "LICENSE",
        "THIRD_PARTY_NOTICES.md", "licenses/BUNDLED.txt"]
missing = [n for n in need if not any(name.endswith(n) for name in names)]
if missing:
    sys.exit("the wheel lacks %s" % ", ".join(missing))
PY
