/*
 * Transactions under real concurrency: forked processes committing to one
 * table on the file backend.
 *
 * 1. RACE_PROCS processes x RACE_COMMITS blind appends each (one file per
 *    commit, reloading the snapshot before each): every commit lands
 *    exactly once, versions are contiguous 0..PROCS*COMMITS, each commit
 *    holds exactly one add and the latest snapshot all of them.
 * 2. RACE_ROUNDS rounds of two processes that read the same version and
 *    both remove the same file (released together by a barrier): exactly
 *    one wins, the other gets DELTA_ECONFLICT naming the winner's version;
 *    a third process appending blindly in the same round always succeeds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "core/alloc.h"
#include "core/hashmap.h"
#include "log/log.h"
#include "storage/tmpdir.h"
#include "log/txn_helpers.h"

#define RACE_PROCS 4
#define RACE_COMMITS 25
#define RACE_ROUNDS 8
#define CHILD_TIMEOUT_S 120

typedef struct shared {
    pthread_barrier_t start;
    pthread_barrier_t round3;
    int rc[RACE_ROUNDS][3];
    int64_t version[RACE_ROUNDS][3];
    char msg[RACE_ROUNDS][3][400];
    int retried[RACE_PROCS]; /* commits that needed more than one attempt */
    char fail[512];
} shared;

static shared *shared_new(void)
{
    shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
                      0);
    assert_true(sh != MAP_FAILED);
    memset(sh, 0, sizeof *sh);
    pthread_barrierattr_t ba;
    pthread_barrierattr_init(&ba);
    assert_int_equal(pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED), 0);
    assert_int_equal(pthread_barrier_init(&sh->start, &ba, RACE_PROCS), 0);
    assert_int_equal(pthread_barrier_init(&sh->round3, &ba, 3), 0);
    pthread_barrierattr_destroy(&ba);
    return sh;
}

static void shared_free(shared *sh)
{
    pthread_barrier_destroy(&sh->start);
    pthread_barrier_destroy(&sh->round3);
    munmap(sh, sizeof *sh);
}

static void child_fail(shared *sh, const char *what)
{
    snprintf(sh->fail, sizeof sh->fail, "%s: %s", what, delta_error_last());
    _exit(1);
}

static void appender_main(shared *sh, const char *root, int id)
{
    delta_store *s = NULL;
    if (delta_store_open(&s, root))
        child_fail(sh, "open store");
    pthread_barrier_wait(&sh->start);
    for (int i = 0; i < RACE_COMMITS; i++) {
        dlog_snapshot *snap = NULL;
        if (dlog_snapshot_open(&snap, s, NULL))
            child_fail(sh, "open snapshot");
        dlog_tx *tx = NULL;
        if (dlog_tx_begin(&tx, s, snap, NULL))
            child_fail(sh, "begin");
        char path[64], line[256];
        snprintf(path, sizeof path, "w%d-%d.parquet", id, i);
        snprintf(line, sizeof line,
                 "{\"add\":{\"path\":\"%s\",\"partitionValues\":{\"p\":\"x\"},\"size\":1,"
                 "\"modificationTime\":1,\"dataChange\":true}}",
                 path);
        dlog_action a;
        if (dlog_action_parse(&a, line, strlen(line), "child", 1) || dlog_tx_stage(tx, &a))
            child_fail(sh, "stage");
        dlog_commit_result res;
        if (dlog_tx_commit(tx, &res))
            child_fail(sh, "commit");
        sh->retried[id] += res.attempts > 1;
        dlog_tx_free(tx);
        dlog_snapshot_free(snap);
    }
    delta_store_free(s);
    _exit(0);
}

typedef struct count_ctx {
    int adds;
    dmap *seen;
    int dup;
} count_ctx;

static int count_adds(void *ctx, dlog_action *a, size_t line)
{
    (void)line;
    count_ctx *c = ctx;
    if (a->type != DLOG_ACT_ADD)
        return 0;
    c->adds++;
    if (dmap_sget(c->seen, a->u.add.path, NULL))
        c->dup++;
    return dmap_sput(c->seen, a->u.add.path, NULL, NULL);
}

