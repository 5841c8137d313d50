#!/bin/sh
# The build tree is usable as a package before any install (CMakeLists.txt, "The build tree is
# a package too"): examples/c built with find_package(hotloop) given -Dhotloop_DIR=<build>, and
# with pkg-config given PKG_CONFIG_PATH=<build>. Each binary must load the build tree's
# libhotloop and print what is expected.
# Usage: tests/install/test_build_tree.sh BUILD_DIR
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$1" && pwd)
work=$(mktemp -d /tmp/hotloop-build-tree-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
export HOTLOOP_NUM_THREADS=2

uses_build() {
  ldd "$1" | grep -q "libhotloop.so.* => $build/" || {
    echo "$1 does not use the build tree's libhotloop:"; ldd "$1"; exit 1; }
}
expect_example_output() {
  "$1" | tail -n +2 | diff -u "$here/examples/c/expected.txt" - || {
    echo "$1: output differs from examples/c/expected.txt"; exit 1; }
}

echo "== examples/c with find_package(hotloop), hotloop_DIR=$build"
cmake -S "$here/examples/c" -B "$work/c-cmake" -Dhotloop_DIR="$build" >/dev/null
cmake --build "$work/c-cmake" >/dev/null
uses_build "$work/c-cmake/hotloop_example"
expect_example_output "$work/c-cmake/hotloop_example"

echo "== examples/c with pkg-config, PKG_CONFIG_PATH=$build"
export PKG_CONFIG_PATH="$build"
# shellcheck disable=SC2046
cc -std=c99 -Wall -Wextra -pedantic -Werror "$here/examples/c/main.c" -o "$work/c-pkgconfig" \
   $(pkg-config --cflags --libs hotloop) -Wl,-rpath,"$(pkg-config --variable=libdir hotloop)"
uses_build "$work/c-pkgconfig"
expect_example_output "$work/c-pkgconfig"
echo "build tree package test: all passed"
