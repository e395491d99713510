# index_run.bash — what the lede-index end-to-end tests that check counts
# share; sourced (not a test itself: CTest takes tests/cli/*.sh only).
# Needs BIN (the folder of the binaries) and T (a scratch folder); gives
# fail, expect, counts and run, and keeps the failures in fails.
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# counts JSON → "added updated unchanged deleted failed"
counts() {
    local k out=""
    for k in added updated unchanged deleted failed; do
        out="$out $(sed -n "s/.*\"$k\":\([0-9]*\).*/\1/p" <<<"$1")"
    done
    echo "${out# }"
}
expect() { # expect WHAT GOT WANT
    if [ "$2" != "$3" ]; then fail "$1: got '$2', want '$3'"; else echo "ok: $1 = $3"; fi
}
run() { # run ARGS... → sets out (the counts), err, rc; a sanitizer report is a failure
    out=$("$BIN/lede-index" --json "$@" 2>"$T/err"); rc=$?; err=$(cat "$T/err")
    out=$(counts "$out")
    if grep -qE 'Sanitizer|runtime error' <<<"$err"; then fail "sanitizer report: lede-index $*"; echo "$err"; fi
}
# The end of a test: its status.
finish() {
    if [ "$fails" -gt 0 ]; then
        echo "$fails failure(s)"
        exit 1
    fi
    echo "all ok"
    exit 0
}
