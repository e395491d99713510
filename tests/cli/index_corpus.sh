#!/usr/bin/env bash
# index_corpus.sh — lede-index end to end on the bundled corpus/: a first run
# indexes 201 documents, a re-run changes nothing, a touched file is not
# re-indexed but an edited one is, a removed file goes with --prune, --delete
# removes by id, and the index location follows -i, $LEDE_INDEX and ./.lede.
set -u
BIN=${LEDE_BIN_DIR:?}
SRC=${LEDE_SOURCE_DIR:?}
T=$(mktemp -d /tmp/lede-index-corpus.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# field NAME JSON → the number after "NAME": in a flat JSON object
field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" <<<"$2"; }
expect() { # expect WHAT GOT WANT
    if [ "$2" != "$3" ]; then fail "$1: got '$2', want '$3'"; else echo "ok: $1 = $3"; fi
}
run() { # run ARGS... → sets out, err, rc; a sanitizer report is always a failure
    out=$("$BIN/lede-index" "$@" 2>"$T/err"); rc=$?; err=$(cat "$T/err")
    if grep -qE 'Sanitizer|runtime error' <<<"$err"; then fail "sanitizer report: lede-index $*"; echo "$err"; fi
}

# The corpus as it is: 1 + 80 + 120 articles; its README.md describes the
# collection and is not indexed by a folder walk.
cp -r "$SRC/corpus" "$T/corpus"
IX="$T/ix"

run -i "$IX" --json "$T/corpus"
expect "first run exit" "$rc" 0
expect "first run added" "$(field added "$out")" 201
expect "first run failed" "$(field failed "$out")" 0
[ -z "$err" ] || fail "first run printed on stderr: $err"

run -i "$IX" --stats --json
expect "stats exit" "$rc" 0
expect "stats documents" "$(field documents "$(tr -d ' \n\t' <<<"$out")")" 201

run -i "$IX" --json "$T/corpus"
expect "re-run added" "$(field added "$out")" 0
expect "re-run updated" "$(field updated "$out")" 0
expect "re-run unchanged" "$(field unchanged "$out")" 201

# touch: new mtime, same bytes → the hash says unchanged.
touch -d '2001-01-01' "$T/corpus/seed/wang-yi-choe-son-hui.txt"
run -i "$IX" --json "$T/corpus"
expect "touched updated" "$(field updated "$out")" 0
expect "touched unchanged" "$(field unchanged "$out")" 201
# ...and its new mtime is stored: the next run skips it by size and mtime
# without reading it (it was read and hashed again on every run).  Shown by
# bytes changed behind the same size and mtime, which only a read would see.
f="$T/corpus/seed/wang-yi-choe-son-hui.txt"
sed -i '1s/^./X/' "$f"
touch -d '2001-01-01' "$f"
run -i "$IX" --json "$T/corpus"
expect "touched: stored mtime skips it" "$(field unchanged "$out")" 201
expect "touched: not read again" "$(field updated "$out")" 0

# An edited file is re-indexed, and replaces its old version.
f=$(ls "$T"/corpus/wikinews/*.txt | head -1)
echo "One more paragraph about the summit." >>"$f"
run -i "$IX" --json "$T/corpus"
expect "edited updated" "$(field updated "$out")" 1
expect "edited unchanged" "$(field unchanged "$out")" 200
run -i "$IX" --stats --json
expect "edited documents" "$(field documents "$(tr -d ' \n\t' <<<"$out")")" 201

# A changed record inside the JSON Lines dump is one update, not 120.
sed -i '5s/"title": "/"title": "Edited: /' "$T/corpus/wikinews.jsonl"
run -i "$IX" --json "$T/corpus"
expect "jsonl record updated" "$(field updated "$out")" 1
expect "jsonl others unchanged" "$(field unchanged "$out")" 200

# A removed file stays until --prune.
rm "$(ls "$T"/corpus/wikinews/*.txt | tail -1)"
run -i "$IX" --json "$T/corpus"
expect "removed without prune deleted" "$(field deleted "$out")" 0
run -i "$IX" --json --prune "$T/corpus"
expect "prune deleted" "$(field deleted "$out")" 1
expect "prune unchanged" "$(field unchanged "$out")" 200
run -i "$IX" --stats --json
expect "pruned documents" "$(field documents "$(tr -d ' \n\t' <<<"$out")")" 200

# A record removed from the dump goes with --prune too.
sed -i '7d' "$T/corpus/wikinews.jsonl"
run -i "$IX" --json --prune "$T/corpus"
expect "record prune deleted" "$(field deleted "$out")" 1

# --delete by id; an unknown id is a failed input (exit 1).
run -i "$IX" --json --delete seed/wang-yi-choe-son-hui.txt
expect "delete exit" "$rc" 0
expect "delete deleted" "$(field deleted "$out")" 1
run -i "$IX" --delete no-such-id
expect "delete unknown exit" "$rc" 1
grep -q "lede-index: warning: no-such-id: no document with this id" <<<"$err" ||
    fail "delete unknown message: $err"
run -i "$IX" --stats --json
expect "after delete documents" "$(field documents "$(tr -d ' \n\t' <<<"$out")")" 198

# --rebuild starts over from what is on disk now.
run -i "$IX" --json --rebuild "$T/corpus"
expect "rebuild exit" "$rc" 0
expect "rebuild added" "$(field added "$out")" 199
run -i "$IX" --stats --json
expect "rebuilt documents" "$(field documents "$(tr -d ' \n\t' <<<"$out")")" 199
[ ! -e "$IX.old" ] && [ ! -e "$IX.rebuild" ] || fail "rebuild left folders behind"

# An index of another format version is refused, with a message saying to
# rebuild it, and --rebuild then does (it refused too: it read the old
# index first).  The version is patched in place, in every copy of the
# record's leaf node (data size 4, key "format"; LMDB keeps no checksums),
# whatever version it holds.
python3 - "$IX/data.mdb" <<'PY' || fail "could not patch the format version"
import re, sys
node = re.compile(rb"(\x04\x00\x00\x00\x00\x00\x06\x00format)[\x02-\x7f]\x00\x00\x00")
b = open(sys.argv[1], "rb").read()
assert node.search(b)
open(sys.argv[1], "wb").write(node.sub(lambda m: m.group(1) + b"\x01\x00\x00\x00", b))
PY
run -i "$IX" --json "$T/corpus"
expect "format 1: refused" "$rc" 2
grep -q "format version 1.*--rebuild" <<<"$err" || fail "format 1: no rebuild advice: $err"
run -i "$IX" --json --rebuild "$T/corpus"
expect "format 1: --rebuild exit" "$rc" 0
expect "format 1: --rebuild added" "$(field added "$out")" 199
run -i "$IX" --check
expect "format 1: rebuilt index checks" "$rc" 0

# Index location: $LEDE_INDEX, else ./.lede.
(cd "$T" && LEDE_INDEX="$T/env-ix" "$BIN/lede-index" -q corpus/seed) || fail "LEDE_INDEX run"
[ -d "$T/env-ix" ] || fail "\$LEDE_INDEX not used"
(cd "$T" && unset LEDE_INDEX && "$BIN/lede-index" -q corpus/seed) || fail "default run"
[ -d "$T/.lede" ] || fail "./.lede not used"

# Summary line (not --json): the five counts, seconds and MB/s.
run -i "$T/ix3" "$T/corpus/seed"
grep -Eq '^1 added, 0 updated, 0 unchanged, 0 deleted, 0 failed in [0-9.]+ s, [0-9.]+ MB/s$' <<<"$out" ||
    fail "summary line: $out"
run -i "$T/ix3" -q "$T/corpus/seed"
[ -z "$out$err" ] || fail "--quiet printed: $out $err"

# Folder walks skip hidden names unless --hidden, and take only known formats.
mkdir -p "$T/h/.private" && echo "Secret" >"$T/h/.private/a.txt" && echo "Seen" >"$T/h/b.md"
echo "not an article" >"$T/h/c.jpg"
echo "About this folder" >"$T/h/README.txt"
run -i "$T/ix4" --json "$T/h"
expect "hidden skipped" "$(field added "$out")" 1
run -i "$T/ix4" --json "$T/h/README.txt"
expect "README named explicitly" "$(field added "$out")" 1
run -i "$T/ix4" --json --hidden "$T/h"
expect "hidden with --hidden" "$(field added "$out")" 1

echo "index_corpus: $fails failure(s)"
[ "$fails" -eq 0 ]
