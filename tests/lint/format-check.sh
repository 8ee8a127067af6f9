#!/usr/bin/env bash
# tests/lint/format-check.sh: every tracked C++ file is as clang-format (.clang-format at the root)
# would write it. Prints each difference and exits non-zero if there is one; changes nothing.
# To fix a file: clang-format -i FILE.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v clang-format >/dev/null || { echo "format-check: clang-format not installed" >&2; exit 2; }
mapfile -t files < <(git ls-files -- '*.cpp' '*.hpp')
[ "${#files[@]}" -gt 0 ] || { echo "format-check: no C++ files tracked" >&2; exit 2; }
clang-format --dry-run --Werror "${files[@]}"
echo "format-check: ${#files[@]} files formatted as .clang-format says"
