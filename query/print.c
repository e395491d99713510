/*
 * print.c — lede-query's printers.  Each takes the results of one query and
 * writes them in one format; all text that comes from documents goes
 * through the snippet module's sanitizer, so no control character or escape
 * sequence from a document reaches the terminal.
 */
#include "query.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ANSI_BOLD "\033[1m"
#define ANSI_DIM "\033[2m"
#define ANSI_MATCH "\033[1;31m"
#define ANSI_TITLE "\033[1;34m"
#define ANSI_RESET "\033[0m"

/* A sanitised copy of s (never NULL: "" on failure).  Caller frees. */
static char *safe(const char *s)
{
    char *out = NULL;
    if (!s)
        s = "";
    if (lede_text_sanitize(&out, NULL, s, strlen(s)) != LEDE_OK || !out)
        return strdup("");
    return out;
}

/* For TSV: tabs and newlines never survive sanitising; this is for clarity. */
static void put_tsv_field(FILE *f, const char *s)
{
    for (; *s; s++)
        fputc(*s == '\t' ? ' ' : *s, f);
}

static lede_snippet_query *snippet_query(const qrun *run)
{
    const lede_results *res = run->res;
    lede_snippet_query *sq = NULL;
    lede_stats st;
    if (lede_snippet_query_new(&sq) != LEDE_OK)
        return NULL;
    /* The searcher's analyzer stems in the index's language (lede_searcher_open). */
    if (lede_reader_stats(run->r, &st) == LEDE_OK)
        lede_snippet_query_set_language(sq, st.language[0] ? st.language : "english");
    for (size_t i = 0; i < res->nterms; i++)
        lede_snippet_query_add(sq, (lede_snippet_kind)res->terms[i].kind, res->terms[i].text,
                               res->terms[i].len, res->terms[i].weight);
    return sq;
}

typedef struct hit_text {
    char *body;
    size_t len;
    lede_snippet *snip;
} hit_text;

static void hit_text_clear(hit_text *t)
{
    free(t->body);
    lede_snippet_free(t->snip);
    memset(t, 0, sizeof *t);
}

static int make_snippet(const qrun *run, lede_snippet_query *sq, uint32_t docid, hit_text *t)
{
    memset(t, 0, sizeof *t);
    int rc = lede_reader_text(run->r, docid, &t->body, &t->len);
    if (rc != LEDE_OK)
        return rc;
    lede_snippet_options so = LEDE_SNIPPET_OPTIONS_INIT;
    so.context_words = run->o->context;
    so.max_fragments = run->o->fragments;
    return lede_snippet_make(&t->snip, lede_searcher_analyzer(run->s), t->body, t->len, sq, &so);
}

static void print_explain(FILE *f, const lede_hit *h, const char *indent)
{
    for (size_t j = 0; j < h->nexplain; j++) {
        const lede_explain_term *e = &h->explain[j];
        char *term = safe(e->term);
        fprintf(f, "%s%-28s tf=%u title_tf=%u df=%u idf=%.4f norm=%.4f -> %.4f\n", indent, term,
                e->tf, e->title_tf, e->df, e->idf, e->norm, e->score);
        free(term);
    }
}

/*
 * A JSON Lines dump holds many documents under one path, so its documents
 * are named by id (printing the dump's path once per hit says nothing);
 * a document that is a file of its own is named by its path, as grep -l does.
 * The indexer names a file's document by its path as given (relative to the
 * folder walked, without a leading "./"), so a path that ends with the id is
 * a file of its own; failing that, the extension decides (a dump may be
 * called anything.json, and is then recognised because its ids are not its
 * path).
 */
