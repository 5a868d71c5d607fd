/*
 * Helpers shared by the command implementations (cli_util.h).
 */
#include "cli_util.h"
#include "commands.h"

#include <delta/delta.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void cli_report(const char *cmd, int rc)
{
    const char *msg = delta_error_last();
    if (msg && *msg)
        fprintf(stderr, "delta %s: %s\n", cmd, msg);
    else
        fprintf(stderr, "delta %s: failed (%s)\n", cmd, delta_error_name(rc));
}

int cli_parse_count(const char *cmd, const char *opt, const char *text, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (!isdigit((unsigned char)text[0]) || *end || errno == ERANGE || v < 0) {
        fprintf(stderr, "delta %s: %s expects a whole number >= 0, got '%s'\n", cmd, opt, text);
        return 1;
    }
    *out = v;
    return 0;
}

int cli_parse_positive(const char *cmd, const char *opt, const char *text, int64_t *out)
{
    int64_t v;
    if (cli_parse_count(cmd, opt, text, &v) || v == 0) {
        fprintf(stderr, "delta %s: %s expects a whole number > 0, got '%s'\n", cmd, opt, text);
        return 1;
    }
    *out = v;
    return 0;
}

int cli_split_list(const char *cmd, const char *opt, const char *text, cli_list *out)
{
    out->items = NULL;
    out->count = 0;
    size_t cap = 1;
    for (const char *p = text; *p; p++)
        cap += *p == ',';
    out->items = calloc(cap, sizeof *out->items);
    if (!out->items) {
        fprintf(stderr, "delta %s: out of memory\n", cmd);
        return 1;
    }
    const char *p = text;
    for (;;) {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        const char *b = p;
        while (b < end && isspace((unsigned char)*b))
            b++;
        const char *e = end;
        while (e > b && isspace((unsigned char)e[-1]))
            e--;
        if (e == b) {
            fprintf(stderr, "delta %s: %s has an empty name in '%s'\n", cmd, opt, text);
            cli_list_free(out);
            return 1;
        }
        if (!(out->items[out->count++] = strndup(b, (size_t)(e - b)))) {
            fprintf(stderr, "delta %s: out of memory\n", cmd);
            cli_list_free(out);
            return 1;
        }
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

void cli_list_free(cli_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->count = 0;
}

int cli_open_file_ref(const char *cmd, cli_file_ref *out, const char *path)
{
    memset(out, 0, sizeof *out);
    const char *slash = strrchr(path, '/');
    const char *key = slash ? slash + 1 : path;
    if (!*key) {
        fprintf(stderr, "delta %s: '%s' names a folder, not a file\n", cmd, path);
        return EXIT_USAGE;
    }
    char *dir;
    if (!slash) {
        dir = strdup(".");
    } else {
        size_t n = (size_t)(slash - path);
        /* Keep the slash when it ends a scheme ("memory://x") or is the root. */
        if (n == 0 || (n >= 2 && slash[-1] == '/' && slash[-2] == ':'))
            n++;
        dir = strndup(path, n);
    }
    out->key = strdup(key);
    if (!dir || !out->key) {
        free(dir);
        free(out->key);
        fprintf(stderr, "delta %s: out of memory\n", cmd);
        return EXIT_FAILURE_RUNTIME;
    }
    int rc = delta_store_open(&out->store, dir);
    free(dir);
    if (rc) {
        cli_report(cmd, rc);
        free(out->key);
        return EXIT_FAILURE_RUNTIME;
    }
    return EXIT_OK;
}

void cli_close_file_ref(cli_file_ref *f)
{
    delta_store_free(f->store);
    free(f->key);
}

void cli_json_string(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(fp, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(fp, "\\u%04x", *p);
        else
            fputc(*p, fp);
    }
    fputc('"', fp);
}

char *cli_table_location(const cli_global *g, const char *cmd, const char *table)
{
    char *out;
    if (strchr(table, '/') || strchr(table, ':') || strcmp(table, ".") == 0 ||
        strcmp(table, "..") == 0) {
        out = strdup(table);
    } else {
        int rc = delta_lake_check_name(table);
        if (rc) {
            cli_report(cmd, rc);
            return NULL;
        }
        size_t n = strlen(g->lake);
        bool slash = n > 0 && g->lake[n - 1] == '/';
        if (asprintf(&out, "%s%s%s", g->lake, slash ? "" : "/", table) < 0)
            out = NULL;
    }
    if (!out)
        fprintf(stderr, "delta %s: out of memory\n", cmd);
    return out;
}

bool cli_is_table_ref(const cli_global *g, const char *ref)
{
    struct stat st;
    if (stat(ref, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return false;
        char *log;
        if (asprintf(&log, "%s/_delta_log", ref) < 0)
            return false;
        bool is = stat(log, &st) == 0 && S_ISDIR(st.st_mode);
        free(log);
        return is;
    }
    if (strchr(ref, '/') || strchr(ref, ':') || delta_lake_check_name(ref))
        return false;
    char *p;
    size_t n = strlen(g->lake);
    if (asprintf(&p, "%s%s%s/_delta_log", g->lake, n && g->lake[n - 1] == '/' ? "" : "/", ref) < 0)
        return false;
    bool is = stat(p, &st) == 0;
    free(p);
    return is;
}

int cli_parse_table_format(const char *cmd, const char *fmt, bool *json)
{
    *json = fmt && strcmp(fmt, "json") == 0;
    if (fmt && !*json && strcmp(fmt, "table") != 0) {
        fprintf(stderr, "delta %s: unknown format '%s' (table or json)\n", cmd, fmt);
        return 1;
    }
    return 0;
}
