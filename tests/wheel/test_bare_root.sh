#!/bin/sh
# make test-bare-root: the manylinux wheel installed with pip into a venv inside a brand-new
# Debian 12 root -- debootstrap minbase + python3 python3-cffi python3-numpy python3-venv: no
# libtbb, no libopenblas, no compiler -- and smoke-tested there (matrix product, CLI included).
#
# Cost: debootstrap takes a few minutes, so its untouched output is kept as a tarball in
# WORK/cache (with the downloaded .debs) and every run unpacks a new root from it; the tarball is
# rebuilt when the suite, mirror or package list changes, when it is older than
# BARE_ROOT_MAX_AGE_DAYS (7), or with BARE_ROOT_REFRESH=1.
# Robustness: everything that mounts (debootstrap, the chroot) runs in a private mount namespace
# (unshare), so its mounts vanish with it, even on a crash; before deleting a root, anything
# still mounted below WORK is unmounted, and rm never crosses a file system. Nothing outside
# WORK is written.
# Usage: tests/wheel/test_bare_root.sh WORK_DIR [--clean]   (needs root: debootstrap, chroot)
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:?usage: test_bare_root.sh WORK_DIR [--clean]}
mkdir -p "$work"
work=$(cd "$work" && pwd)
suite=bookworm
mirror=${BARE_ROOT_MIRROR:-http://deb.debian.org/debian}
# python3-ply: debootstrap's resolver does not follow the virtual python3-ply-lex-3.10 that
# python3-pycparser (under python3-cffi) depends on.
packages=python3,python3-cffi,python3-numpy,python3-venv,python3-ply
max_age_days=${BARE_ROOT_MAX_AGE_DAYS:-7}

# Unmounts whatever is still mounted at or below $1 (deepest first), then deletes $1.
remove_tree() {
  [ -e "$1" ] || return 0
  awk -v top="$1" '$5 == top || index($5, top "/") == 1 { print $5 }' /proc/self/mountinfo \
    | sort -r | while read -r mount_point; do umount -l "$mount_point"; done
  rm -rf --one-file-system "$1"
}

if [ "${2:-}" = "--clean" ]; then
  remove_tree "$work/root"; remove_tree "$work/staging"; rm -rf --one-file-system "$work"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then  # debootstrap and chroot need root
  command -v sudo >/dev/null || { echo "test-bare-root needs root (debootstrap, chroot)"; exit 1; }
  exec sudo env PYTHON="${PYTHON:-/usr/bin/python3}" BARE_ROOT_REFRESH="${BARE_ROOT_REFRESH:-}" \
    BARE_ROOT_MIRROR="$mirror" BARE_ROOT_MAX_AGE_DAYS="$max_age_days" "$0" "$@"
fi
for tool in debootstrap unshare chroot; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: run make deps-test"; exit 1; }
done
version=$("${PYTHON:-/usr/bin/python3}" "$here/scripts/hotloop_version.py")
wheel=$(ls "$here"/dist/hotloop-"$version"-py3-none-manylinux_*.whl 2>/dev/null | head -n 1)
[ -n "$wheel" ] || { echo "no manylinux wheel for $version in dist/: run make wheel"; exit 1; }

mkdir -p "$work/cache/debs"
key=$(printf '%s %s %s minbase\n' "$suite" "$mirror" "$packages" | sha256sum | cut -c1-12)
tarball="$work/cache/debian12-$key.tar"
trap 'remove_tree "$work/root"; remove_tree "$work/staging"' EXIT
trap 'exit 130' INT TERM
remove_tree "$work/root"   # a root left by an interrupted run
remove_tree "$work/staging"

if [ -n "${BARE_ROOT_REFRESH:-}" ] || [ ! -f "$tarball" ] \
   || [ -n "$(find "$tarball" -mtime +"$max_age_days")" ]; then
  echo "== debootstrap $suite (minbase + $packages) from $mirror"
  rm -f "$work"/cache/debian12-*.tar
  unshare --mount --propagation private debootstrap --variant=minbase --include="$packages" \
    --cache-dir="$work/cache/debs" "$suite" "$work/staging" "$mirror" > "$work/debootstrap.log" 2>&1 \
    || { tail -n 30 "$work/debootstrap.log"; echo "debootstrap failed (log: $work/debootstrap.log)"; exit 1; }
  rm -rf "$work/staging/var/cache/apt/archives/"*.deb
  tar -C "$work/staging" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
  remove_tree "$work/staging"
fi

echo "== a new Debian 12 root from $(basename "$tarball")"
mkdir "$work/root"
tar -C "$work/root" -xf "$tarball"
mkdir -p "$work/root/tmp/hotloop-test"
cp "$wheel" "$here/tests/wheel/smoke_installed.py" "$here/tests/python/smoke_no_numpy.py" \
   "$here/tests/wheel/bare_root_inside.sh" "$work/root/tmp/hotloop-test/"

# /proc for the interpreters, mounted in a private namespace: gone when the command ends.
unshare --mount --propagation private sh -c '
  mount -t proc proc "$1/proc" && exec chroot "$1" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 /bin/sh /tmp/hotloop-test/bare_root_inside.sh "$2"' \
  sh "$work/root" "$(basename "$wheel")"
echo "bare-root wheel test: passed"
