#!/usr/bin/env bash
# index_known.sh — lede-index's counts when ids repeat and lines are shared:
# an id met twice in one run is 1 added + 1 updated (and an id indexed
# already, updated each time); identical lines without an id (named by file
# and line) are each unchanged on a re-run, in every file that holds them;
# a line indexed from another file is not taken as this file's; tens of
# thousands of ids count the same; --prune removes a whole file's
# records, and --delete then re-adding counts an add.
set -u
BIN=${LEDE_BIN_DIR:?}
T=$(mktemp -d /tmp/lede-index-known.XXXXXX)
trap 'rm -rf "$T"' EXIT
# shellcheck source=lib/index_run.bash
. "$(dirname "$0")/lib/index_run.bash"
cd "$T" || exit 1
IX="$T/ix"

cat >dup.jsonl <<'J'
{"id": "a", "title": "Alpha", "body": "first version of alpha"}
{"id": "b", "title": "Beta", "body": "beta body"}
{"id": "a", "title": "Alpha", "body": "second version of alpha"}
J
printf '{"title": "Same", "body": "same text"}\n%.0s' 1 2 >n1.jsonl
cp n1.jsonl n2.jsonl

#                                  added updated unchanged deleted failed
run -i "$IX" dup.jsonl n1.jsonl n2.jsonl
expect "first run" "$out" "6 1 0 0 0"
# ... and says so, once for the file.
expect "first run: the repeated id" "$err" \
    "lede-index: warning: dup.jsonl: 1 record repeated the id of an earlier record of this file; the last one is kept"
# The index holds a's second version: its first line is new again, and the
# second then replaces it once more.  b and the four id-less lines are kept.
run -i "$IX" dup.jsonl n1.jsonl n2.jsonl
expect "re-run" "$out" "0 2 5 0 0"
run -i "$IX" dup.jsonl n1.jsonl n2.jsonl
expect "second re-run" "$out" "0 2 5 0 0"

# b's line, indexed from dup.jsonl, is not other.jsonl's: it is written
# again, and replaces dup.jsonl's b, which the warning says.
sed -n 2p dup.jsonl >other.jsonl
run -i "$IX" other.jsonl
expect "same line, other file" "$out" "0 1 0 0 0"
expect "same line, other file: warned" "$(grep -c 'other.jsonl: 1 document had the id of a document from another file and replaced it' <<<"$err")" 1
# Two dumps whose ids overlap, in one run: one warning for the second.
printf '{"id": "o%d", "body": "first collection %d"}\n' 1 1 2 2 3 3 >c1.jsonl
printf '{"id": "o%d", "body": "second collection %d"}\n' 2 2 3 3 4 4 >c2.jsonl
run -i "$T/overlap" c1.jsonl c2.jsonl
expect "overlapping dumps" "$out" "4 2 0 0 0"
expect "overlapping dumps: warned" "$err" \
    "lede-index: warning: c2.jsonl: 2 documents had the id of a document from another file and replaced it (ids are one space for all inputs: index such collections apart, or give them ids of their own)"
# A dump moved elsewhere is not another file: its old place is gone.
mkdir -p moved && mv c2.jsonl moved/
run -i "$T/overlap" moved/c2.jsonl
expect "a moved dump: not a clash" "$err" ""

# A removed file's records go with --prune, the others stay.
rm n2.jsonl
run -i "$IX" --prune n1.jsonl other.jsonl
expect "prune a file's records" "$out" "0 0 3 2 0"
"$BIN/lede-index" -i "$IX" --stats --json | tr -d ' \n\t' | grep -q '"documents":4' ||
    fail "documents after prune: want 4"

# --delete, then the same id again: a new document, counted as added.
run -i "$IX" --delete b
expect "delete" "$out" "0 0 0 1 0"
run -i "$IX" other.jsonl
expect "re-added after delete" "$out" "1 0 0 0 0"

# Tens of thousands of ids, one of them repeated at the end: the tables grow,
# and a re-run reads the index with more than one reader (one per 32768).
awk 'BEGIN { for (i = 1; i <= 40000; i++)
    printf "{\"id\": \"k%d\", \"title\": \"Record %d\", \"body\": \"text %d\"}\n", i, i, i }' >big.jsonl
echo '{"id": "k1", "title": "Record 1", "body": "text 1, revised"}' >>big.jsonl
run -i "$T/big" big.jsonl
expect "big first run" "$out" "40000 1 0 0 0"
run -i "$T/big" big.jsonl
expect "big re-run" "$out" "0 2 39999 0 0"
sed -i 40000d big.jsonl
run -i "$T/big" --prune big.jsonl
expect "big prune" "$out" "0 2 39998 1 0"

finish
