/*
 * The local file-system backend (plain paths and file:// URIs).
 *
 * An object is a regular file at ROOT/KEY; directories are only the way
 * keys with '/' are stored and are never objects themselves (a directory,
 * FIFO or other non-regular file at a key reads as "not found").
 *
 * Invariants:
 * - Nothing is ever visible partially. Every write goes to a temporary file
 *   in the target's own directory, named ".NAME.tmp.PID.HEX16" (see
 *   store_file_is_temp_name), which is written in full and fsync'd before it
 *   is published:
 *     put            rename() over the target (readers see old or new);
 *     put_if_absent  link() to the target, which fails with EEXIST when the
 *                    key exists, so of racing writers exactly one wins
 *                    (renameat2(RENAME_NOREPLACE) on file systems without
 *                    hard links); the temporary name is then unlinked.
 *   The directory is fsync'd after publishing, and every directory the
 *   write had to create is fsync'd in its parent, so a put that returned
 *   survives a crash.
 * - Listings never show temporary files, so a crash mid-write leaves only
 *   invisible debris.
 * - The root need not exist: it is created, with its parents, by the first
 *   write. Listing or reading a missing root gives empty / not found.
 * - System calls are retried on EINTR and short reads/writes are continued.
 * - Every error names the full path and the system's reason.
 */
#include "storage/store_internal.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* Bytes of the final name kept in a temporary name, so that temporary names
 * stay within NAME_MAX whenever the final name does. */
#define TEMP_NAME_KEEP 64
/* Deepest directory nesting a recursive listing descends. */
#define LIST_MAX_DEPTH 512

typedef struct file_backend {
    delta_store_backend base;
    char *root; /* no trailing slash, except "/" */
} file_backend;

typedef struct file_writer {
    struct delta_store_writer base;
    char *path; /* final path */
    char *tmp;  /* temporary file being written */
    char *dir;  /* directory of both */
    int fd;
    unsigned flags;
    int err; /* sticky: first write error */
} file_writer;

/* ---- helpers ------------------------------------------------------------ */

/* Maps an errno value to a DELTA_E* code and sets "op path: reason". */
static int sys_error(int err, const char *op, const char *path)
{
    int code;
    switch (err) {
    case ENOENT:
    case ENOTDIR:
        code = DELTA_ENOTFOUND;
        break;
    case EEXIST:
        code = DELTA_EEXIST;
        break;
    case EACCES:
    case EPERM:
    case EROFS:
        code = DELTA_EPERM;
        break;
    case ENAMETOOLONG:
        code = DELTA_EINVAL;
        break;
    case ENOMEM:
        code = DELTA_ENOMEM;
        break;
    default:
        code = DELTA_EIO;
        break;
    }
    return delta_error_set(code, "%s %s: %s", op, path, strerror(err));
}

/* Like sys_error for the write path, where a missing directory component
 * that is a file means something is in the way, not "not found". */
static int write_error(int err, const char *op, const char *path)
{
    if (err == ENOTDIR)
        return delta_error_set(DELTA_EIO, "%s %s: %s (a file is in the way)", op, path,
                               strerror(err));
    return sys_error(err, op, path);
}

static char *join_path(const file_backend *fb, const char *key)
{
    size_t rl = strlen(fb->root), kl = strlen(key);
    int slash = !(rl > 0 && fb->root[rl - 1] == '/');
    char *p = delta_malloc(rl + (size_t)slash + kl + 1);
    if (!p)
        return NULL;
    memcpy(p, fb->root, rl);
    if (slash)
        p[rl] = '/';
    memcpy(p + rl + (size_t)slash, key, kl + 1);
    return p;
}

/* The directory part of path ("/" for "/x"), as a new string. */
static char *dir_of(const char *path)
{
    const char *s = strrchr(path, '/');
    if (!s)
        return delta_strdup(".");
    if (s == path)
        return delta_strdup("/");
    return delta_strndup(path, (size_t)(s - path));
}

