#!/usr/bin/env bash
# index_userland.sh — what a new user's own archive does to lede-index, each
# case found by indexing real and realistic folders and dumps:
# two folders with the same layout (neither replaces the other), dates in
# the forms archives use (filters and sorting see them as ISO 8601),
# Latin-1 and UTF-16 files (read, findable, not "binary"), JSON \u0000 and
# lone surrogates (nothing lost), and the progress bar on a narrow terminal.
set -u
BIN=${LEDE_BIN_DIR:?}
T=$(mktemp -d /tmp/lede-index-userland.XXXXXX)
trap 'rm -rf "$T"' EXIT
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
q() { "$BIN/lede-query" -i "$IX" "$@" 2>/dev/null; }
cd "$T" || exit 1

# ---- Two folders with the same layout -------------------------------
# Ids are paths relative to the folder given, so 2023/01/story.txt and
# 2024/01/story.txt were both "01/story.txt": the second replaced the
# first ("1 added, 1 updated" on a fresh index), and every re-run updated
# both.
IX="$T/ix1"
mkdir -p 2023/01 2024/01
printf 'Budget vote\n\nThe council approved the zqbudgetalpha plan.\n' >2023/01/story.txt
printf 'Budget vote again\n\nThe council rejected the zqbudgetbeta plan.\n' >2024/01/story.txt
run -i "$IX" --json 2023 2024
expect "same layout: exit" "$rc" 0
expect "same layout: added" "$(field added "$out")" 2
expect "same layout: updated" "$(field updated "$out")" 0
has "same layout: warned" "$err" "2024/01/story.txt"
expect "same layout: first findable" "$(q -c zqbudgetalpha)" 1
expect "same layout: second findable" "$(q -c zqbudgetbeta)" 1
run -i "$IX" --json 2023 2024
expect "same layout: re-run unchanged" "$(field unchanged "$out")" 2
expect "same layout: re-run updated" "$(field updated "$out")" 0

# ---- Dates ------------------------------------------------------------
# Stored as found, "5 March 2024" sorted after every ISO date and passed
# --since 2024-06; an RFC 2822 date from a feed could not be filtered.
IX="$T/ix2"
cat >dates.jsonl <<'J'
{"id": "iso", "date": "2024-03-05", "body": "zqdate iso"}
{"id": "words", "date": "5 March 2024", "body": "zqdate words"}
{"id": "us", "date": "March 6, 2024", "body": "zqdate us"}
{"id": "rfc", "date": "Mon, 04 Mar 2024 09:30:00 +0000", "body": "zqdate rfc"}
{"id": "epoch", "date": 1709251200, "body": "zqdate epoch"}
{"id": "old", "date": "26-FEB-1987 15:01:01.79", "body": "zqdate old"}
{"id": "ambiguous", "date": "05/03/2024", "body": "zqdate ambiguous"}
J
run -i "$IX" --json dates.jsonl
expect "dates: exit" "$rc" 0
expect "dates: since 2024-03-05" "$(q -c --since 2024-03-05 zqdate)" 3
expect "dates: until 2024-02" "$(q -c --until 2024-02 zqdate)" 1
expect "dates: since 2024-06" "$(q -c --since 2024-06 zqdate)" 0
order=$(q --tsv --sort date -n 10 zqdate | cut -f2 | tr '\n' ' ')
expect "dates: sorted oldest first" "$order" "old epoch rfc iso words us ambiguous "
json=$(q --json 'zqdate rfc')
has "dates: RFC 2822 stored as ISO" "$json" '"date":"2024-03-04T09:30:00Z"'
json=$(q --json 'zqdate ambiguous')
has "dates: ambiguous date kept in metadata" "$json" '"meta":{"date":"05/03/2024"}'
# ... and said once for the file, at the first such line.
has "dates: the unread date warned" "$err" "lede-index: warning: dates.jsonl:7: a date that cannot be read without guessing"
printf '{"id": "a%d", "date": "0%d/03/2024", "body": "zqdate more"}\n' 1 1 2 2 3 3 >more.jsonl
run -i "$IX" more.jsonl
expect "dates: three unread dates, one warning" "$err" "lede-index: warning: more.jsonl:1: 3 documents have dates that cannot be read without guessing, the first on this line (such as 05/03/2024): they are undated, their dates kept in their metadata"

