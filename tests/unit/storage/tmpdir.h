/*
 * Temporary directories for storage tests: made under $TMPDIR (CTest sets
 * it to the build's tests/tmp) and removed recursively afterwards.
 */
#ifndef DELTA_TEST_TMPDIR_H
#define DELTA_TEST_TMPDIR_H

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Makes a new empty directory; returns a malloc'd path or NULL. */
static inline char *tmpdir_make(const char *tag)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    mkdir(base, 0777);
    size_t n = strlen(base) + strlen(tag) + 32;
    char *p = malloc(n);
    if (!p)
        return NULL;
    snprintf(p, n, "%s/delta-%s-XXXXXX", base, tag);
    if (!mkdtemp(p)) {
        perror(p);
        free(p);
        return NULL;
    }
    return p;
}

static inline int tmpdir_rm_one(const char *path, const struct stat *st, int flag,
                                struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP || flag == FTW_D)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

/* Removes the directory and everything in it, then frees path. */
static inline void tmpdir_remove(char *path)
{
    if (!path)
        return;
    nftw(path, tmpdir_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(path);
}

/* Joins dir and name into a malloc'd path. */
static inline char *tmpdir_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Number of entries (other than . and ..) in a directory, -1 if missing. */
static inline int tmpdir_count(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

#endif