static const char *base_of(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static int fsync_dir(const char *dir)
{
    int fd;
    do {
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return sys_error(errno, "opening directory", dir);
    int rc = 0;
    if (fsync(fd) != 0 && errno != EINVAL && errno != ENOTSUP)
        rc = sys_error(errno, "fsync of directory", dir);
    close(fd);
    return rc;
}

/* Creates directory `path` and any missing parents; each directory created
 * is fsync'd in its parent so it survives a crash. `path` is modified
 * temporarily and restored. */
static int ensure_dir(char *path, int depth)
{
    if (depth > LIST_MAX_DEPTH)
        return delta_error_set(DELTA_EINVAL, "creating directory %s: nested too deep", path);
    if (mkdir(path, 0777) == 0)
        goto created;
    if (errno == EEXIST) {
        struct stat st;
        if (stat(path, &st) != 0)
            return sys_error(errno, "checking directory", path);
        if (!S_ISDIR(st.st_mode))
            return delta_error_set(DELTA_EIO, "creating directory %s: a file is in the way",
                                   path);
        return 0;
    }
    if (errno != ENOENT)
        return write_error(errno, "creating directory", path);

    char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return sys_error(ENOENT, "creating directory", path);
    *slash = '\0';
    int rc = ensure_dir(path, depth + 1);
    *slash = '/';
    if (rc)
        return rc;
    if (mkdir(path, 0777) != 0) {
        if (errno == EEXIST)
            return ensure_dir(path, depth + 1); /* made by someone else meanwhile */
        return write_error(errno, "creating directory", path);
    }
created:;
    char *parent = dir_of(path);
    if (!parent)
        return DELTA_ENOMEM;
    int frc = fsync_dir(parent);
    delta_free(parent);
    return frc;
}

static uint64_t random64(void)
{
    static atomic_uint_fast64_t counter;
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) == (ssize_t)sizeof r)
        return r;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    r = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ ((uint64_t)getpid() << 17);
    r ^= atomic_fetch_add(&counter, 1) * 0x9E3779B97F4A7C15ull;
    return r;
}

int store_file_is_temp_name(const char *name)
{
    size_t n = strlen(name);
    /* minimal: ".a.tmp.1.0123456789abcdef" */
    if (n < 25 || name[0] != '.')
        return 0;
    for (size_t i = n - 16; i < n; i++) {
        char c = name[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return 0;
    }
    if (name[n - 17] != '.')
        return 0;
    size_t j = n - 17; /* index of the '.' before the hex */
    size_t digits = 0;
    while (j > 0 && name[j - 1] >= '0' && name[j - 1] <= '9') {
        j--;
        digits++;
    }
    /* name[j..] starts the pid; before it must be ".tmp." with a non-empty name */
    if (digits == 0 || j < 7)
        return 0;
    return memcmp(name + j - 5, ".tmp.", 5) == 0;
}

/* Creates a new temporary file next to `path` (creating its directory when
 * missing); on success *tmp_out and *fd_out are set. */
static int open_temp(const char *path, const char *dir, char **tmp_out, int *fd_out)
{
    const char *name = base_of(path);
    size_t nl = strlen(name);
    if (nl > TEMP_NAME_KEEP)
        nl = TEMP_NAME_KEEP;
    int made_dir = 0;
    for (int attempt = 0; attempt < 16; attempt++) {
        dbuf t = DBUF_INIT;
        dbuf_puts(&t, dir);
        if (t.len == 0 || t.data[t.len - 1] != '/')
            dbuf_putc(&t, '/');
        dbuf_putc(&t, '.');
        dbuf_append(&t, name, nl);
        dbuf_printf(&t, ".tmp.%ld.%016llx", (long)getpid(), (unsigned long long)random64());
        if (t.err) {
            dbuf_free(&t);
            return DELTA_ENOMEM;
        }
        char *tmp = dbuf_detach(&t, NULL);
        int fd;
        do {
            fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        } while (fd < 0 && errno == EINTR);
        if (fd >= 0) {
            *tmp_out = tmp;
            *fd_out = fd;
            return 0;
        }
        int e = errno;
        if (e == EEXIST) {
            delta_free(tmp);
            continue;
        }
        if (e == ENOENT && !made_dir) {
            delta_free(tmp);
            char *d = delta_strdup(dir);
            if (!d)
                return DELTA_ENOMEM;
            int rc = ensure_dir(d, 0);
            delta_free(d);
            if (rc)
                return rc;
            made_dir = 1;
            continue;
        }
        int rc = write_error(e, "creating temporary file", tmp);
        delta_free(tmp);
        return rc;
    }
    return delta_error_set(DELTA_EIO, "creating temporary file next to %s: no free name", path);
}

static int write_full(int fd, const uint8_t *p, size_t len, const char *path)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return sys_error(errno, "writing", path);
        }
        if (n == 0)
            return delta_error_set(DELTA_EIO, "writing %s: no progress", path);
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int pread_full(int fd, uint8_t *dst, size_t len, uint64_t off, size_t *got,
                      const char *path)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, dst + done, len - done, (off_t)(off + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return sys_error(errno, "reading", path);
        }
        if (n == 0)
            break;
        done += (size_t)n;
    }
    *got = done;
    return 0;
}

