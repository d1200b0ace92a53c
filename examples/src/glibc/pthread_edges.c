/* Static glibc threads at their edges: futex calls made directly (a value that
 * does not match, a timeout, a wake that finds nobody, requeue), a condition
 * variable wait that times out, thread ids, a detached thread, thread-local
 * storage initialised per thread, pthread_once, a recursive mutex, and a main
 * thread that leaves with pthread_exit while a worker still runs (the process
 * then ends when that worker does, with status 0). */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long futex(atomic_int *addr, int op, int val, const struct timespec *ts, atomic_int *addr2,
                  int val3)
{
    return syscall(SYS_futex, addr, op, val, ts, addr2, val3);
}

static atomic_int word = 5, word2, started, waiters_done, main_printed;
static __thread int tls_init = 42;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_runs;
static pthread_mutex_t rec;

static void run_once(void) { once_runs++; }

static void *waiter(void *arg)
{
    (void)arg;
    pthread_once(&once, run_once);
    atomic_fetch_add(&started, 1);
    while (atomic_load(&word) == 5)
        futex(&word, FUTEX_WAIT_PRIVATE, 5, NULL, NULL, 0);
    atomic_fetch_add(&waiters_done, 1);
    return (void *)(long)(tls_init + (gettid() != getpid()));
}

static void *late_worker(void *arg)
{
    (void)arg;
    while (!atomic_load(&main_printed))
        futex(&main_printed, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL); /* main has left by now, most likely */
    printf("late worker done\n");
    fflush(stdout);
    return NULL;
}

int main(void)
{
    struct timespec short_wait = {0, 10 * 1000 * 1000};
    long r = futex(&word, FUTEX_WAIT_PRIVATE, 4, NULL, NULL, 0);
    printf("wait on a changed value: %ld %s\n", r, r < 0 && errno == EAGAIN ? "EAGAIN" : "?");
    r = futex(&word, FUTEX_WAIT_PRIVATE, 5, &short_wait, NULL, 0);
    printf("wait with a timeout: %ld %s\n", r, r < 0 && errno == ETIMEDOUT ? "ETIMEDOUT" : "?");
    printf("wake with no waiter: %ld\n", futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));

    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, waiter, NULL);
    while (atomic_load(&started) < 3)
        sched_yield();
    /* a waiter may not be asleep yet: wake until all three have left */
    atomic_store(&word, 6);
    while (atomic_load(&waiters_done) < 3) {
        futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
        futex(&word, FUTEX_CMP_REQUEUE_PRIVATE, 0, (void *)1L, &word2, 6);
        futex(&word2, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0);
    }
    long sum = 0;
    for (int i = 0; i < 3; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        sum += (long)ret;
    }
    printf("waiters joined: %ld, once ran %d time(s)\n", sum, once_runs);

    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += 10 * 1000 * 1000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&m);
    int e = pthread_cond_timedwait(&c, &m, &deadline);
    pthread_mutex_unlock(&m);
    printf("cond timedwait: %s\n", e == ETIMEDOUT ? "ETIMEDOUT" : "?");

    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&rec, &attr);
    pthread_mutex_lock(&rec);
    pthread_mutex_lock(&rec);
    printf("recursive mutex: trylock from owner %d\n", pthread_mutex_trylock(&rec));
    pthread_mutex_unlock(&rec);
    pthread_mutex_unlock(&rec);
    pthread_mutex_unlock(&rec);

    cpu_set_t set;
    sched_getaffinity(0, sizeof set, &set);
    printf("cpus > 0: %d\n", CPU_COUNT(&set) > 0);

    pthread_t d;
    pthread_attr_t da;
    pthread_attr_init(&da);
    pthread_attr_setdetachstate(&da, PTHREAD_CREATE_DETACHED);
    pthread_create(&d, &da, late_worker, NULL);
    printf("main leaves first\n");
    fflush(stdout);
    atomic_store(&main_printed, 1);
    futex(&main_printed, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    pthread_exit(NULL);
}
