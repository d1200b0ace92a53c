/* Static glibc pthreads: threads created and joined, a mutex-protected counter,
 * a C11 atomic counter, a barrier, a condition variable broadcast, thread-local
 * storage, and a producer/consumer queue on two condition variables. Every
 * figure printed is the same however the threads interleave. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#define NTHREADS 4
#define ITERS 2000
#define ITEMS 1000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t barrier;
static long counter_mutex;
static atomic_long counter_atomic;
static __thread long tls_value;
static long results[NTHREADS];
static int ready;

static void *worker(void *arg)
{
    long id = (long)arg;
    tls_value = id * 100;
    pthread_barrier_wait(&barrier);
    for (int i = 0; i < ITERS; i++) {
        pthread_mutex_lock(&lock);
        counter_mutex++;
        pthread_mutex_unlock(&lock);
        atomic_fetch_add(&counter_atomic, 1);
    }
    pthread_mutex_lock(&lock);
    while (!ready)
        pthread_cond_wait(&go, &lock);
    pthread_mutex_unlock(&lock);
    results[id] = tls_value + id;
    return (void *)(id * 2);
}

/* a bounded queue between one producer and one consumer */
static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static int queue[8];
static int qhead, qcount;

static void *producer(void *arg)
{
    (void)arg;
    for (int i = 1; i <= ITEMS; i++) {
        pthread_mutex_lock(&qlock);
        while (qcount == 8)
            pthread_cond_wait(&not_full, &qlock);
        queue[(qhead + qcount++) % 8] = i;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&qlock);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    long sum = 0;
    for (int i = 1; i <= ITEMS; i++) {
        pthread_mutex_lock(&qlock);
        while (qcount == 0)
            pthread_cond_wait(&not_empty, &qlock);
        sum += queue[qhead];
        qhead = (qhead + 1) % 8;
        qcount--;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&qlock);
    }
    *(long *)arg = sum;
    return NULL;
}

int main(void)
{
    pthread_t t[NTHREADS];
    pthread_barrier_init(&barrier, NULL, NTHREADS);
    for (long i = 0; i < NTHREADS; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    pthread_mutex_lock(&lock);
    ready = 1;
    pthread_cond_broadcast(&go);
    pthread_mutex_unlock(&lock);
    long sum = 0;
    for (int i = 0; i < NTHREADS; i++) {
        void *r;
        pthread_join(t[i], &r);
        sum += (long)r;
    }
    printf("mutex counter %ld\natomic counter %ld\njoin sum %ld\n", counter_mutex,
           (long)atomic_load(&counter_atomic), sum);
    for (int i = 0; i < NTHREADS; i++)
        printf("thread %d tls %ld\n", i, results[i]);

    pthread_t p, c;
    long consumed = 0;
    pthread_create(&c, NULL, consumer, &consumed);
    pthread_create(&p, NULL, producer, NULL);
    pthread_join(p, NULL);
    pthread_join(c, NULL);
    printf("queue: %d items, sum %ld\n", ITEMS, consumed);
    return 0;
}