/* fsyncs and closes fd (closed in every case). */
static int sync_close(int fd, const char *tmp)
{
    int rc = 0;
    if (fsync(fd) != 0)
        rc = sys_error(errno, "fsync of", tmp);
    if (close(fd) != 0 && rc == 0 && errno != EINTR)
        rc = sys_error(errno, "closing", tmp);
    return rc;
}

/* Moves the complete, synced temporary file to its final name, then syncs
 * the directory. The temporary file is gone afterwards in every case. */
static int publish(const char *tmp, const char *path, const char *dir, int if_absent)
{
    if (!if_absent) {
        if (rename(tmp, path) != 0) {
            int e = errno;
            unlink(tmp);
            if (e == EISDIR || e == ENOTEMPTY || e == EEXIST)
                return delta_error_set(DELTA_EIO, "writing %s: a directory is in the way", path);
            return sys_error(e, "renaming temporary file to", path);
        }
        return fsync_dir(dir);
    }

    if (link(tmp, path) != 0) {
        int e = errno;
        if (e == EPERM || e == ENOTSUP || e == EOPNOTSUPP || e == ENOSYS || e == EMLINK) {
            /* No hard links here: an exclusive rename is just as atomic. */
            if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
                return fsync_dir(dir);
            e = errno;
        }
        unlink(tmp);
        if (e == EEXIST)
            return delta_error_set(DELTA_EEXIST, "%s already exists", path);
        return sys_error(e, "linking temporary file to", path);
    }
    unlink(tmp); /* debris only if this fails: the object is published */
    return fsync_dir(dir);
}

/* Opens the object at key for reading; ENOTFOUND unless a regular file. */
static int open_object(const char *path, int *fd_out, struct stat *st)
{
    int fd;
    do {
        fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return delta_error_set(DELTA_ENOTFOUND, "%s: no such object", path);
        return sys_error(errno, "opening", path);
    }
    if (fstat(fd, st) != 0) {
        int rc = sys_error(errno, "stat of", path);
        close(fd);
        return rc;
    }
    if (!S_ISREG(st->st_mode)) {
        close(fd);
        return delta_error_set(DELTA_ENOTFOUND, "%s: no such object (not a regular file)", path);
    }
    *fd_out = fd;
    return 0;
}

static int64_t mtime_ms(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000 + st->st_mtim.tv_nsec / 1000000;
}

/* ---- operations --------------------------------------------------------- */

static int file_get(delta_store_backend *b, const char *key, uint8_t **out, size_t *out_len)
{
    file_backend *fb = (file_backend *)b;
    char *path = join_path(fb, key);
    if (!path)
        return DELTA_ENOMEM;
    int fd = -1;
    struct stat st;
    uint8_t *data = NULL;
    int rc = open_object(path, &fd, &st);
    if (rc)
        goto done;
    if ((uint64_t)st.st_size >= SIZE_MAX) {
        rc = delta_error_set(DELTA_ERANGE, "%s: %lld bytes do not fit in memory", path,
                             (long long)st.st_size);
        goto done;
    }
    size_t size = (size_t)st.st_size, got = 0;
    data = delta_malloc(size + 1);
    if (!data) {
        rc = DELTA_ENOMEM;
        goto done;
    }
    rc = pread_full(fd, data, size, 0, &got, path);
    if (rc)
        goto done;
    data[got] = '\0';
    *out = data;
    *out_len = got;
    data = NULL;
done:
    if (fd >= 0)
        close(fd);
    delta_free(data);
    delta_free(path);
    return rc;
}

