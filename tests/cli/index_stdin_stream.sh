#!/usr/bin/env bash
# index_stdin_stream.sh — a JSON Lines dump piped into lede-index (or in a
# file whose name gives no format) is read as a stream: batches are
# committed while the pipe is still open, as for a .jsonl file.  It was read
# whole before its format was told, so a 755 MB dump peaked at 1 GB and
# nothing was committed until the pipe closed.
set -u
BIN=${LEDE_BIN_DIR:?}
T=$(mktemp -d /tmp/lede-index-stream.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT
# shellcheck source=lib/index_run.bash
. "$(dirname "$0")/lib/index_run.bash"

# 30,000 records of about a kilobyte: several batches at --memory 16M.
python3 - "$T/dump" <<'PY'
import random, sys
random.seed(7)
words = ["".join(random.choice("abcdefghij") for _ in range(random.randint(3, 9))) for _ in range(20000)]
with open(sys.argv[1], "w") as f:
    for i in range(30000):
        f.write('{"id":"d%d","body":"zqstream %s"}\n' % (i, " ".join(random.choice(words) for _ in range(150))))
PY
IX="$T/ix"
mkfifo "$T/pipe"
"$BIN/lede-index" -q -m 16M -i "$IX" - <"$T/pipe" 2>"$T/err" &
pid=$!
exec 9>"$T/pipe"
cat "$T/dump" >&9
# The pipe is still open: what is committed so far is findable now.
found=0
for _ in $(seq 600); do
    found=$("$BIN/lede-query" -i "$IX" -c zqstream 2>/dev/null)
    [ "${found:-0}" -gt 0 ] 2>/dev/null && break
    sleep 0.1
done
if [ "${found:-0}" -gt 0 ] 2>/dev/null; then
    echo "ok: committed while the pipe is open ($found documents)"
else
    fail "nothing committed while the pipe is open"
fi
exec 9>&-
wait $pid
expect "exit" "$?" 0
expect "every record" "$("$BIN/lede-query" -i "$IX" -c zqstream 2>/dev/null)" 30000
# The same file named without an extension: told by its first bytes.
cp "$T/dump" "$T/dump-noext"
run -i "$T/ix2" -m 16M "$T/dump-noext"
expect "a file without an extension" "$out" "30000 0 0 0 0"
finish
