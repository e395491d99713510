#!/usr/bin/env bash
# index_html_ahead.sh — HTML pages are read and extracted ahead on threads of
# their own when -j is not 1; the main thread must still take them in input
# order and decide as it does alone.  A folder of more pages than the
# read-ahead ring holds, with a binary page, a Latin-1 page, an unreadable
# name among them and other formats between, gives at -j 1 and -j 4 the same
# messages, counts and index, on a first run, a re-run, and after a touch,
# an edit and a removal.
set -u
BIN=${LEDE_BIN_DIR:?}
T=$(mktemp -d /tmp/lede-html-ahead.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

D="$T/site"
mkdir -p "$D/a" "$D/b"
words=(harbour ministry tariff glacier orchard senate turbine vaccine lagoon quarry)
for i in $(seq 1 1200); do
    w=${words[$((i % 10))]}
    dir=$([ $((i % 2)) = 0 ] && echo a || echo b)
    printf '<!DOCTYPE html><html><head><title>Page %d about the %s</title>' "$i" "$w" \
        >"$D/$dir/p$(printf %04d "$i").html"
    printf '<script>var track%d=1;</script></head><body><nav>Home News</nav>' "$i" \
        >>"$D/$dir/p$(printf %04d "$i").html"
    printf '<article><h1>The %s, part %d</h1><p>Word%d and the %s again.</p></article>' \
        "$w" "$i" "$i" "$w" >>"$D/$dir/p$(printf %04d "$i").html"
    printf '<footer>Copyright</footer></body></html>\n' >>"$D/$dir/p$(printf %04d "$i").html"
done
printf '\x00\x01\x02not a page' >"$D/a/p0500.html"                  # binary: skipped
printf '<p>caf\xe9 in Z\xfcrich</p>' >"$D/b/latin.html"              # repaired, warned
printf 'plain text between the pages\n' >"$D/a/note.txt"
printf '{"id":"j1","title":"Record","body":"harbour record"}\n{bad\n' >"$D/b/dump.jsonl"

run() { # run J LABEL ARGS...: index at -j J, keep the messages without timings
    local j=$1 label=$2
    shift 2
    "$BIN/lede-index" -i "$T/ix$j" -j "$j" "$@" 2>&1 |
        sed -e 's/ in [0-9.]* s, [0-9.]* MB\/s//' >"$T/$label.$j"
    echo "exit ${PIPESTATUS[0]}" >>"$T/$label.$j"
}
compare() { # compare LABEL: -j 1 and -j 4 said the same
    if cmp -s "$T/$1.1" "$T/$1.4"; then
        echo "ok: $1: $(tail -2 "$T/$1.4" | head -1)"
    else
        fail "$1: -j 1 and -j 4 differ"
        diff "$T/$1.1" "$T/$1.4" | head -20
    fi
}
stats() {
    "$BIN/lede-index" -i "$1" --stats --json |
        sed -e 's/"index":"[^"]*",//' -e 's/,"disk_bytes":[0-9.e+]*//'
}

for j in 1 4; do run "$j" first "$D"; done
compare first
grep -q "p0500.html: binary file; skipped" "$T/first.4" || fail "binary page not reported"
grep -q "latin.html" "$T/first.4" || fail "Latin-1 page not reported"
grep -q "1202 added" "$T/first.4" || fail "first run: $(tail -2 "$T/first.4")"

for j in 1 4; do run "$j" again "$D"; done
compare again
grep -q "0 added, 0 updated, 1202 unchanged" "$T/again.4" || fail "re-run: $(tail -2 "$T/again.4")"

touch "$D/a/p0002.html"
sed -i 's/again\./again, by the observatory./' "$D/b/p0003.html"
rm "$D/a/p0004.html"
for j in 1 4; do run "$j" changed --prune "$D" "$D/a/p0006.html"; done
compare changed
grep -q "0 added, 1 updated, 1200 unchanged, 1 deleted" "$T/changed.4" ||
    fail "after the changes: $(tail -2 "$T/changed.4")"

# Every page touched, each index re-run with the other -j: the bytes hash
# as the other way stored them, so nothing is updated.
find "$D" -name '*.html' -exec touch {} +
"$BIN/lede-index" -i "$T/ix1" -j 4 "$D" 2>&1 | grep -q " 0 updated, 1201 unchanged" ||
    fail "-j 4 over the -j 1 index updated pages"
"$BIN/lede-index" -i "$T/ix4" -j 1 "$D" 2>&1 | grep -q " 0 updated, 1201 unchanged" ||
    fail "-j 1 over the -j 4 index updated pages"

[ "$(stats "$T/ix1")" = "$(stats "$T/ix4")" ] || fail "statistics differ"
for j in 1 4; do
    "$BIN/lede-index" -i "$T/ix$j" --check >/dev/null 2>&1 || fail "--check -j $j"
    n=$("$BIN/lede-query" -i "$T/ix$j" -c observatory)
    [ "$n" = 1 ] || fail "-j $j: the edit is found in $n documents"
    n=$("$BIN/lede-query" -i "$T/ix$j" -c word777)
    [ "$n" = 1 ] || fail "-j $j: word777 is found in $n documents"
    n=$("$BIN/lede-query" -i "$T/ix$j" -c track5 2>/dev/null)
    [ "$n" = 0 ] || fail "-j $j: a script's words are indexed"
done

echo "index_html_ahead: $fails failure(s)"
[ "$fails" -eq 0 ]
