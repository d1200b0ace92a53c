/* A program to debug with gdb, built with -O0 -g (the others have no debug info):
 * tests/test_gdbstub.py runs gdb scripts (tests/gdb/debugme*.gdb) on it against
 * `tcgkit run -g` and `qemu-aarch64-static -g`.
 *
 *   debugme          a global counter, nested calls and a loop (break, bt, p, set var,
 *                    next, finish, watch); exits with the counter's low byte
 *   debugme block    blocks in read() on a pipe that never gets data (Ctrl-C)
 *   debugme sleep    sleeps for 1000 s in nanosleep (Ctrl-C)
 *   debugme signal   raises SIGUSR1 (a handler counts it), then SIGUSR2 (no handler:
 *                    its default action kills the process unless gdb suppresses it);
 *                    exits with the number of SIGUSR1 handled
 *   debugme segv     stores through a null pointer; a SIGSEGV handler exits with 3 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

long counter;
int handled;

static long square(long x)
{
    return x * x;
}

static long add_square(long x)
{
    long s = square(x);
    counter += s;
    return s;
}

static long sum_squares(int n)
{
    long total = 0;
    for (int i = 1; i <= n; i++)
        total += add_square(i);
    return total;
}

static void on_usr1(int sig)
{
    handled += sig == SIGUSR1;
}

static void on_segv(int sig)
{
    (void)sig;
    _exit(3);
}

static int block(void)
{
    int fds[2];
    char c;
    if (pipe(fds) != 0)
        return 1;
    return (int)read(fds[0], &c, 1); /* the write end stays open: never returns */
}

static int signals(void)
{
    signal(SIGUSR1, on_usr1);
    raise(SIGUSR1);
    raise(SIGUSR2);
    printf("handled %d\n", handled);
    return handled;
}

static int segv(void)
{
    signal(SIGSEGV, on_segv);
    *(volatile long *)0 = 1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "block") == 0)
        return block();
    if (argc > 1 && strcmp(argv[1], "sleep") == 0)
        return (int)sleep(1000);
    if (argc > 1 && strcmp(argv[1], "signal") == 0)
        return signals();
    if (argc > 1 && strcmp(argv[1], "segv") == 0)
        return segv();
    long total = sum_squares(4);
    counter += 1;
    printf("total %ld, counter %ld\n", total, counter);
    return (int)(counter & 0xff);
}
