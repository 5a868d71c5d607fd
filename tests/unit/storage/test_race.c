/*
 * put_if_absent under a real race: RACE_WRITERS forked processes publish
 * different, self-validating contents to the same new key every round, on
 * the file backend, while a reader process keeps reading that key.
 *
 * Each round must have exactly one winner; the others get DELTA_EEXIST;
 * the object left is complete and is the winner's. The reader must only
 * ever see "not found" or a complete, valid object of that round, never a
 * torn or partial one. Odd rounds use put_if_absent, even rounds the
 * streaming writer with DELTA_PUT_IF_ABSENT (written in several chunks).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <delta/storage.h>

#include "storage/tmpdir.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#define RACE_WRITERS 4
#define RACE_ROUNDS 1000
#define HEADER_LEN 32
#define CHILD_TIMEOUT_S 240

typedef struct race_shared {
    pthread_barrier_t start;
    atomic_int round;  /* the round being raced, for the reader; -1 before */
    atomic_int done;   /* writers finished */
    int result[RACE_ROUNDS][RACE_WRITERS];
    atomic_long reads_ok, reads_missing, reads_bad;
    char bad_msg[512];
} race_shared;

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p)
{
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

/* The content writer `id` races with in `round`: a header (magic, writer,
 * round, body length, body checksum) then a pseudo-random body of 2-6 KB. */
static uint8_t *make_content(int id, int round, size_t *len_out)
{
    size_t body = 2048 + (size_t)(((unsigned)id * 7919u + (unsigned)round * 104729u) % 4096u);
    size_t len = HEADER_LEN + body;
    uint8_t *p = malloc(len);
    if (!p)
        return NULL;
    uint64_t x = 0x9E3779B97F4A7C15ull ^ ((uint64_t)id << 32) ^ (uint64_t)round;
    for (size_t i = 0; i < body; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[HEADER_LEN + i] = (uint8_t)x;
    }
    memcpy(p, "DRACE001", 8);
    put_u32(p + 8, (uint32_t)id);
    put_u32(p + 12, (uint32_t)round);
    put_u32(p + 16, (uint32_t)body);
    put_u32(p + 20, 0);
    put_u64(p + 24, fnv1a(p + HEADER_LEN, body));
    *len_out = len;
    return p;
}

/* Checks a read object; returns the writer id or -1 with why set. */
static int validate(const uint8_t *p, size_t len, int round, char *why, size_t why_cap)
{
    if (len < HEADER_LEN || memcmp(p, "DRACE001", 8) != 0) {
        snprintf(why, why_cap, "round %d: %zu bytes without a valid header", round, len);
        return -1;
    }
    uint32_t id = get_u32(p + 8), r = get_u32(p + 12), body = get_u32(p + 16);
    if (r != (uint32_t)round || id >= RACE_WRITERS) {
        snprintf(why, why_cap, "round %d: header says writer %u round %u", round, id, r);
        return -1;
    }
    if ((size_t)body != len - HEADER_LEN) {
        snprintf(why, why_cap, "round %d: torn object: %zu body bytes, header says %u", round,
                 len - HEADER_LEN, body);
        return -1;
    }
    if (fnv1a(p + HEADER_LEN, body) != get_u64(p + 24)) {
        snprintf(why, why_cap, "round %d: body checksum mismatch (writer %u)", round, id);
        return -1;
    }
    return (int)id;
}

static void key_of(char *key, size_t cap, int round)
{
    snprintf(key, cap, "tbl/_delta_log/%020d.json", round);
}

static int publish(delta_store *s, const char *key, const uint8_t *data, size_t len, int round)
{
    if (round % 2)
        return delta_store_put_if_absent(s, key, data, len);
    delta_store_writer *w = NULL;
    int rc = delta_store_writer_open(s, key, DELTA_PUT_IF_ABSENT, &w);
    if (rc)
        return rc;
    size_t third = len / 3;
    if ((rc = delta_store_writer_write(s, w, data, third)) != 0 ||
        (rc = delta_store_writer_write(s, w, data + third, third)) != 0 ||
        (rc = delta_store_writer_write(s, w, data + 2 * third, len - 2 * third)) != 0) {
        delta_store_writer_abort(s, w);
        return rc;
    }
    return delta_store_writer_commit(s, w);
}

static void writer_main(race_shared *sh, const char *root, int id)
{
    delta_store *s = NULL;
    if (delta_store_open(&s, root) != 0)
        _exit(2);
    char key[64];
    for (int r = 0; r < RACE_ROUNDS; r++) {
        size_t len = 0;
        uint8_t *content = make_content(id, r, &len);
        if (!content)
            _exit(3);
        key_of(key, sizeof key, r);
        pthread_barrier_wait(&sh->start);
        if (id == 0)
            atomic_store(&sh->round, r);
        int rc = publish(s, key, content, len, r);
        sh->result[r][id] = rc;
        if (rc != 0 && rc != DELTA_EEXIST)
            fprintf(stderr, "writer %d round %d: %s\n", id, r, delta_error_last());
        free(content);
    }
    delta_store_free(s);
    _exit(0);
}

static void reader_main(race_shared *sh, const char *root)
{
    delta_store *s = NULL;
    if (delta_store_open(&s, root) != 0)
        _exit(2);
    char key[64], why[256];
    while (!atomic_load(&sh->done)) {
        int r = atomic_load(&sh->round);
        if (r < 0) {
            sched_yield();
            continue;
        }
        key_of(key, sizeof key, r);
        uint8_t *data = NULL;
        size_t len = 0;
        int rc = delta_store_get(s, key, &data, &len);
        if (rc == DELTA_ENOTFOUND) {
            atomic_fetch_add(&sh->reads_missing, 1);
        } else if (rc != 0) {
            snprintf(sh->bad_msg, sizeof sh->bad_msg, "get %s: %s", key, delta_error_last());
            atomic_fetch_add(&sh->reads_bad, 1);
        } else if (validate(data, len, r, why, sizeof why) < 0) {
            snprintf(sh->bad_msg, sizeof sh->bad_msg, "%s", why);
            atomic_fetch_add(&sh->reads_bad, 1);
        } else {
            atomic_fetch_add(&sh->reads_ok, 1);
        }
        delta_free(data);
    }
    delta_store_free(s);
    _exit(0);
}

static void test_put_if_absent_race(void **state)
{
    (void)state;
    char *dir = tmpdir_make("race");
    assert_non_null(dir);
    char *root = tmpdir_join(dir, "store");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);

    race_shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                           -1, 0);
    assert_true(sh != MAP_FAILED);
    memset(sh, 0, sizeof *sh);
    atomic_init(&sh->round, -1);
    pthread_barrierattr_t ba;
    pthread_barrierattr_init(&ba);
    assert_int_equal(pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED), 0);
    assert_int_equal(pthread_barrier_init(&sh->start, &ba, RACE_WRITERS), 0);
    pthread_barrierattr_destroy(&ba);

    fflush(NULL);
    pid_t writers[RACE_WRITERS], reader;
    reader = fork();
    assert_true(reader >= 0);
    if (reader == 0) {
        alarm(CHILD_TIMEOUT_S);
        reader_main(sh, root);
    }
    for (int i = 0; i < RACE_WRITERS; i++) {
        writers[i] = fork();
        assert_true(writers[i] >= 0);
        if (writers[i] == 0) {
            alarm(CHILD_TIMEOUT_S);
            writer_main(sh, root, i);
        }
    }
    int failed_children = 0;
    for (int i = 0; i < RACE_WRITERS; i++) {
        int status = 0;
        waitpid(writers[i], &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "writer %d ended with status 0x%x\n", i, status);
            failed_children++;
        }
    }
    atomic_store(&sh->done, 1);
    int status = 0;
    waitpid(reader, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "reader ended with status 0x%x\n", status);
        failed_children++;
    }
    assert_int_equal(failed_children, 0);

    /* every round: exactly one winner, the rest EEXIST, the winner's object */
    delta_store *s = NULL;
    assert_int_equal(delta_store_open(&s, root), 0);
    int wins_by[RACE_WRITERS] = {0};
    char key[64], why[256];
    for (int r = 0; r < RACE_ROUNDS; r++) {
        int winner = -1, winners = 0;
        for (int i = 0; i < RACE_WRITERS; i++) {
            if (sh->result[r][i] == 0) {
                winner = i;
                winners++;
            } else if (sh->result[r][i] != DELTA_EEXIST) {
                fprintf(stderr, "round %d writer %d: rc %d\n", r, i, sh->result[r][i]);
                fail();
            }
        }
        if (winners != 1)
            fprintf(stderr, "round %d: %d winners\n", r, winners);
        assert_int_equal(winners, 1);
        wins_by[winner]++;
        key_of(key, sizeof key, r);
        uint8_t *data = NULL;
        size_t len = 0;
        assert_int_equal(delta_store_get(s, key, &data, &len), 0);
        int id = validate(data, len, r, why, sizeof why);
        if (id < 0)
            fprintf(stderr, "%s\n", why);
        assert_int_equal(id, winner);
        size_t want_len = 0;
        uint8_t *want = make_content(winner, r, &want_len);
        assert_int_equal(len, want_len);
        assert_memory_equal(data, want, len);
        free(want);
        delta_free(data);
    }
    /* nothing else was left behind: one object per round, no temp files */
    delta_object_list l = {0};
    assert_int_equal(delta_store_list(s, "", NULL, DELTA_LIST_RECURSIVE, &l), 0);
    assert_int_equal(l.count, RACE_ROUNDS);
    delta_object_list_free(&l);
    char *logdir = tmpdir_join(root, "tbl/_delta_log");
    assert_int_equal(tmpdir_count(logdir), RACE_ROUNDS);
    free(logdir);
    delta_store_free(s);

    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("race: %d rounds x %d writers in %.1f s; wins per writer %d/%d/%d/%d; "
           "reader saw %ld complete, %ld missing, %ld bad\n",
           RACE_ROUNDS, RACE_WRITERS,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
           wins_by[0], wins_by[1], wins_by[2], wins_by[3], atomic_load(&sh->reads_ok),
           atomic_load(&sh->reads_missing), atomic_load(&sh->reads_bad));
    if (atomic_load(&sh->reads_bad))
        fprintf(stderr, "reader: %s\n", sh->bad_msg);
    assert_int_equal(atomic_load(&sh->reads_bad), 0);
    /* the reader really raced: it saw objects */
    assert_true(atomic_load(&sh->reads_ok) > 0);

    pthread_barrier_destroy(&sh->start);
    munmap(sh, sizeof *sh);
    free(root);
    tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_if_absent_race),
    };
    return cmocka_run_group_tests_name("storage/race", tests, NULL, NULL);
}
