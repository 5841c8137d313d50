#!/bin/sh
# Runs every libFuzzer target of a fuzz build for SECONDS seconds each (make fuzz).
# Usage: fuzz/run.sh BUILD_DIR SECONDS
# Each target starts from its seeds (fuzz/seeds/<name>.txt, unpacked to BUILD_DIR/fuzz-seeds/)
# plus what earlier runs found (BUILD_DIR/fuzz-corpus/<name>/, where new inputs go). A failure
# leaves the input in BUILD_DIR/fuzz-artifacts/ and makes this script fail; reproduce it with
#   BUILD_DIR/fuzz/fuzz_<name> BUILD_DIR/fuzz-artifacts/<name>-crash-...
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$1
seconds=$2
# allocator_may_return_null: an impossible allocation is std::bad_alloc (HL_ERR_NO_MEMORY), as
# without ASan. Two engine threads: parallel blocks run concurrently.
export ASAN_OPTIONS="allocator_may_return_null=1:detect_leaks=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
export HOTLOOP_NUM_THREADS=2
mkdir -p "$build/fuzz-artifacts"
rm -rf "$build/fuzz-seeds"
python3 "$here/seeds.py" unpack "$here/seeds" "$build/fuzz-seeds"
status=0
for target in "$build"/fuzz/fuzz_*; do
  [ -x "$target" ] || continue
  name=$(basename "$target" | sed 's/^fuzz_//')
  mkdir -p "$build/fuzz-corpus/$name"
  echo "== fuzz_$name: $seconds s"
  if ! "$target" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=4096 \
        -malloc_limit_mb=4096 -print_final_stats=1 \
        -artifact_prefix="$build/fuzz-artifacts/$name-" \
        "$build/fuzz-corpus/$name" "$build/fuzz-seeds/$name" > "$build/fuzz-artifacts/$name.log" 2>&1; then
    echo "fuzz_$name FAILED; log: $build/fuzz-artifacts/$name.log"
    tail -n 40 "$build/fuzz-artifacts/$name.log"
    status=1
  else
    grep -E "^stat::number_of_executed_units|^stat::new_units_added" "$build/fuzz-artifacts/$name.log" | tr '\n' ' '
    echo
  fi
done
exit $status
