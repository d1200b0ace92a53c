/* Protection changes of parts of one mapping from two threads at once, while a
 * third thread reads every page and a fourth writes to pages that stay writable:
 * each mprotect changes a random run of pages between read-only and read-write
 * (glibc's thread stacks and malloc arenas do this, on a smaller scale). Then
 * the whole mapping is made writable again and every page is checked. The
 * output does not depend on the threads' interleaving. Compared with
 * qemu-aarch64 by tests/test_linux_user_programs.py (it used to take minutes
 * under tcgkit: each change split the mapping further and each piece was
 * changed on its own). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGES 512
#define FIXED 64 /* pages [0, FIXED) stay read-write: the writer's */
#define CHANGES 1500

static char *base;
static long page;
static volatile int mutators = 2;

static void *mutate(void *arg)
{
    unsigned seed = (unsigned)(long)arg;
    for (int i = 0; i < CHANGES; i++) {
        unsigned s = FIXED + rand_r(&seed) % (PAGES - FIXED);
        unsigned e = FIXED + rand_r(&seed) % (PAGES - FIXED);
        if (s > e) {
            unsigned t = s;
            s = e;
            e = t;
        }
        int prot = rand_r(&seed) & 1 ? PROT_READ : PROT_READ | PROT_WRITE;
        if (mprotect(base + s * page, (e - s + 1) * page, prot) != 0) {
            perror("mprotect");
            exit(1);
        }
    }
    __atomic_fetch_sub(&mutators, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void *read_all(void *arg)
{
    long bad = 0;
    for (unsigned long i = 0; mutators; i++) {
        unsigned p = i % PAGES;
        if (((volatile unsigned char *)base)[p * page] != (unsigned char)(p * 7))
            bad++;
    }
    return (void *)bad;
}

static void *write_fixed(void *arg)
{
    for (unsigned long i = 0; mutators; i++)
        ((volatile unsigned char *)base)[(i % FIXED) * page + 1] = (unsigned char)i;
    return NULL;
}

int main(void)
{
    pthread_t t[4];
    void *bad;
    page = sysconf(_SC_PAGESIZE);
    base = mmap(NULL, PAGES * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED)
        return 1;
    for (unsigned p = 0; p < PAGES; p++)
        base[p * page] = (char)(p * 7);
    errno = 0;
    int r = mprotect(base + PAGES * page, page, PROT_READ);
    munmap(base + PAGES * page, page); /* nothing mapped there: ENOMEM above */
    printf("mprotect past the mapping: %d %s\n", r, errno == ENOMEM ? "ENOMEM" : "?");
    pthread_create(&t[0], NULL, read_all, NULL);
    pthread_create(&t[1], NULL, write_fixed, NULL);
    pthread_create(&t[2], NULL, mutate, (void *)1);
    pthread_create(&t[3], NULL, mutate, (void *)2);
    pthread_join(t[0], &bad);
    for (int i = 1; i < 4; i++)
        pthread_join(t[i], NULL);
    printf("changes: %d, reads that saw a wrong byte: %ld\n", 2 * CHANGES, (long)bad);
    if (mprotect(base, PAGES * page, PROT_READ | PROT_WRITE) != 0)
        return 2;
    int ok = 0;
    for (unsigned p = 0; p < PAGES; p++) {
        base[p * page + 2] = 1; /* writable again, every page */
        ok += base[p * page] == (char)(p * 7);
    }
    printf("pages intact and writable: %d of %d\n", ok, PAGES);
    return 0;
}
