#!/usr/bin/env bash
# index_compressed.sh — lede-index reads gzip, xz and zstd inputs: a dump
# compressed each way indexes the same documents as the plain one (same
# TREC output); the kind is told by the bytes (a renamed .gz, a compressed
# stream on stdin); concatenated gzip members read as one input; a folder
# walk takes dump.jsonl.zst and note.txt.xz; a re-run is unchanged and an
# edited record one update; a truncated file is a warning naming the file,
# the line and the compression, with every record before it indexed, and
# the index checks out.
set -u
BIN=${LEDE_BIN_DIR:?}
T=$(mktemp -d /tmp/lede-index-compressed.XXXXXX)
trap 'rm -rf "$T"' EXIT
# shellcheck source=lib/index_run.bash
. "$(dirname "$0")/lib/index_run.bash"
for tool in gzip xz zstd python3; do
    command -v $tool >/dev/null || { echo "skipped: $tool is not installed"; exit 0; }
done
cd "$T" || exit 1

# 400 records of about 2 KB: each compressed file spans several of the
# reader's 128 KiB blocks.
python3 - <<'P'
import json, random
random.seed(7)
words = ("oil prices rose sharply in london trading while copper fell and the central "
         "bank of brazil kept interest rates unchanged after talks in geneva").split()
with open("dump.jsonl", "w") as f:
    for i in range(400):
        body = " ".join(random.choice(words) for _ in range(300))
        f.write(json.dumps({"id": "d%d" % i, "title": "Report %d" % i, "body": body}) + "\n")
P
queries() { printf 'oil prices\ncopper\n"central bank"\ngeneva talks\n' | "$BIN/lede-query" -i "$1" --batch --format trec -n 1000; }
run -i ix_plain dump.jsonl
expect "plain dump" "$out $rc" "400 0 0 0 0 0"
want=$(queries ix_plain | md5sum)

gzip -k dump.jsonl && xz -k dump.jsonl && zstd -q dump.jsonl
for f in dump.jsonl.gz dump.jsonl.xz dump.jsonl.zst; do
    run -i "ix_$f" "$f"
    expect "$f: counts" "$out $rc" "400 0 0 0 0 0"
    expect "$f: same results as the plain dump" "$(queries "ix_$f" | md5sum)" "$want"
done

# Compressed 300-fold: the whole file is one read, and the decoders still
# have output to give after their last input.
python3 - <<'P'
import json
with open("same.jsonl", "w") as f:
    for i in range(20000):
        f.write(json.dumps({"id": "s%d" % i, "title": "Same", "body": "the same words again " * 30}) + "\n")
P
gzip -k same.jsonl && xz -k same.jsonl && zstd -q same.jsonl
for f in same.jsonl.gz same.jsonl.xz same.jsonl.zst; do
    run -i "ix_$f" "$f"
    expect "$f: every record to the last" "$out $rc" "20000 0 0 0 0 0"
done

cp dump.jsonl.gz renamed.dat
run -i ix_renamed renamed.dat
expect "a gzip file without its suffix" "$out $rc" "400 0 0 0 0 0"
run -i ix_stdin - < <(zstd -c dump.jsonl)
expect "zstd on stdin" "$out $rc" "400 0 0 0 0 0"
expect "zstd on stdin: same results" "$(queries ix_stdin | md5sum)" "$want"

# Two gzip members (pigz, cat a.gz b.gz): every record of both.
head -100 dump.jsonl | sed 's/"d\([0-9]*\)"/"e\1"/' | gzip >extra.gz
cat dump.jsonl.gz extra.gz >members.jsonl.gz
run -i ix_members members.jsonl.gz
expect "concatenated gzip members" "$out $rc" "500 0 0 0 0 0"

# A folder: the walk takes compressed files by their inner extension.
mkdir -p tree/sub && cp dump.jsonl.zst tree/ &&
    printf 'Copper note\n\nCopper fell in Geneva.\n' | xz >tree/sub/note.txt.xz
run -i ix_tree tree
expect "a folder of compressed files" "$out $rc" "401 0 0 0 0 0"
expect "the compressed text file's title" "$("$BIN/lede-query" -i ix_tree --format tsv -n 1 title:note | cut -f4)" "Copper note"

# Incremental: a re-run changes nothing; an edited record is one update.
run -i ix_dump.jsonl.gz dump.jsonl.gz
expect "re-run" "$out" "0 0 400 0 0"
zcat dump.jsonl.gz | sed '7s/"title": "Report 6"/"title": "Report six"/' | gzip >new.gz && mv new.gz dump.jsonl.gz
run -i ix_dump.jsonl.gz dump.jsonl.gz
expect "one record edited" "$out" "0 1 399 0 0"

# Truncated: what comes before the cut is indexed, the cut is named.
size=$(stat -c %s dump.jsonl.xz)
head -c $((size / 2)) dump.jsonl.xz >cut.jsonl.xz
run -i ix_cut cut.jsonl.xz
added=${out%% *}
[ "$rc" = 1 ] || fail "truncated xz: exit $rc, want 1"
[ "$added" -gt 100 ] && [ "$added" -lt 400 ] || fail "truncated xz: $added records indexed"
grep -qE "^lede-index: warning: cut\.jsonl\.xz:[0-9]+: read error: corrupt xz data: the file ends in the middle of the data$" <<<"$err" ||
    fail "truncated xz: no warning naming file, line and compression: $err"
"$BIN/lede-index" -i ix_cut --check >/dev/null || fail "truncated xz: --check"
echo "ok: truncated xz: $added records, $(grep -c warning <<<"$err") warning(s)"

finish
