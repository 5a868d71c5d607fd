/*
 * Canonical file paths (see path.h). Pure string work: nothing here
 * touches the file system except getcwd() for a relative table root.
 */
#include "log/path.h"

#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/str.h"

/* Length of "scheme:" at the start of s, or 0. */
static size_t scheme_len(const char *s)
{
    size_t i = 0;
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return 0;
    for (i = 1; s[i]; i++) {
        char c = s[i];
        if (c == ':')
            return i >= 2 ? i + 1 : 0; /* one letter would be a drive, not a scheme */
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '-' || c == '.'))
            return 0;
    }
    return 0;
}

bool dlog_path_is_plain(const char *raw)
{
    if (!raw[0] || raw[0] == '/')
        return false;
    const char *seg = raw;
    for (const char *p = raw;; p++) {
        char c = *p;
        if (c == '%' || c == ':')
            return false;
        if (c == '/' || c == 0) {
            size_t n = (size_t)(p - seg);
            if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
                return false;
            if (c == 0)
                return true;
            seg = p + 1;
        }
    }
}

bool dlog_path_is_absolute(const char *p)
{
    return p[0] == '/' || scheme_len(p) > 0;
}

/* Lexical normalisation of a '/'-separated path into out. An absolute path
 * keeps its leading '/'; ".." at the top of an absolute path is dropped,
 * at the top of a relative one it is kept. */
static int normalise(const char *p, dbuf *out)
{
    bool abs = p[0] == '/';
    size_t base = out->len;
    if (abs)
        dbuf_putc(out, '/');
    size_t start = out->len;
    const char *s = p;
    while (*s) {
        while (*s == '/')
            s++;
        if (!*s)
            break;
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 1 && s[0] == '.') {
            /* skip */
        } else if (n == 2 && s[0] == '.' && s[1] == '.') {
            /* pop the last segment unless it is itself ".." */
            size_t len = out->len;
            size_t seg = len;
            while (seg > start && out->data[seg - 1] != '/')
                seg--;
            bool last_is_up = len - seg == 2 && out->data[seg] == '.' && out->data[seg + 1] == '.';
            if (len > start && !last_is_up) {
                out->len = seg > start ? seg - 1 : start;
                out->data[out->len] = 0;
            } else if (!abs) {
                if (out->len > start)
                    dbuf_putc(out, '/');
                dbuf_puts(out, "..");
            }
        } else {
            if (out->len > start)
                dbuf_putc(out, '/');
            dbuf_append(out, s, n);
        }
        s += n;
    }
    if (out->err)
        return out->err;
    if (out->len == base)
        return delta_error_set(DELTA_ECORRUPT, "empty file path");
    return 0;
}

int dlog_root_local_path(const char *uri, char **out)
{
    *out = NULL;
    dbuf raw = DBUF_INIT, norm = DBUF_INIT;
    int rc = 0;
    size_t sl = scheme_len(uri);
    if (sl) {
        if (!(sl == 5 && strncmp(uri, "file:", 5) == 0))
            return 0; /* not local */
        const char *p = uri + 5;
        if (strncmp(p, "//", 2) == 0) {
            p += 2;
            if (strncmp(p, "localhost/", 10) == 0)
                p += 9;
            else if (*p != '/')
                return 0; /* remote host */
        }
        if ((rc = dstr_percent_decode(&raw, p)))
            goto done;
    } else if (uri[0] != '/') {
        char cwd[4096];
        if (!getcwd(cwd, sizeof cwd)) {
            rc = delta_error_set(DELTA_EIO, "cannot resolve the working directory");
            goto done;
        }
        dbuf_printf(&raw, "%s/%s", cwd, uri);
    } else {
        dbuf_puts(&raw, uri);
    }
    if (raw.err) {
        rc = raw.err;
        goto done;
    }
    if ((rc = normalise(dbuf_cstr(&raw), &norm)))
        goto done;
    *out = dbuf_detach(&norm, NULL);
    if (!*out)
        rc = DELTA_ENOMEM;
done:
    dbuf_free(&raw);
    dbuf_free(&norm);
    return rc;
}

int dlog_canonical_path(const char *root_local, const char *raw, dbuf *out)
{
    if (!raw || !*raw)
        return delta_error_set(DELTA_ECORRUPT, "empty file path");
    dbuf dec = DBUF_INIT, norm = DBUF_INIT;
    int rc = 0;
    const char *p = raw;
    size_t sl = scheme_len(raw);
    bool remote = false;
    if (sl == 5 && strncmp(raw, "file:", 5) == 0) {
        p = raw + 5;
        if (strncmp(p, "//", 2) == 0) {
            const char *q = p + 2;
            if (*q == '/')
                p = q;
            else if (strncmp(q, "localhost/", 10) == 0)
                p = q + 9;
            else
                remote = true, p = raw;
        }
    } else if (sl) {
        remote = true;
    }
    if ((rc = dstr_percent_decode(&dec, p))) {
        if (rc == DELTA_EINVAL)
            rc = delta_error_set(DELTA_ECORRUPT, "file path '%s': malformed percent-escape",
                                 raw);
        goto done;
    }
    if (dec.err) {
        rc = dec.err;
        goto done;
    }
    if (remote) {
        /* scheme://authority/path: normalise the path part only. */
        const char *d = dbuf_cstr(&dec);
        size_t s2 = scheme_len(d);
        const char *rest = d + s2;
        const char *path = rest;
        if (strncmp(rest, "//", 2) == 0) {
            path = strchr(rest + 2, '/');
            if (!path)
                path = rest + strlen(rest);
        }
        dbuf_append(out, d, (size_t)(path - d));
        if (*path)
            rc = normalise(path, out);
        rc = rc ? rc : out->err;
        goto done;
    }
    if ((rc = normalise(dbuf_cstr(&dec), &norm)))
        goto done;
    const char *n = dbuf_cstr(&norm);
    if (n[0] == '/') {
        size_t rl = root_local ? strlen(root_local) : 0;
        if (rl && strncmp(n, root_local, rl) == 0 && (n[rl] == '/' || (rl == 1 && n[0] == '/')) &&
            n[rl == 1 ? 1 : rl + 1]) {
            dbuf_puts(out, n + (rl == 1 ? 1 : rl + 1));
        } else {
            dbuf_puts(out, n);
        }
    } else if (strncmp(n, "..", 2) == 0 && (n[2] == '/' || n[2] == 0) && root_local) {
        dbuf joined = DBUF_INIT;
        dbuf_printf(&joined, "%s/%s", root_local, n);
        rc = joined.err ? joined.err : normalise(dbuf_cstr(&joined), out);
        dbuf_free(&joined);
        if (rc)
            goto done;
    } else {
        dbuf_puts(out, n);
    }
    rc = out->err;
done:
    dbuf_free(&dec);
    dbuf_free(&norm);
    return rc;
}
