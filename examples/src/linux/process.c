/* The process system calls: fork and wait4 (exit statuses, a child killed by a
 * signal, WNOHANG), waitid, execve of this program again (its argv, the
 * environment it was given, descriptors that are not close-on-exec kept,
 * close-on-exec ones closed) and of a missing file, process groups and
 * sessions, limits, rusage, times, sysinfo, the clocks and sleeps, getrandom,
 * prctl's name, the uids, the scheduling policy and priorities, memfd_create,
 * flock, fallocate and close_range. Printed so that the output does not depend on
 * the pids or the time. argv[1]: what to execve (default /proc/self/exe; under
 * qemu-aarch64, which has no binfmt_misc here, a script that runs it under qemu). Compared with qemu-aarch64 by
 * tests/test_linux_user_programs.py. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int exec_child(int argc, char **argv)
{
    printf("exec'd: argc %d argv[1] %s argv[2] %s, TCGKIT_VAR=%s\n", argc, argv[1], argv[2],
           getenv("TCGKIT_VAR") ? getenv("TCGKIT_VAR") : "(unset)");
    printf("inherited descriptor 5 open %d, close-on-exec descriptor 6 closed %d\n",
           fcntl(5, F_GETFD) != -1, fcntl(6, F_GETFD) == -1 && errno == EBADF);
    char buf[16] = {0};
    read(5, buf, sizeof buf - 1);
    printf("read through it: %s\n", buf);
    return 23;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && strcmp(argv[1], "exec") == 0)
        return exec_child(argc, argv);

    /* fork and wait4 */
    pid_t me = getpid();
    pid_t c = fork();
    if (c == 0) {
        printf("child: parent is who forked %d, own pid differs %d\n", getppid() == me,
               getpid() != me);
        _exit(42);
    }
    int st;
    pid_t got = waitpid(c, &st, 0);
    printf("wait4: the child %d, exited %d with %d\n", got == c, WIFEXITED(st), WEXITSTATUS(st));
    c = fork();
    if (c == 0) {
        pause();
        _exit(0);
    }
    printf("WNOHANG while it runs: %d\n", waitpid(c, &st, WNOHANG));
    kill(c, SIGKILL);
    waitpid(c, &st, 0);
    printf("killed: signaled %d by %d\n", WIFSIGNALED(st), WTERMSIG(st));
    printf("no children left: %d %s\n", waitpid(-1, &st, 0), strerror(errno));
    c = fork();
    if (c == 0)
        _exit(3);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    waitid(P_ALL, 0, &si, WEXITED);
    printf("waitid: signo %d code %d status %d pid %d\n", si.si_signo, si.si_code, si.si_status,
           si.si_pid == c);

    /* execve */
    int p[2];
    pipe(p);
    write(p[1], "through a pipe", 14);
    dup2(p[0], 5);
    int cloexec = open("/", O_RDONLY | O_CLOEXEC);
    dup3(cloexec, 6, O_CLOEXEC);
    /* a file that is no program: ENOEXEC, and this process goes on as it was */
    char junk[] = "/tmp/tcgkit-junk-XXXXXX";
    int jfd = mkstemp(junk);
    write(jfd, "not a program\n", 14);
    close(jfd);
    chmod(junk, 0755);
    char *jargs[] = {junk, NULL};
    printf("execve of a file that is no program: %d %s\n", execve(junk, jargs, jargs),
           strerror(errno));
    unlink(junk);
    printf("after it: descriptors 5 and 6 still open %d %d\n", fcntl(5, F_GETFD) != -1,
           fcntl(6, F_GETFD) != -1);
    c = fork();
    if (c == 0) {
        char *args[] = {argv[0], "exec", "second", NULL};
        char *env[] = {"TCGKIT_VAR=passed", NULL};
        execve(argc > 1 ? argv[1] : "/proc/self/exe", args, env);
        printf("execve failed: %s\n", strerror(errno));
        _exit(1);
    }
    waitpid(c, &st, 0);
    printf("the exec'd program exited with %d\n", WEXITSTATUS(st));
    char *none[] = {"nothing", NULL};
    printf("execve of a missing file: %d %s\n", execve("/nonexistent/prog", none, none),
           strerror(errno));

    /* groups and sessions */
    printf("getpgid(0) is getpgrp %d, getsid(0) > 0 %d\n", getpgid(0) == getpgrp(),
           getsid(0) > 0);
    c = fork();
    if (c == 0) {
        pid_t s = setsid();
        printf("child: setsid gives its pid %d, pgid now %d\n", s == getpid(),
               getpgid(0) == getpid());
        _exit(0);
    }
    waitpid(c, &st, 0);

    /* limits and usage */
    struct rlimit rl;
    printf("getrlimit NOFILE: %d, soft <= hard %d\n", getrlimit(RLIMIT_NOFILE, &rl),
           rl.rlim_cur <= rl.rlim_max);
    struct rusage ru;
    printf("getrusage: %d, some user time or none %d\n", getrusage(RUSAGE_SELF, &ru),
           ru.ru_utime.tv_sec >= 0);
    struct tms t;
    printf("times: %d\n", times(&t) != (clock_t)-1);
    struct sysinfo info;
    printf("sysinfo: %d, memory %d\n", sysinfo(&info), info.totalram > 0);

    /* time */
    struct timespec a, b, res;
    clock_gettime(CLOCK_MONOTONIC, &a);
    struct timespec nap = {0, 20000000};
    nanosleep(&nap, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
    printf("slept at least 20 ms %d, clock_getres %d\n", ms >= 20,
           clock_getres(CLOCK_MONOTONIC, &res));
    printf("bad clock: %d %s\n", clock_gettime(12345, &a), strerror(errno));
    struct timespec bad = {0, 2000000000};
    printf("bad nanosleep: %d %s\n", nanosleep(&bad, NULL), strerror(errno));

    /* misc */
    unsigned char rnd[32];
    printf("getrandom: %zd\n", getrandom(rnd, sizeof rnd, 0));
    prctl(PR_SET_NAME, "renamed-proc");
    char name[17] = {0};
    prctl(PR_GET_NAME, name);
    printf("prctl name: %s\n", name);
    printf("uids: real is effective %d, gid too %d\n", getuid() == geteuid(),
           getgid() == getegid());
    printf("kill of a process that does not exist: %d %s\n", kill(0x3fffffff, 0),
           strerror(errno));

    /* scheduling and priorities, memory files, locks, closing ranges */
    struct sched_param sp = {0};
    printf("scheduler %d, FIFO priorities %d..%d, getparam %d %d\n", sched_getscheduler(0),
           sched_get_priority_min(SCHED_FIFO), sched_get_priority_max(SCHED_FIFO),
           sched_getparam(0, &sp), sp.sched_priority);
    errno = 0;
    int nice = getpriority(PRIO_PROCESS, 0);
    printf("getpriority: errno %d, nice within range %d; sched_getcpu >= 0 %d\n", errno,
           nice >= -20 && nice <= 19, sched_getcpu() >= 0);
    int mfd = memfd_create("scratch", MFD_CLOEXEC);
    write(mfd, "in memory", 9);
    char back[10] = {0};
    pread(mfd, back, 9, 0);
    printf("memfd_create: %s, close-on-exec %d\n", back, (fcntl(mfd, F_GETFD) & FD_CLOEXEC) != 0);
    printf("flock: %d %d\n", flock(mfd, LOCK_EX), flock(mfd, LOCK_UN));
    printf("fallocate: %d, size now %ld\n", fallocate(mfd, 0, 0, 4096),
           (long)lseek(mfd, 0, SEEK_END));
    int lo = dup(mfd), hi = dup(mfd);
    printf("close_range: %d, both closed %d %d\n", close_range(lo < hi ? lo : hi,
           lo < hi ? hi : lo, 0), fcntl(lo, F_GETFD) == -1, fcntl(hi, F_GETFD) == -1);
    return 0;
}
