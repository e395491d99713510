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
# A brief without a single stop word "the".
printf 'Korea brief\n\nKorea exports rose.\n' >"$T/corpus/brief.txt"
# A misspelling the archive has once, as newswire archives do.
printf 'Budget note\n\nThe goverment said the budget is balanced.\n' >"$T/corpus/typo.txt"
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

# 3. The caret stands under the problem: runs of spaces and tabs are shown as
#    written (not collapsed), a CJK character is two columns wide, and a
#    pasted paragraph is shown as a window around the problem, not one line
#    of 5,000 characters with the caret far off screen.
caret_col() { # the column of the caret under the shown query (line 3 of err)
    local line; line=$(sed -n 3p <<<"$err"); line=${line%^*}; echo "${#line}"
}
shown_upto() { # the shown query (line 2) up to the caret's column, as display width
    sed -n 2p <<<"$err" | python3 -c '
import sys, unicodedata
s = sys.stdin.read().rstrip("\n"); col = int(sys.argv[1]); w = 0; out = ""
for ch in s:
    if w >= col: break
    out += ch; w += 2 if unicodedata.east_asian_width(ch) in "WF" else (0 if unicodedata.combining(ch) else 1)
print(s[len(out):len(out)+1])' "$(caret_col)"
}
q 'oil     AND (gas'
expect "caret after a run of spaces: under" "$(shown_upto)" "("
q "$(printf 'oil\t\tAND (gas')"
expect "caret after tabs: under" "$(shown_upto)" "("
q '北京  "東京'
expect "caret after CJK: under" "$(shown_upto)" '"'
long=$(python3 -c "print('word ' * 1000 + '(unclosed ' + 'more ' * 1000)")
q "$long"
expect "long query: exit" "$rc" 2
width=$(sed -n 2p <<<"$err" | wc -m)
[ "$width" -le 90 ] && ok "long query shown in $width columns" || fail "long query line of $width columns"
expect "long query: caret under" "$(shown_upto)" "("

# 4. A date the calendar does not have, or a range that ends before it
#    starts, is an error (it used to match nothing, exit 1, without a word).
for bad in 'date:2005-13' 'date:2005-02-29' 'date:2005-06..2005-05' 'date:>=2005-00'; do
    q -c "refugees $bad"
    expect "[$bad] exit" "$rc" 2
    grep -q '\^' <<<"$err" || fail "[$bad]: no caret: $err"
done
q -c 'refugees date:2004-02-29'
[ "$rc" != 2 ] && ok "29 February of a leap year" || fail "date:2004-02-29: $err"
for opt in '--since 2005-13' '--until 2005-04-31' '--since 2005-07 --until 2005-06'; do
    q -c $opt refugees
    expect "[$opt] exit" "$rc" 2
done
q -c --since 2005-06 --until 2005-06 refugees
expect "--since and --until the same month: exit" "$rc" 0

# 5. Typed without quotes, "-word" after the query's first word excludes the
#    word (it was read as options: -nuclear as -n uclear, -iraq as -i raq,
#    an index called "raq"); options written after the query still work.
q -c 'korea -nuclear'; want=$out
q -c korea -nuclear
expect "korea -nuclear unquoted: exit" "$rc" 0
expect "korea -nuclear unquoted = quoted" "$out" "$want"
q -c korea -iraq
expect "korea -iraq unquoted: exit" "$rc" 0
q -c 'korea -iraq'; want=$out
q -c korea -iraq; expect "korea -iraq unquoted = quoted" "$out" "$want"
q korea -n 2 -l
expect "options after the query: -n 2 -l lines" "$(wc -l <<<"$out")" 2
q korea -n1 --tsv
expect "options after the query: -n1 --tsv lines" "$(wc -l <<<"$out")" 1
q -c -- -nuclear korea
expect "a query that starts with -word after --: exit" "$rc" 0
q -c -nuclear korea
expect "-nuclear first: exit" "$rc" 2
grep -q -- "lede-query -- " <<<"$err" && ok "the error says to use --" || fail "no hint: $err"

