#!/usr/bin/env bash
# The library's own arithmetic never fuses a multiply and an add (CMakeLists.txt,
# -ffp-contract=off): its AVX-512 clones of the element-wise kernels (chosen by the CPU at load
# time) must round exactly like the default clones, so a run's bits do not depend on the CPU.
# Checks the built library: the clones are there, and no FMA instruction is.
#   bash tests/e2e/test_no_fma.sh LIBREGLAB
set -euo pipefail
lib=$1
command -v objdump > /dev/null || { echo "test_no_fma: objdump (binutils) not found" >&2; exit 1; }
listing=$(objdump -d --no-show-raw-insn "$lib")
for kernel in adam_kernel momentum_range bytes_to_unit; do
  if ! grep -q "${kernel}.*avx512f.*>:" <<< "$listing"; then
    echo "test_no_fma: no AVX-512 clone of $kernel in $lib" >&2
    exit 1
  fi
done
fused=$(grep -cE '\svfn?m(add|sub)[0-9]{3}' <<< "$listing" || true)
if [ "$fused" -ne 0 ]; then
  echo "test_no_fma: $fused fused multiply-add instructions in $lib:" >&2
  grep -E '>:$|\svfn?m(add|sub)[0-9]{3}' <<< "$listing" | grep -B1 -E 'vfn?m(add|sub)' | head -20 >&2
  exit 1
fi
echo "test_no_fma: AVX-512 clones present, 0 fused multiply-adds in $(basename "$lib")"
