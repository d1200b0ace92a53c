/* System V shared memory and two CPU faults a Linux process sees as signals:
 * shmget (a private segment, one by key: EEXIST with IPC_EXCL, ENOENT without
 * IPC_CREAT, EINVAL for a size past the segment's), shmat at an address the kernel
 * picks and at one rounded down by SHM_RND (EINVAL unaligned without it), what one
 * attachment wrote seen by the next after shmdt, SHM_RDONLY (a write faults:
 * SIGSEGV), shmctl IPC_STAT (size, mode, attach count) and IPC_RMID (the segment
 * goes with its last attachment: EINVAL after), shmdt of an address that is no
 * attachment (EINVAL); madvise(MADV_DONTNEED) on a private file mapping (the
 * file's bytes come back); a branch to a misaligned address (SIGBUS, BUS_ADRALN,
 * si_addr the target) and MRS of an AArch32 ID register (SIGILL). The output does
 * not depend on addresses. argv[1]: a directory for the file. Compared with
 * qemu-aarch64 by tests/test_linux_user_programs.py. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

static sigjmp_buf back;
static volatile int got_sig, got_code;
static void *volatile got_addr;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    got_sig = sig;
    got_code = si->si_code;
    got_addr = si->si_addr;
    siglongjmp(back, 1);
}

static const char *err(long r)
{
    return r == -1 ? strerrorname_np(errno) : "ok";
}

static void shm(void)
{
    int id = shmget(IPC_PRIVATE, 5000, IPC_CREAT | 0640);
    printf("shmget private: %s\n", id >= 0 ? "ok" : err(id));
    char *p = shmat(id, NULL, 0);
    printf("shmat: %s, page aligned %d, zero %d %d\n", p == (void *)-1 ? err(-1) : "ok",
           ((uintptr_t)p & 4095) == 0, p[0], p[4999]);
    strcpy(p, "written by the first attachment");
    p[4999] = 7;
    struct shmid_ds ds;
    printf("IPC_STAT: %s, size %zu, mode %o, attached %lu\n", err(shmctl(id, IPC_STAT, &ds)),
           (size_t)ds.shm_segsz, ds.shm_perm.mode & 0777, (unsigned long)ds.shm_nattch);
    printf("shmdt: %s\n", err(shmdt(p)));
    printf("shmdt again: %s\n", err(shmdt(p)));

    char *q = mmap(NULL, 0x10000, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(q, 0x10000);  /* a free range for the fixed attachments */
    void *r = shmat(id, q + 0x2100, 0);
    printf("shmat unaligned: %s\n", r == (void *)-1 ? err(-1) : "attached");
    r = shmat(id, q + 0x2100, SHM_RND);
    printf("shmat SHM_RND: %s, at the page below %d\n", r == (void *)-1 ? err(-1) : "ok",
           r == q + 0x2000);
    printf("second attachment reads: \"%s\" %d\n", (char *)r, ((char *)r)[4999]);
    shmctl(id, IPC_STAT, &ds);
    printf("attached %lu\n", (unsigned long)ds.shm_nattch);
    printf("IPC_RMID while attached: %s\n", err(shmctl(id, IPC_RMID, NULL)));
    printf("still readable: %c\n", ((char *)r)[0]);
    shmdt(r);
    printf("IPC_STAT after the last shmdt: %s\n", err(shmctl(id, IPC_STAT, &ds)));

    key_t key = 0x5eed0000 + getpid() % 0x10000;
    int k1 = shmget(key, 100, IPC_CREAT | 0600);
    printf("shmget by key: %s\n", k1 >= 0 ? "ok" : err(k1));
    printf("same key: %s\n", shmget(key, 50, 0) == k1 ? "same id" : err(-1));
    printf("IPC_EXCL: %s\n", err(shmget(key, 100, IPC_CREAT | IPC_EXCL | 0600)));
    printf("bigger than the segment: %s\n", err(shmget(key, 200, 0)));
    char *ro = shmat(k1, NULL, SHM_RDONLY);
    printf("SHM_RDONLY read: %d\n", ro[0]);
    if (sigsetjmp(back, 1) == 0) {
        ro[1] = 1;
        printf("write to SHM_RDONLY: no fault\n");
    } else {
        printf("write to SHM_RDONLY: signal %d code %d at the byte %d\n", got_sig, got_code,
               got_addr == ro + 1);
    }
    shmdt(ro);
    shmctl(k1, IPC_RMID, NULL);
    printf("key after IPC_RMID: %s\n", err(shmget(key, 100, 0)));
    printf("bad id: %s\n", err(shmat(0x7fffff, NULL, 0) == (void *)-1 ? -1 : 0));
}

static void madvise_file(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/sysvshm.tmp", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    unlink(path);
    char page[8192];
    memset(page, 'f', sizeof page);
    write(fd, page, 6000);
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    m[0] = 'x';
    m[5999] = 'y';
    m[7000] = 'z';
    printf("madvise DONTNEED on a file: %s, bytes again %c %c %d\n",
           err(madvise(m, 8192, MADV_DONTNEED)), m[0], m[5999], m[7000]);
    munmap(m, 8192);
    close(fd);
}

static void faults(void)
{
    static void *volatile target;
    void *tmp;
    if (sigsetjmp(back, 1) == 0) {
        asm volatile("adr %0, 1f + 2\n\tstr %0, %1\n\tbr %0\n1:" : "=&r"(tmp), "=m"(target));
        printf("misaligned branch: no fault\n");
    } else {
        printf("misaligned branch: signal %d code %d at the target %d\n", got_sig, got_code,
               got_addr == target);
    }
    uint64_t v = 0;
    if (sigsetjmp(back, 1) == 0) {
        asm volatile("mrs %0, mvfr0_el1" : "=r"(v));
        printf("MRS MVFR0_EL1: no fault\n");
    } else {
        printf("MRS MVFR0_EL1: signal %d\n", got_sig);
    }
    if (sigsetjmp(back, 1) == 0) {
        asm volatile("mrs %0, id_aa64pfr0_el1" : "=r"(v));
        printf("MRS ID_AA64PFR0_EL1: readable, EL0 AArch64 %d\n", (int)(v & 0xf) == 1);
    } else {
        printf("MRS ID_AA64PFR0_EL1: signal %d\n", got_sig);
    }
}

int main(int argc, char **argv)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    setvbuf(stdout, NULL, _IONBF, 0);
    shm();
    madvise_file(argc > 1 ? argv[1] : "/tmp");
    faults();
    return 0;
}