static int file_get_range(delta_store_backend *b, const char *key, uint64_t offset,
                          size_t len, uint8_t *dst, size_t *out_read)
{
    file_backend *fb = (file_backend *)b;
    char *path = join_path(fb, key);
    if (!path)
        return DELTA_ENOMEM;
    int fd = -1;
    struct stat st;
    int rc = open_object(path, &fd, &st);
    if (rc == 0 && offset < (uint64_t)st.st_size && len > 0) {
        uint64_t avail = (uint64_t)st.st_size - offset;
        size_t want = avail < len ? (size_t)avail : len;
        rc = pread_full(fd, dst, want, offset, out_read, path);
    }
    if (fd >= 0)
        close(fd);
    delta_free(path);
    return rc;
}

static int file_head(delta_store_backend *b, const char *key, delta_object_info *out)
{
    file_backend *fb = (file_backend *)b;
    char *path = join_path(fb, key);
    if (!path)
        return DELTA_ENOMEM;
    struct stat st;
    int rc = 0;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            rc = delta_error_set(DELTA_ENOTFOUND, "%s: no such object", path);
        else
            rc = sys_error(errno, "stat of", path);
    } else if (!S_ISREG(st.st_mode)) {
        rc = delta_error_set(DELTA_ENOTFOUND, "%s: no such object (not a regular file)", path);
    } else {
        out->size = (int64_t)st.st_size;
        out->mtime_ms = mtime_ms(&st);
    }
    delta_free(path);
    return rc;
}

/* Refuses keys with a segment shaped like a temporary file name: such an
 * object could never be listed. */
static int check_writable_key(const char *key)
{
    const char *seg = key;
    char name[256];
    while (*seg) {
        const char *end = strchr(seg, '/');
        size_t n = end ? (size_t)(end - seg) : strlen(seg);
        if (n < sizeof name) {
            memcpy(name, seg, n);
            name[n] = '\0';
            if (store_file_is_temp_name(name))
                return delta_error_set(DELTA_EPERM,
                                       "storage key '%s' refused: '%s' is reserved for "
                                       "temporary files",
                                       key, name);
        }
        if (!end)
            break;
        seg = end + 1;
    }
    return 0;
}

static int write_object(file_backend *fb, const char *key, const void *data, size_t len,
                        int if_absent)
{
    int krc = check_writable_key(key);
    if (krc)
        return krc;
    char *path = join_path(fb, key);
    char *dir = path ? dir_of(path) : NULL;
    char *tmp = NULL;
    int fd = -1;
    int rc = 0;
    if (!path || !dir) {
        rc = DELTA_ENOMEM;
        goto done;
    }
    rc = open_temp(path, dir, &tmp, &fd);
    if (rc)
        goto done;
    rc = write_full(fd, data, len, tmp);
    if (rc) {
        close(fd);
        unlink(tmp);
        goto done;
    }
    rc = sync_close(fd, tmp);
    if (rc) {
        unlink(tmp);
        goto done;
    }
    rc = publish(tmp, path, dir, if_absent);
done:
    delta_free(tmp);
    delta_free(dir);
    delta_free(path);
    return rc;
}

static int file_put(delta_store_backend *b, const char *key, const void *data, size_t len)
{
    return write_object((file_backend *)b, key, data, len, 0);
}

static int file_put_if_absent(delta_store_backend *b, const char *key, const void *data,
                              size_t len)
{
    return write_object((file_backend *)b, key, data, len, 1);
}

static int file_del(delta_store_backend *b, const char *key)
{
    file_backend *fb = (file_backend *)b;
    char *path = join_path(fb, key);
    if (!path)
        return DELTA_ENOMEM;
    int rc = 0;
    if (unlink(path) != 0) {
        if (errno == ENOENT || errno == ENOTDIR || errno == EISDIR)
            rc = delta_error_set(DELTA_ENOTFOUND, "deleting %s: no such object", path);
        else
            rc = sys_error(errno, "deleting", path);
    }
    delta_free(path);
    return rc;
}

/* ---- listing ------------------------------------------------------------ */

typedef struct list_ctx {
    const char *start_after;
    int recursive;
    delta_object_list *out;
    dbuf key; /* key of the directory being walked, "" or ending in '/' */
    dbuf path; /* its path, for messages */
} list_ctx;

/* Cuts b back to len bytes, keeping the NUL terminator dbuf_cstr needs. */
static void buf_cut(dbuf *b, size_t len)
{
    b->len = len;
    if (b->data)
        b->data[len] = '\0';
}

