# Sourced by test_install.sh and test_build_tree.sh: builds examples/c with CMake's
# find_package(hotloop) and with pkg-config, and checks that each binary loads the libhotloop
# of the given directory and prints examples/c/expected.txt (after its version line).
# Needs $here (the source tree) and $work (a scratch directory).

# check_examples_c LIBDIR CMAKE_ARG PKG_CONFIG_DIR
#   LIBDIR: where the binaries must find libhotloop.so; CMAKE_ARG: how CMake finds the package
#   (-DCMAKE_PREFIX_PATH=... or -Dhotloop_DIR=...); PKG_CONFIG_DIR: the folder of hotloop.pc.
check_examples_c() {
  libdir=$1
  echo "== examples/c with find_package(hotloop), $2"
  cmake -S "$here/examples/c" -B "$work/c-cmake" "$2" >/dev/null
  cmake --build "$work/c-cmake" >/dev/null
  check_example_binary "$work/c-cmake/hotloop_example" "$libdir"
  echo "== examples/c with pkg-config, PKG_CONFIG_PATH=$3"
  # shellcheck disable=SC2046
  PKG_CONFIG_PATH="$3" cc -std=c99 -Wall -Wextra -pedantic -Werror "$here/examples/c/main.c" \
     -o "$work/c-pkgconfig" $(PKG_CONFIG_PATH="$3" pkg-config --cflags --libs hotloop) \
     -Wl,-rpath,"$(PKG_CONFIG_PATH="$3" pkg-config --variable=libdir hotloop)"
  check_example_binary "$work/c-pkgconfig" "$libdir"
}

check_example_binary() {
  ldd "$1" | grep -q "libhotloop.so.* => $2/" || {
    echo "$1 does not use the libhotloop of $2:"; ldd "$1"; exit 1; }
  "$1" > "$work/out.txt"
  head -n 1 "$work/out.txt" | grep -q "^hotloop [0-9]*\.[0-9]*\.[0-9]* (ABI [0-9]*), 2 threads$" || {
    echo "unexpected first line: $(head -n 1 "$work/out.txt")"; exit 1; }
  tail -n +2 "$work/out.txt" | diff -u "$here/examples/c/expected.txt" - || {
    echo "$1: output differs from examples/c/expected.txt"; exit 1; }
}
