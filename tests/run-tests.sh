#!/usr/bin/env bash
# tests/run-tests.sh — README.md's test command: install what is needed, build the `dev` preset
# with warnings as errors, run every test (unit + integration). Same as
#   ./toolchains/install-deps.sh && cmake --preset dev && cmake --build --preset dev && ctest --preset dev
# plus -DSEALWATCH_WERROR=ON, -j2 for the build and the tests (the machines have 2 cores) and a
# summary at the end.
#
# Environment: SEALWATCH_JOBS (default 2); extra arguments are passed to ctest (e.g. -L unit).
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=${SEALWATCH_JOBS:-2}
log=build/dev-ctest.log
declare -a stage_names=() stage_secs=()
stage() {   # stage NAME CMD...: run, time, remember
    local name=$1 t0 rc; shift
    printf '\n==> %s: %s\n' "$name" "$*"
    t0=$(date +%s)
    set +e; "$@"; rc=$?; set -e
    stage_names+=("$name"); stage_secs+=($(( $(date +%s) - t0 )))
    return $rc
}
summary() {
    local i
    printf '\n==> run-tests summary\n'
    for i in "${!stage_names[@]}"; do printf '    %-10s %5ss\n' "${stage_names[$i]}" "${stage_secs[$i]}"; done
    if [ -f "$log" ]; then
        grep -E '^[0-9]+% tests passed' "$log" | tail -n1 | sed 's/^/    /' || true
        sed -n '/The following tests FAILED/,$p' "$log" | sed 's/^/    /' || true
    fi
}
trap summary EXIT

stage deps    ./toolchains/install-deps.sh
stage config  cmake --preset dev -DSEALWATCH_WERROR=ON
stage build   cmake --build --preset dev -j "$jobs"
mkdir -p build
# --no-tests=error: a test tree that registers nothing is a failure, not a pass. Two tests at a
# time: the integration tests mostly wait on real programs (9 min instead of 18), and each has
# its own temporary folder and ports; those that time a latency run alone (RUN_SERIAL,
# tests/CMakeLists.txt).
stage test    bash -c 'set -o pipefail; ctest --preset dev --no-tests=error -j "'"$jobs"'" "$@" 2>&1 | tee "'"$log"'"' ctest "$@"
