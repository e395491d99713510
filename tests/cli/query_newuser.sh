#!/usr/bin/env bash
# query_newuser.sh — lede-query as a new user meets it (session 5's review):
# each check below is a bug a librarian, a researcher or a shell scripter hit,
# kept so it stays fixed.  The bundled corpus/ (files and a JSON Lines dump).
set -u
BIN=$(cd "${LEDE_BIN_DIR:?}" && pwd)
SRC=${LEDE_SOURCE_DIR:?}
T=$(mktemp -d /tmp/lede-query-newuser.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
expect() { # expect WHAT GOT WANT
    if [ "$2" != "$3" ]; then fail "$1: got '$2', want '$3'"; else ok "$1 = $3"; fi
}
q() { # q ARGS... → sets out, err, rc; a sanitizer report is always a failure
    out=$("$BIN/lede-query" -i "$IX" "$@" 2>"$T/err"); rc=$?; err=$(cat "$T/err")
    if grep -qE 'Sanitizer|runtime error' <<<"$err"; then fail "sanitizer report: lede-query $*"; echo "$err"; fi
}

cp -r "$SRC/corpus" "$T/corpus"
rm -f "$T/corpus/README.md"
# The same dump once more under a name without the .jsonl extension.
head -n 3 "$T/corpus/wikinews.jsonl" | sed 's/"id": "/"id": "dup-/' >"$T/dump.json"
IX="$T/ix"
"$BIN/lede-index" -q -i "$IX" "$T/corpus" "$T/dump.json" >/dev/null 2>&1 || { echo "FAIL: lede-index"; exit 1; }

# 1. A hit from a JSON Lines dump is named by its id, in the text output as
#    with -l, never by the dump's path (which is the same for every hit).
q --color never -n 1 'Rwandan refugees repatriated'
head -n 1 <<<"$out" | grep -q ' 11741  score ' && ok "text names a dump's document by id" \
    || fail "text output: $(head -n 1 <<<"$out")"
grep -q 'wikinews.jsonl' <<<"$out" && fail "text output shows the dump's path: $out"
q -l 'refugees repatriated'
grep -q 'dump.json' <<<"$out" && fail "-l prints the path of a dump named .json: $out" \
    || ok "-l names documents of dump.json by id"
grep -qx 'dup-11741' <<<"$out" && ok "-l: dup-11741" || fail "-l: no dup-11741 in $out"
q -l 'Kim Jong Un'
[[ $(head -n 1 <<<"$out") == /*/seed/wang-yi-choe-son-hui.txt ]] && ok "-l: a file by its path" \
    || fail "-l file path: $out"

# 2. A paragraph pasted as the query: a dash standing alone between words
#    ("(A) - Firm sales", "noted -- 4/2/87") is punctuation, not a syntax error.
q -c 'The talks (A) - with North Korea, as noted -- in Beijing + Pyongyang -'
expect "pasted text with lone dashes: exit" "$rc" 0
[ -z "$err" ] || fail "pasted text: stderr $err"

if [ "$fails" -gt 0 ]; then echo "$fails failure(s)"; exit 1; fi
echo "all ok"
