#!/usr/bin/env bash
# index_json.sh — lede-index on JSON documents (.json, --format json, and
# pretty-printed JSON on stdin): an array on one line, the same array
# indented, objects one after another (`jq .` output) and a single object
# index the same records as the JSON Lines dump they came from; a byte order
# mark is skipped; a damaged record is one warning naming the line and
# column where it broke and the line it starts on, and the records around it
# are indexed; a re-run changes nothing, an edited record is one update,
# a removed one goes with --prune; a folder walk takes .json files.
set -u
BIN=${LEDE_BIN_DIR:?}
T=$(mktemp -d /tmp/lede-index-json.XXXXXX)
trap 'rm -rf "$T"' EXIT
# shellcheck source=lib/index_run.bash
. "$(dirname "$0")/lib/index_run.bash"
# ids IX → the ids of every document, sorted (what was indexed, not how many)
ids() {
    "$BIN/lede-query" -i "$1" -n 100 --format tsv 'rotterdam OR inside OR vienna OR copper OR lisbon' 2>/dev/null |
        cut -f2 | sort | tr '\n' ' '
}
cd "$T" || exit 1

# Five records; one has a brace and an escaped quote inside a string, one a
# nested object and an array (stored metadata), one no id (named by the line
# it starts on).
cat >dump.jsonl <<'J'
{"id": "a1", "title": "Harbour strike", "body": "Dock workers in Rotterdam went on strike."}
{"id": "a2", "title": "Curly {braces} and \"quotes\"", "body": "A title with } and ] inside a string."}
{"id": "a3", "title": "Orchestra tour", "body": "The orchestra toured Vienna.", "tags": ["music", "travel"], "src": {"name": "wire", "n": 2}}
{"id": "a4", "title": "Copper prices", "body": "Copper rose in London trading."}
{"title": "Untitled brief", "body": "A brief without an identifier, about Lisbon."}
J
python3 - <<'P'
import json
docs = [json.loads(l) for l in open("dump.jsonl")]
json.dump(docs, open("oneline.json", "w"))
json.dump(docs, open("indented.json", "w"), indent=2)
with open("sequence.json", "w") as f:
    for d in docs:
        f.write(json.dumps(d, indent=4) + "\n")
with open("bom.json", "w", encoding="utf-8-sig") as f:
    json.dump(docs, f, indent=1)
json.dump(docs[0], open("single.json", "w"), indent=2)
P

run -i ix_jsonl dump.jsonl
expect "JSON Lines dump" "$out" "5 0 0 0 0"
want=$(ids ix_jsonl)
for f in oneline indented sequence bom; do
    run -i "ix_$f" "$f.json"
    expect "$f.json counts" "$out $rc" "5 0 0 0 0 0"
    got=$(ids "ix_$f")
    # The id-less record is named by the file and the line it starts on.
    expect "$f.json ids (but the named one)" "$(tr ' ' '\n' <<<"$got" | grep -c '^a[1-4]$')" 4
done
expect "one-line array: the id-less record's name" "$(ids ix_oneline | tr ' ' '\n' | grep -v '^a' | grep -v '^$')" "oneline.json:1"
# ... on the line its opening brace is on, the one before its title.
untitled=$(($(grep -n '"Untitled brief"' indented.json | cut -d: -f1) - 1))
expect "indented array: the id-less record's name" "$(ids ix_indented | tr ' ' '\n' | grep -v '^a' | grep -v '^$')" "indented.json:$untitled"
run -i ix_single single.json
expect "a single object" "$out" "1 0 0 0 0"

# The same records find the same documents with the same stored fields.
a=$("$BIN/lede-query" -i ix_jsonl --format json 'orchestra' | sed 's/"score":[^,]*,//; s/"path":"[^"]*"//')
b=$("$BIN/lede-query" -i ix_indented --format json 'orchestra' | sed 's/"score":[^,]*,//; s/"path":"[^"]*"//')
expect "stored metadata of a nested record" "$b" "$a"
expect "a string holding brackets" "$("$BIN/lede-query" -i ix_indented --format tsv 'braces' | cut -f2)" "a2"

# Pretty-printed JSON on stdin (jq without -c) is recognised as JSON.
run -i ix_stdin - <sequence.json
expect "stdin, objects over several lines" "$out $rc" "5 0 0 0 0 0"
run -i ix_stdin_l - <dump.jsonl
expect "stdin, one object a line" "$out $rc" "5 0 0 0 0 0"

# A damaged record: a bad literal in the third element, and the file cut
# short in the last.  The warning names where it broke and where the
# record starts; the rest is indexed; exit 1.
python3 - <<'P'
import json
docs = [json.loads(l) for l in open("dump.jsonl")][:4]
s = json.dumps(docs, indent=2).replace('"id": "a3"', '"id": tru', 1)
open("damaged.json", "w").write(s[:-40])
P
bad_line=$(grep -n '"id": tru' damaged.json | cut -d: -f1)
start_line=$((bad_line - 1))
run -i ix_bad damaged.json
expect "damaged: counts and status" "$out $rc" "2 0 0 0 2 1"
grep -q "damaged.json:$bad_line: malformed JSON at column 11 (in the record from line $start_line); record skipped" <<<"$err" ||
    fail "damaged: the warning names line $bad_line, column 11, from line $start_line: $err"
expect "damaged: the records around it" "$(ids ix_bad)" "a1 a2 "
"$BIN/lede-index" -i ix_bad --check >/dev/null || fail "damaged: --check"

# Incremental: nothing changes on a re-run; an edited record is an update;
# a removed one goes with --prune.
run -i ix_indented indented.json
expect "re-run" "$out" "0 0 5 0 0"
python3 - <<'P'
import json
docs = json.load(open("indented.json"))
docs[3]["body"] = "Copper fell in London trading."
del docs[1]
json.dump(docs, open("indented.json", "w"), indent=2)
P
run -i ix_indented --prune indented.json
# The id-less record moved up but its bytes are the same: unchanged, and
# it keeps its name, as a moved JSON line does.
expect "edit + removal" "$out" "0 1 3 1 0"
expect "after the edit" "$("$BIN/lede-query" -i ix_indented --format tsv -a 'copper fell' | cut -f2)" "a4"
expect "after the removal" "$(ids ix_indented)" "a1 a3 a4 indented.json:$untitled "

# --format json on another extension; a folder walk takes .json files.
cp oneline.json dump.txt
run -i ix_fmt --format json dump.txt
expect "--format json" "$out" "5 0 0 0 0"
mkdir -p tree/sub && cp single.json tree/sub/article.json && echo "A plain text note about Lisbon." >tree/note.txt
run -i ix_tree tree
expect "folder with a .json file" "$out" "2 0 0 0 0"

finish
