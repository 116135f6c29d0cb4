#!/usr/bin/env bash
# The GPU-less guarantee: the given binaries link no CUDA, CUPTI or NVML library, so they start
# on machines without a GPU driver. Those libraries are only ever loaded at run time (dlopen).
set -euo pipefail
status=0
for binary in "$@"; do
  libs=$(ldd "$binary")
  if grep -Ei 'libcuda|libcudart|libcupti|libnvidia-ml|libnvrtc|libcublas' <<<"$libs"; then
    echo "$binary links a GPU library (above); move that code into a run-time module" >&2
    status=1
  else
    echo "$binary: no GPU libraries among $(wc -l <<<"$libs") linked libraries"
  fi
done
exit $status
