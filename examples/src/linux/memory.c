/* The memory system calls: brk, anonymous and file-backed mmap with each
 * protection, MAP_FIXED and MAP_FIXED_NOREPLACE, munmap of a part, mprotect
 * (a write to a page made read-only faults: SIGSEGV to a handler), mremap
 * (grow in place, move, shrink), madvise(MADV_DONTNEED) zeroing a private
 * anonymous mapping, msync, mincore, and the errors (EINVAL for a bad length
 * or unaligned address, ENOMEM for an unmapped range, EEXIST for a fixed
 * mapping that would replace one (qemu-aarch64 7.2 places it elsewhere), EBADF for a bad descriptor). The output
 * does not depend on where mappings land. argv[1]: a directory for the file.
 * Compared with qemu-aarch64 by tests/test_linux_user_programs.py. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static sigjmp_buf back;
static volatile uintptr_t fault_at;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    fault_at = (uintptr_t)si->si_addr;
    siglongjmp(back, 1);
}

static int writable(volatile char *p)
{
    if (sigsetjmp(back, 1))
        return 0;
    *p = *p;
    return 1;
}

static int readable(volatile char *p)
{
    if (sigsetjmp(back, 1))
        return 0;
    (void)*p;
    return 1;
}

static const char *err(long r)
{
    return r == -1 ? strerror(errno) : "ok";
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    long page = sysconf(_SC_PAGESIZE);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);

    /* brk */
    char *b0 = sbrk(0);
    char *b1 = sbrk(3 * page);
    memset(b1, 7, 3 * page);
    printf("sbrk grew from the old break %d, reads back %d\n", b1 == b0, b1[3 * page - 1]);
    sbrk(-2 * page);
    printf("shrunk: break moved back %d\n", (char *)sbrk(0) == b0 + page);

    /* anonymous mappings and protections */
    char *m = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mmap: %s, zeroed %d, aligned %d\n", m == MAP_FAILED ? "failed" : "ok",
           m[0] == 0 && m[4 * page - 1] == 0, ((uintptr_t)m % page) == 0);
    strcpy(m, "hello");
    printf("mprotect read-only: %s\n", err(mprotect(m, page, PROT_READ)));
    printf("writable %d readable %d, faulted at the page %d\n", writable(m), readable(m),
           fault_at == (uintptr_t)m);
    printf("mprotect none: %s; readable %d\n", err(mprotect(m + page, page, PROT_NONE)),
           readable(m + page));
    printf("mprotect back: %s; writable %d\n",
           err(mprotect(m, 2 * page, PROT_READ | PROT_WRITE)), writable(m + page));
    printf("munmap a middle page: %s; readable %d, neighbours %d %d\n",
           err(munmap(m + 2 * page, page)), readable(m + 2 * page), readable(m + page),
           readable(m + 3 * page));

    /* fixed mappings */
    char *f = mmap(m + 2 * page, page, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("MAP_FIXED into the hole: %d\n", f == m + 2 * page);
    char *g = mmap(m, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    /* the kernel says EEXIST; qemu-aarch64 7.2 maps it elsewhere: neither replaces it */
    printf("MAP_FIXED_NOREPLACE over a mapping does not replace it: %d\n", g != m);
    char *h = mmap(m, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                   -1, 0);
    printf("MAP_FIXED over a mapping replaces it: %d, now zero %d\n", h == m, m[0] == 0);

    /* madvise and mincore */
    memset(m, 0x55, 2 * page);
    printf("madvise DONTNEED: %s, zero again %d %d\n", err(madvise(m, 2 * page, MADV_DONTNEED)),
           m[0] == 0, m[2 * page - 1] == 0);
    unsigned char vec[4];
    printf("mincore: %s\n", err(mincore(m, 2 * page, vec)));
    printf("mincore of unmapped memory: %s\n", err(mincore((char *)0x1000, page, vec)));

    /* mremap: grow in place or move, shrink */
    memset(m, 'a', page);
    char *r = mremap(m, 4 * page, 16 * page, MREMAP_MAYMOVE);
    printf("mremap grow: %s, contents kept %d, new part usable %d\n",
           r == MAP_FAILED ? strerror(errno) : "ok", r[page - 1] == 'a', writable(r + 15 * page));
    char *s = mremap(r, 16 * page, page, 0);
    printf("mremap shrink in place: %d, the rest gone %d\n", s == r, !readable(r + 8 * page));
    printf("mremap without MAYMOVE into a mapping: %s\n",
           mremap(s, page, 64 * page, 0) == MAP_FAILED ? strerror(errno) : "ok?");
    munmap(s, page);

    /* file mappings */
    char path[4096];
    snprintf(path, sizeof path, "%s/mapped.bin", argc > 1 ? argv[1] : ".");
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    for (int i = 0; i < 3 * page; i++)
        write(fd, &"0123456789"[i % 10], 1);
    char *fm = mmap(NULL, 2 * page, PROT_READ, MAP_PRIVATE, fd, page);
    printf("file mapping at an offset: %c%c%c\n", fm[0], fm[1], fm[page]);
    char *fp = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    fp[0] = 'X';
    char first;
    pread(fd, &first, 1, 0);
    printf("a private mapping's write stays private: %c %c\n", fp[0], first);
    printf("msync: %s\n", err(msync(fp, page, MS_SYNC)));
    char *past = mmap(NULL, page, PROT_READ, MAP_PRIVATE, fd, 16 * page);
    printf("mapping past the end: %s\n", past == MAP_FAILED ? strerror(errno) : "ok");
    close(fd);
    unlink(path);

    /* errors */
    printf("mmap of length 0: %s\n",
           mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED
               ? strerror(errno) : "ok?");
    printf("mmap of a bad descriptor: %s\n",
           mmap(NULL, page, PROT_READ, MAP_PRIVATE, 99, 0) == MAP_FAILED ? strerror(errno)
                                                                          : "ok?");
    printf("munmap unaligned: %s\n", err(munmap(fm + 1, page)));
    printf("mprotect of unmapped memory: %s\n", err(mprotect((char *)0x1000, page, PROT_READ)));
    char *big = malloc(64 << 20);
    memset(big, 1, 64 << 20);
    printf("a 64 MiB malloc (an mmap): %d\n", big[(64 << 20) - 1]);
    free(big);
    return 0;
}
