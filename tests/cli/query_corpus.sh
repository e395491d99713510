#!/usr/bin/env bash
# query_corpus.sh — lede-query end to end on the bundled corpus/: the name
# "Kim Jong Un" finds the seed article first with the name highlighted,
# --json parses and its offsets point at the matched text, -l/-0/-c and the
# exit codes behave like grep's, a malformed query exits 2 with a caret,
# --batch/--format trec/--timing give one line per hit and per query, and no
# control character from a document reaches the output.
set -u
BIN=$(cd "${LEDE_BIN_DIR:?}" && pwd)
SRC=${LEDE_SOURCE_DIR:?}
T=$(mktemp -d /tmp/lede-query-corpus.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect() { # expect WHAT GOT WANT
    if [ "$2" != "$3" ]; then fail "$1: got '$2', want '$3'"; else echo "ok: $1 = $3"; fi
}
q() { # q ARGS... → sets out, err, rc; a sanitizer report is always a failure
    out=$("$BIN/lede-query" -i "$IX" "$@" 2>"$T/err"); rc=$?; err=$(cat "$T/err")
    if grep -qE 'Sanitizer|runtime error' <<<"$err"; then fail "sanitizer report: lede-query $*"; echo "$err"; fi
}

cp -r "$SRC/corpus" "$T/corpus"
rm -f "$T/corpus/README.md"
# A hostile document: escape sequences and control characters in title and body.
printf 'Evil \033[31mtitle\007\n\nZanzibar \033]0;pwned\007 text \033[2J with \001 controls and a \x9b CSI.\n' \
    >"$T/corpus/evil.txt"
IX="$T/ix"
"$BIN/lede-index" -q -i "$IX" "$T/corpus" >/dev/null 2>&1 || { echo "FAIL: lede-index"; exit 1; }

# The name query: the seed article first, the name highlighted whole.
q --color never --highlight '[,]' Kim Jong Un
expect "name query exit" "$rc" 0
first=$(head -n 1 <<<"$out")
[[ $first == 1.* && $first == *wang-yi-choe-son-hui.txt* ]] && echo "ok: seed article first" \
    || fail "seed article not first: $first"
grep -q '\[Kim Jong Un\]' <<<"$out" && echo "ok: name highlighted" || fail "no [Kim Jong Un] in: $out"

# -l: paths only, -0 NUL-separated, exit 0; nothing matched: no output, exit 1.
q -l Kim Jong Un
expect "-l exit" "$rc" 0
[[ $(head -n 1 <<<"$out") == *wang-yi-choe-son-hui.txt ]] && echo "ok: -l first path" || fail "-l: $out"
n0=$("$BIN/lede-query" -i "$IX" -l -0 Kim Jong Un | tr -cd '\0' | wc -c)
nl=$(wc -l <<<"$out")
expect "-l -0 one NUL per path" "$n0" "$nl"
q -l zzyzxqwv
expect "no match exit" "$rc" 1
expect "no match output" "$out" ""
grep -q 'not in the index' <<<"$err" && echo "ok: absent word noted" || fail "no note: $err"
q nucleer
grep -q 'did you mean "nuclear"' <<<"$err" && echo "ok: did you mean" || fail "no suggestion: $err"

# -c counts every match (not just the first page).
q -c korea
[[ $out =~ ^[0-9]+$ && $out -gt 10 ]] && echo "ok: -c $out" || fail "-c: $out"

# Malformed queries: exit 2, the error style, the query echoed with a caret under the problem.
q 'korea AND (talks'
expect "syntax error exit" "$rc" 2
grep -q '^lede-query: error: ' <<<"$err" && echo "ok: error style" || fail "error style: $err"
caret=$(sed -n 3p <<<"$err")
expect "caret column" "$caret" "            ^"
q '"unterminated'
expect "unterminated quote exit" "$rc" 2
q --limit nope korea
expect "bad option value exit" "$rc" 2

# --json: one object per line, parsed by a real JSON parser; match offsets
# point at the matched words, in the snippet text and in the stored body.
q --json -n 5 Kim Jong Un
expect "json exit" "$rc" 0
if command -v python3 >/dev/null; then
    printf '%s\n' "$out" >"$T/hits.json"
    python3 - "$T/hits.json" "$T/corpus/seed/wang-yi-choe-son-hui.txt" <<'PY' || fail "json checks"
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
hits = [json.loads(l) for l in lines]
assert len(hits) >= 1, "no hits"
top = hits[0]
for k in ("id", "path", "title", "date", "score", "snippets"):
    assert k in top, k
assert top["id"].endswith("wang-yi-choe-son-hui.txt"), top["id"]
seed = open(sys.argv[2], "rb").read()
body = seed.split(b"\n", 1)[1]  # the stored body: the text after the title line
words = {"kim", "jong", "un", "kim jong un"}
seen = 0
for h in hits:
    for s in h["snippets"]:
        text = s["text"].encode("utf-8")
        for m in s["matches"]:
            got = text[m["start"]:m["end"]].decode("utf-8").lower()
            assert got in words, ("snippet offsets", got)
            seen += 1
for s in top["snippets"]:
    for m in s["matches"]:
        got = body[m["body_start"]:m["body_end"]].decode("utf-8").lower()
        assert got in words, ("body offsets", got)
assert seen > 0, "no match offsets"
print("ok: json parses; offsets point at", seen, "matches")
PY
else
    echo "skipped: json checks (no python3)"
fi

# --batch: qid<TAB>query or plain lines; --format trec; --timing on stderr.
printf 'q1\tKim Jong Un\nnuclear reactor\nq3\tzzyzxqwv\n' >"$T/queries"
out=$("$BIN/lede-query" -i "$IX" --batch --format trec --timing -n 3 <"$T/queries" 2>"$T/err"); rc=$?
expect "batch exit" "$rc" 0
expect "trec lines" "$(wc -l <<<"$out")" 6
bad=$(grep -cvE '^(q1|2) Q0 [^ ]+ [1-3] -?[0-9.]+ lede$' <<<"$out")
expect "trec line format" "$bad" 0
expect "timing lines" "$(grep -cE '^(q1|2|q3)	[0-9]+$' "$T/err")" 3

# Control characters and escape sequences never reach the output.
for fmt in "" --tsv --json -l; do
    "$BIN/lede-query" -i "$IX" $fmt --color always Zanzibar >"$T/evil.out" 2>&1
    if [ -z "$fmt" ]; then
        # Our own colour codes are allowed; the document's are not.
        sed 's/\x1b\[[0-9;]*m//g' "$T/evil.out" >"$T/evil.stripped"
    else
        cp "$T/evil.out" "$T/evil.stripped"
    fi
    if LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$T/evil.stripped" || LC_ALL=C grep -q $'\xc2\x9b' "$T/evil.stripped"; then
        fail "control characters leak with '$fmt'"; cat -v "$T/evil.out"
    else
        echo "ok: no control characters with '${fmt:-text}'"
    fi
done

# NO_COLOR and --color never: no escape at all; --color always: colour.
out=$(NO_COLOR=1 "$BIN/lede-query" -i "$IX" Kim Jong Un)
grep -q $'\x1b' <<<"$out" && fail "NO_COLOR ignored" || echo "ok: NO_COLOR"
out=$("$BIN/lede-query" -i "$IX" --color always Kim Jong Un)
grep -q $'\x1b\[' <<<"$out" && echo "ok: --color always" || fail "--color always gave no colour"

# Index location: $LEDE_INDEX, then ./.lede.
out=$(LEDE_INDEX="$IX" "$BIN/lede-query" -l Kim Jong Un | head -n 1)
[[ $out == *wang-yi-choe-son-hui.txt ]] && echo "ok: \$LEDE_INDEX" || fail "LEDE_INDEX: $out"
(cd "$T" && cp -r "$IX" .lede && "$BIN/lede-query" -l Kim Jong Un >/dev/null) && echo "ok: ./.lede" || fail "./.lede"
"$BIN/lede-query" -i "$T/missing" korea 2>"$T/err"; rc=$?
expect "missing index exit" "$rc" 2

if [ "$fails" -gt 0 ]; then echo "$fails failure(s)"; exit 1; fi
echo "all ok"
