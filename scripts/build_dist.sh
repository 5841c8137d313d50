#!/bin/sh
# make sdist / make wheel: builds dist/hotloop-<version>.tar.gz, then (with --wheel) the wheel
# dist/hotloop-<version>-py3-none-manylinux_2_X_x86_64.whl *from that sdist*, in a temporary
# folder, so the wheel proves the sdist is complete and the source tree is left untouched; then
# scripts/repair_wheel.py bundles TBB and OpenBLAS into it, strips it and computes its manylinux
# tag. Offline: uses Debian's setuptools, wheel and cffi (no build isolation, no PyPI).
#
# Both are reproducible: the same sources give the same sdist, and the same sdist the same wheel,
# in any folder, at any time (scripts/normalize_sdist.py fixes the sdist's order, dates, owners
# and modes). Every date in them is SOURCE_DATE_EPOCH (the caller's, else the last commit's,
# else -- in an unpacked sdist -- its PKG-INFO's); nothing else that varies between builds
# reaches them (the library holds no build path; repair_wheel.py fixes the wheel's order, dates
# and modes).
# The linux_x86_64 wheel that repair_wheel.py started from is kept in dist/.repair-input/.
#
#   build_dist.sh [--wheel]
#   build_dist.sh --check-reproducible         # repairs dist/.repair-input's wheel again, in
#                                              # another folder, and compares with dist's wheel
#   build_dist.sh --check-reproducible --full  # builds the wheel again from dist's sdist, in
#                                              # another folder, and compares
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-/usr/bin/python3}
dist="$here/dist"
work=$(mktemp -d /tmp/hotloop-dist.XXXXXX)
trap 'rm -rf "$work"' EXIT
version=$("$python" "$here/scripts/hotloop_version.py")
cd "$here"
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)
  elif [ -f PKG-INFO ]; then
    SOURCE_DATE_EPOCH=$(stat -c %Y PKG-INFO)
  fi
fi
if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then export SOURCE_DATE_EPOCH; else unset SOURCE_DATE_EPOCH; fi

# The wheel of sdist $1, written to folder $2 (which then holds it and .repair-input/).
build_wheel() {
  mkdir "$work/unpacked"
  tar -xzf "$1" -C "$work/unpacked"
  mkdir -p "$2/.repair-input"
  rm -f "$2"/.repair-input/*.whl
  "$python" -m pip wheel --quiet --no-index --no-deps --no-build-isolation -w "$2/.repair-input" \
    "$work/unpacked/hotloop-$version"
  repair "$2/.repair-input/hotloop-$version-py3-none-linux_$(uname -m).whl" "$2"
}

# Bundles TBB, OpenBLAS and their runtimes into wheel $1 (renamed SONAMEs, $ORIGIN RUNPATHs),
# strips it and tags it with the lowest manylinux its binaries allow, into folder $2.
repair() {
  mkdir -p "$work/repair"
  rm -f "$work"/repair/*.whl
  cp "$1" "$work/repair/"
  "$python" "$here/scripts/repair_wheel.py" "$work/repair/$(basename "$1")"
  mv "$work"/repair/hotloop-"$version"-py3-none-manylinux_*.whl "$2/"
}

# Exit status 1 unless wheels $1 and $2 are the same bytes; the entries that differ otherwise.
same_wheel() {
  if cmp -s "$1" "$2"; then
    echo "reproducible: $(sha256sum "$1" | cut -c1-64) $(basename "$1")"
    return 0
  fi
  echo "NOT reproducible: $1 and $2 differ"
  "$python" - "$1" "$2" <<'PY'
import sys, zipfile
a, b = (zipfile.ZipFile(p) for p in sys.argv[1:])
if a.namelist() != b.namelist():
    print("  entries or their order differ")
for x in a.infolist():
    y = b.getinfo(x.filename) if x.filename in b.namelist() else None
    fields = ("date_time", "external_attr", "CRC", "compress_type", "extra", "create_system")
    diff = [f for f in fields if y is None or getattr(x, f) != getattr(y, f)]
    if diff:
        print("  %s: %s" % (x.filename, ", ".join(diff)))
PY
  return 1
}

if [ "${1:-}" = "--check-reproducible" ]; then
  wheel=$(ls "$dist"/hotloop-"$version"-py3-none-manylinux_*.whl 2>/dev/null | head -n 1)
  [ -n "$wheel" ] || { echo "no manylinux wheel for $version in dist/: run make wheel"; exit 1; }
  mkdir "$work/again"
  if [ "${2:-}" = "--full" ]; then
    build_wheel "$dist/hotloop-$version.tar.gz" "$work/again"
  else
    repair "$dist/.repair-input/hotloop-$version-py3-none-linux_$(uname -m).whl" "$work/again" \
      >/dev/null
  fi
  same_wheel "$wheel" "$work/again/$(basename "$wheel")"
  exit
fi

mkdir -p "$dist"
rm -f "$dist/hotloop-$version.tar.gz" "$dist"/hotloop-"$version"-*.whl

# setup.py sdist writes its egg-info next to the sources; build from a copy (of the files git
# tracks or would track) to keep the tree clean. Outside a git checkout (an unpacked sdist), the
# whole tree but build outputs: git's failure used to vanish in the pipe, leaving an empty copy.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf "$work/src.tar"
else
  tar --exclude=./build --exclude='./build-*' --exclude=./dist --exclude='*.egg-info' \
      --exclude=__pycache__ -cf "$work/src.tar" .
fi
mkdir "$work/src" && tar -xf "$work/src.tar" -C "$work/src"
(cd "$work/src" && "$python" setup.py -q sdist -d "$dist" >/dev/null 2>"$work/sdist.log") \
  || { cat "$work/sdist.log"; exit 1; }
"$python" "$here/scripts/normalize_sdist.py" "$dist/hotloop-$version.tar.gz"
echo "built $dist/hotloop-$version.tar.gz (sha256 $(sha256sum "$dist/hotloop-$version.tar.gz" | cut -c1-64))"
[ "${1:-}" = "--wheel" ] || exit 0

build_wheel "$dist/hotloop-$version.tar.gz" "$dist"
wheel=$(ls "$dist"/hotloop-"$version"-py3-none-manylinux_*.whl)
echo "built $wheel ($(du -h "$wheel" | cut -f1), sha256 $(sha256sum "$wheel" | cut -c1-64))"
"$python" - "$wheel" <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
need = ["hotloop/libhotloop.so", "hotloop/_hotloop_ffi.py", "hotloop/py.typed", "LICENSE",
        "THIRD_PARTY_NOTICES.md", "licenses/BUNDLED.txt"]
missing = [n for n in need if not any(name.endswith(n) for name in names)]
if missing:
    sys.exit("the wheel lacks %s" % ", ".join(missing))
PY