# ---- Legacy encodings -------------------------------------------------
IX="$T/ix3"
mkdir enc
printf 'R\xe9sum\xe9 des d\xe9bats\n\nLe d\xe9put\xe9 a \xe9t\xe9 r\xe9\xe9lu \xe0 Montr\xe9al.\n' >enc/latin1.txt
printf '<html><body><h1>\xc9lection</h1><p>Caf\xe9 \x93cr\xe8me\x94</p></body></html>' >enc/latin1.html
printf '\xff\xfeW\0i\0n\0d\0o\0w\0s\0\n\0\n\0z\0q\0u\0t\0f\0s\0i\0x\0t\0e\0e\0n\0 \0c\0a\0f\0\xe9\0\n\0' >enc/utf16.txt
run -i "$IX" --json enc
expect "encodings: exit" "$rc" 0
expect "encodings: added" "$(field added "$out")" 3
expect "encodings: latin-1 word findable" "$(q -c 'montreal')" 1
expect "encodings: latin-1 html findable" "$(q -c 'creme')" 1
expect "encodings: utf-16 findable" "$(q -c 'zqutfsixteen')" 1
json=$(q --json 'resume')
has "encodings: latin-1 title decoded" "$json" '"title":"Résumé des débats"'
json=$(q --json 'zqutfsixteen')
has "encodings: utf-16 title" "$json" '"title":"Windows"'

# ---- JSON escapes -----------------------------------------------------
IX="$T/ix4"
cat >esc.jsonl <<'J'
{"id": "nul", "title": "Before \u0000 after", "body": "zqnulhead \u0000 zqnultail"}
{"id": "lone", "title": "Lone \ud800 surrogate", "body": "zqlone body"}
{"id": "num", "title": 1984, "body": "zqorwell"}
J
run -i "$IX" --json esc.jsonl
expect "escapes: failed" "$(field failed "$out")" 0
expect "escapes: added" "$(field added "$out")" 3
expect "escapes: text after \\u0000 kept" "$(q -c zqnultail)" 1
expect "escapes: lone surrogate record kept" "$(q -c zqlone)" 1
has "escapes: numeric title" "$(q --json zqorwell)" '"title":"1984"'

# ---- File names that hold terminal escapes --------------------------------
# A warning printed the name raw: ESC sequences from an archive's file
# names reached the terminal, and a newline split the message in two.
IX="$T/ix6"
mkdir names
head -c 2048 "$BIN/lede-index" >"names/$(printf 'evil\033]0;pwned\007\nname.txt')"
run -i "$IX" names
if grep -q $'\033' <<<"$err"; then fail "escape sequence reached stderr raw"; else echo "ok: no raw ESC on stderr"; fi
has "escaped name in the warning" "$err" 'names/evil\x1b]0;pwned\x07\nname.txt: binary file; skipped'
expect "one line per warning" "$(wc -l <<<"$err" | tr -d ' ')" 1

# ---- A typo in a field option ----------------------------------------------
# --body-field bodytext on records with "body": "1 added, 0 failed", the
# text moved to the metadata and the body empty, without a word.
IX="$T/ix10"
echo '{"id": "t1", "title": "Typo", "body": "zqtypobody"}' >typo.jsonl
run -i "$IX" --json --body-field bodytext typo.jsonl
expect "field typo: exit" "$rc" 1
expect "field typo: failed" "$(field failed "$out")" 1
has "field typo: named" "$err" 'typo.jsonl:1: no field "bodytext" (--body-field) in this record'
run -i "$IX" --json --id-field docid typo.jsonl
expect "id field typo: failed" "$(field failed "$out")" 1

# ---- A field option changed between runs ----------------------------------
# Re-running with --body-field fixed reported every record "unchanged" (its
# line's bytes were): the old body stayed indexed and the new one unfound.
IX="$T/ix11"
echo '{"id": "m1", "title": "Mapped", "body": "zqmapbody", "story": "zqmapstory"}' >map.jsonl
run -i "$IX" --json map.jsonl
expect "field change: first run added" "$(field added "$out")" 1
run -i "$IX" --json --body-field story map.jsonl
expect "field change: updated" "$(field updated "$out")" 1
expect "field change: new body found" "$(q -c zqmapstory)" 1
expect "field change: old body gone" "$(q -c zqmapbody)" 0
run -i "$IX" --json --body-field story map.jsonl
expect "field change: same option again unchanged" "$(field unchanged "$out")" 1
run -i "$IX" --json map.jsonl
expect "field change: back to the default updated" "$(field updated "$out")" 1
expect "field change: default body found again" "$(q -c zqmapbody)" 1
run -i "$IX" --json --title-field title --id-field id --date-field date map.jsonl
expect "field change: the default names spelt out unchanged" "$(field unchanged "$out")" 1
# A file read with another --format: re-read when its bytes are read again
# (touched), not skipped as the same bytes.
printf '# Heading\n\nsome *zqmdtext*\n' >notes.txt
run -i "$IX" --json notes.txt
touch -d '2001-01-01' notes.txt
run -i "$IX" --json --format md notes.txt
expect "format change: updated" "$(field updated "$out")" 1
has "format change: read as Markdown" "$(q --json zqmdtext)" '"title":"Heading"'
# ... and untouched: --format other than the name's reads the bytes, whose
# hash says whether they were read that way before.
printf 'Plain\n\nsome *zqplaintext*\n' >plain.txt
run -i "$IX" --json plain.txt
run -i "$IX" --json --format md plain.txt
expect "format change, untouched: updated" "$(field updated "$out")" 1
run -i "$IX" --json --format md plain.txt
expect "format change, untouched: the same format again unchanged" "$(field unchanged "$out")" 1

