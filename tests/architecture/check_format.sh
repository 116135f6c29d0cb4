#!/usr/bin/env bash
# Every C++ source of ours is formatted with the repository's .clang-format.
#   check_format.sh SOURCE_DIR
set -euo pipefail
cd "$1"
command -v clang-format >/dev/null || { echo "clang-format not found (scripts/bootstrap installs it)" >&2; exit 1; }
mapfile -t files < <(find . -path ./build -prune -o -path './.*' -prune -o \
  \( -name '*.h' -o -name '*.cpp' -o -name '*.cu' -o -name '*.cuh' \) -print | sort)
bad=()
for f in "${files[@]}"; do
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [[ ${#bad[@]} -gt 0 ]]; then
  printf 'not formatted (run clang-format -i on them):\n'; printf '  %s\n' "${bad[@]}"
  exit 1
fi
echo "${#files[@]} files formatted"
