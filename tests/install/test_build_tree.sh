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

. "$here/tests/install/examples_c.sh"
check_examples_c "$build" -Dhotloop_DIR="$build" "$build"
echo "build tree package test: all passed"
