/* Memory-model litmus tests on two threads, argv[1] rounds each (default 200),
 * counting the outcomes that the C11 (and A64) memory model forbids: every count
 * printed must be 0, whatever the host and however the threads interleave.
 * SBsc is counted only with a second argument "sc": qemu-aarch64 7.2 on an
 * x86-64 host does show it (its STLR/LDAR have no store-load fence), so the
 * default output, which tests compare with qemu's, leaves it out.
 *   MP   message passing: data then flag (release) / flag (acquire) then data;
 *   SB   store buffering with full fences: x = r; fence; read y / y = r; fence;
 *        read x; both reads missing the other's store of the round is forbidden
 *        (on an x86-64 host this needs the store-load fence);
 *   SBsc store buffering with sequentially consistent stores and loads (A64:
 *        STLR then LDAR);
 *   a lock-free counter both threads add to.
 * The threads meet at a spinning barrier before each test of each round, so
 * that their accesses overlap. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_ROUNDS 100000

static int rounds = 200;
static atomic_int arrived, x, y, flag;
static int data;
static atomic_long counter;
static unsigned char seen_a[3][MAX_ROUNDS + 1], seen_b[3][MAX_ROUNDS + 1];

/* the k-th meeting of the two threads: spin a while, then yield */
static void meet(int *k)
{
    int target = 2 * ++*k;
    atomic_fetch_add(&arrived, 1);
    for (int i = 0; atomic_load_explicit(&arrived, memory_order_acquire) < target; i++)
        if (i > 200)
            sched_yield();
}

static void *thread_a(void *arg)
{
    (void)arg;
    int k = 0;
    for (int r = 1; r <= rounds; r++) {
        meet(&k);
        data = r;
        atomic_store_explicit(&flag, r, memory_order_release);
        meet(&k);
        atomic_store_explicit(&x, r, memory_order_relaxed);
        atomic_thread_fence(memory_order_seq_cst);
        seen_a[1][r] = atomic_load_explicit(&y, memory_order_relaxed) == r;
        meet(&k);
        atomic_store(&x, -r);
        seen_a[2][r] = atomic_load(&y) == -r;
        atomic_fetch_add_explicit(&counter, 1, memory_order_relaxed);
    }
    return NULL;
}

static void *thread_b(void *arg)
{
    (void)arg;
    int k = 0;
    for (int r = 1; r <= rounds; r++) {
        meet(&k);
        while (atomic_load_explicit(&flag, memory_order_acquire) != r)
            ;
        seen_b[0][r] = data == r;
        meet(&k);
        atomic_store_explicit(&y, r, memory_order_relaxed);
        atomic_thread_fence(memory_order_seq_cst);
        seen_b[1][r] = atomic_load_explicit(&x, memory_order_relaxed) == r;
        meet(&k);
        atomic_store(&y, -r);
        seen_b[2][r] = atomic_load(&x) == -r;
        atomic_fetch_add_explicit(&counter, 1, memory_order_relaxed);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        rounds = atoi(argv[1]);
    if (rounds < 1 || rounds > MAX_ROUNDS)
        rounds = 200;
    int sc = argc > 2 && argv[2][0] == 's';
    pthread_t a, b;
    pthread_create(&a, NULL, thread_a, NULL);
    pthread_create(&b, NULL, thread_b, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    long mp = 0, sb = 0, sbsc = 0;
    for (int r = 1; r <= rounds; r++) {
        mp += !seen_b[0][r];
        sb += !seen_a[1][r] && !seen_b[1][r];
        sbsc += !seen_a[2][r] && !seen_b[2][r];
    }
    printf("litmus, %d rounds\n", rounds);
    printf("MP   forbidden outcomes: %ld\n", mp);
    printf("SB   forbidden outcomes: %ld\n", sb);
    if (sc)
        printf("SBsc forbidden outcomes: %ld\n", sbsc);
    printf("counter: %ld of %d\n", (long)atomic_load(&counter), 2 * rounds);
    return 0;
}
