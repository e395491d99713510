#!/usr/bin/env bash
# index_html_site.sh — a saved news site: every page of it wraps its
# article in the same masthead, menu, "Most read" sidebar and footer, and
# every <title> ends in the site's name.  lede-index indexes the article:
# a word of the sidebar finds no page (it found them all), a word of one
# article finds that page, titles lose " | Site", and snippets quote the
# story, not the sidebar.  The articles are the bundled Wikinews ones.
set -u
BIN=${LEDE_BIN_DIR:?}
SRC=${LEDE_SOURCE_DIR:?}
T=$(mktemp -d /tmp/lede-index-html.XXXXXX)
trap 'rm -rf "$T"' EXIT
# shellcheck source=lib/index_run.bash
. "$(dirname "$0")/lib/index_run.bash"

mkdir -p "$T/site"
python3 - "$SRC/corpus/wikinews" "$T/site" <<'PY'
import html, os, sys
src, dst = sys.argv[1], sys.argv[2]
names = sorted(os.listdir(src))[:20]
sidebar = "".join(f"<li><a href=/{i}>Zqmostread story {i}: council votes again</a></li>" for i in range(5))
for n in names:
    lines = open(os.path.join(src, n), encoding="utf-8").read().split("\n")
    title, paras = lines[0], [l for l in lines[1:] if l.strip()]
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paras)
    page = f"""<!DOCTYPE html><html lang=en><head><meta charset=utf-8>
<title>{html.escape(title)} | The Zqdaily Chronicle</title></head><body>
<header role=banner><a href=/>The Zqdaily Chronicle</a>
<nav><a href=/world>World</a> <a href=/sport>Sport</a></nav></header>
<main><article><h1>{html.escape(title)}</h1><p class=byline>By staff</p>{body}</article>
<aside><h2>Most read</h2><ol>{sidebar}</ol></aside></main>
<footer>Copyright Zqfooterword 2024. All rights reserved.</footer></body></html>"""
    open(os.path.join(dst, n.replace(".txt", ".html")), "w", encoding="utf-8").write(page)
PY

IX="$T/ix"
run -i "$IX" "$T/site"
expect "exit" "$rc" 0
expect "counts" "$out" "20 0 0 0 0"
q() { "$BIN/lede-query" -i "$IX" "$@" 2>/dev/null; }
expect "a sidebar word finds no page" "$(q -c zqmostread)" 0
expect "a footer word finds no page" "$(q -c zqfooterword)" 0
expect "the site's name finds no page" "$(q -c zqdaily)" 0
first=$(ls "$SRC/corpus/wikinews" | sort | head -1)
title=$(head -1 "$SRC/corpus/wikinews/$first")
expect "the title without the site's name" "$(q --format tsv -n 1 "\"$title\"" | cut -f4)" "$title"
expect "its own words find it first" "$(q --format tsv -n 1 "\"$title\"" | cut -f2)" "${first%.txt}.html"
snip=$(q -n 20 --color never council votes 2>&1)
if grep -q "Zqmostread" <<<"$snip"; then fail "a snippet quotes the sidebar: $snip"; else echo "ok: no snippet quotes the sidebar"; fi
finish