/* A directory entry name that can be a key segment. */
static int name_is_key(const char *name)
{
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '\\')
            return 0;
    return 1;
}

/* Walks the open directory dfd (taken over and closed); name_prefix filters
 * the entries of this level only (NULL: none). */
static int walk_dir(list_ctx *c, int dfd, const char *name_prefix, int depth)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        int rc = sys_error(errno, "listing", dbuf_cstr(&c->path));
        close(dfd);
        return rc;
    }
    size_t npl = name_prefix ? strlen(name_prefix) : 0;
    size_t key_len = c->key.len, path_len = c->path.len;
    int rc = 0;
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (!e) {
            if (errno != 0) {
                int err = errno;
                buf_cut(&c->path, path_len);
                rc = sys_error(err, "listing", dbuf_cstr(&c->path));
            }
            break;
        }
        const char *name = e->d_name;
        if (!name_is_key(name) || store_file_is_temp_name(name))
            continue;
        if (npl && strncmp(name, name_prefix, npl) != 0)
            continue;

        buf_cut(&c->key, key_len);
        buf_cut(&c->path, path_len);
        dbuf_puts(&c->key, name);
        dbuf_putc(&c->path, '/');
        dbuf_puts(&c->path, name);
        if (c->key.err || c->path.err) {
            rc = DELTA_ENOMEM;
            break;
        }
        struct stat st;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT)
                continue; /* deleted meanwhile */
            rc = sys_error(errno, "stat of", dbuf_cstr(&c->path));
            break;
        }
        if (S_ISLNK(st.st_mode)) {
            /* Symbolic links to files are objects; links to directories are
             * not followed (no loops). */
            if (fstatat(dfd, name, &st, 0) != 0 || !S_ISREG(st.st_mode))
                continue;
        }
        if (S_ISDIR(st.st_mode)) {
            if (!c->recursive)
                continue;
            if (depth >= LIST_MAX_DEPTH) {
                rc = delta_error_set(DELTA_EIO, "listing %s: directories nested too deep",
                                     dbuf_cstr(&c->path));
                break;
            }
            int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0) {
                if (errno == ENOENT || errno == ENOTDIR)
                    continue;
                rc = sys_error(errno, "listing", dbuf_cstr(&c->path));
                break;
            }
            dbuf_putc(&c->key, '/');
            if (c->key.err) {
                close(sub);
                rc = DELTA_ENOMEM;
                break;
            }
            rc = walk_dir(c, sub, NULL, depth + 1);
            if (rc)
                break;
            continue;
        }
        if (!S_ISREG(st.st_mode))
            continue;
        const char *key = dbuf_cstr(&c->key);
        if (c->start_after && strcmp(key, c->start_after) <= 0)
            continue;
        char *k = delta_strndup(key, c->key.len);
        if (!k) {
            rc = DELTA_ENOMEM;
            break;
        }
        rc = store_list_push(c->out, k, (int64_t)st.st_size, mtime_ms(&st));
        if (rc)
            break;
    }
    buf_cut(&c->key, key_len);
    buf_cut(&c->path, path_len);
    closedir(d);
    return rc;
}

