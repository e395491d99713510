#!/usr/bin/env bash
# index_badinput.sh — bad input gets one warning each, naming file and line;
# everything else is still indexed; exit 1 when some input failed, 2 for
# usage errors.  Also --help and --version.
set -u
BIN=${LEDE_BIN_DIR:?}
T=$(mktemp -d /tmp/lede-index-bad.XXXXXX)
trap 'chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" <<<"$2"; }
expect() {
    if [ "$2" != "$3" ]; then fail "$1: got '$2', want '$3'"; else echo "ok: $1 = $3"; fi
}
has() { # has WHAT TEXT PATTERN: a fixed string must be in TEXT
    if grep -qF -- "$3" <<<"$2"; then echo "ok: $1"; else fail "$1: no '$3' in: $2"; fi
}
run() { # run ARGS... → sets out, err, rc; a sanitizer report is always a failure
    out=$("$BIN/lede-index" "$@" 2>"$T/err"); rc=$?; err=$(cat "$T/err")
    if grep -qE 'Sanitizer|runtime error' <<<"$err"; then fail "sanitizer report: lede-index $*"; echo "$err"; fi
}

D="$T/in"
mkdir -p "$D/sub"
# Malformed JSON Lines: lines 2, 4 and 6 are bad, 1, 3, 5 and 7 are good.
{
    echo '{"id": "j1", "title": "First", "body": "good one"}'
    echo '{"id": "j2", "title": "Broken", "body": "no closing brace"'
    echo '{"id": "j3", "title": "Third", "body": "good three"}'
    echo '[1, 2, 3]'
    echo '{"id": "j5", "body": "good five", "tags": ["a", "b"]}'
    echo '{"id": "j6", "body": 42}'
    printf '{"id": "j7", "body": "bad byte \xff here"}\n'
} >"$D/dump.jsonl"
printf 'Good title\n\nGood body.\n' >"$D/good.txt"
printf 'Latin-1 title\n\nna\xefve caf\xe9\n' >"$D/latin1.txt"
head -c 4096 "$BIN/lede-index" >"$D/program.txt"         # a binary file named .txt
printf '<html><head><title>Page</title><script>x()</script></head><body><p>Text &amp; more</p></body></html>' >"$D/page.html"
printf '# Markdown *title*\n\nSome **bold** words.\n' >"$D/notes.md"
: >"$D/empty.txt"
ln -s .. "$D/sub/loop"                                     # a symlink loop
ln -s /nonexistent "$D/dangling.txt"

run -i "$T/ix" --json "$D"
expect "bad input exit" "$rc" 1
# j1 j3 j5 j7, good, latin1, page, notes and empty; failed: j2 j4 j6, program, loop, dangling.
expect "bad input added" "$(field added "$out")" 9
has "malformed line named" "$err" "lede-index: warning: $D/dump.jsonl:2: malformed JSON"
has "non-object line named" "$err" "lede-index: warning: $D/dump.jsonl:4: not a JSON object"
has "wrong type named" "$err" "lede-index: warning: $D/dump.jsonl:6: field \"body\" must be a string"
has "invalid UTF-8 in JSON named" "$err" "lede-index: warning: $D/dump.jsonl:7: invalid UTF-8"
has "Latin-1 text named, with its first line not UTF-8" "$err" "lede-index: warning: $D/latin1.txt:3: not UTF-8: read as windows-1252"
has "binary file named" "$err" "lede-index: warning: $D/program.txt: binary file"
has "symlink loop named" "$err" "lede-index: warning: $D/sub/loop: symbolic link loop"
has "dangling link named" "$err" "lede-index: warning: $D/dangling.txt: broken symbolic link"
expect "bad input failed" "$(field failed "$out")" 6
expect "bad input repaired" "$(field repaired "$out")" 2
expect "one line per warning" "$(grep -c '^lede-index: warning: ' <<<"$err")" "$(wc -l <<<"$err" | tr -d ' ')"

# A path that does not exist, and an unreadable file (not testable as root).
run -i "$T/ix" "$T/missing"
expect "missing path exit" "$rc" 1
has "missing path named" "$err" "lede-index: warning: $T/missing: No such file or directory"
if [ "$(id -u)" != 0 ]; then
    printf 'x\n' >"$D/secret.txt" && chmod 000 "$D/secret.txt"
    run -i "$T/ix" --json "$D/secret.txt" "$D/good.txt"
    expect "unreadable exit" "$rc" 1
    has "unreadable named" "$err" "$D/secret.txt: cannot open: Permission denied"
fi

# stdin: text, or JSON Lines when it starts with '{'.
out=$(printf 'From stdin\n\nbody\n' | "$BIN/lede-index" -i "$T/ix2" --json - 2>&1)
expect "stdin text added" "$(field added "$out")" 1
out=$(printf '{"id":"s1","body":"a"}\n{"id":"s2","body":"b"}\n' | "$BIN/lede-index" -i "$T/ix2" --json - 2>&1)
expect "stdin jsonl added" "$(field added "$out")" 2
# Remapped JSON fields.
echo '{"docno": "r1", "headline": "H", "story": "S"}' >"$T/remap.jsonl"
run -i "$T/ix2" --json --id-field docno --title-field headline --body-field story "$T/remap.jsonl"
expect "remapped exit" "$rc" 0
expect "remapped added" "$(field added "$out")" 1
# --files-from, newline and NUL separated.
printf '%s\n%s\n' "$D/good.txt" "$D/notes.md" >"$T/list"
run -i "$T/ix5" --json --files-from "$T/list"
expect "files-from added" "$(field added "$out")" 2
printf '%s\0%s\0' "$D/good.txt" "$D/page.html" >"$T/list0"
run -i "$T/ix6" --json -0 --files-from "$T/list0"
expect "files-from -0 added" "$(field added "$out")" 2

# Usage errors: exit 2, one message in the house style.
for args in "--no-such-option x" "-j many x" "--memory lots x" "--format pdf x" \
            "--language klingon x" "" "-0 x" "--delete"; do
    # shellcheck disable=SC2086
    run -i "$T/ix" $args
    expect "usage error '$args' exit" "$rc" 2
    has "usage error '$args' style" "$err" "lede-index: error: "
done

# --help: short, with examples and the man page; --version names libraries.
run --help
expect "help exit" "$rc" 0
has "help usage" "$out" "Usage: lede-index"
has "help man page" "$out" "lede-index(1)"
[ "$(wc -l <<<"$out")" -le 30 ] || fail "--help is longer than 30 lines"
run --version
expect "version exit" "$rc" 0
has "version number" "$out" "lede-index 0."
has "version LMDB" "$out" "LMDB"
run --list-languages
has "languages" "$out" "english"

echo "index_badinput: $fails failure(s)"
[ "$fails" -eq 0 ]