# 6. A misspelt word inside quotes or NEAR gets its "did you mean" too (a
#    phrase with an unknown word matched nothing, without a word of why);
#    the phrase that ranks a capitalised name adds no second note.
q -c '"north koraa"'
expect "phrase with a typo: exit" "$rc" 1
grep -q 'did you mean "korea"' <<<"$err" && ok "phrase typo suggestion" || fail "no suggestion: $err"
q -c 'north NEAR/3 koraa'
grep -q 'did you mean "korea"' <<<"$err" && ok "NEAR typo suggestion" || fail "no suggestion: $err"
q -c 'North Koraa'
expect "name typo: one note" "$(grep -c 'koraa' <<<"$err")" 1

# 7. --batch: a line "<TAB>query" (an empty QID, as a spreadsheet exports a
#    blank first column) is numbered by its line, not printed with an empty QID.
out=$(printf '\tkorea\nq2\tkorea\n' | "$BIN/lede-query" -i "$IX" --batch -c 2>"$T/err")
expect "empty QID numbered by its line" "$(cut -f1 <<<"$out" | tr '\n' ' ')" "1 q2 "

# 8. --k1 inf scored every hit "-nan", --k1 nan was silently the default.
for v in inf nan -1; do
    q -c --k1 $v korea
    expect "--k1 $v: exit" "$rc" 2
done
q -n 1 --tsv --k1 0.9 --b 0.5 korea
[[ $(cut -f3 <<<"$out") =~ ^[0-9]+\.[0-9]+$ ]] && ok "finite --k1 and --b give a score" || fail "score: $out"

# 9. Started with stdout and stderr closed, lede-query opened the index's
#    files as descriptors 1 and 2 and wrote its note over LMDB's data file:
#    the index was destroyed by a search.  Now the index is untouched and the
#    lost output is an error (exit 2), as for grep.
cp -r "$IX" "$T/ix2"
sh -c 'exec "$1" -i "$2" -c zzzqwxv >&- 2>&-' sh "$BIN/lede-query" "$T/ix2"; rc=$?
expect "stdout and stderr closed: exit" "$rc" 2
sh -c 'exec "$1" -i "$2" -c korea >&-' sh "$BIN/lede-query" "$T/ix2" 2>"$T/err"; rc=$?
expect "stdout closed: exit" "$rc" 2
grep -q 'cannot write output' "$T/err" && ok "stdout closed: reported" || fail "not reported: $(cat "$T/err")"
"$BIN/lede-query" -i "$T/ix2" -c korea >/dev/null 2>"$T/err"
expect "the index still opens" "$?" 0
data_before=$(cksum <"$IX/data.mdb")
expect "data.mdb unchanged" "$(cksum <"$T/ix2/data.mdb")" "$data_before"
# A batch whose output cannot be written fails too (each query was flushed,
# so the last flush had nothing left to report).
if [ -w /dev/full ]; then
    printf 'korea\ntalks\n' | "$BIN/lede-query" -i "$IX" --batch -c >/dev/full 2>/dev/null
    expect "batch to /dev/full: exit" "$?" 2
fi

# 10. -a requires every word, but a stop word is no more wanted with -a than
#     without it: "-a the korea" lost the brief that lacks "the".  A stop word
#     required explicitly (+the) still is.
q -c korea; want=$out
q -c -a the korea
expect "-a the korea = korea" "$out" "$want"
q -l -a the korea
grep -q 'brief.txt' <<<"$out" && ok "-a the korea finds the brief" || fail "-a the korea: no brief.txt"
q -l '+the korea'
grep -q 'brief.txt' <<<"$out" && fail "+the korea found the brief without 'the'" || ok "+the still required"

# 11. A misspelt query word that the archive also misspells once found that
#     one document, silently, beside dozens about the word meant: a long word
#     one edit from a far more frequent one gets a "did you mean" note too.
q -c goverment
expect "goverment: exit" "$rc" 0
grep -q 'did you mean "government"' <<<"$err" && ok "rare typo suggestion" || fail "no suggestion: $err"
q -c zanzibar government
grep -q 'did you mean' <<<"$err" && fail "a note for a frequent word: $err" || ok "no note for frequent words"

if [ "$fails" -gt 0 ]; then echo "$fails failure(s)"; exit 1; fi
echo "all ok"