static int file_list(delta_store_backend *b, const char *prefix, const char *start_after,
                     unsigned flags, delta_object_list *out)
{
    file_backend *fb = (file_backend *)b;
    list_ctx c = {start_after, (flags & DELTA_LIST_RECURSIVE) != 0, out, DBUF_INIT, DBUF_INIT};
    size_t first = out->count;

    const char *slash = strrchr(prefix, '/');
    size_t dir_len = slash ? (size_t)(slash - prefix) : 0;
    const char *name_prefix = slash ? slash + 1 : prefix;
    if (dir_len) {
        dbuf_append(&c.key, prefix, dir_len);
        dbuf_putc(&c.key, '/');
    }
    dbuf_puts(&c.path, fb->root);
    if (dir_len) {
        if (c.path.len == 0 || c.path.data[c.path.len - 1] != '/')
            dbuf_putc(&c.path, '/');
        dbuf_append(&c.path, prefix, dir_len);
    }
    int rc = c.key.err ? c.key.err : c.path.err;
    if (rc)
        goto done;
    int dfd;
    do {
        dfd = open(dbuf_cstr(&c.path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } while (dfd < 0 && errno == EINTR);
    if (dfd < 0) {
        if (errno != ENOENT && errno != ENOTDIR)
            rc = sys_error(errno, "listing", dbuf_cstr(&c.path));
        goto done;
    }
    rc = walk_dir(&c, dfd, *name_prefix ? name_prefix : NULL, 0);
    if (rc == 0)
        store_list_sort(out, first);
done:
    if (rc)
        store_list_truncate(out, first);
    dbuf_free(&c.key);
    dbuf_free(&c.path);
    return rc;
}

/* ---- streaming writer --------------------------------------------------- */

static void writer_free(file_writer *w)
{
    delta_free(w->path);
    delta_free(w->tmp);
    delta_free(w->dir);
    delta_free(w);
}

static int file_writer_open(delta_store_backend *b, const char *key, unsigned flags,
                            delta_store_writer **out)
{
    file_backend *fb = (file_backend *)b;
    int krc = check_writable_key(key);
    if (krc)
        return krc;
    file_writer *w = delta_calloc(1, sizeof *w);
    if (!w)
        return DELTA_ENOMEM;
    w->base.backend = b;
    w->fd = -1;
    w->flags = flags;
    w->path = join_path(fb, key);
    w->dir = w->path ? dir_of(w->path) : NULL;
    int rc = 0;
    if (!w->path || !w->dir)
        rc = DELTA_ENOMEM;
    else
        rc = open_temp(w->path, w->dir, &w->tmp, &w->fd);
    if (rc) {
        writer_free(w);
        return rc;
    }
    *out = &w->base;
    return 0;
}

static int file_writer_write(delta_store_writer *base, const void *data, size_t len)
{
    file_writer *w = (file_writer *)base;
    if (w->err)
        return delta_error_set(w->err, "writing %s: an earlier write failed", w->tmp);
    int rc = write_full(w->fd, data, len, w->tmp);
    if (rc)
        w->err = rc;
    return rc;
}

static void file_writer_abort(delta_store_writer *base)
{
    file_writer *w = (file_writer *)base;
    if (w->fd >= 0)
        close(w->fd);
    if (w->tmp)
        unlink(w->tmp);
    writer_free(w);
}

static int file_writer_commit(delta_store_writer *base)
{
    file_writer *w = (file_writer *)base;
    if (w->err) {
        int rc = delta_error_set(w->err, "committing %s: an earlier write failed", w->path);
        file_writer_abort(base);
        return rc;
    }
    int rc = sync_close(w->fd, w->tmp);
    w->fd = -1;
    if (rc) {
        file_writer_abort(base);
        return rc;
    }
    rc = publish(w->tmp, w->path, w->dir, (w->flags & DELTA_PUT_IF_ABSENT) != 0);
    writer_free(w);
    return rc;
}

/* ---- backend ------------------------------------------------------------ */

static void file_free(delta_store_backend *b)
{
    file_backend *fb = (file_backend *)b;
    if (!fb)
        return;
    delta_free(fb->root);
    delta_free(fb);
}

int store_file_open(delta_store_backend **out, const char *root)
{
    *out = NULL;
    if (!root || !*root)
        return delta_error_set(DELTA_EINVAL, "file store: empty root path");
    file_backend *fb = delta_calloc(1, sizeof *fb);
    if (!fb)
        return DELTA_ENOMEM;
    fb->root = delta_strdup(root);
    if (!fb->root) {
        delta_free(fb);
        return DELTA_ENOMEM;
    }
    fb->base.version = DELTA_STORE_BACKEND_VERSION;
    fb->base.caps = DELTA_STORE_CAP_ATOMIC_PUT_IF_ABSENT | DELTA_STORE_CAP_SORTED_LIST |
                    DELTA_STORE_CAP_DURABLE | DELTA_STORE_CAP_RANGED_GET;
    fb->base.get = file_get;
    fb->base.get_range = file_get_range;
    fb->base.head = file_head;
    fb->base.put = file_put;
    fb->base.put_if_absent = file_put_if_absent;
    fb->base.list = file_list;
    fb->base.del = file_del;
    fb->base.writer_open = file_writer_open;
    fb->base.writer_write = file_writer_write;
    fb->base.writer_commit = file_writer_commit;
    fb->base.writer_abort = file_writer_abort;
    fb->base.free = file_free;
    *out = &fb->base;
    return 0;
}
