#!/usr/bin/env bash
# robust_hostile.sh — hostile input, each case with its expected outcome.
# One folder mixes ordinary articles with the hostile files and is indexed
# in one run; every hostile file gets its one warning naming it (and the
# line, where there is one), is skipped or repaired as stated below, and
# every ordinary article is still indexed exactly once.
#
#   invalid UTF-8           repaired (U+FFFD), warned with file:line, indexed
#   NUL in the first 8 KB   binary: warned, skipped, counted as failed
#   NUL further on          repaired, warned with file:line, indexed
#   binary files (PNG, ELF) warned "binary", skipped
#   empty .txt/.md/.html/.jsonl  no crash; no warning for the empty .jsonl
#   unreadable file         warned (permission denied), counted as failed
#   symlink loops           warned "loop", not followed; nothing indexed twice
#   a path that is missing  warned with the path; exit 1
#   10,000-level nested JSON line   warned with file:1, the next line indexed
#   1 MB JSON id            indexed; the id comes back whole in --json
#   50 MB single-line body  indexed; its last word is found, with a snippet
#   escape sequences in a title and body    indexed; no ESC, BEL, C1 control
#                           or OSC from the article reaches the output, in
#                           text, TSV, JSON (valid, escaped) or on a pty
#   100,000-character queries, 50,000 nested parentheses, operators only:
#                           answered, or exit 2 with a caret under the
#                           problem — never a crash
set -u
. "$LEDE_SOURCE_DIR/tests/robust/lib.sh"
require_commands
chmod 755 "$T"

