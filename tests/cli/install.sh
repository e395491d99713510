#!/usr/bin/env bash
# install.sh — installs lede from the build directory into temporary
# prefixes, the way a user or a packager would, and checks what landed:
#   1. `cmake --install --prefix` puts every file in its place;
#   2. the installed binaries run --version and --help;
#   3. a tiny C program builds with `pkg-config --cflags --libs [--static] lede`
#      against the installed headers and library, and runs;
#   4. the man pages render with `groff -ww -z -man` and `man -l` without a
#      warning, and `man NAME` finds them through MANPATH;
#   5. `bash -n` accepts the bash completion, which then completes options,
#      option values and paths (and `zsh -n` the zsh functions, when zsh is
#      installed);
#   6. a DESTDIR install stages the same tree, its lede.pc still works, and
#      the uninstall script removes exactly what the manifest lists.
set -euo pipefail

: "${LEDE_BIN_DIR:?run through ctest}" "${LEDE_SOURCE_DIR:?run through ctest}"
build=$(cd "$LEDE_BIN_DIR/.." && pwd)
src=$LEDE_SOURCE_DIR
tmp=$(mktemp -d /tmp/lede-install-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cc=${CC:-cc}
sanitize=()
[[ ${LEDE_SANITIZE:-0} == 1 ]] && sanitize=(-fsanitize=address,undefined)

# The commands whose options, --help and --version the checks below hold to
# the man pages and completions.  (While a command is being written, it
# stays out of this list until the documentation has caught up with it.)
synced="lede-index lede-query"

fail() { echo "install.sh: FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

for tool in pkg-config groff man "$cc"; do
    command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/deps installs it)"
done

# ---------------------------------------------------------------- 1. layout
step "cmake --install --prefix"
p=$tmp/prefix
cmake --install "$build" --prefix "$p" >"$tmp/install.log" ||
    { cat "$tmp/install.log"; fail "cmake --install --prefix failed"; }
for f in bin/lede-index bin/lede-query include/lede.h include/lede/analysis.h \
    include/lede/index.h include/lede/search.h include/lede/snippet.h \
    share/man/man1/lede-index.1 share/man/man1/lede-query.1 \
    share/man/man7/lede-query-syntax.7 \
    share/bash-completion/completions/lede-index \
    share/bash-completion/completions/lede-query \
    share/zsh/site-functions/_lede-index share/zsh/site-functions/_lede-query \
    share/doc/lede/INSTALL.md; do
    [[ -e $p/$f ]] || fail "not installed: $f"
done
[[ -x $p/bin/lede-index && -x $p/bin/lede-query ]] || fail "installed commands are not executable"
lib=$(find "$p" -name liblede.a)
pc=$(find "$p" -name lede.pc)
[[ -n $lib ]] || fail "liblede.a not installed"
[[ -n $pc ]] || fail "lede.pc not installed"
[[ $(dirname "$pc") == "$(dirname "$lib")/pkgconfig" ]] || fail "lede.pc is not in the libdir's pkgconfig: $pc"
# Every installed file is in the manifest, so uninstall can find it.
diff <(sort "$build/install_manifest.txt") <(find "$p" -type f | sort) ||
    fail "install_manifest.txt does not list exactly the installed files"

# ------------------------------------------------------ 2. the binaries run
step "installed binaries: --version, --help"
for cmd in $synced; do
    out=$("$p/bin/$cmd" --version) || fail "$cmd --version exited $?"
    grep -q "^$cmd 0\.1\.0" <<<"$out" || fail "$cmd --version does not start with '$cmd 0.1.0': $out"
    grep -q "LMDB" <<<"$out" || fail "$cmd --version does not name the LMDB version: $out"
    out=$("$p/bin/$cmd" --help) || fail "$cmd --help exited $?"
    grep -qi "usage" <<<"$out" || fail "$cmd --help has no usage line"
    grep -q "$cmd(1)" <<<"$out" || fail "$cmd --help does not point to the man page $cmd(1)"
    (($(wc -l <<<"$out") <= 40)) || fail "$cmd --help is longer than 40 lines"
    # A bad option is a usage error: exit 2, one line in the house style.
    set +e
    "$p/bin/$cmd" --no-such-option >"$tmp/out" 2>"$tmp/err"
    rc=$?
    set -e
    ((rc == 2)) || fail "$cmd --no-such-option exited $rc, not 2"
    grep -q "^$cmd: error: " "$tmp/err" || fail "$cmd usage error not in the '$cmd: error:' style: $(cat "$tmp/err")"
done

# --------------------------------------------- 3. a program using lede.pc
step "pkg-config: compile and run a program against the installed library"
export PKG_CONFIG_PATH=$(dirname "$pc")
pkg-config --exists lede || fail "pkg-config does not find lede.pc"
[[ $(pkg-config --modversion lede) == 0.1.0 ]] || fail "lede.pc version is not 0.1.0"
[[ $(pkg-config --variable=includedir lede) -ef $p/include ]] || fail "lede.pc includedir does not resolve to $p/include"
# The installed lede-index indexes corpus/; the program opens that index
# through the public API, checks the document count against --stats, and
# searches it: "Kim Jong Un" must rank the seed article first.
"$p/bin/lede-index" -q -i "$tmp/idx" "$src/corpus" || fail "the installed lede-index failed on corpus/"
ndocs=$("$p/bin/lede-index" -i "$tmp/idx" --stats --json |
    sed -n 's/.*"documents":\([0-9]*\).*/\1/p')
[[ -n $ndocs ]] && ((ndocs > 200)) || fail "lede-index --stats --json gives '$ndocs' documents for corpus/"
cat >"$tmp/prog.c" <<'PROG'
#include <lede.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* prog INDEX QUERY: the index's document count, then the top 3 hits' ids. */
int main(int argc, char **argv)
{
    lede_reader *r = NULL;
    lede_searcher *s = NULL;
    lede_results *res = NULL;
    char *err = NULL;
    lede_stats st;
    int status = 1;
    if (argc != 3 || strcmp(lede_version(), LEDE_VERSION) != 0)
        return 2;
    if (lede_reader_open(&r, argv[1], &err) != LEDE_OK ||
        lede_searcher_open(&s, r, &err) != LEDE_OK) {
        fprintf(stderr, "prog: cannot open %s: %s\n", argv[1], err ? err : "?");
        goto cleanup;
    }
    if (lede_reader_stats(r, &st) != LEDE_OK)
        goto cleanup;
    printf("lede %s: %llu documents\n", lede_version(), (unsigned long long)st.ndocs);
    lede_search_options o = LEDE_SEARCH_OPTIONS_INIT;
    o.limit = 3;
    if (lede_search(&res, s, argv[2], &o) != LEDE_OK) {
        fprintf(stderr, "prog: %s\n", lede_searcher_errmsg(s));
        goto cleanup;
    }
    for (size_t i = 0; i < res->n; i++) {
        lede_doc_info doc;
        if (lede_reader_doc(r, res->hits[i].docid, &doc) != LEDE_OK)
            goto cleanup;
        printf("%zu %s %.3f\n", i + 1, doc.id, res->hits[i].score);
    }
    status = res->n ? 0 : 1;
cleanup:
    free(err);
    lede_results_free(res);
    lede_searcher_close(s);
    lede_reader_close(r);
    return status;
}
PROG
for mode in "" --static; do
    # shellcheck disable=SC2046
    "$cc" "${sanitize[@]}" -std=c17 -Wall -Wextra -Werror -o "$tmp/prog" "$tmp/prog.c" \
        $(pkg-config --cflags --libs $mode lede) ||
        fail "cannot build against the installed lede with pkg-config $mode"
    "$tmp/prog" "$tmp/idx" "Kim Jong Un" >"$tmp/prog.out" ||
        fail "the program built with pkg-config $mode failed: $(cat "$tmp/prog.out")"
    grep -qx "lede 0.1.0: $ndocs documents" "$tmp/prog.out" ||
        fail "the program's count differs from lede-index --stats ($ndocs): $(cat "$tmp/prog.out")"
    grep -q "^1 seed/wang-yi-choe-son-hui.txt " "$tmp/prog.out" ||
        fail "the program's search for Kim Jong Un does not rank the seed article first: $(cat "$tmp/prog.out")"
    (($(wc -l <"$tmp/prog.out") == 4)) || fail "the program did not print 3 hits: $(cat "$tmp/prog.out")"
done

# ------------------------------------------------------ 4. the man pages
step "man pages render without warnings"
for page in man1/lede-index.1 man1/lede-query.1 man7/lede-query-syntax.7; do
    f=$p/share/man/$page
    groff -ww -z -man "$f" 2>"$tmp/err" || fail "groff failed on $page"
    [[ ! -s $tmp/err ]] || fail "groff warns on $page: $(cat "$tmp/err")"
    (cd "$(dirname "$f")" && MANWIDTH=80 man "./$(basename "$f")" \
        >"$tmp/man.out" 2>"$tmp/err") || fail "man ./$(basename "$f") failed"
    [[ ! -s $tmp/err ]] || fail "man warns on $page: $(cat "$tmp/err")"
    grep -q "^NAME" "$tmp/man.out" || fail "man ./$page has no NAME section"
    name=$(basename "$page"); name=${name%.*}
    found=$(MANPATH=$p/share/man man -w "$name") || fail "man does not find $name through MANPATH"
    [[ $found -ef $f ]] || fail "man -w $name gives $found, not $f"
done
for s in "EXIT STATUS" ENVIRONMENT FILES EXAMPLES; do
    for page in man1/lede-index.1 man1/lede-query.1; do
        grep -q "^\.SH $s" "$p/share/man/$page" || fail "$page has no $s section"
    done
done
for v in LEDE_INDEX NO_COLOR; do
    grep -q "$v" "$p/share/man/man1/lede-query.1" || fail "lede-query(1) does not document $v"
done

# ----------------------------------------------------- 5. the completions
step "completions"
comp=$p/share/bash-completion/completions/lede-index
bash -n "$comp" || fail "bash -n rejects the bash completion"
cmp -s "$comp" "$p/share/bash-completion/completions/lede-query" ||
    fail "the two bash completion files differ"
# complete WORD...: run the registered completion function on a command line
# whose last word is being completed, in a clean bash, from the corpus dir.
complete_line() {
    (cd "$src" && PATH="$p/bin:$PATH" bash --norc --noprofile -c '
        . "$1"; shift
        COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
        fn=$(complete -p "$1" | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
        [[ -n $fn ]] || { echo "no completion registered for $1" >&2; exit 1; }
        COMPREPLY=(); "$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
        printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$comp" "$@")
}
expect() { # expect "EXPECTED (sorted, space-separated)" WORD...
    local want=$1; shift
    got=$(complete_line "$@" | tr '\n' ' ' | sed 's/ $//')
    [[ $got == "$want" ]] || fail "completing '$*': got '$got', want '$want'"
}
expect "--format" lede-index --form
expect "auto html json jsonl md txt" lede-index --format ""
# bash splits "--format=j" at '=' when '=' is in COMP_WORDBREAKS (the
# default), and leaves it one word otherwise: then replies keep the prefix.
expect "json jsonl" lede-index --format = j
expect "--format=json --format=jsonl" lede-index --format=j
expect "corpus/seed" lede-index corpus/se
expect "corpus/seed/wang-yi-choe-son-hui.txt" lede-index --files-from corpus/seed/wang
expect "corpus/seed" lede-index -i corpus/s
expect "swedish" lede-index --language swe
expect "always auto never" lede-query --color = ""
expect "--color=never" lede-query --color=n
expect "always auto never" lede-query --colour ""
expect "-date date score" lede-query --sort ""
expect "json text trec tsv" lede-query --format ""
expect "plus1" lede-query --idf p
expect "--files-with-matches" lede-query --files-with
expect "corpus/wikinews" lede-query --index corpus/w
expect "" lede-query korea
if command -v zsh >/dev/null; then
    for f in _lede-index _lede-query; do
        zsh -n "$p/share/zsh/site-functions/$f" || fail "zsh -n rejects $f"
    done
else
    echo "zsh not installed: zsh completion syntax not checked"
fi

# --------------------------- 7. every option documented and completed
# The option tables in indexer/ and query/ are the truth: each row
# {"name", xxx_argument, [NULL,] 'c' or OPT_..., ...} must appear in the man page,
# the bash list and the zsh function, and nothing else may.
step "options: sources, man pages and completions agree"
check_options() { # check_options COMMAND SOURCE_DIR BASH_LIST_VARIABLE
    local cmd=$1 dir=$2 var=$3 rows name val short bash_list o
    # Both getopt_long's own {"name", has_arg, NULL, val} and tables with
    # {"name", has_arg, val, ...} rows.
    rows=$(grep -ohE '\{ *"[a-z0-9][a-z0-9-]*", *(no|required|optional)_argument, *(NULL, *)?[^,}]+' \
        "$src/$dir"/*.c | sed -E 's/\{ *"([^"]*)", *[a-z]+_argument, *(NULL, *)?(.*)/\1 \3/' | sort -u)
    [[ -n $rows ]] || fail "no option table found in $dir/*.c: rows like {\"name\", required_argument, 'c', ...}"
    bash_list=" $(bash --norc --noprofile -c '. "$1"; eval "echo \$$2"' _ \
        "$src/completions/lede.bash" "$var" | tr -s ' \n' '  ') "
    local accepted=" "
    while read -r name val; do
        short=
        [[ $val =~ ^\'(.)\'$ ]] && short=${BASH_REMATCH[1]}
        accepted+="--$name ${short:+-$short }"
        for o in "--$name" ${short:+"-$short"}; do
            # An option heading is a line starting with *-; it may name several.
            grep -E '^\*-' "$src/docs/man/$cmd.1.scd" | grep -qF -- "*$o*" ||
                fail "$cmd option $o ($dir/) is not documented in docs/man/$cmd.1.scd"
            [[ $bash_list == *" $o "* ]] ||
                fail "$cmd option $o ($dir/) is missing from \$$var in completions/lede.bash"
            grep -qE -- "(^|[^a-z0-9-])$o([^a-z0-9-]|$)" "$src/completions/_$cmd" ||
                fail "$cmd option $o ($dir/) is missing from completions/_$cmd"
        done
    done <<<"$rows"
    for o in $bash_list; do
        [[ $accepted == *" $o "* ]] ||
            fail "completions/lede.bash offers $o, which $cmd ($dir/) does not accept"
    done
}
for cmd in $synced; do
    case $cmd in
        lede-index) check_options lede-index indexer _lede_index_opts ;;
        lede-query) check_options lede-query query _lede_query_opts ;;
    esac
done

# Every lede-query example in the man pages' code blocks runs on the corpus
# index without a usage or syntax error (exit 0 or 1, never 2).  Examples
# with a pipe or a redirection, and the "$ " transcript of an error, are
# not run.
if [[ " $synced " == *" lede-query "* ]]; then
    step "the lede-query examples of the man pages run"
    n=0
    while IFS= read -r line; do
        set +e
        (lede-query() { "$p/bin/lede-query" -i "$tmp/idx" --color=never "$@"; }
            eval "$line") >/dev/null 2>"$tmp/err"
        rc=$?
        set -e
        ((rc == 0 || rc == 1)) || fail "man page example exits $rc: $line: $(cat "$tmp/err")"
        n=$((n + 1))
    done < <(awk '/^```/ { code = !code; next } code && /^lede-query / && !/[|<>]/' \
        "$src"/docs/man/lede-query*.scd)
    ((n >= 10)) || fail "only $n lede-query examples found in the man pages"
fi

# ------------------------------------------- 6. DESTDIR and the manifest
step "DESTDIR install, then uninstall from the manifest"
stage=$tmp/stage
DESTDIR=$stage cmake --install "$build" --prefix /usr/local >"$tmp/install.log" ||
    { cat "$tmp/install.log"; fail "DESTDIR install failed"; }
[[ -x $stage/usr/local/bin/lede-query ]] || fail "DESTDIR install did not stage bin/lede-query"
[[ ! -e /usr/local/bin/lede-query || ! /usr/local/bin/lede-query -ef $stage/usr/local/bin/lede-query ]] ||
    fail "DESTDIR install wrote outside DESTDIR"
spc=$(find "$stage" -name lede.pc)
[[ $(PKG_CONFIG_PATH=$(dirname "$spc") pkg-config --variable=includedir lede) -ef $stage/usr/local/include ]] ||
    fail "the staged lede.pc does not point into the staged tree"
# The manifest lists the installed paths without DESTDIR (the uninstall
# script puts DESTDIR back): exactly the staged files.
diff <(sed "s|^|$stage|" "$build/install_manifest.txt" | sort) <(find "$stage" -type f | sort) ||
    fail "install_manifest.txt and the staged files differ"
DESTDIR=$stage cmake -DMANIFEST="$build/install_manifest.txt" -P "$src/cmake/LedeUninstall.cmake" \
    >"$tmp/uninstall.log" || { cat "$tmp/uninstall.log"; fail "uninstall failed"; }
left=$(find "$stage" -type f)
[[ -z $left ]] || fail "uninstall left files behind: $left"
echo "install.sh: all checks passed"
