#!/usr/bin/env bash
# index_oversize.sh — a document larger than a quarter of the memory budget
# (at least 1 MiB) is not read whole: it is reported, naming its file and
# line, counted as failed, and everything else is indexed.  Inputs without
# end (/dev/zero, `yes |`) end with a message instead of taking memory until
# there is none.  And --prune keeps the documents of a file that failed in
# part: the record that failed may be theirs.
set -u
BIN=${LEDE_BIN_DIR:?}
T=$(mktemp -d /tmp/lede-oversize.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# idx ARGS...: lede-index into $T/ix at --memory 4M (documents up to 1 MiB);
# its messages without timings in $T/out, its exit status in $rc.
idx() {
    timeout 60 "$BIN/lede-index" -i "$T/ix" --memory 4M "$@" >"$T/out" 2>&1
    rc=$?
    sed -i -e 's/ in [0-9.]* s, [0-9.]* MB\/s//' "$T/out"
}
count() { "$BIN/lede-query" -i "$T/ix" -c "$1" 2>/dev/null; }
# line ID WORD BYTES: a JSON line whose body is WORD, then filler to BYTES.
line() {
    printf '{"id":"%s","body":"%s ' "$1" "$2"
    head -c "$3" /dev/zero | tr '\0' 'x'
    printf '"}\n'
}

# 1. JSON Lines: the line over the limit is skipped by name, its neighbours
#    indexed; a line just under the limit is indexed, at either -j.
for j in 1 4; do
    rm -rf "$T/ix"
    { line a alpha 10; line b bravo 1100000; line c charlie 10; line d delta 1048000; } >"$T/a.jsonl"
    idx -j "$j" "$T/a.jsonl"
    [ "$rc" = 1 ] || fail "-j $j: exit $rc for an oversize line"
    grep -q "a.jsonl:2: larger than the 1 MiB a document may take at --memory 4M" "$T/out" ||
        fail "-j $j: the oversize line is not named: $(cat "$T/out")"
    grep -q "3 added, 0 updated, 0 unchanged, 0 deleted, 1 failed" "$T/out" ||
        fail "-j $j: counts: $(tail -1 "$T/out")"
    for w in alpha charlie delta; do [ "$(count $w)" = 1 ] || fail "-j $j: $w not indexed"; done
    [ "$(count bravo)" = 0 ] || fail "-j $j: the oversize line was indexed"
done

# 2. A JSON document: the oversize record is named by its first line.
rm -rf "$T/ix"
{
    printf '[\n'
    line e echo 10 | sed 's/$/,/'
    line f foxtrot 1100000 | sed 's/$/,/'
    line g golf 10
    printf ']\n'
} >"$T/b.json"
idx "$T/b.json"
grep -q "b.json:3: larger than the 1 MiB .*; record skipped" "$T/out" ||
    fail "oversize JSON record: $(cat "$T/out")"
grep -q "2 added, .* 1 failed" "$T/out" || fail "JSON counts: $(tail -1 "$T/out")"
[ "$(count golf)" = 1 ] || fail "the record after the oversize one is lost"

# 3. Files and streams over the limit, and a binary stream.
mkdir "$T/d"
printf 'Small\n\nhotel india\n' >"$T/d/small.txt"
{ printf 'Big\n\njuliet '; head -c 1100000 /dev/zero | tr '\0' 'k'; } >"$T/d/big.txt"
idx "$T/d"
grep -q "big.txt: larger than the 1 MiB .*; skipped" "$T/out" || fail "big file: $(cat "$T/out")"
[ "$(count hotel)" = 1 ] || fail "the small file beside the big one is lost"
[ "$(count juliet)" = 0 ] || fail "the big file was indexed"
yes | idx -
grep -q "<stdin>: larger than the 1 MiB" "$T/out" || fail "endless stdin: rc $rc, $(cat "$T/out")"
[ "$rc" = 1 ] || fail "endless stdin: exit $rc"
idx /dev/zero
grep -q "/dev/zero: binary file; skipped" "$T/out" || fail "/dev/zero: rc $rc, $(cat "$T/out")"
idx --format txt /dev/zero
grep -q "/dev/zero: larger than the 1 MiB" "$T/out" || fail "/dev/zero as text: rc $rc, $(cat "$T/out")"
"$BIN/lede-index" -i "$T/ix" --check >/dev/null 2>&1 || fail "--check after the oversize inputs"

# 4. --prune: the records of a dump with a failed line stay; once the file
#    reads cleanly, the record removed from it goes.
rm -rf "$T/ix"
{ line k kilo 10; line l lima 10; line m mike 10; } >"$T/c.jsonl"
idx "$T/c.jsonl"
{ line k kilo 10; printf '{"id":"l","body":"lima}\n'; } >"$T/c.jsonl"
idx --prune "$T/c.jsonl"
grep -q "c.jsonl:2: malformed JSON" "$T/out" || fail "malformed line: $(cat "$T/out")"
grep -q "2 documents indexed from this file before are not in it now, but are kept" "$T/out" ||
    fail "kept records not reported: $(cat "$T/out")"
grep -q " 0 deleted, 1 failed" "$T/out" || fail "prune with a failed line: $(tail -1 "$T/out")"
[ "$(count lima)" = 1 ] || fail "the record whose line failed was pruned"
{ line k kilo 10; line l lima 10; } >"$T/c.jsonl"
idx --prune "$T/c.jsonl"
grep -q " 1 deleted, 0 failed" "$T/out" || fail "prune after the fix: $(tail -1 "$T/out")"
[ "$(count mike)" = 0 ] || fail "the removed record stayed"
[ "$(count lima)" = 1 ] || fail "the fixed record is lost"

echo "index_oversize: $fails failure(s)"
[ "$fails" -eq 0 ]
