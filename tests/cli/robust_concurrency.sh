#!/usr/bin/env bash
# robust_concurrency.sh — lede-query runs in a loop while lede-index adds
# and deletes documents.  The writer's sequence is known in advance, so the
# set of committed states is too: after each add of a batch of marked
# documents the marked count grows by the batch size, after each delete it
# shrinks by the number deleted.  Every reader process must
#   - never fail (exit 0 or 1, no error, no crash),
#   - see a marked count that is one of the committed states,
#   - never see half a document: in one snapshot (one --batch process) the
#     two marker words, their phrase and the title marker all count the same,
#     and every hit listed with --json has its stored record (id and title).
set -u
. "$LEDE_SOURCE_DIR/tests/robust/lib.sh"
require_commands

BATCHES=${ROBUST_BATCHES:-12}
PER=${ROBUST_PER_BATCH:-25}
DEL=7
[ "$SANITIZE" = 1 ] && BATCHES=8

# Batches of marked documents; each has both markers in its body and the
# title marker in its title, so a document whose postings were only partly
# visible would make the counts disagree.
for j in $(seq 1 "$BATCHES"); do
    for n in $(seq 1 "$PER"); do
        printf '{"id":"c-%d-%d","title":"Zqtitle batch %d article %d","date":"2024-01-%02d","body":"Concurrency check %d.%d mentions zqxmarker then zqyother and some common words about trade and oil."}\n' \
            "$j" "$n" "$j" "$n" $((1 + n % 28)) "$j" "$n"
    done >"$T/batch$j.jsonl"
done

# The committed states of the marked count, in order.
states=(0)
c=0
for j in $(seq 1 "$BATCHES"); do
    c=$((c + PER)); states+=("$c")
    if [ $((j % 2)) = 0 ]; then c=$((c - DEL)); states+=("$c"); fi
done
allowed=" ${states[*]} "
echo "committed states of the marked count: ${states[*]}"

run 300 "$IDX_BIN" -i "$T/ix" -q "$LEDE_SOURCE_DIR/corpus/wikinews.jsonl"
expect_rc "base collection indexed" 0 || finish

writer() {
    for j in $(seq 1 "$BATCHES"); do
        "$IDX_BIN" -i "$T/ix" -q "$T/batch$j.jsonl" || echo "writer: add $j failed" >>"$T/writer.err"
        if [ $((j % 2)) = 0 ]; then
            ids=()
            for n in $(seq 1 "$DEL"); do ids+=("c-$((j - 1))-$n"); done
            "$IDX_BIN" -i "$T/ix" -q --delete "${ids[@]}" ||
                echo "writer: delete after $j failed" >>"$T/writer.err"
        fi
    done
    echo done >"$T/writer.done"
}
writer &
BG_PIDS=($!)

QS=$'x\tzqxmarker\ny\tzqyother\np\t"zqxmarker then zqyother"\nt\ttitle:zqtitle'
readers=0 bad=0 seen=""
check_snapshot() { # $T/out: "qid<TAB>count" lines from one process
    local x y p t
    x=$(sed -n 's/^x\t//p' "$T/out"); y=$(sed -n 's/^y\t//p' "$T/out")
    p=$(sed -n 's/^p\t//p' "$T/out"); t=$(sed -n 's/^t\t//p' "$T/out")
    if [ -z "$x" ] || [ "$x" != "$y" ] || [ "$x" != "$p" ] || [ "$x" != "$t" ]; then
        fail "reader $readers saw a half-added document: markers x=$x y=$y phrase=$p title=$t"
        bad=$((bad + 1))
    elif [[ $allowed != *" $x "* ]]; then
        fail "reader $readers saw $x marked documents, not a committed state"
        bad=$((bad + 1))
    else
        [[ " $seen " == *" $x "* ]] || seen="$seen $x"
    fi
}
while [ ! -e "$T/writer.done" ] || [ "$readers" -lt 20 ]; do
    readers=$((readers + 1))
    run 60 "$Q_BIN" -i "$T/ix" --batch -c <<<"$QS"
    if ! sane "reader $readers" || [ "$RC" -gt 1 ]; then
        [ "$RC" -gt 1 ] && [ "$RC" -lt 124 ] && fail "reader $readers: exit $RC: $(head -c 300 "$T/err")"
        bad=$((bad + 1))
        continue
    fi
    check_snapshot
    if [ $((readers % 5)) = 0 ]; then
        run 60 "$Q_BIN" -i "$T/ix" --json -n 1000 zqxmarker
        if sane "json reader $readers" && [ "$RC" -le 1 ]; then
            hits=$(grep -c . "$T/out")
            good=$(grep -c '"title":"Zqtitle batch' "$T/out")
            [ "$hits" = "$good" ] || { fail "json reader $readers: $hits hits, $good with their record"; bad=$((bad + 1)); }
        else
            bad=$((bad + 1))
        fi
    fi
    [ "$readers" -ge 5000 ] && break
done
wait "${BG_PIDS[0]}"
BG_PIDS=()
if [ -s "$T/writer.err" ]; then fail "$(cat "$T/writer.err")"; else ok "writer: $BATCHES adds and $((BATCHES / 2)) deletes"; fi
[ "$bad" = 0 ] && ok "$readers reader processes, every one consistent; distinct states seen:$seen"

run 60 "$Q_BIN" -i "$T/ix" --batch -c <<<"$QS"
check_snapshot
final=$(sed -n 's/^x\t//p' "$T/out")
[ "$final" = "${states[-1]}" ] && ok "final marked count $final" || fail "final marked count $final, want ${states[-1]}"
run 300 "$IDX_BIN" -i "$T/ix" --check
expect_rc "--check after the concurrent run" 0
finish