# ---- Files of other types --------------------------------------------------
# A folder of .pdf and .docx files ended in "0 added, 0 failed" and exit 0,
# with nothing to say why: one note now names what was left out.
IX="$T/ix8"
mkdir -p other/sub
printf 'Kept\n\nzqkept\n' >other/kept.txt
printf '%%PDF-1.4' >other/a.pdf; printf '%%PDF-1.4' >other/sub/b.pdf; : >other/c.docx; : >other/Makefile
printf 'About this collection\n' >other/README.md
run -i "$IX" --json other
expect "other types: exit" "$rc" 0
expect "other types: added" "$(field added "$out")" 1
has "other types: one note" "$err" "lede-index: note: 4 files of other types not indexed (1 without an extension, 2 .pdf, 1 .docx)"
run -i "$IX" -q other
expect "other types: quiet" "$err" ""

# ---- An index named with a trailing slash -------------------------------
# "-i news.lede/" (tab completion) made --rebuild build news.lede/.rebuild
# inside the index and fail to swap it in: exit 2, "cannot move aside".
run -i "$T/ix9/" --json other
run -i "$T/ix9/" --json --rebuild other
expect "trailing slash: --rebuild exit" "$rc" 0
expect "trailing slash: --rebuild added" "$(field added "$out")" 1
if [ -e "$T/ix9/.rebuild" ] || [ -e "$T/ix9.rebuild" ]; then fail "trailing slash: rebuild leftovers"; else echo "ok: trailing slash: no leftovers"; fi
expect "trailing slash: index answers" "$("$BIN/lede-query" -i "$T/ix9" -c zqkept 2>&1)" 1

# ---- The progress bar on a narrow terminal ------------------------------
# A bar wider than the terminal wraps, and "\r" then redraws only its last
# line: every redraw left a line behind.
if command -v script >/dev/null 2>&1; then
    IX="$T/ix5"
    for i in $(seq 1 300); do printf '{"id":"p%d","body":"progress line %d with words"}\n' "$i" "$i"; done >p.jsonl
    script -qc "stty cols 50; '$BIN/lede-index' -i '$IX' p.jsonl" /dev/null >"$T/tty" 2>&1


    bar=$(tr '\r' '\n' <"$T/tty" | sed 's/\x1b\[K//g' | grep -E ' docs ' | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }')
    if [ "$bar" -gt 0 ] && [ "$bar" -lt 50 ]; then echo "ok: bar fits 50 columns ($bar)"; else fail "bar of $bar columns on a 50-column terminal"; fi


    # Killed while the bar is drawn (here: waiting on a FIFO after a
    # folder), it left the bar half a line with what came next glued on.
    mkdir -p sig/in
    for i in 1 2 3; do printf 'Title %d\n\nbody\n' "$i" >"sig/in/$i.txt"; done
    mkfifo sig/fifo.txt
    # The kill waits for the bar to be on the terminal (up to 20 s: a
    # loaded CI machine took over a second to get there), not a fixed time.
    script -qc "'$BIN/lede-index' -i '$T/ix7' sig/in sig/fifo.txt & p=\$!; for i in \$(seq 200); do grep -q ' docs' '$T/tty2' && break; sleep 0.1; done; sleep 0.2; kill -TERM \$p; wait \$p; echo \"rc=\$?\"" /dev/null >"$T/tty2" 2>&1 &
    sp=$!
    # A writer that writes nothing, so the reader blocks; killed after the
    # run in case lede-index never opened the FIFO.
    (exec 9>sig/fifo.txt; sleep 25) &
    wp=$!
    wait $sp
    kill $wp 2>/dev/null
    wait $wp 2>/dev/null
    # The shell may report the kill itself ("Terminated", as dash does when
    # script(1) runs under no $SHELL): not lede-index's output, dropped.
    tail=$(tr '\r' '\n' <"$T/tty2" | sed 's/\x1b\[K//g' | grep -v -e '^$' -e 'Terminated' | tail -2)
    has "interrupted: the bar gives way to a message" "$tail" "lede-index: interrupted: the batches committed so far stay in the index"
    has "interrupted: still dies of the signal" "$tail" "rc=143"
