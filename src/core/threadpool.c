/*
 * dpool: fixed worker threads (pthreads) fed from a bounded ring buffer.
 *
 * One mutex guards all state. Invariants, under the mutex:
 *   - 0 <= queued <= queue_cap; tasks run in submission order (FIFO);
 *   - queued + running == 0 exactly when every submitted task finished,
 *     which is what dpool_wait waits for;
 *   - err is 0 or the code of the first failed task since the last wait,
 *     err_msg that task's error message (copied from its thread, since the
 *     message slot is thread-local).
 * dpool_submit blocks on `not_full` while the queue is full; workers block
 * on `not_empty`; waiters block on `idle`. Workers exit only once `stopping`
 * is set and the queue is empty, so dpool_free runs every queued task.
 * Workers start with every signal blocked: signals go to the host's
 * threads, never to a worker.
 */
#include "core/threadpool.h"

#include "core/alloc.h"
#include "core/error.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define POOL_MAX_THREADS 1024
#define ERR_MSG_MAX 1024

typedef struct task {
    dpool_fn fn;
    void *arg;
} task;

struct dpool {
    pthread_mutex_t mu;
    pthread_cond_t not_empty;
    pthread_cond_t not_full;
    pthread_cond_t idle;
    task *queue;
    size_t queue_cap;
    size_t head;   /* index of the oldest queued task */
    size_t queued;
    size_t running;
    bool stopping;
    int err;
    char err_msg[ERR_MSG_MAX];
    pthread_t *threads;
    size_t nthreads; /* threads started */
};

static void *worker(void *argp)
{
    dpool *p = argp;
    char msg[ERR_MSG_MAX];

    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->queued && !p->stopping)
            pthread_cond_wait(&p->not_empty, &p->mu);
        if (!p->queued)
            break; /* stopping and drained */
        task t = p->queue[p->head];
        p->head = (p->head + 1) % p->queue_cap;
        p->queued--;
        p->running++;
        pthread_cond_signal(&p->not_full);
        pthread_mutex_unlock(&p->mu);

        delta_error_clear();
        int rc = t.fn(t.arg);
        if (rc < 0) {
            const char *m = delta_error_last();
            if (*m)
                snprintf(msg, sizeof msg, "%s", m);
            else
                snprintf(msg, sizeof msg, "task failed with %s", delta_error_name(rc));
        }

        pthread_mutex_lock(&p->mu);
        if (rc < 0 && !p->err) {
            p->err = rc;
            memcpy(p->err_msg, msg, sizeof msg);
        }
        p->running--;
        if (!p->queued && !p->running)
            pthread_cond_broadcast(&p->idle);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static size_t online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (size_t)n : 1;
}

/* Stops and joins the started threads after the queue drains. */
static void stop_threads(dpool *p)
{
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    pthread_cond_broadcast(&p->not_empty);
    pthread_mutex_unlock(&p->mu);
    for (size_t i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    p->nthreads = 0;
}

static void destroy(dpool *p)
{
    pthread_cond_destroy(&p->idle);
    pthread_cond_destroy(&p->not_full);
    pthread_cond_destroy(&p->not_empty);
    pthread_mutex_destroy(&p->mu);
    delta_free(p->threads);
    delta_free(p->queue);
    delta_free(p);
}

int dpool_new(dpool **out, size_t threads, size_t queue_cap)
{
    if (threads == 0)
        threads = online_cpus();
    if (threads > POOL_MAX_THREADS)
        return delta_error_set(DELTA_EINVAL, "thread pool: %zu threads requested, at most %d", threads,
                               POOL_MAX_THREADS);
    if (queue_cap == 0)
        queue_cap = 4 * threads;

    dpool *p = delta_calloc(1, sizeof *p);
    if (!p)
        return DELTA_ENOMEM;
    p->queue = delta_reallocarray(NULL, queue_cap, sizeof *p->queue);
    p->threads = delta_reallocarray(NULL, threads, sizeof *p->threads);
    if (!p->queue || !p->threads) {
        delta_free(p->queue);
        delta_free(p->threads);
        delta_free(p);
        return DELTA_ENOMEM;
    }
    p->queue_cap = queue_cap;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->not_empty, NULL);
    pthread_cond_init(&p->not_full, NULL);
    pthread_cond_init(&p->idle, NULL);

    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int err = 0;
    for (size_t i = 0; i < threads && !err; i++) {
        err = pthread_create(&p->threads[i], NULL, worker, p);
        if (!err)
            p->nthreads++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err) {
        size_t started = p->nthreads;
        stop_threads(p);
        destroy(p);
        return delta_error_set(DELTA_ENOMEM, "thread pool: cannot start thread %zu of %zu: %s", started + 1,
                               threads, strerror(err));
    }
    *out = p;
    return 0;
}

int dpool_submit(dpool *p, dpool_fn fn, void *arg)
{
    if (!fn)
        return delta_error_set(DELTA_EINVAL, "thread pool: NULL task function");
    pthread_mutex_lock(&p->mu);
    while (p->queued == p->queue_cap)
        pthread_cond_wait(&p->not_full, &p->mu);
    p->queue[(p->head + p->queued) % p->queue_cap] = (task){fn, arg};
    p->queued++;
    pthread_cond_signal(&p->not_empty);
    pthread_mutex_unlock(&p->mu);
    return 0;
}

int dpool_wait(dpool *p)
{
    char msg[ERR_MSG_MAX];
    pthread_mutex_lock(&p->mu);
    while (p->queued || p->running)
        pthread_cond_wait(&p->idle, &p->mu);
    int rc = p->err;
    if (rc)
        memcpy(msg, p->err_msg, sizeof msg);
    p->err = 0;
    p->err_msg[0] = '\0';
    pthread_mutex_unlock(&p->mu);
    if (rc)
        delta_error_set(rc, "%s", msg);
    return rc;
}

size_t dpool_threads(const dpool *p)
{
    return p->nthreads;
}

void dpool_free(dpool *p)
{
    if (!p)
        return;
    stop_threads(p);
    destroy(p);
}
