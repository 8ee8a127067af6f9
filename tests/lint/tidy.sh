#!/usr/bin/env bash
# tests/lint/tidy.sh [BUILD_DIR]: clang-tidy, with the checks in .clang-tidy at the root, over
# every first-party .cpp in BUILD_DIR's compile database (default build/dev, written by
# `cmake --preset dev`); headers are checked through the .cpp files that include them. Exits
# non-zero on any finding (.clang-tidy makes every warning an error).
# Environment: SEALWATCH_JOBS (default 2), clang-tidy instances run at once.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
build=${1:-build/dev}
jobs=${SEALWATCH_JOBS:-2}
db=$build/compile_commands.json
[ -f "$db" ] || { echo "tidy: $db missing: run cmake --preset dev first" >&2; exit 2; }
tidy=$(command -v clang-tidy || command -v clang-tidy-14) ||
    { echo "tidy: clang-tidy not installed (toolchains/install-deps.sh)" >&2; exit 2; }

# First-party: everything in the tree but build/, which holds generated code (builtin_profiles.cpp).
first_party="^$root/(?!build/)"
mapfile -t files < <(python3 -c '
import json, re, sys
db, pattern = sys.argv[1], re.compile(sys.argv[2])
print("\n".join(sorted({e["file"] for e in json.load(open(db)) if pattern.search(e["file"])})))
' "$db" "$first_party")
[ "${#files[@]}" -gt 0 ] || { echo "tidy: no first-party files in $db" >&2; exit 2; }
echo "tidy: $("$tidy" --version | grep -m1 -o 'version [0-9.]*'), ${#files[@]} files, -j$jobs"

log=$(mktemp); trap 'rm -f "$log"' EXIT
set +e
if runner=$(command -v run-clang-tidy || command -v run-clang-tidy-14); then
    "$runner" -quiet -j "$jobs" -p "$build" -clang-tidy-binary "$tidy" "$first_party" >"$log" 2>&1
else
    printf '%s\n' "${files[@]}" | xargs -P "$jobs" -n 1 "$tidy" --quiet -p "$build" >"$log" 2>&1
fi
rc=$?
set -e
# The findings only: no colours, no command lines, not the per-file count of warnings suppressed
# in system headers. A finding in a header shows once per file that includes it; counted once.
sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -vE "^$tidy |^[0-9]+ warnings?( and [0-9]+ errors?)? generated\.$" || true
# `|| true`: grep finds nothing in a clean run and exits 1, which pipefail would turn into a
# silent exit of the whole script.
findings=$( (sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E ': (warning|error): .*\[[a-z0-9.,-]+\]$' || true) | sort -u | wc -l)
echo "tidy: $findings findings, exit $rc"
[ "$rc" -eq 0 ] && [ "$findings" -eq 0 ]