in=$T/in
mkdir -p "$in/ordinary" "$in/loop"
n_ordinary=0
for f in "$LEDE_SOURCE_DIR"/corpus/wikinews/*.txt; do
    cp "$f" "$in/ordinary/"
    n_ordinary=$((n_ordinary + 1))
    [ "$n_ordinary" = 12 ] && break
done
printf 'Good article\n\nThe zqgood word is here.\n' >"$in/good.txt"
printf 'Bad \xff\xfe utf8 title\n\nSome zqbadutf \xc3\x28 text on line three.\n' >"$in/badutf8.txt"
printf 'Nul\x00 title\n\nzqnul text\n' >"$in/nul.txt"
{ printf 'Late nul\n\n'; for _ in $(seq 1 300); do printf 'filler words to pass eight kilobytes\n'; done
  printf 'zqlatenul \x00 end\n'; } >"$in/latenul.txt"
printf '\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR zqpng' >"$in/image.txt"
head -c 4096 "$(command -v bash)" >"$in/program.md"
: >"$in/empty.txt"; : >"$in/empty.md"; : >"$in/empty.html"; : >"$in/empty.jsonl"
printf 'Secret\n\nzqsecret\n' >"$in/unreadable.txt"
chmod 000 "$in/unreadable.txt"
ln -s .. "$in/loop/up"
ln -s self.txt "$in/self.txt"
ln -s b.txt "$in/a.txt"; ln -s a.txt "$in/b.txt"
python3 - "$in/hostile.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    f.write('{"id":"deep","body":"x","m":' + "[" * 10000 + "]" * 10000 + "}\n")
    f.write(json.dumps({"id": "after-deep", "title": "After deep", "body": "zqafterdeep"}) + "\n")
    f.write(json.dumps({"id": "L" + "i" * 999999, "title": "Long id", "body": "zqlongid"}) + "\n")
PY
printf 'Escapes \x1b]0;pwned\x07 title zqescape\n\nBody with \x1b[2J \x1b[31m zqescape \x1b[0m, C1 \xc2\x9b31m, bell\x07, backspace\x08 and \x1bP device control \x1b\\ zqescape.\n' >"$in/escapes.txt"

# Root reads every file whatever its mode: then the run drops to nobody.
as_user=()
if [ "$(id -u)" = 0 ]; then
    as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    mkdir -p "$T/ix"; chmod 777 "$T/ix"
fi
run 300 "${as_user[@]}" "$IDX_BIN" -i "$T/ix/db" "$in" "$T/does/not/exist"
expect_rc "mixed folder indexed, some inputs failed" 1
cp "$T/err" "$T/index.err"
warned() { # PATTERN WHAT
    if grep -qE "$1" "$T/index.err"; then ok "$2"; else fail "$2: no warning matching '$1'"; fi
}
count() { # QUERY → hits
    timeout -s KILL 60 "$Q_BIN" -i "$T/ix/db" -c "$1" 2>/dev/null
}
expect_count() { # QUERY WANT WHAT
    local c
    c=$(count "$1")
    [ "$c" = "$2" ] && ok "$3 ($1: $c)" || fail "$3: '$1' counts '$c', want $2"
}
warned 'badutf8\.txt:1: .*UTF-8' "invalid UTF-8 warned with file and line"
expect_count zqbadutf 1 "invalid UTF-8 repaired and indexed"
warned 'nul\.txt: .*binary' "NUL near the start: binary, warned"
expect_count zqnul 0 "NUL near the start: skipped"
warned 'latenul\.txt:[0-9]+: ' "NUL further on warned with file and line"
expect_count zqlatenul 1 "NUL further on: repaired and indexed"
warned 'image\.txt: .*binary' "PNG bytes named .txt: binary, warned"
warned 'program\.md: .*binary' "an executable named .md: binary, warned"
expect_count zqpng 0 "binary files skipped"
if grep -qE 'empty\.jsonl' "$T/index.err"; then fail "empty .jsonl warned about"; else ok "empty .jsonl: no records, no warning"; fi
warned 'unreadable\.txt: .*(ermission|denied)' "unreadable file warned"
[ ${#as_user[@]} -gt 0 ] || [ "$(id -u)" != 0 ] && expect_count zqsecret 0 "unreadable file not indexed"
warned 'loop/up: .*loop' "symlink to a parent folder: loop warned"
warned 'self\.txt: .*loop' "symlink to itself: loop warned"
warned '(a|b)\.txt: .*loop' "two symlinks to each other: loop warned"
expect_count zqgood 1 "nothing indexed twice through the loop"
warned 'does/not/exist' "missing path warned by name"
warned 'hostile\.jsonl:1: ' "10,000-level nested JSON warned with file:line"
expect_count zqafterdeep 1 "the line after the nested one indexed"
expect_count zqlongid 1 "1 MB id indexed"
run 60 "$Q_BIN" -i "$T/ix/db" --json zqlongid
if python3 -c 'import json,sys; h=json.loads(open(sys.argv[1]).readline()); sys.exit(0 if h["id"]=="L"+"i"*999999 else 1)' "$T/out"; then
    ok "1 MB id comes back whole in --json"
else
    fail "1 MB id not returned whole: $(head -c 200 "$T/out")"
fi
stats=$(timeout 60 "$IDX_BIN" -i "$T/ix/db" --stats --json)
ordinary=$(timeout 60 "$Q_BIN" -i "$T/ix/db" -l -n 1000 'the OR a OR of' 2>/dev/null | grep -c '/ordinary/')
[ "$ordinary" = "$n_ordinary" ] && ok "all $n_ordinary ordinary articles indexed beside the hostile files" ||
    fail "$ordinary of $n_ordinary ordinary articles found"
run 300 "$IDX_BIN" -i "$T/ix/db" --check
expect_rc "--check on the index of the hostile folder" 0

# Escape sequences: what lede prints must not carry them, whatever the format.
no_raw_controls() { # FILE WHAT — no control byte but \n \t and lede's own SGR colours
    if LC_ALL=C sed 's/\x1b\[[0-9;]*m//g' "$1" | LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]\|\xc2[\x80-\x9f]'; then
        fail "$2: raw control bytes in the output: $(LC_ALL=C sed 's/\x1b\[[0-9;]*m//g' "$1" | od -c | grep -m2 -E '033|007|302')"
    else
        ok "$2: no raw control sequence"
    fi
}
for fmt in "" --tsv --json "--color=always" "--explain"; do
    run 60 "$Q_BIN" -i "$T/ix/db" $fmt zqescape
    expect_rc "escape article found ${fmt:-(text)}" 0 && no_raw_controls "$T/out" "escapes ${fmt:-(text)}"
done
run 60 "$Q_BIN" -i "$T/ix/db" --json zqescape
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$T/out" &&
    ok "--json with escapes in the article is valid JSON" || fail "--json output is not valid JSON"
# A terminal needs a pseudo-terminal: chroots and some containers have no
# /dev/pts, and then this case is skipped, saying so.
if command -v script >/dev/null && script -qec true /dev/null >/dev/null 2>&1; then
    timeout -s KILL 60 script -qec "$Q_BIN -i $T/ix/db zqescape" /dev/null >"$T/pty.out" 2>&1
    tr -d '\r' <"$T/pty.out" >"$T/pty.txt"
    grep -q zqescape "$T/pty.txt" && no_raw_controls "$T/pty.txt" "escapes on a terminal (pty)" ||
        fail "on a pty: $(head -c 200 "$T/pty.txt")"
else
    echo "note: skipped the pseudo-terminal case: no pty can be made here"
fi

# Hostile queries.
long=$(python3 -c '
import random
random.seed(7)
words = ["zqgood", "korea", "minister", "nuclear", "the", None]
out = []
for i in range(20000):
    w = random.choice(words)
    out.append(w if w else "xyzzy%d" % i)
print(" ".join(out)[:100000].rsplit(" ", 1)[0])')
run 120 "$Q_BIN" -i "$T/ix/db" -n 3 "$long"
expect_rc "100,000-character query of words (${#long} characters)" 0
run 120 "$Q_BIN" -i "$T/ix/db" -c "$(head -c 100000 /dev/zero | tr '\0' 'q')"
expect_rc "100,000-character single word" 0 1
run 120 "$Q_BIN" -i "$T/ix/db" -c "$(python3 -c 'print("(" * 50000 + "zqgood" + ")" * 50000)')"
expect_rc "50,000 nested parentheses" 0 1 2
run 120 "$Q_BIN" -i "$T/ix/db" -c "$(python3 -c 'print("NOT " * 20000 + "zqgood")')"
expect_rc "20,000 NOTs in a row" 0 1 2
for q in 'AND OR NOT' 'AND' '+ - * ( )' 'NEAR/3' '"' '((' ')' 'title:' 'date:' '-' 'OR OR OR'; do
    run 60 "$Q_BIN" -i "$T/ix/db" "$q"
    if expect_rc "operators only: [$q]" 2; then
        grep -q '\^' "$T/err" && ok "[$q]: a caret under the problem" || fail "[$q]: no caret: $(head -c 200 "$T/err")"
    fi
done

# A 50 MB single-line document (10 MB in the sanitizer build, which is
# several times slower), indexed alone.
mb=50
[ "$SANITIZE" = 1 ] && mb=10
mkdir -p "$T/big"
python3 - "$T/big/huge.txt" "$mb" <<'PY'
import random, sys
random.seed(1)
words = ["alpha", "beta", "gamma", "delta", "korea", "summit", "oil", "market", "river", "storm"]
target = int(sys.argv[2]) << 20
parts, n = [], 0
while n < target:
    w = random.choice(words) + " "
    parts.append(w)
    n += len(w)
with open(sys.argv[1], "w") as f:
    f.write("Huge single line\n\n" + "".join(parts) + "zqhugeend")
PY
run 900 "$IDX_BIN" -i "$T/bigix" "$T/big"
expect_rc "${mb} MB single-line document indexed" 0
run 120 "$Q_BIN" -i "$T/bigix" zqhugeend
expect_rc "its last word found" 0 && grep -q zqhugeend "$T/out" && ok "with a snippet around it"
finish
