#!/usr/bin/env bash
# long.sh — the long form of the robustness tests, run by hand (not by
# ctest).  From the repository root, after a normal build in build/:
#
#   tests/robust/long.sh                 everything (about 2 hours on 2 cores)
#   tests/robust/long.sh crash           200 SIGKILLs
#   tests/robust/long.sh corrupt         300 damaged copies of an index
#   tests/robust/long.sh concurrency     60 batches under concurrent readers
#   tests/robust/long.sh fuzz [TARGET]   each libFuzzer target for FUZZ_SECONDS
#                                        (default 600) in build-fuzz/
#
# Environment: BUILD (default build), FUZZ_SECONDS, FUZZ_JOBS (parallel fuzz
# processes per target, default 1), LEDE_SHARED_DIR (default ../shared).
# Fuzz findings are written to build-fuzz/findings/TARGET/; new corpus
# entries to build-fuzz/corpus/TARGET/ (merge the useful ones into
# tests/fuzz/corpus/TARGET/ with -merge=1 by hand).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
BUILD=${BUILD:-build}
export LEDE_BIN_DIR=$root/$BUILD/bin LEDE_SOURCE_DIR=$root
export LEDE_SHARED_DIR=${LEDE_SHARED_DIR:-$root/../shared}
what=${1:-all}
status=0

cli() { # NAME VAR=VALUE...
    local name=$1
    shift
    echo "== $name ($*)"
    env "$@" bash "tests/cli/robust_$name.sh" | tail -n 5
    [ "${PIPESTATUS[0]}" = 0 ] || status=1
}

fuzz() { # [TARGET]
    local secs=${FUZZ_SECONDS:-600} jobs=${FUZZ_JOBS:-1}
    if [ ! -x build-fuzz/bin/fuzz-jsonl ]; then
        CC=clang cmake -S . -B build-fuzz -DLEDE_FUZZ=ON -DLEDE_SANITIZE=ON -DLEDE_WERROR=OFF \
            -DLEDE_BENCH=OFF -DLEDE_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
            cmake --build build-fuzz -j2 >/dev/null || { echo "fuzz build failed"; status=1; return; }
    fi
    local targets=("$@")
    [ ${#targets[@]} = 0 ] && targets=($(ls tests/fuzz/fuzz_*.c | sed 's/.*fuzz_\(.*\)\.c/\1/'))
    for t in "${targets[@]}"; do
        mkdir -p "build-fuzz/corpus/$t" "build-fuzz/findings/$t"
        echo "== fuzz $t for ${secs}s"
        build-fuzz/bin/fuzz-"$t" "build-fuzz/corpus/$t" "tests/fuzz/corpus/$t" \
            -max_total_time="$secs" -jobs="$jobs" -workers="$jobs" -timeout=60 -max_len=16384 \
            -artifact_prefix="build-fuzz/findings/$t/" -print_final_stats=1 \
            >"build-fuzz/findings/$t.log" 2>&1
        local rc=$?
        grep -E "^Done|number_of_executed_units|average_exec_per_sec" "build-fuzz/findings/$t.log"
        if [ "$rc" != 0 ] || ls "build-fuzz/findings/$t" | grep -q .; then
            echo "FINDING: see build-fuzz/findings/$t/ and $t.log"
            status=1
        fi
    done
}

case $what in
crash) cli crash ROBUST_KILLS=200 ;;
corrupt) cli corrupt ROBUST_CORRUPT_TRIALS=300 ROBUST_SEED=$RANDOM ;;
concurrency) cli concurrency ROBUST_BATCHES=60 ROBUST_PER_BATCH=40 ;;
fuzz) shift; fuzz "$@" ;;
all)
    cli crash ROBUST_KILLS=200
    cli corrupt ROBUST_CORRUPT_TRIALS=300 ROBUST_SEED=$RANDOM
    cli concurrency ROBUST_BATCHES=60 ROBUST_PER_BATCH=40
    cli hostile
    cli limits
    fuzz
    ;;
*) echo "usage: $0 [all|crash|corrupt|concurrency|fuzz [TARGET]]" >&2; exit 2 ;;
esac
exit $status
