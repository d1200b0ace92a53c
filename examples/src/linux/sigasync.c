/* Signals that do not come from the program's own system calls: guest faults
 * (SIGSEGV on an unmapped and on a read-only page, SIGILL, SIGTRAP) taken by
 * handlers with the fault's address and code, the handler resuming or leaving
 * with siglongjmp; interval and POSIX timers whose signals interrupt a busy loop
 * that makes no system call (delivery at a TB boundary), nanosleep (EINTR and
 * what was left), sigsuspend, a read with and without SA_RESTART, a poll;
 * sigwaitinfo on a timer's real-time signal with its value; waitid on a child;
 * and at the end a fault without a handler, which kills the process with
 * SIGSEGV. Compared with qemu-aarch64 by tests/test_linux_user_programs.py. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static sigjmp_buf back;
static volatile sig_atomic_t ticks, alarms;
static uintptr_t expected;

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    printf("fault: signal %d, code %d, si_addr is the address %d, fault_address too %d\n",
           sig, si->si_code, (uintptr_t)si->si_addr == expected,
           (uintptr_t)uc->uc_mcontext.fault_address == expected);
    siglongjmp(back, 1);
}

static void on_trap(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    printf("trap: signal %d, si_addr is the pc %d\n", sig,
           (uintptr_t)si->si_addr == (uintptr_t)uc->uc_mcontext.pc);
    uc->uc_mcontext.pc += 4; /* resume after the brk */
}

static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

static void on_tick(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    (void)si;
    (void)ctx;
    ticks++;
}

static void handle(int sig, void (*fn)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigaction(sig, &sa, NULL);
}

static void handle_info(int sig, void (*fn)(int, siginfo_t *, void *))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO;
    sigaction(sig, &sa, NULL);
}

static void arm(long usec, long interval)
{
    struct itimerval it = {{0, interval}, {0, usec}};
    setitimer(ITIMER_REAL, &it, NULL);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    long page = sysconf(_SC_PAGESIZE);

    /* faults */
    handle_info(SIGSEGV, on_fault);
    handle_info(SIGILL, on_fault);
    handle_info(SIGTRAP, on_trap);
    volatile int *nowhere = (int *)(uintptr_t)0x10;
    expected = 0x10;
    if (!sigsetjmp(back, 1))
        printf("read %d\n", *nowhere);
    printf("after the unmapped read\n");
    char *ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    expected = (uintptr_t)ro + 8;
    if (!sigsetjmp(back, 1))
        ((volatile char *)ro)[8] = 1;
    printf("after the write to a read-only page\n");
    char *code = mmap(NULL, page, PROT_READ | PROT_WRITE | PROT_EXEC,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memcpy(code, "\x00\x00\x00\x00", 4); /* udf #0 */
    __builtin___clear_cache(code, code + 4);
    expected = (uintptr_t)code;
    if (!sigsetjmp(back, 1))
        ((void (*)(void))code)();
    printf("after the undefined instruction\n");
    __asm__ volatile("brk #7");
    printf("after the breakpoint\n");
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    /* a timer's signal reaches a loop that makes no system call */
    handle(SIGALRM, on_alarm, 0);
    arm(20000, 0);
    while (!alarms)
        ;
    printf("busy loop saw SIGALRM: %d\n", alarms);

    /* nanosleep interrupted */
    arm(30000, 0);
    struct timespec req = {5, 0}, rem = {0, 0};
    int r = nanosleep(&req, &rem);
    printf("nanosleep: %d %s, something left %d\n", r, r ? strerror(errno) : "",
           rem.tv_sec > 0 && rem.tv_sec < 5);

    /* sigsuspend with SIGALRM blocked until then */
    sigset_t alrm, old;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    sigprocmask(SIG_BLOCK, &alrm, &old);
    alarms = 0;
    arm(20000, 0);
    r = sigsuspend(&old);
    sigset_t now;
    sigprocmask(SIG_SETMASK, NULL, &now);
    printf("sigsuspend: %d %s, handler ran %d, mask restored %d\n", r, strerror(errno),
           alarms, sigismember(&now, SIGALRM));
    sigprocmask(SIG_SETMASK, &old, NULL);

    /* a read from a pipe nobody writes to: interrupted, then restarted */
    int p[2];
    pipe(p);
    arm(20000, 0);
    char c;
    ssize_t n = read(p[0], &c, 1);
    printf("read without SA_RESTART: %zd %s\n", n, strerror(errno));
    struct pollfd pf = {p[0], POLLIN, 0};
    arm(20000, 0);
    r = poll(&pf, 1, 5000);
    printf("poll interrupted: %d %s\n", r, strerror(errno));
    handle(SIGALRM, on_alarm, SA_RESTART);
    alarms = 0;
    arm(20000, 50000);
    pid_t child = fork();
    if (child == 0) {
        usleep(300000);
        write(p[1], "x", 1);
        _exit(7);
    }
    n = read(p[0], &c, 1);
    arm(0, 0);
    printf("read with SA_RESTART: %zd '%c', alarms came %d\n", n, c, alarms > 0);
    siginfo_t wi;
    memset(&wi, 0, sizeof wi);
    r = waitid(P_PID, child, &wi, WEXITED);
    printf("waitid: %d, signo %d, code %d, status %d, the child %d\n", r, wi.si_signo,
           wi.si_code, wi.si_status, wi.si_pid == child);

    /* a POSIX timer with a real-time signal, taken by sigwaitinfo */
    int rt = SIGRTMIN + 2;
    sigset_t rts;
    sigemptyset(&rts);
    sigaddset(&rts, rt);
    sigprocmask(SIG_BLOCK, &rts, NULL);
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = rt;
    sev.sigev_value.sival_int = 4242;
    timer_t t;
    r = timer_create(CLOCK_MONOTONIC, &sev, &t);
    struct itimerspec its = {{0, 0}, {0, 20000000}};
    timer_settime(t, 0, &its, NULL);
    siginfo_t si;
    int got = sigwaitinfo(&rts, &si);
    printf("timer_create %d; sigwaitinfo: %d is the signal %d, code %d, value %d\n", r,
           got == rt, si.si_signo == rt, si.si_code, si.si_value.sival_int);
    struct itimerspec cur;
    timer_gettime(t, &cur);
    printf("disarmed: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
    timer_delete(t);

    /* a periodic POSIX timer's signal to a handler, counted */
    handle_info(rt, on_tick);
    sigprocmask(SIG_UNBLOCK, &rts, NULL);
    timer_create(CLOCK_MONOTONIC, &sev, &t);
    struct itimerspec every = {{0, 5000000}, {0, 5000000}};
    timer_settime(t, 0, &every, NULL);
    while (ticks < 3)
        ;
    timer_delete(t);
    printf("periodic timer ticked at least 3 times: %d\n", ticks >= 3);

    /* a fault without a handler: the process dies of SIGSEGV */
    signal(SIGSEGV, SIG_DFL);
    printf("last words\n");
    return *nowhere;
}
