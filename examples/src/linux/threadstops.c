/* Threads that stop at once, for the gdb stub's tests (tests/test_gdbstub.py,
 * tests/gdb/threadstops.gdb); built -O0 -g. Three threads wait at a barrier with the
 * main thread, which calls ready() first (all are made and waiting by then). Released,
 * each calls meet() (a breakpoint there is hit by the three at nearly one moment),
 * meets the others at a second barrier, then sends itself a signal of its own
 * (SIGUSR1, SIGUSR2, SIGHUP: three signals stop the guest at nearly one moment),
 * which its handler counts. Exits 0 when each thread met once and each signal was
 * handled once. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

#define N 3

static pthread_barrier_t released, met_all;
static volatile int met[N];
static volatile sig_atomic_t handled[N];
static const int sigs[N] = {SIGUSR1, SIGUSR2, SIGHUP};

static void on_signal(int sig)
{
    for (int i = 0; i < N; i++)
        handled[i] += sig == sigs[i];
}

__attribute__((noinline)) static void meet(long id)
{
    met[id]++;
}

__attribute__((noinline)) static void ready(void)
{
    __asm__ volatile("" ::: "memory");
}

static void *worker(void *arg)
{
    long id = (long)arg;
    pthread_barrier_wait(&released);
    meet(id);
    pthread_barrier_wait(&met_all);
    pthread_kill(pthread_self(), sigs[id]);
    return NULL;
}

int main(void)
{
    struct sigaction sa = {.sa_handler = on_signal};
    for (int i = 0; i < N; i++)
        sigaction(sigs[i], &sa, NULL);
    pthread_barrier_init(&released, NULL, N + 1);
    pthread_barrier_init(&met_all, NULL, N);
    pthread_t t[N];
    for (long i = 0; i < N; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    ready();
    pthread_barrier_wait(&released);
    int ok = 1;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        ok &= met[i] == 1 && handled[i] == 1;
    }
    printf("met %d %d %d, handled %d %d %d\n", met[0], met[1], met[2], (int)handled[0],
           (int)handled[1], (int)handled[2]);
    return !ok;
}
