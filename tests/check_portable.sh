#!/bin/sh
# Checks that libhotloop.so runs on any x86-64 CPU: AVX (ymm/zmm) instructions may only appear in
# functions that are chosen at run time, i.e. the AVX2/AVX-512 clones of HL_CLONES functions and
# the explicitly AVX-512 kernels (whose names say avx512). Baseline code must stay SSE2.
set -eu
lib="$1"
[ "$(uname -m)" = "x86_64" ] || { echo "not x86-64: nothing to check"; exit 0; }
bad=$(objdump -d --no-show-raw-insn -C "$lib" | awk '
  /^[0-9a-f]+ <.*>:$/ { name = $0; next }
  /%[yz]mm[0-9]/ { if (name !~ /avx/ && !(name in seen)) { seen[name] = 1; print name } }')
if [ -n "$bad" ]; then
  echo "AVX instructions outside run-time dispatched functions:"; printf '%s\n' "$bad"; exit 1
fi
clones=$(objdump -d --no-show-raw-insn -C "$lib" | grep -c '^[0-9a-f]* <.*clone \.avx512f\]>:' || true)
[ "$clones" -gt 0 ] || { echo "no AVX-512 clones found: run-time dispatch is missing"; exit 1; }
echo "portable: baseline code is SSE2-only; $clones AVX-512 clones dispatched at run time"
