#!/bin/sh
# Installs the built library into a temporary prefix (`cmake --install`) and uses the installed
# copy, with no Python involved:
#   1. examples/c built with CMake's find_package(hotloop) (imported target hotloop::hotloop);
#   2. the same program built with pkg-config (hotloop.pc);
#   3. examples/rust: `cargo test --offline` and `cargo run --offline` linked to the prefix.
# Each binary must resolve libhotloop.so from the prefix and print what is expected.
# Usage: tests/install/test_install.sh [BUILD_DIR]   (default: build)
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$here/build}" && pwd)
work=$(mktemp -d /tmp/hotloop-install-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
export HOTLOOP_NUM_THREADS=2

echo "== cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
for f in include/hotloop.h lib/libhotloop.so lib/cmake/hotloop/hotloopConfig.cmake \
         lib/cmake/hotloop/hotloopConfigVersion.cmake lib/pkgconfig/hotloop.pc \
         share/doc/hotloop/LICENSE; do
  [ -e "$prefix/$f" ] || { echo "missing from the install: $f"; exit 1; }
done

# SOVERSION = HL_ABI_VERSION: the SONAME changes exactly when the ABI does.
abi=$("${PYTHON:-/usr/bin/python3}" "$here/scripts/hotloop_version.py" --abi)
soname=$(readelf -d "$prefix/lib/libhotloop.so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = "libhotloop.so.$abi" ] && [ -e "$prefix/lib/libhotloop.so.$abi" ] || {
  echo "installed SONAME is '$soname', expected libhotloop.so.$abi (HL_ABI_VERSION)"; exit 1; }

uses_prefix() {  # the binary must load libhotloop from the prefix, not from the build tree
  ldd "$1" | grep -q "libhotloop.so.* => $prefix/lib/" || {
    echo "$1 does not use the installed libhotloop:"; ldd "$1"; exit 1; }
}

. "$here/tests/install/examples_c.sh"
check_examples_c "$prefix/lib" -DCMAKE_PREFIX_PATH="$prefix" "$prefix/lib/pkgconfig"

echo "== examples/rust (cargo --offline, linked to the prefix)"
if ! command -v cargo >/dev/null; then
  echo "cargo is missing: install Rust (https://rustup.rs) or Debian's cargo"; exit 1
fi
cd "$here/examples/rust"
export HOTLOOP_LIB_DIR="$prefix/lib" CARGO_TARGET_DIR="$work/rust-target"
cargo test --offline --quiet
cargo build --offline --quiet
uses_prefix "$work/rust-target/debug/hotloop-example"
"$work/rust-target/debug/hotloop-example" | tee "$work/rust.txt"
grep -q "^sum = 499999500000$" "$work/rust.txt"
grep -q "HL_ERR_DIVISION_BY_ZERO" "$work/rust.txt"
echo "install test: all passed"