static pid_t spawn(void)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        alarm(CHILD_TIMEOUT_S);
    return pid;
}

static void reap(pid_t *pids, int n, shared *sh)
{
    int failed = 0;
    for (int i = 0; i < n; i++) {
        int status = 0;
        waitpid(pids[i], &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "child %d ended with status 0x%x: %s\n", i, status, sh->fail);
            failed++;
        }
    }
    assert_int_equal(failed, 0);
}

static void test_blind_append_race(void **state)
{
    (void)state;
    char *dir = tmpdir_make("txn-race");
    assert_non_null(dir);
    char *root = tmpdir_join(dir, "t");
    delta_store *s = NULL;
    assert_int_equal(delta_store_open(&s, root), 0);
    th_create(s, TH_META, 0);
    shared *sh = shared_new();
    pid_t pids[RACE_PROCS];
    for (int i = 0; i < RACE_PROCS; i++) {
        pids[i] = spawn();
        if (pids[i] == 0)
            appender_main(sh, root, i);
    }
    reap(pids, RACE_PROCS, sh);

    const int total = RACE_PROCS * RACE_COMMITS;
    int retried = 0;
    for (int i = 0; i < RACE_PROCS; i++)
        retried += sh->retried[i];
    printf("blind append race: %d x %d commits, %d retried after losing a version\n",
           RACE_PROCS, RACE_COMMITS, retried);
    dlog_snapshot *snap = th_open(s);
    assert_int_equal(snap->version, total);
    assert_int_equal(dlog_snapshot_num_files(snap), total);
    for (int p = 0; p < RACE_PROCS; p++)
        for (int i = 0; i < RACE_COMMITS; i++) {
            char path[64];
            snprintf(path, sizeof path, "w%d-%d.parquet", p, i);
            assert_non_null(dlog_snapshot_find_file(snap, path, NULL));
        }
    dlog_snapshot_free(snap);
    /* the log is exactly commits 0..total, each with one add, none twice,
     * and the automatic checkpoints every 10 versions (written by whichever
     * process committed them, racing the others) */
    dlog_listing l;
    assert_int_equal(dlog_list(s, -1, &l), 0);
    count_ctx c = {0};
    assert_int_equal(dmap_new(&c.seen, 0), 0);
    int64_t next = 0, checkpoints = 0;
    for (size_t i = 0; i < l.count; i++) {
        if (l.files[i].kind == DLOG_FILE_CHECKPOINT) {
            assert_int_equal(l.files[i].version % 10, 0);
            checkpoints++;
            continue;
        }
        if (l.files[i].kind == DLOG_FILE_LAST_CHECKPOINT)
            continue;
        assert_int_equal(l.files[i].kind, DLOG_FILE_COMMIT);
        assert_int_equal(l.files[i].version, next++);
        if (l.files[i].version == 0)
            continue;
        uint8_t *data = NULL;
        size_t len = 0;
        assert_int_equal(delta_store_get(s, l.files[i].key, &data, &len), 0);
        int before = c.adds;
        assert_int_equal(dlog_parse_ndjson(l.files[i].key, data, len, count_adds, &c), 0);
        assert_int_equal(c.adds - before, 1);
        delta_free(data);
    }
    assert_int_equal(next, total + 1);
    assert_int_equal(checkpoints, total / 10);
    assert_int_equal(c.dup, 0);
    assert_int_equal(c.adds, total);
    dmap_free(c.seen);
    dlog_listing_free(&l);
    shared_free(sh);
    delta_store_free(s);
    free(root);
    tmpdir_remove(dir);
}

/* Round r, role 0/1: remove file "r<r>" and add a replacement; role 2:
 * blind append. All three read the same version and are released
 * together. */
