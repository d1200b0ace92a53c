/* fork and posix_spawn from a process with several threads: from the main thread
 * while workers run, from a worker thread, and posix_spawn (glibc: clone with
 * CLONE_VM | CLONE_VFORK, then execve) of argv[1] from a worker. In the child only
 * the calling thread exists; it may allocate and print (glibc resets its locks),
 * and its exit status reaches the parent. argv[1]: what to spawn (this program;
 * under qemu-aarch64 without binfmt_misc, a script that runs it under qemu).
 * Compared with qemu-aarch64 by tests/test_linux_user_programs.py. */
#define _GNU_SOURCE
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static volatile int stop;
static volatile unsigned long spins[2];
static const char *self_path;

static void *spinner(void *arg)
{
    long i = (long)arg;
    while (!stop)
        spins[i]++;
    return NULL;
}

static void *forker(void *arg)
{
    (void)arg;
    pid_t c = fork();
    if (c == 0) {
        char *p = malloc(100);
        snprintf(p, 100, "child of a worker thread runs");
        puts(p);
        _exit(6);
    }
    int st;
    waitpid(c, &st, 0);
    printf("worker's child exited with %d\n", WEXITSTATUS(st));
    pid_t s;
    char *args[] = {(char *)self_path, "spawned", NULL};
    int r = posix_spawn(&s, self_path, NULL, NULL, args, environ);
    waitpid(s, &st, 0);
    printf("posix_spawn from a worker: %d, exited with %d\n", r, WEXITSTATUS(st));
    return NULL;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && strcmp(argv[1], "spawned") == 0) {
        printf("spawned program runs, argv[1] = %s\n", argv[1]);
        return 7;
    }
    self_path = argc > 1 ? argv[1] : "/proc/self/exe";
    pthread_t t[2];
    for (long i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, spinner, (void *)i);
    while (!spins[0] || !spins[1])
        usleep(1000);
    pid_t c = fork();
    if (c == 0) {
        printf("child of the main thread runs alone\n");
        exit(5);
    }
    int st;
    waitpid(c, &st, 0);
    printf("main's child exited with %d\n", WEXITSTATUS(st));
    pthread_t f;
    pthread_create(&f, NULL, forker, NULL);
    pthread_join(f, NULL);
    stop = 1;
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    printf("the workers ran on: %d\n", spins[0] > 0 && spins[1] > 0);
    return 0;
}
