#!/usr/bin/env bash
# robust_limits.sh — resource limits.
#  1. --max-size: an index capped below what the collection needs stops with
#     a message naming the limit, exits 2, and keeps every batch committed
#     before it: --check passes, lede-query answers, and the documents in it
#     are exactly the first N of the input, each one whole (its words and
#     the marker every document carries are all found).  A re-run without
#     the cap then completes the index to the reference's statistics.
#  2. ENOSPC: the same on a file system that really fills up — a 3 MiB
#     tmpfs mounted in a private mount namespace (unshare -m as root,
#     unshare -rm as a user when unprivileged user namespaces are allowed;
#     otherwise this half is skipped and says so).  After the disk is full:
#     message, exit 2, committed batches intact; once the tmpfs is grown the
#     re-run completes.
set -u
. "$LEDE_SOURCE_DIR/tests/robust/lib.sh"

# prepare N [COPIES] — the collection: real articles with a marker word added
# to every body, so one query lists every document in the index.
prepare() {
    local copies=${2:-12}
    pick_corpus "$1"
    if [ "${CORPUS[0]}" = "$T/reuters.jsonl" ]; then
        sed 's/"body": "/"body": "zqall /' "$T/reuters.jsonl" >"$T/docs.jsonl"
    else
        # The bundled 120 articles make an index smaller than the smallest
        # cap that still leaves room for a first batch, so without the shared
        # data they are repeated, under distinct ids, until the cap bites.
        : >"$T/docs.jsonl"
        for k in $(seq 0 $((copies - 1))); do
            sed "s/^{\"id\": \"\([^\"]*\)\"/{\"id\": \"\1-$k\"/; s/\"body\": \"/\"body\": \"zqall /" \
                "$LEDE_SOURCE_DIR/corpus/wikinews.jsonl" >>"$T/docs.jsonl"
        done
    fi
    grep -o '^{"id": "[^"]*"' "$T/docs.jsonl" | sed 's/^{"id": "//; s/"$//' >"$T/ids.all"
}

# whole_prefix IDX WHAT — the index passes --check, answers, and holds
# exactly the first N documents of the input.
whole_prefix() {
    local ix=$1 what=$2 n
    run 300 "$IDX_BIN" -i "$ix" --check
    expect_rc "$what: --check" 0
    n=$(docs_in "$ix")
    run 120 "$Q_BIN" -i "$ix" --json -n 1000000 zqall
    expect_rc "$what: lede-query answers" 0 1 || return
    sed -n 's/^{"rank":[0-9]*,"id":"\([^"]*\)".*/\1/p' "$T/out" | sort >"$T/ids.got"
    head -n "$n" "$T/ids.all" | sort >"$T/ids.want"
    if [ "$n" -gt 0 ] && cmp -s "$T/ids.got" "$T/ids.want"; then
        ok "$what: the $n documents kept are the first $n of the input, each found by its marker"
    else
        fail "$what: $n documents, but $(wc -l <"$T/ids.got") found by the marker, or not the first ones"
    fi
}

if [ "${1:-}" = --inside-namespace ]; then
    # The ENOSPC half, run by the outer script in a private mount namespace.
    require_commands
    prepare "$2" "${3:-12}"
    mkdir -p "$T/fs"
    mount -t tmpfs -o size=3m tmpfs "$T/fs" || { fail "mount a tmpfs"; finish; }
    CLEANUP_EXTRA='umount "$T/fs" 2>/dev/null'
    run 600 "$IDX_BIN" -i "$T/fs/ix" --memory 1M "$T/docs.jsonl"
    expect_rc "full disk: lede-index stops" 2
    if grep -qiE "disk.* full|no space" "$T/err"; then
        ok "full disk: message says so: $(head -c 200 "$T/err")"
    else
        fail "full disk: unclear message: $(head -c 300 "$T/err")"
    fi
    whole_prefix "$T/fs/ix" "full disk"
    mount -o remount,size=256m "$T/fs"
    run 600 "$IDX_BIN" -i "$T/fs/ix" -q "$T/docs.jsonl"
    expect_rc "full disk: re-run after space was freed" 0
    n=$(docs_in "$T/fs/ix")
    [ "$n" = "$(wc -l <"$T/ids.all")" ] && ok "full disk: all $n documents after the re-run" ||
        fail "full disk: $n documents after the re-run, want $(wc -l <"$T/ids.all")"
    finish
