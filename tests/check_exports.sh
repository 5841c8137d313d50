#!/bin/sh
# Checks that libhotloop.so exports the C API (hl_*) and no other symbol, and that it imports no
# function that changes a thread's CPU affinity (TBB's workers are shared process-wide).
set -eu
lib="$1"
defined=$(nm -D --defined-only "$lib" | awk '{print $3}' | sed 's/@.*//' | sort -u)
stray=$(printf '%s\n' "$defined" | grep -v '^hl_' | grep -v '^$' || true)
if [ -n "$stray" ]; then
  echo "libhotloop.so exports symbols outside the hl_ prefix:"; printf '%s\n' "$stray"; exit 1
fi
count=$(printf '%s\n' "$defined" | grep -c '^hl_')
for required in hl_version hl_abi_version hl_last_error_message hl_sum hl_processor_create; do
  printf '%s\n' "$defined" | grep -qx "$required" || { echo "missing export: $required"; exit 1; }
done
affinity=$(nm -D --undefined-only "$lib" | grep -E ' (sched_setaffinity|pthread_setaffinity_np)(@|$)' || true)
if [ -n "$affinity" ]; then
  echo "libhotloop.so changes CPU affinities:"; printf '%s\n' "$affinity"; exit 1
fi
echo "exports: $count hl_* symbols, nothing else"
