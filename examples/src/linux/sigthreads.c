/* Signal masks are per thread: a worker that blocks SIGUSR1 sends it to the
 * process, and the main thread (which does not block it) takes it, interrupting
 * its pthread_join; a thread's mask is inherited by the threads it creates;
 * sigwait in a thread that blocks a signal takes it when the process gets it.
 * Compared with qemu-aarch64 by tests/test_linux_user_programs.py. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile sig_atomic_t taken_by_main = -1;

static void on_usr1(int sig)
{
    (void)sig;
    taken_by_main = syscall(SYS_gettid) == getpid();
}

static void *grandchild(void *arg)
{
    (void)arg;
    sigset_t now;
    pthread_sigmask(SIG_SETMASK, NULL, &now);
    printf("grandchild inherits the block: %d\n", sigismember(&now, SIGUSR1));
    return NULL;
}

static void *worker(void *arg)
{
    (void)arg;
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);
    pthread_t g;
    pthread_create(&g, NULL, grandchild, NULL);
    pthread_join(g, NULL);
    kill(getpid(), SIGUSR1);
    usleep(100000);
    sigset_t now;
    pthread_sigmask(SIG_SETMASK, NULL, &now);
    printf("worker still blocks it: %d\n", sigismember(&now, SIGUSR1));
    return NULL;
}

static void *waiter(void *arg)
{
    sigset_t *set = arg;
    int sig = 0;
    sigwait(set, &sig);
    printf("sigwait in a thread took signal %d\n", sig);
    return NULL;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    pthread_t w;
    pthread_create(&w, NULL, worker, NULL);
    pthread_join(w, NULL);
    sigset_t now;
    pthread_sigmask(SIG_SETMASK, NULL, &now);
    printf("taken by the main thread: %d, main does not block it: %d\n", taken_by_main,
           !sigismember(&now, SIGUSR1));

    /* SIGUSR2 blocked everywhere, taken by sigwait in a thread */
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &usr2, NULL);
    pthread_t t;
    pthread_create(&t, NULL, waiter, &usr2);
    usleep(50000);
    kill(getpid(), SIGUSR2);
    pthread_join(t, NULL);
    return 0;
}
