/* A program that blocks in socket calls, for the gdb stub's tests (tests/test_gdbstub.py,
 * tests/gdb/netwait*.gdb); built -O0 -g. PATH: a Unix socket it listens on.
 *
 *   netwait main PATH      the main thread accepts one connection on PATH and receives
 *                          one byte from it, then prints it: Ctrl-C stops the guest in
 *                          accept and in recv, and each call is made again on continue
 *   netwait thread PATH    the same in a second thread while the main one joins it
 *   netwait signal PATH    a second thread blocks in accept; the main thread, which
 *                          blocks SIGUSR1, sends it to the process once the other one
 *                          waits: it is taken by the thread in accept, whose handler
 *                          has no SA_RESTART: accept fails with EINTR
 *   netwait restart PATH   the same with SA_RESTART: accept is made again, and takes
 *                          the connection the main thread then makes
 *
 * Each exits 0 when the calls ended as Linux ends them, 1 otherwise. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char *path;
static int listener = -1;
static volatile int waiting;
static volatile sig_atomic_t handled;
static long accepted = -2;
static int accept_errno;

static void on_usr1(int sig)
{
    handled += sig == SIGUSR1;
}

static struct sockaddr_un address(void)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strncpy(a.sun_path, path, sizeof a.sun_path - 1);
    return a;
}

static int listen_on_path(void)
{
    struct sockaddr_un a = address();
    unlink(path);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 4) != 0)
        return -1;
    return s;
}

/* accept one connection, receive one byte from it */
static void *serve(void *arg)
{
    (void)arg;
    int c = accept(listener, NULL, NULL);
    if (c < 0) {
        printf("accept: %s\n", strerror(errno));
        return (void *)1;
    }
    char byte = 0;
    long n = recv(c, &byte, 1, 0);
    printf("received %ld byte: %c\n", n, byte);
    close(c);
    return (void *)(long)(n != 1);
}

static void *wait_in_accept(void *arg)
{
    pthread_sigmask(SIG_UNBLOCK, arg, NULL); /* the main thread's mask is inherited */
    waiting = 1;
    accepted = accept(listener, NULL, NULL);
    accept_errno = errno;
    return NULL;
}

static int signalled(int restart)
{
    struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = restart ? SA_RESTART : 0};
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL); /* taken by the other thread only */
    pthread_t t;
    pthread_create(&t, NULL, wait_in_accept, &usr1);
    while (!waiting)
        usleep(1000);
    usleep(300000); /* into accept */
    kill(getpid(), SIGUSR1);
    usleep(300000);
    struct sockaddr_un a = address();
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    int connected = connect(s, (struct sockaddr *)&a, sizeof a) == 0;
    pthread_join(t, NULL);
    printf("handled %d, connected %d, accept %s\n", (int)handled, connected,
           accepted >= 0 ? "ok" : strerror(accept_errno));
    if (restart)
        return !(handled == 1 && accepted >= 0);
    return !(handled == 1 && accepted == -1 && accept_errno == EINTR);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        printf("usage: netwait.elf main|thread|signal|restart PATH\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    path = argv[2];
    listener = listen_on_path();
    if (listener < 0) {
        printf("listen: %s\n", strerror(errno));
        return 1;
    }
    int r = 1;
    if (strcmp(argv[1], "main") == 0) {
        r = (int)(long)serve(NULL);
    } else if (strcmp(argv[1], "thread") == 0) {
        pthread_t t;
        void *got = (void *)1;
        pthread_create(&t, NULL, serve, NULL);
        pthread_join(t, &got);
        r = (int)(long)got;
    } else if (strcmp(argv[1], "signal") == 0) {
        r = signalled(0);
    } else if (strcmp(argv[1], "restart") == 0) {
        r = signalled(1);
    }
    unlink(path);
    return r;
}
