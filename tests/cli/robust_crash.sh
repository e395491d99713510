#!/usr/bin/env bash
# robust_crash.sh — crash consistency: lede-index is killed with SIGKILL at
# random moments while it indexes a real collection (ROBUST_KILLS times, 20
# by default; tests/robust/long.sh runs 200).  After every kill:
#   - lede-index --check passes on what was committed,
#   - lede-query answers (exit 0 or 1, never an error or a crash),
#   - the index holds no more documents than the collection.
# A run after a kill continues the interrupted index (incremental); a run
# after one that finished starts from nothing, or now and then rebuilds
# the complete index with --rebuild, so kills land in first batches, in
# later batches, inside commits and during a rebuild.  At the end a re-run finishes with exactly
# the document count, the statistics and the query answers of a reference
# index built without interruption.
set -u
. "$LEDE_SOURCE_DIR/tests/robust/lib.sh"
require_commands

KILLS=${ROBUST_KILLS:-20}
if [ "$SANITIZE" = 1 ]; then pick_corpus "${ROBUST_DOCS:-600}"; else pick_corpus "${ROBUST_DOCS:-2000}"; fi
MEM=2M   # a small budget: many batches, so kills fall between and inside commits
QUERIES=$'q1\toil\nq2\tbank rates\nq3\t"the company"\nq4\ttrade AND NOT japan\nq5\tname:"united states"\nq6\tnuclear'
echo "collection: $CORPUS_NAME; $KILLS kills"

# The reference: the same collection indexed without interruption.
start=$(date +%s%N)
run 900 "$IDX_BIN" -i "$T/ref" -q --memory $MEM "${CORPUS[@]}"
expect_rc "reference index built" 0 || finish
ref_ms=$((($(date +%s%N) - start) / 1000000))
ref_docs=$(docs_in "$T/ref")
"$IDX_BIN" -i "$T/ref" --stats --json >"$T/ref.stats"
printf '%s\n' "$QUERIES" | "$Q_BIN" -i "$T/ref" --batch -c >"$T/ref.counts" 2>/dev/null
echo "reference: $ref_docs documents in $ref_ms ms"

# Kill delays spread over the time a whole run takes; runs that finish
# before their kill do not count, so the loop goes on until KILLS kills.
killed=0 finished=0 completed_last=1 i=0
while [ "$killed" -lt "$KILLS" ] && [ "$i" -lt $((KILLS * 3)) ]; do
    i=$((i + 1))
    opts=()
    if [ "$completed_last" = 1 ]; then
        if [ $((RANDOM % 4)) = 0 ]; then opts=(--rebuild); else rm -rf "$T/ix"; fi
    fi
    delay=$((RANDOM * 32768 + RANDOM))
    delay=$((delay % (ref_ms * 9 / 10 + 20)))
    "$IDX_BIN" -i "$T/ix" -q --memory $MEM "${opts[@]}" "${CORPUS[@]}" >/dev/null 2>"$T/bg.err" &
    pid=$!
    BG_PIDS=("$pid")
    sleep "$(printf '0.%03d' $((delay % 1000)))"
    sleep $((delay / 1000))
    if kill -9 "$pid" 2>/dev/null; then
        wait "$pid" 2>/dev/null
        killed=$((killed + 1))
        completed_last=0
        how="killed after ${delay} ms"
    else
        wait "$pid"
        rc=$?
        finished=$((finished + 1))
        completed_last=1
        how="finished (exit $rc) before ${delay} ms"
        [ "$rc" = 0 ] || fail "run $i ${opts[*]}: exit $rc: $(head -c 300 "$T/bg.err")"
    fi
    BG_PIDS=()
    # A kill while LMDB creates the file can leave it without its two meta
    # pages: that is "no index yet", which the next run creates.
    if [ ! -e "$T/ix/data.mdb" ] || [ "$(stat -c %s "$T/ix/data.mdb")" -lt 8192 ]; then
        note "run $i: $how, before the index was created"
        continue
    fi
    run 300 "$IDX_BIN" -i "$T/ix" --check
    # Killed after LMDB wrote its meta pages but before the first commit:
    # still no index, and the tools say so.
    if [ "$RC" = 2 ] && grep -q "creation was interrupted; run lede-index again" "$T/err"; then
        note "run $i: $how, before the first commit: $(head -c 200 "$T/err")"
        continue
    fi
    expect_rc "run $i ${opts[*]}: $how: --check" 0
    run 120 "$Q_BIN" -i "$T/ix" -c oil
    expect_rc "run $i: lede-query answers ($(head -c 20 "$T/out" | tr -d '\n') hits)" 0 1
    n=$(docs_in "$T/ix")
    if [ -n "$n" ] && [ "$n" -le "$ref_docs" ]; then
        ok "run $i: $n of $ref_docs documents committed"
    else
        fail "run $i: the index reports '$n' documents (collection: $ref_docs)"
    fi
done
echo "kills: $killed; runs that finished before their kill: $finished"
[ "$killed" -ge "$KILLS" ] || fail "only $killed of $KILLS planned kills happened in $i runs"

# The final re-run completes what the last kill interrupted.
run 900 "$IDX_BIN" -i "$T/ix" -q --memory $MEM "${CORPUS[@]}"
expect_rc "re-run after the last kill" 0
run 300 "$IDX_BIN" -i "$T/ix" --check
expect_rc "--check after the re-run" 0
"$IDX_BIN" -i "$T/ix" --stats --json >"$T/ix.stats"
for key in documents total_length average_length terms; do
    want=$(grep -o "\"$key\":[^,]*[,}]" "$T/ref.stats" | head -n 1)
    want=$(grep -o "\"$key\":{[^}]*}" "$T/ref.stats" || echo "$want")
    got=$(grep -o "\"$key\":{[^}]*}" "$T/ix.stats" || grep -o "\"$key\":[^,]*[,}]" "$T/ix.stats" | head -n 1)
    if [ "$got" = "$want" ]; then ok "statistics: $want"; else fail "statistics: got $got, want $want"; fi
done
printf '%s\n' "$QUERIES" | "$Q_BIN" -i "$T/ix" --batch -c >"$T/ix.counts" 2>/dev/null
if cmp -s "$T/ref.counts" "$T/ix.counts"; then
    ok "query counts equal the reference's: $(tr '\n\t' ' =' <"$T/ix.counts")"
else
    fail "query counts differ: got $(tr '\n' ' ' <"$T/ix.counts"), want $(tr '\n' ' ' <"$T/ref.counts")"
fi
finish
