/* Signals a process sends itself, delivered to its handlers: SA_SIGINFO with the
 * siginfo's code, registers (integer and floating point) intact after the handler
 * returns, a blocked signal delivered when unblocked, SA_RESETHAND, the alternate
 * signal stack, SIG_IGN, and at the end the default action of SIGTERM, which kills
 * the process (its status, as a shell sees it, is the signal's). Compared with
 * qemu-aarch64 by tests/test_linux_user_programs.py. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile int got;
static char altstack[65536];

static void with_info(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got = sig * 100 + (si->si_code == SI_TKILL);
    printf("handler: signal %d, code %d, from this process %d\n", sig, si->si_code,
           si->si_pid == getpid());
}

static void plain(int sig)
{
    printf("plain handler: signal %d\n", sig);
}

static void on_altstack(int sig)
{
    char here;
    uintptr_t p = (uintptr_t)&here, lo = (uintptr_t)altstack;
    printf("signal %d on the alternate stack: %d\n", sig, p >= lo && p < lo + sizeof altstack);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = with_info;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    volatile double d = 1.5;
    volatile long x = 12345;
    raise(SIGUSR1);
    printf("after the handler: got %d, d %.2f, x %ld\n", got, d * 2, x + 1);

    signal(SIGUSR2, plain);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    kill(getpid(), SIGUSR2);
    sigset_t pending;
    sigpending(&pending);
    printf("blocked and pending: %d\n", sigismember(&pending, SIGUSR2));
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    printf("unblocked\n");

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = plain;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGHUP, &sa, NULL);
    raise(SIGHUP);
    struct sigaction now;
    sigaction(SIGHUP, NULL, &now);
    printf("SA_RESETHAND left the default: %d\n", now.sa_handler == SIG_DFL);

    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_altstack;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);

    signal(SIGUSR1, SIG_IGN);
    raise(SIGUSR1);
    printf("ignored\n");
    raise(SIGTERM);
    printf("not reached\n");
    return 0;
}
