#!/usr/bin/env bash
# smoke.sh — a short run of every libFuzzer target (tests/fuzz), for CI and before a commit.
#
#   tests/fuzz/smoke.sh              configure + build the `fuzz` preset, run each target
#                                    FUZZ_SECONDS (default 30) from its seed corpus
#   FUZZ_SECONDS=12 tests/fuzz/smoke.sh                 what CI runs (.ci/run, stage fuzz-smoke)
#   FUZZ_SECONDS=600 tests/fuzz/smoke.sh fuzz_config   one target, ten minutes (docs/security.md)
#
# New inputs go to a scratch folder, not into tests/fuzz/corpus: a finding is kept by hand, as a
# regression input in the corpus with its fix. Exit status: non-zero when a target finds a crash,
# a leak, undefined behaviour or a timeout (the reproducer is left in build/fuzz/findings/).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
seconds=${FUZZ_SECONDS:-30}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then   # every target: one fuzz_<name>.cpp each
    for f in tests/fuzz/fuzz_*.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "${FUZZ_BUILD_JOBS:-2}" --target "${targets[@]}"

findings=build/fuzz/findings
mkdir -p "$findings"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
rc=0
for t in "${targets[@]}"; do
    name=${t#fuzz_}
    mkdir -p "$scratch/$name"
    echo "== $t: ${seconds}s"
    # -rss_limit_mb: a parser that balloons on a small input is a finding too.
    if ! TMPDIR="$scratch" "build/fuzz/bin/$t" -max_total_time="$seconds" -timeout=10 \
            -rss_limit_mb=1024 -max_len=65536 -print_final_stats=1 \
            -artifact_prefix="$findings/$name-" "$scratch/$name" "tests/fuzz/corpus/$name" \
            2>"$scratch/$name.log"; then
        rc=1
        echo "!! $t found something: $findings/$name-*"
        tail -40 "$scratch/$name.log"
    fi
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ *DONE)' "$scratch/$name.log" || true
done
exit $rc