else
    echo "skipped: no script(1) for a terminal"
fi

# ---- Started with stdout and stderr closed ---------------------------
# As a cron job may start it: LMDB's files were opened as descriptors 1
# and 2, and the warning about the malformed line written into one of them
# (lock.mdb or data.mdb, as the opens fell).
IX="$T/ix8"
printf '{"id":"a","title":"Alpha","body":"zqclosedfds text"}\n' >closed1.jsonl
printf '{"id":"b","title":"Beta","body":"zqclosedfds more"}\nnot json\n' >closed2.jsonl
"$BIN/lede-index" -q -i "$IX" closed1.jsonl
"$BIN/lede-index" -i "$IX" closed2.jsonl >&- 2>&-
expect "closed fds: exit" "$?" 1
expect "closed fds: no message in the index files" "$(cat "$IX"/* | grep -c malformed)" 0
"$BIN/lede-index" -q -i "$IX" --check >/dev/null 2>&1 || fail "closed fds: --check fails afterwards"
expect "closed fds: indexed" "$(q -l zqclosedfds | tr '\n' ' ')" "a b "

# ---- --verbose names ids with their control characters escaped --------
printf '{"id":"a\\u001b[31mred","body":"zqverbose"}\n' >esc.jsonl
run -v -i "$T/ix9" esc.jsonl
has "--verbose: the id escaped" "$err" 'added a\x1b[31mred'
expect "--verbose: no raw escape" "$(grep -c $'\x1b' <<<"$err")" 0

# ---- The same file reached by another name ----------------------------
# A folder indexed, then one of its files named on its own, by an absolute
# path or one typed another way: each had become a second document (ids
# "x.md", "arch/x.md", "/.../arch/x.md").  The file keeps its document.
mkdir -p twin/arch
printf 'Alpha\n\nzqtwin alpha body\n' >twin/arch/x.md
run -i "$T/ix10" --json twin/arch
run -i "$T/ix10" --json twin/arch/x.md
expect "same file, named alone: unchanged" "$(field unchanged "$out") $(field added "$out")" "1 0"
run -i "$T/ix10" --json "$T/twin/arch/x.md"
expect "same file, absolute path: unchanged" "$(field unchanged "$out") $(field added "$out")" "1 0"
printf 'Alpha\n\nzqtwin alpha changed\n' >twin/arch/x.md
run -i "$T/ix10" --json twin/./arch/../arch/x.md
expect "same file, changed: one update" "$(field updated "$out") $(field added "$out")" "1 0"
expect "same file: one document, its first id" "$("$BIN/lede-query" -i "$T/ix10" --tsv zqtwin | cut -f2)" "x.md"

# ---- Documents piped in -------------------------------------------------
# Every document read from - was "stdin", so the second pipe replaced the
# first without a word.  --stdin-id names it; the same text piped again is
# unchanged; an unnamed one replaced says so.
IX="$T/ix11"
stdin_run() { out=$(printf '%s\n\nbody %s\n' "$1" "$1" | "$BIN/lede-index" -i "$IX" --json "${@:2}" - 2>"$T/err"); rc=$?; err=$(cat "$T/err"); }
stdin_run zqpipeone --stdin-id https://example.org/one
stdin_run zqpipetwo --stdin-id https://example.org/two
expect "stdin: both kept" "$(q -l zqpipeone zqpipetwo | sort | tr '\n' ' ')" "https://example.org/one https://example.org/two "
stdin_run zqpipetwo --stdin-id https://example.org/two
expect "stdin: the same text again is unchanged" "$(field unchanged "$out") $(field added "$out")" "1 0"
stdin_run zqpipethree
stdin_run zqpipefour
expect "stdin: unnamed, replaced: one update" "$(field updated "$out")" 1
has "stdin: unnamed, replaced: warned" "$err" "name each with --stdin-id ID"
out=$(printf '{"body":"zqpipejson a"}\n{"body":"zqpipejson b"}\n' | "$BIN/lede-index" -i "$IX" -q --stdin-id feed -)
expect "stdin: JSON lines without ids take the name" "$(q -l zqpipejson | sort | tr '\n' ' ')" "feed:1 feed:2 "
"$BIN/lede-index" -i "$IX" --stdin-id x twin >/dev/null 2>"$T/err"
expect "stdin: --stdin-id without - is a usage error" "$?" 2

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all passed"
