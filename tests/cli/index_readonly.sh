#!/usr/bin/env bash
# index_readonly.sh — an index another user owns, read-only to us (an
# archive shared on a server, or on a read-only disk): lede-query and
# lede-index --stats / --check read it; lede-index refuses to write with a
# message.  lede-query crashed (a double free in LMDB: the environment whose
# read-write open failed was opened again read-only).  Runs as root, which
# drops to the user nobody for the reads; skipped otherwise.
set -u
BIN=${LEDE_BIN_DIR:?}
SRC=${LEDE_SOURCE_DIR:?}
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null 2>&1; then
    echo "skipped: needs root and setpriv to read as another user"
    exit 0
fi
T=$(mktemp -d /tmp/lede-index-readonly.XXXXXX)
trap 'rm -rf "$T"' EXIT
# shellcheck source=lib/index_run.bash
. "$(dirname "$0")/lib/index_run.bash"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
if ! as_nobody test -x "$BIN/lede-query"; then
    echo "skipped: the user nobody cannot run $BIN/lede-query"
    exit 0
fi
IX="$T/ix"
run -i "$IX" "$SRC/corpus/wikinews.jsonl"
expect "indexed" "$out" "120 0 0 0 0"
want=$("$BIN/lede-query" -i "$IX" -c election 2>/dev/null)
chmod 755 "$T"
chmod 444 "$IX"/*
chmod 555 "$IX"
got=$(as_nobody "$BIN/lede-query" -i "$IX" -c election 2>"$T/err")
expect "lede-query: exit" "$?" 0
expect "lede-query: the same answer" "$got" "$want"
as_nobody "$BIN/lede-index" -i "$IX" --stats >/dev/null 2>"$T/err"
expect "--stats: exit" "$?" 0
as_nobody "$BIN/lede-index" -i "$IX" --check >/dev/null 2>"$T/err"
expect "--check: exit" "$?" 0
as_nobody "$BIN/lede-index" -q -i "$IX" "$SRC/corpus/seed" >/dev/null 2>"$T/err"
expect "writing: exit" "$?" 2
grep -q "Permission denied" "$T/err" && echo "ok: writing: says why" || fail "writing: $(cat "$T/err")"
chmod 755 "$IX"
finish
