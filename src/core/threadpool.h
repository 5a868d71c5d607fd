/*
 * dpool: a small fixed-size thread pool with a bounded FIFO queue. Used to
 * decode column chunks, compress pages and write files in parallel.
 * dpool_submit blocks while the queue is full (backpressure keeps memory
 * bounded). dpool_wait blocks until every submitted task has finished.
 * Tasks report failure by returning a negative code; the first one is kept
 * and returned by dpool_wait (with its thread's error message copied to
 * the waiting thread). Every submitted task runs, also after a failure.
 * Tasks must not call dpool_submit or dpool_wait on their own pool (a
 * full queue would deadlock).
 */
#ifndef DELTA_CORE_THREADPOOL_H
#define DELTA_CORE_THREADPOOL_H

#include <stddef.h>

typedef struct dpool dpool;
typedef int (*dpool_fn)(void *arg);

/* threads == 0: one per online CPU. queue_cap == 0: 4 * threads. */
int dpool_new(dpool **out, size_t threads, size_t queue_cap);
int dpool_submit(dpool *p, dpool_fn fn, void *arg);
/* Waits for all submitted tasks; returns 0 or the first task error. The
 * pool is reusable afterwards (the error is cleared). */
int dpool_wait(dpool *p);
size_t dpool_threads(const dpool *p);
/* Waits for outstanding tasks, stops the threads, frees. NULL is fine. */
void dpool_free(dpool *p);

#endif
