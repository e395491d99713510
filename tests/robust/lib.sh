# lib.sh — shared by the robustness tests (tests/cli/robust_*.sh, sourced,
# and tests/robust/long.sh).  Not a test itself: it lives outside tests/cli
# so that CTest does not register it.
#
# Provides: $IDX_BIN and $Q_BIN (the two commands), $T (a scratch folder
# removed on exit), ok/fail/note and a closing "N passed, M failed" line,
# run (a command under a time limit, recording its exit status and
# stderr), and the checks every robustness test makes on a finished
# command: it was not killed by a signal and the sanitizers said nothing.

: "${LEDE_BIN_DIR:?run through ctest (LEDE_BIN_DIR)}"
: "${LEDE_SOURCE_DIR:?run through ctest (LEDE_SOURCE_DIR)}"
IDX_BIN=$LEDE_BIN_DIR/lede-index
Q_BIN=$LEDE_BIN_DIR/lede-query
SANITIZE=${LEDE_SANITIZE:-0}
[ "$SANITIZE" = ON ] && SANITIZE=1
# A sanitizer report must fail the command loudly, not just exit 1 (which
# lede-query also uses for "no match").
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86:detect_leaks=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:exitcode=87:print_stacktrace=1"
export NO_COLOR=1
unset LEDE_INDEX

TEST_NAME=$(basename "$0" .sh)
PASSED=0
FAILED=0
T=$(mktemp -d "/tmp/lede-$TEST_NAME.XXXXXX")
BG_PIDS=()
cleanup() {
    for p in "${BG_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    [ -n "${CLEANUP_EXTRA:-}" ] && eval "$CLEANUP_EXTRA"
    rm -rf "$T"
}
trap cleanup EXIT

ok() { PASSED=$((PASSED + 1)); echo "ok: $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL: $*"; }
note() { echo "note: $*"; }
skip() { echo "skipped: $*"; trap - EXIT; cleanup; exit 0; }

# The closing line CTest's log shows and the exit status.
finish() {
    echo "$TEST_NAME: $PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
    exit $?
}

# The commands must be the real ones, not the placeholders of an early tree.
require_commands() {
    [ -x "$IDX_BIN" ] && [ -x "$Q_BIN" ] || skip "lede-index or lede-query not built in $LEDE_BIN_DIR"
    local v
    v=$("$IDX_BIN" --version 2>&1)
    grep -q "not built yet" <<<"$v" && skip "lede-index is still a placeholder"
    v=$("$Q_BIN" --version 2>&1)
    grep -q "not built yet" <<<"$v" && skip "lede-query is still a placeholder"
    return 0
}

# run SECONDS CMD... — run with a time limit; sets RC, and the output
# files $T/out and $T/err.  A command that hangs is killed and RC is 124.
run() {
    local secs=$1
    shift
    timeout -s KILL "$secs" "$@" >"$T/out" 2>"$T/err"
    RC=$?
}

# sane WHAT — the last run ended by itself (no signal, no time-out) and no
# sanitizer complained.  Returns non-zero (after recording a failure) if not.
sane() {
    if [ "$RC" -eq 124 ] || [ "$RC" -eq 137 ]; then
        fail "$1: hung (killed after its time limit)"
        return 1
    fi
    if [ "$RC" -ge 128 ]; then
        fail "$1: killed by signal $((RC - 128)); stderr: $(head -c 600 "$T/err")"
        return 1
    fi
    if [ "$RC" -eq 86 ] || [ "$RC" -eq 87 ] ||
        grep -qE "AddressSanitizer|LeakSanitizer|runtime error:" "$T/err"; then
        fail "$1: sanitizer report: $(grep -m3 -E "Sanitizer|runtime error" "$T/err")"
        return 1
    fi
    return 0
}

# expect_rc WHAT ALLOWED... — the last run's status is one of ALLOWED.
expect_rc() {
    local what=$1
    shift
    sane "$what" || return 1
    for want in "$@"; do
        if [ "$RC" -eq "$want" ]; then
            ok "$what (exit $RC)"
            return 0
        fi
    done
    fail "$what: exit $RC, expected one of $*; stderr: $(head -c 600 "$T/err")"
    return 1
}

# json_num FIELD — a number from the JSON object in $T/out (flat or nested
# one level, first match).
json_num() {
    sed -n "s/.*\"$1\":\([0-9.eE+-]*\).*/\1/p" "$T/out" | head -n 1
}

# docs_in IDX — live documents the index says it holds ("" if unreadable).
docs_in() {
    timeout -s KILL 60 "$IDX_BIN" -i "$1" --stats --json 2>/dev/null |
        sed -n 's/.*"documents":\([0-9]*\).*/\1/p'
}

# A real collection: Reuters-21578 from the shared data when present, else
# the articles bundled in corpus/.  Sets CORPUS (paths to index) and
# CORPUS_NAME.  $1: number of Reuters records to take.
pick_corpus() {
    local n=$1 reuters=${LEDE_SHARED_DIR:-/nonexistent}/corpora/reuters21578/docs.jsonl
    if [ -r "$reuters" ]; then
        head -n "$n" "$reuters" >"$T/reuters.jsonl"
        CORPUS=("$T/reuters.jsonl")
        CORPUS_NAME="the first $n Reuters-21578 records"
    else
        CORPUS=("$LEDE_SOURCE_DIR/corpus")
        CORPUS_NAME="corpus/ (shared data absent)"
    fi
}