static void round_main(shared *sh, const char *root, int r, int role)
{
    delta_store *s = NULL;
    if (delta_store_open(&s, root))
        child_fail(sh, "open store");
    dlog_snapshot *snap = NULL;
    if (dlog_snapshot_open(&snap, s, NULL))
        child_fail(sh, "open snapshot");
    dlog_tx *tx = NULL;
    if (dlog_tx_begin(&tx, s, snap, NULL))
        child_fail(sh, "begin");
    char path[64], line[256];
    if (role < 2) {
        snprintf(path, sizeof path, "r%d", r);
        const dlog_live_file *f = dlog_snapshot_find_file(snap, path, NULL);
        if (!f || dlog_tx_remove_file(tx, f, true))
            child_fail(sh, "remove");
    }
    snprintf(path, sizeof path, "r%d-role%d", r, role);
    snprintf(line, sizeof line,
             "{\"add\":{\"path\":\"%s\",\"partitionValues\":{\"p\":\"x\"},\"size\":1,"
             "\"modificationTime\":1,\"dataChange\":true}}",
             path);
    dlog_action a;
    if (dlog_action_parse(&a, line, strlen(line), "child", 1) || dlog_tx_stage(tx, &a))
        child_fail(sh, "stage");
    pthread_barrier_wait(&sh->round3);
    dlog_commit_result res = {0};
    sh->rc[r][role] = dlog_tx_commit(tx, &res);
    sh->version[r][role] = res.version;
    snprintf(sh->msg[r][role], sizeof sh->msg[r][role], "%s", delta_error_last());
    dlog_tx_free(tx);
    dlog_snapshot_free(snap);
    delta_store_free(s);
    _exit(0);
}

static void test_conflicting_race(void **state)
{
    (void)state;
    char *dir = tmpdir_make("txn-conflict");
    assert_non_null(dir);
    char *root = tmpdir_join(dir, "t");
    delta_store *s = NULL;
    assert_int_equal(delta_store_open(&s, root), 0);
    th_create(s, TH_META, 0);
    shared *sh = shared_new();
    int wins[2] = {0, 0};
    for (int r = 0; r < RACE_ROUNDS; r++) {
        char path[32];
        snprintf(path, sizeof path, "r%d", r);
        int64_t base = th_append(s, path, "x");
        pid_t pids[3];
        for (int role = 0; role < 3; role++) {
            pids[role] = spawn();
            if (pids[role] == 0)
                round_main(sh, root, r, role);
        }
        reap(pids, 3, sh);
        /* the blind append always lands */
        if (sh->rc[r][2] != 0)
            fail_msg("round %d: blind append failed: %s", r, sh->msg[r][2]);
        int winner = sh->rc[r][0] == 0 ? 0 : 1, loser = 1 - winner;
        if (sh->rc[r][winner] != 0 || sh->rc[r][loser] != DELTA_ECONFLICT)
            fail_msg("round %d: rc %d / %d: %s / %s", r, sh->rc[r][0], sh->rc[r][1],
                     sh->msg[r][0], sh->msg[r][1]);
        wins[winner]++;
        char want[64];
        snprintf(want, sizeof want, "concurrent commit at version %lld",
                 (long long)sh->version[r][winner]);
        if (!strstr(sh->msg[r][loser], want) || !strstr(sh->msg[r][loser], path))
            fail_msg("round %d: loser's message '%s' lacks '%s'", r, sh->msg[r][loser], want);
        /* versions after the base: exactly the winner's and the append's */
        dlog_snapshot *snap = th_open(s);
        assert_int_equal(snap->version, base + 2);
        assert_null(dlog_snapshot_find_file(snap, path, NULL));
        char p2[64];
        snprintf(p2, sizeof p2, "r%d-role%d", r, winner);
        assert_non_null(dlog_snapshot_find_file(snap, p2, NULL));
        snprintf(p2, sizeof p2, "r%d-role%d", r, loser);
        assert_null(dlog_snapshot_find_file(snap, p2, NULL));
        snprintf(p2, sizeof p2, "r%d-role2", r);
        assert_non_null(dlog_snapshot_find_file(snap, p2, NULL));
        dlog_snapshot_free(snap);
    }
    printf("conflict race: %d rounds, wins %d/%d\n", RACE_ROUNDS, wins[0], wins[1]);
    shared_free(sh);
    delta_store_free(s);
    free(root);
    tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blind_append_race),
        cmocka_unit_test(test_conflicting_race),
    };
    return cmocka_run_group_tests_name("log/txn_race", tests, NULL, NULL);
}
