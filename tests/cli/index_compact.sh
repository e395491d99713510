#!/usr/bin/env bash
# index_compact.sh — lede-index --compact: an index updated twice over gives
# back its free pages (the file shrinks, --stats shows none and stops
# suggesting --compact), answers the same, checks clean, and re-runs as
# before; with paths it indexes, then compacts; a lede-query running
# meanwhile keeps answering; a lede-index --wait that waited through the
# swap writes to the new files, not the old ones (its document was lost).
set -u
BIN=${LEDE_BIN_DIR:?}
SRC=${LEDE_SOURCE_DIR:?}
T=$(mktemp -d /tmp/lede-index-compact.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT
# shellcheck source=lib/index_run.bash
. "$(dirname "$0")/lib/index_run.bash"
IX="$T/ix"
size() { stat -c %s "$IX/data.mdb"; }
trec() { "$BIN/lede-query" -i "$IX" --batch --format trec -n 20 <"$T/queries" 2>/dev/null; }
printf 'q1\tkorea nuclear\nq2\t"prime minister"\nq3\telection OR vote\nq4\toil\n' >"$T/queries"

run -i "$IX" "$SRC/corpus/wikinews.jsonl"
for v in 1 2; do
    python3 - "$SRC/corpus/wikinews.jsonl" "$v" >"$T/wikinews.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    d = json.loads(line)
    d["title"] = d.get("title", "") + " (rev " + sys.argv[2] + ")"
    print(json.dumps(d))
PY
    run -i "$IX" "$T/wikinews.jsonl"
done
expect "two full updates" "$out" "0 120 0 0 0"
"$BIN/lede-index" -i "$IX" --stats >"$T/stats1"
grep -q "lede-index --compact gives them back" "$T/stats1" && echo "ok: --stats suggests --compact" ||
    fail "--stats does not suggest --compact: $(tail -1 "$T/stats1")"
trec >"$T/before"
before=$(size)

msg=$("$BIN/lede-index" -i "$IX" --compact 2>&1)
expect "--compact alone: exit" "$?" 0
grep -q "^compacted $IX: " <<<"$msg" && echo "ok: says what it did" || fail "no 'compacted' line: $msg"
after=$(size)
[ "$after" -lt "$before" ] && echo "ok: the file shrank ($before -> $after bytes)" ||
    fail "the file did not shrink: $before -> $after bytes"
"$BIN/lede-index" -i "$IX" --stats >"$T/stats2"
grep -q "(0.0 MB free pages)" "$T/stats2" && echo "ok: no free pages left" || fail "free pages left: $(tail -1 "$T/stats2")"
grep -q -- "--compact" "$T/stats2" && fail "--stats still suggests --compact" || echo "ok: no suggestion once compact"
expect "the same documents" "$(grep -E '^(documents|terms|postings)' "$T/stats2")" "$(grep -E '^(documents|terms|postings)' "$T/stats1")"
"$BIN/lede-index" -i "$IX" --check >/dev/null 2>&1
expect "--check" "$?" 0
trec >"$T/after"
cmp -s "$T/before" "$T/after" && echo "ok: the same answers" || fail "answers changed: $(diff "$T/before" "$T/after" | head -5)"
expect "nothing left beside it" "$(ls -d "$IX".* 2>/dev/null)" ""
run -i "$IX" "$T/wikinews.jsonl"
expect "a re-run after it" "$out" "0 0 120 0 0"

# With paths: index, then compact.
printf 'Zqcompact story\n\nA zqcompactword here.\n' >"$T/new.txt"
out=$("$BIN/lede-index" -i "$IX" --compact --json "$T/new.txt" 2>"$T/err")
expect "with paths: exit" "$?" 0
grep -q '"added":1' <<<"$out" && grep -q '"compacted_to_bytes"' <<<"$out" &&
    echo "ok: with paths: indexed and compacted" || fail "with paths: $out $(cat "$T/err")"
expect "with paths: findable" "$("$BIN/lede-query" -i "$IX" -c zqcompactword 2>/dev/null)" 1

# A lede-query open across the swap keeps answering.
mkfifo "$T/qin"
"$BIN/lede-query" -i "$IX" --batch --format trec -n 20 <"$T/qin" >"$T/live" 2>&1 &
qpid=$!
exec 8>"$T/qin"
printf 'q1\tkorea nuclear\n' >&8
run -i "$IX" --compact
printf 'q2\t"prime minister"\n' >&8
exec 8>&-
wait $qpid
expect "a query open across the swap: exit" "$?" 0
expect "a query open across the swap: answers" "$(cut -d' ' -f1 "$T/live" | sort -u | tr '\n' ' ')" "q1 q2 "

# A writer waiting for the lock while another compacts writes to the new
# files: the compacting writer holds the lock while it reads stdin.
mkfifo "$T/win"
"$BIN/lede-index" -q -i "$IX" --compact --stdin-id held - <"$T/win" 2>"$T/err1" &
apid=$!
exec 9>"$T/win"
for _ in $(seq 100); do [ -s "$IX/writer.lock" ] && break; sleep 0.1; done
sleep 0.3
printf 'Zqwaiter story\n\nA zqwaiterword here.\n' >"$T/waiter.txt"
"$BIN/lede-index" -q -i "$IX" --wait "$T/waiter.txt" 2>"$T/err2" 9>&- &
bpid=$!
sleep 0.5
printf 'Held\n\nzqheldword\n' >&9
exec 9>&-
wait $apid
expect "compacting writer: exit" "$?" 0
wait $bpid
expect "waiting writer: exit" "$?" 0
expect "the waiting writer's document is in the index" "$("$BIN/lede-query" -i "$IX" -c zqwaiterword 2>/dev/null)" 1
expect "the compacting writer's too" "$("$BIN/lede-query" -i "$IX" -c zqheldword 2>/dev/null)" 1
"$BIN/lede-index" -i "$IX" --check >/dev/null 2>&1
expect "--check after both" "$?" 0

# Usage.
"$BIN/lede-index" -i "$T/none" --compact 2>"$T/err"
expect "no index: exit" "$?" 2
grep -q "no index in $T/none to compact" "$T/err" && echo "ok: no index: said" || fail "no index: $(cat "$T/err")"
[ -e "$T/none" ] && fail "no index: a folder was created" || echo "ok: no index: nothing created"
"$BIN/lede-index" -i "$IX" --compact --stats >/dev/null 2>&1
expect "with --stats: usage error" "$?" 2
finish