static int ends_with(const char *s, size_t n, const char *suffix)
{
    size_t m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static int own_file(const char *path, const char *id)
{
    size_t n = strlen(path);
    if (n == 0 || ends_with(path, n, ".jsonl") || ends_with(path, n, ".ndjson"))
        return 0;
    while (strncmp(id, "./", 2) == 0 || strncmp(id, "../", 3) == 0)
        id += id[1] == '/' ? 2 : 3;
    size_t m = strlen(id);
    if (m > 0 && m <= n && strcmp(path + n - m, id) == 0 && (m == n || path[n - m - 1] == '/'))
        return 1;
    static const char *const exts[] = {".txt", ".text", ".md",  ".markdown",
                                       ".html", ".htm", ".xhtml"};
    for (size_t i = 0; i < sizeof exts / sizeof *exts; i++)
        if (ends_with(path, n, exts[i]))
            return 1;
    return 0;
}

/* How a hit is named for people and for -l: its path or its id. */
static const char *doc_name(const lede_doc_info *info)
{
    return own_file(info->path, info->id) ? info->path : info->id;
}

static int print_text(const qrun *run)
{
    const qopts *o = run->o;
    FILE *f = run->out;
    lede_snippet_query *sq = o->snippets ? snippet_query(run) : NULL;
    const char *open = o->hl_open ? o->hl_open : o->color ? ANSI_MATCH : "";
    const char *close = o->hl_close ? o->hl_close : o->color ? ANSI_RESET : "";
    for (size_t i = 0; i < run->res->n; i++) {
        const lede_hit *h = &run->res->hits[i];
        lede_doc_info info;
        if (lede_reader_doc(run->r, h->docid, &info) != LEDE_OK)
            continue;
        char *title = safe(info.title), *id = safe(doc_name(&info)),
             *date = safe(info.date);
        if (run->qid)
            fprintf(f, "%s ", run->qid);
        fprintf(f, "%s%zu.%s %s%s%s", o->color ? ANSI_BOLD : "", o->so.offset + i + 1,
                o->color ? ANSI_RESET : "", o->color ? ANSI_TITLE : "",
                title[0] ? title : "(untitled)", o->color ? ANSI_RESET : "");
        fprintf(f, "  %s%s%s%s%s  score %.3f%s\n", o->color ? ANSI_DIM : "", date,
                date[0] ? "  " : "", id, "", h->score, o->color ? ANSI_RESET : "");
        free(title);
        free(id);
        free(date);
        if (sq) {
            hit_text t;
            if (make_snippet(run, sq, h->docid, &t) == LEDE_OK && t.snip) {
                lede_render_options ro = LEDE_RENDER_OPTIONS_INIT;
                ro.open = open;
                ro.close = close;
                for (size_t k = 0; k < t.snip->n; k++) {
                    char *line = NULL;
                    if (lede_snippet_render(&line, NULL, t.body, t.len, &t.snip->frags[k], &ro,
                                            NULL) == LEDE_OK && line)
                        fprintf(f, "    %s\n", line);
                    free(line);
                }
            }
            hit_text_clear(&t);
        }
        if (o->so.explain)
            print_explain(f, h, "      ");
    }
    lede_snippet_query_free(sq);
    return LEDE_OK;
}

static int print_json(const qrun *run)
{
    const qopts *o = run->o;
    lede_snippet_query *sq = snippet_query(run);
    int rc = LEDE_OK;
    for (size_t i = 0; i < run->res->n; i++) {
        const lede_hit *h = &run->res->hits[i];
        lede_doc_info info;
        if (lede_reader_doc(run->r, h->docid, &info) != LEDE_OK)
            continue;
        cJSON *obj = cJSON_CreateObject();
        if (!obj) {
            rc = LEDE_ENOMEM;
            break;
        }
        if (run->qid)
            cJSON_AddStringToObject(obj, "qid", run->qid);
        cJSON_AddNumberToObject(obj, "rank", (double)(o->so.offset + i + 1));
        cJSON_AddStringToObject(obj, "id", info.id);
        cJSON_AddStringToObject(obj, "path", info.path);
        cJSON_AddStringToObject(obj, "title", info.title);
        cJSON_AddStringToObject(obj, "date", info.date);
        cJSON_AddNumberToObject(obj, "score", h->score);
        cJSON_AddNumberToObject(obj, "docid", h->docid);
        cJSON_AddNumberToObject(obj, "length", info.len);
        if (info.meta_json[0]) {
            cJSON *meta = cJSON_Parse(info.meta_json);
            if (meta)
                cJSON_AddItemToObject(obj, "meta", meta);
        }
        hit_text t;
        cJSON *snips = cJSON_AddArrayToObject(obj, "snippets");
        if (sq && snips && make_snippet(run, sq, h->docid, &t) == LEDE_OK && t.snip) {
            lede_render_options ro = LEDE_RENDER_OPTIONS_INIT;
            ro.open = o->hl_open;
            ro.close = o->hl_close;
            for (size_t k = 0; k < t.snip->n; k++) {
                const lede_fragment *fr = &t.snip->frags[k];
                lede_snippet_range *mr = calloc(fr->nmatches ? fr->nmatches : 1, sizeof *mr);
                char *line = NULL;
                if (mr && lede_snippet_render(&line, NULL, t.body, t.len, fr, &ro, mr) == LEDE_OK &&
                    line) {
                    cJSON *sn = cJSON_CreateObject();
                    cJSON_AddStringToObject(sn, "text", line);
                    cJSON_AddNumberToObject(sn, "start", fr->start);
                    cJSON_AddNumberToObject(sn, "end", fr->end);
                    cJSON *ms = cJSON_AddArrayToObject(sn, "matches");
                    for (size_t m = 0; m < fr->nmatches; m++) {
                        cJSON *mo = cJSON_CreateObject();
                        /* Byte offsets in "text" and in the document body. */
                        cJSON_AddNumberToObject(mo, "start", mr[m].start);
                        cJSON_AddNumberToObject(mo, "end", mr[m].end);
                        cJSON_AddNumberToObject(mo, "body_start", fr->matches[m].start);
                        cJSON_AddNumberToObject(mo, "body_end", fr->matches[m].end);
                        cJSON_AddItemToArray(ms, mo);
                    }
                    cJSON_AddItemToArray(snips, sn);
                }
                free(line);
                free(mr);
            }
        }
        hit_text_clear(&t);
        if (o->so.explain) {
            cJSON *ex = cJSON_AddArrayToObject(obj, "explain");
            for (size_t j = 0; ex && j < h->nexplain; j++) {
                const lede_explain_term *e = &h->explain[j];
                cJSON *eo = cJSON_CreateObject();
                cJSON_AddStringToObject(eo, "term", e->term);
                cJSON_AddNumberToObject(eo, "tf", e->tf);
                cJSON_AddNumberToObject(eo, "title_tf", e->title_tf);
                cJSON_AddNumberToObject(eo, "df", e->df);
                cJSON_AddNumberToObject(eo, "idf", e->idf);
                cJSON_AddNumberToObject(eo, "norm", e->norm);
                cJSON_AddNumberToObject(eo, "score", e->score);
                cJSON_AddItemToArray(ex, eo);
            }
        }
        char *s = cJSON_PrintUnformatted(obj);
        cJSON_Delete(obj);
        if (!s) {
            rc = LEDE_ENOMEM;
            break;
        }
        fprintf(run->out, "%s\n", s);
        free(s);
    }
    lede_snippet_query_free(sq);
    return rc;
}

static int print_tsv(const qrun *run)
{
    for (size_t i = 0; i < run->res->n; i++) {
        const lede_hit *h = &run->res->hits[i];
        lede_doc_info info;
        if (lede_reader_doc(run->r, h->docid, &info) != LEDE_OK)
            continue;
        char *id = safe(info.id), *title = safe(info.title), *date = safe(info.date),
             *path = safe(info.path);
        if (run->qid)
            fprintf(run->out, "%s\t", run->qid);
        fprintf(run->out, "%zu\t", run->o->so.offset + i + 1);
        put_tsv_field(run->out, id);
        fprintf(run->out, "\t%.6f\t", h->score);
        put_tsv_field(run->out, title);
        fputc('\t', run->out);
        put_tsv_field(run->out, date);
        fputc('\t', run->out);
        put_tsv_field(run->out, path);
        fputc('\n', run->out);
        free(id);
        free(title);
        free(date);
        free(path);
    }
    return LEDE_OK;
}

static int print_files(const qrun *run)
{
    for (size_t i = 0; i < run->res->n; i++) {
        lede_doc_info info;
        /* Names are plain fields: nothing compressed is read. */
        if (lede_reader_doc_brief(run->r, run->res->hits[i].docid, &info) != LEDE_OK)
            continue;
        const char *name = doc_name(&info);
        if (run->o->nul) {
            /* NUL-separated output is for xargs -0: names go out as stored. */
            fputs(name, run->out);
            fputc('\0', run->out);
        } else {
            char *s = safe(name);
            fprintf(run->out, "%s\n", s);
            free(s);
        }
    }
    return LEDE_OK;
}

static int print_trec(const qrun *run)
{
    for (size_t i = 0; i < run->res->n; i++) {
        const lede_hit *h = &run->res->hits[i];
        lede_doc_info info;
        if (lede_reader_doc_brief(run->r, h->docid, &info) != LEDE_OK)
            continue;
        char *id = safe(info.id);
        for (char *p = id; *p; p++)
            if (*p == ' ')
                *p = '_'; /* TREC runs are space-separated */
        fprintf(run->out, "%s Q0 %s %zu %.6f lede\n", run->qid ? run->qid : "1", id,
                run->o->so.offset + i + 1, h->score);
        free(id);
    }
    return LEDE_OK;
}

int print_results(const qrun *run)
{
    switch (run->o->format) {
    case FMT_TEXT:
        return print_text(run);
    case FMT_JSON:
        return print_json(run);
    case FMT_TSV:
        return print_tsv(run);
    case FMT_FILES:
        return print_files(run);
    case FMT_TREC:
        return print_trec(run);
    case FMT_COUNT:
        if (run->qid)
            fprintf(run->out, "%s\t", run->qid);
        fprintf(run->out, "%llu\n", (unsigned long long)run->res->total);
        return LEDE_OK;
    }
    return LEDE_OK;
}