fi

require_commands
# The collection must make an index of at least three times the smallest cap
# (4 MiB), or the cap never bites: start small (the sanitizer build is slow)
# and double it until the reference index is large enough.
N=1000 COPIES=12
for attempt in 1 2 3 4; do
    prepare "$N" "$COPIES"
    rm -rf "$T/ref"
    run 600 "$IDX_BIN" -i "$T/ref" -q --memory 1M "$T/docs.jsonl"
    expect_rc "reference index" 0 || finish
    refsize=$(stat -c %s "$T/ref/data.mdb")
    [ "$refsize" -ge $((3 * 4 * 1048576)) ] && break
    N=$((N * 2)) COPIES=$((COPIES * 2))
done
echo "collection: $CORPUS_NAME, marked; reference index $refsize bytes"
"$IDX_BIN" -i "$T/ref" --stats --json | grep -o '"documents":[0-9]*,"max_docid":[0-9]*,"total_length":[0-9]*' >"$T/ref.stats"

# 1. --max-size at about a third of what the collection needs, and room for
# at least the first batch (about 2.5 MB), so something is committed.
cap=$((refsize / 3 / 1048576))
[ "$cap" -lt 4 ] && cap=4
run 600 "$IDX_BIN" -i "$T/cap" --memory 1M --max-size "${cap}M" "$T/docs.jsonl"
expect_rc "--max-size ${cap}M: lede-index stops" 2
if grep -qE "size limit|max-size|$((cap * 1048576))" "$T/err"; then
    ok "--max-size: message names the limit: $(head -c 200 "$T/err")"
else
    fail "--max-size: unclear message: $(head -c 300 "$T/err")"
fi
whole_prefix "$T/cap" "--max-size ${cap}M"
size=$(stat -c %s "$T/cap/data.mdb")
[ "$size" -le $((cap * 1048576)) ] && ok "data file $size bytes, within the cap" ||
    fail "data file $size bytes, above the cap of ${cap}M"
run 600 "$IDX_BIN" -i "$T/cap" -q --memory 1M "$T/docs.jsonl"
expect_rc "re-run without the cap" 0
"$IDX_BIN" -i "$T/cap" --stats --json | grep -o '"documents":[0-9]*,"max_docid":[0-9]*,"total_length":[0-9]*' >"$T/cap.stats"
if [ -n "$(cat "$T/cap.stats")" ] && cmp -s "$T/ref.stats" "$T/cap.stats"; then
    ok "after the re-run: $(cat "$T/cap.stats")"
else
    fail "after the re-run: $(cat "$T/cap.stats"), want $(cat "$T/ref.stats")"
fi

# 2. A disk that is really full, in a private mount namespace.
ns=()
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
    ns=(unshare -m)
elif unshare -rm true 2>/dev/null; then
    ns=(unshare -rm)
fi
if [ ${#ns[@]} = 0 ]; then
    note "skipped the ENOSPC half: cannot make a mount namespace to mount a small tmpfs"
else
    "${ns[@]}" bash "$0" --inside-namespace "$N" "$COPIES" >"$T/ns.log" 2>&1
    rc=$?
    sed 's/^/  [enospc] /' "$T/ns.log"
    if [ "$rc" = 0 ] && grep -q "passed, 0 failed" "$T/ns.log"; then
        ok "ENOSPC on a 3 MiB tmpfs: $(tail -n 1 "$T/ns.log")"
    else
        fail "ENOSPC on a 3 MiB tmpfs (exit $rc)"
    fi
fi
finish
