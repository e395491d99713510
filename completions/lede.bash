# bash completion for lede-index(1) and lede-query(1)                -*- sh -*-
#
# Installed as share/bash-completion/completions/lede-index and .../lede-query
# (the same file under both names, so bash-completion loads it on demand for
# either command).  Without bash-completion, source it from ~/.bashrc:
#     . /usr/local/share/bash-completion/completions/lede-index
#
# It needs nothing from the bash-completion package: options and their
# values come from the lists below, which must follow the option tables in
# indexer/main.c and query/main.c, and languages come from
# `lede-index --list-languages` when it is on the PATH.

_lede_index_opts='-i --index -f --format --id-field --title-field --body-field
 --date-field --stdin-id --files-from -0 --null --hidden --prune --delete --rebuild --compact
 -j --jobs -m --memory --max-size --language --list-languages --stats --check
 --wait -q --quiet --json -v --verbose -h --help -V --version'

_lede_query_opts='-i --index -a --all --since --until --sort --k1 --b
 --title-weight --proximity --idf --keep-stopwords --prefix-cap --explain
 -n --limit
 --offset -c --count -l --files-with-matches -0 --null --json --tsv --format
 --context --fragments --color --colour --highlight --batch --timing
 -h --help -V --version'

_lede_languages='arabic armenian basque catalan danish dutch english finnish
 french german greek hindi hungarian indonesian irish italian lithuanian nepali
 none norwegian porter portuguese romanian russian serbian spanish swedish tamil
 turkish yiddish'

# Sets cur, prev and eqprefix for the word being completed.  Handles
# "--opt value", "--opt=value" whether or not '=' is in COMP_WORDBREAKS (when it
# is not, the replies must carry the "--opt=" prefix, kept in eqprefix).
_lede_words()
{
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=
    eqprefix=
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    if [[ $cur == = ]] && ((COMP_CWORD > 0)); then
        cur=
    elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
        prev=${COMP_WORDS[COMP_CWORD - 2]}
    elif [[ $cur == --*=* ]]; then
        prev=${cur%%=*}
        eqprefix=$prev=
        cur=${cur#*=}
    fi
}

# _lede_reply WORDS: the words that start with $cur.
_lede_reply()
{
    local IFS=$' \t\n' w
    COMPREPLY=()
    for w in $1; do
        [[ $w == "$cur"* ]] && COMPREPLY+=("$eqprefix$w")
    done
}

# _lede_paths -d|-f: directories, or files and directories, under $cur.
_lede_paths()
{
    local IFS=$'\n'
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen "$1" -- "$cur"))
}

_lede_index()
{
    local cur prev eqprefix langs
    _lede_words
    case $prev in
        -i | --index)
            _lede_paths -d; return ;;
        -f | --format)
            _lede_reply 'auto txt md html jsonl json'; return ;;
        --files-from)
            _lede_paths -f; return ;;
        --language)
            langs=$(command lede-index --list-languages 2>/dev/null) || langs=
            [[ -n $langs ]] || langs=$_lede_languages
            _lede_reply "$langs"; return ;;
        --id-field | --title-field | --body-field | --date-field | --stdin-id | -j | --jobs | \
            -m | --memory | --max-size)
            COMPREPLY=(); return ;;
    esac
    if [[ $cur == -* ]]; then
        _lede_reply "$_lede_index_opts"
        return
    fi
    # After --delete the arguments are document ids, which only the index knows.
    local w
    for w in "${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
        [[ $w == --delete ]] && { COMPREPLY=(); return; }
    done
    _lede_paths -f
}

_lede_query()
{
    local cur prev eqprefix
    _lede_words
    case $prev in
        -i | --index)
            _lede_paths -d; return ;;
        --color | --colour)
            _lede_reply 'auto always never'; return ;;
        --sort)
            _lede_reply 'score date -date'; return ;;
        --format)
            _lede_reply 'text json tsv trec'; return ;;
        --idf)
            _lede_reply 'robertson plus1'; return ;;
        --since | --until | --k1 | --b | --title-weight | --proximity | --prefix-cap | \
            -n | --limit | --offset | --context | --fragments | --highlight)
            COMPREPLY=(); return ;;
    esac
    # Query words may start with '-' (an excluded word): offer options only
    # when they match, and never file names, since a query is not a path.
    if [[ $cur == -* ]]; then
        _lede_reply "$_lede_query_opts"
        return
    fi
    COMPREPLY=()
}

complete -F _lede_index lede-index
complete -F _lede_query lede-query
