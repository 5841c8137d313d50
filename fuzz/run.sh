#!/bin/sh
# Runs every libFuzzer target of a fuzz build, in one of two modes:
#   fuzz/run.sh BUILD_DIR SECONDS   explore (make fuzz): random mutation for SECONDS seconds per
#                                   target, from its seeds plus what earlier runs found
#                                   (BUILD_DIR/fuzz-corpus/<name>/, where new inputs go)
#   fuzz/run.sh BUILD_DIR replay    replay (make test-fuzz): every checked-in seed of each target
#                                   run once (the seed files as arguments: no mutation, no corpus
#                                   of earlier runs), so the result depends only on the tree and
#                                   a finding that was fixed stays fixed; the log names the seed
#                                   that failed ("Running: .../seed-NNNN": line NNNN of the
#                                   target's seeds file, comments not counted, from 0)
# The seeds are fuzz/seeds/<name>.txt (unpacked to BUILD_DIR/fuzz-seeds/; every target must have
# some); checked-in findings are seeds too. A failure leaves the input in
# BUILD_DIR/fuzz-artifacts/ (explore) and makes this script fail; reproduce it with
#   BUILD_DIR/fuzz/fuzz_<name> BUILD_DIR/fuzz-artifacts/<name>-crash-...   (or the seed file)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$1
mode=$2
# allocator_may_return_null: an impossible allocation is std::bad_alloc (HL_ERR_NO_MEMORY), as
# without ASan. Two engine threads: parallel blocks run concurrently.
export ASAN_OPTIONS="allocator_may_return_null=1:detect_leaks=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
export HOTLOOP_NUM_THREADS=2
mkdir -p "$build/fuzz-artifacts"
rm -rf "$build/fuzz-seeds"
python3 "$here/seeds.py" unpack "$here/seeds" "$build/fuzz-seeds"
limits="-timeout=60 -rss_limit_mb=4096 -malloc_limit_mb=4096"
status=0
for target in "$build"/fuzz/fuzz_*; do
  [ -x "$target" ] || continue
  name=$(basename "$target" | sed 's/^fuzz_//')
  seeds="$build/fuzz-seeds/$name"
  log="$build/fuzz-artifacts/$name.log"
  if [ ! -d "$seeds" ]; then
    echo "fuzz_$name: no seeds (add fuzz/seeds/$name.txt)"
    status=1
    continue
  fi
  if [ "$mode" = replay ]; then
    echo "== fuzz_$name: $(ls "$seeds" | wc -l) seeds, each once"
    # shellcheck disable=SC2086
    "$target" $limits -artifact_prefix="$build/fuzz-artifacts/$name-" "$seeds"/seed-* \
        > "$log" 2>&1 || failed=1
  else
    mkdir -p "$build/fuzz-corpus/$name"
    echo "== fuzz_$name: $mode s"
    # shellcheck disable=SC2086
    "$target" -max_total_time="$mode" $limits -print_final_stats=1 \
        -artifact_prefix="$build/fuzz-artifacts/$name-" \
        "$build/fuzz-corpus/$name" "$seeds" > "$log" 2>&1 || failed=1
  fi
  if [ "${failed:-0}" = 1 ]; then
    echo "fuzz_$name FAILED; log: $log"
    tail -n 40 "$log"
    status=1
    failed=0
  elif [ "$mode" != replay ]; then
    grep -E "^stat::number_of_executed_units|^stat::new_units_added" "$log" | tr '\n' ' '
    echo
  fi
done
exit $status
