/*
 * Pointer authentication and BTI as Linux gives a process (tcgkit's
 * tests/test_pauth_bti.py compares its output and exit status with
 * qemu-aarch64 -cpu max). Keys are random per process, so nothing here prints
 * a code: only what holds for every key (round trips, error codes, which
 * branches land, what fork and threads keep, what PR_PAC_RESET_KEYS changes).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROT_BTI_ 0x10

static uint64_t pacia(uint64_t p, uint64_t m) { asm volatile("pacia %0, %1" : "+r"(p) : "r"(m)); return p; }
static uint64_t pacib(uint64_t p, uint64_t m) { asm volatile("pacib %0, %1" : "+r"(p) : "r"(m)); return p; }
static uint64_t pacda(uint64_t p, uint64_t m) { asm volatile("pacda %0, %1" : "+r"(p) : "r"(m)); return p; }
static uint64_t pacdb(uint64_t p, uint64_t m) { asm volatile("pacdb %0, %1" : "+r"(p) : "r"(m)); return p; }
static uint64_t autia(uint64_t p, uint64_t m) { asm volatile("autia %0, %1" : "+r"(p) : "r"(m)); return p; }
static uint64_t autib(uint64_t p, uint64_t m) { asm volatile("autib %0, %1" : "+r"(p) : "r"(m)); return p; }
static uint64_t autda(uint64_t p, uint64_t m) { asm volatile("autda %0, %1" : "+r"(p) : "r"(m)); return p; }
static uint64_t autdb(uint64_t p, uint64_t m) { asm volatile("autdb %0, %1" : "+r"(p) : "r"(m)); return p; }
static uint64_t xpaci(uint64_t p) { asm volatile("xpaci %0" : "+r"(p)); return p; }
static uint64_t xpacd(uint64_t p) { asm volatile("xpacd %0" : "+r"(p)); return p; }
static uint64_t pacga(uint64_t a, uint64_t b)
{
    uint64_t r;
    asm volatile("pacga %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

typedef uint64_t (*pac_fn)(uint64_t, uint64_t);

/* a modifier whose code changes the pointer (1 in 128 leave it as it is) */
static uint64_t salt_for(pac_fn pac, uint64_t p)
{
    uint64_t s = 1;
    while (pac(p, s) == p)
        s++;
    return s;
}

static void round_trips(void)
{
    static const char *names[] = {"ia", "ib", "da", "db"};
    pac_fn pac[] = {pacia, pacib, pacda, pacdb}, aut[] = {autia, autib, autda, autdb};
    uint64_t ptrs[] = {0x400123, 0x0000ffffdeadbee0ull, 0x5a00123456789abcull,
                       0xffffffff12345678ull};
    for (int k = 0; k < 4; k++) {
        for (int i = 0; i < 4; i++) {
            uint64_t p = ptrs[i], s = salt_for(pac[k], p), c = pac[k](p, s);
            uint64_t good = aut[k](c, s), bad, m = s + 1;
            while ((bad = aut[k](c, m)) == p)  /* a modifier whose check fails */
                m++;
            int tbi = !(p >> 55 & 1);  /* TBI0: the top byte stays */
            /* a failed check leaves the error code (key A: 01, key B: 10) in bits 54:53
             * (62:61 without TBI) */
            int at = tbi ? 53 : 61;
            uint64_t err = bad >> at & 3;
            printf("%s %d: roundtrip %d, top byte kept %d, strip %d, error %s\n", names[k], i,
                   good == p, !tbi || (c >> 56) == (p >> 56),
                   (k < 2 ? xpaci(c) : xpacd(c)) == p,
                   err == (uint64_t)(k & 1 ? 2 : 1) ? "ok" : "WRONG");
        }
    }
    /* a pointer whose extension bits are not all equal gets a corrupted code */
    uint64_t odd = 0x0001000000001000ull, s = 7;
    printf("bad extension: auth fails %d\n", autda(pacda(odd, s), s) != odd);
    uint64_t g1 = pacga(0x1234, 99), g2 = pacga(0x1234, 99);
    printf("pacga: stable %d, low half zero %d\n", g1 == g2, (uint32_t)g1 == 0);
}

static uint64_t leaf(uint64_t x) { return x * 3 + 1; }

static uint64_t __attribute__((noinline)) via_braa(uint64_t x)
{
    uint64_t f = (uint64_t)leaf, r;
    asm volatile("pacia %[f], sp\n\t"
                 "mov x0, %[x]\n\t"
                 "blraa %[f], sp\n\t"
                 "mov %[r], x0"
                 : [r] "=r"(r), [f] "+r"(f)
                 : [x] "r"(x)
                 : "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10",
                   "x11", "x12", "x13", "x14", "x15", "x16", "x17", "x30", "memory");
    return r;
}

static void authenticated_loads_and_branches(void)
{
    static uint64_t cell[2] = {0x1111, 0x2222};
    uint64_t p = (uint64_t)cell, signed_p, v, w;
    asm volatile("pacdza %0" : "=r"(signed_p) : "0"(p));
    asm volatile("ldraa %0, [%1]" : "=r"(v) : "r"(signed_p));
    asm volatile("ldraa %0, [%1, #8]" : "=r"(w) : "r"(signed_p));
    printf("ldraa: %lx %lx\n", (unsigned long)v, (unsigned long)w);
    asm volatile("pacdzb %0" : "=r"(signed_p) : "0"(p));
    asm volatile("ldrab %0, [%1]" : "=r"(v) : "r"(signed_p));
    printf("ldrab: %lx\n", (unsigned long)v);
    printf("blraa: %lu\n", (unsigned long)via_braa(5));
}

static sigjmp_buf env;
static volatile int last_sig, last_code;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    last_sig = sig;
    last_code = si->si_code;
    siglongjmp(env, 1);
}

static void failed_auth_faults(void)
{
    static uint64_t cell = 42;
    uint64_t p = (uint64_t)&cell, s = salt_for(pacda, p), c = pacda(p, s);
    uint64_t bad, m = s + 1;
    while ((bad = autda(c, m)) == p)
        m++;
    last_sig = 0;
    if (!sigsetjmp(env, 1))
        printf("failed auth: loaded %lu\n", (unsigned long)*(volatile uint64_t *)bad);
    printf("failed auth: load gets signal %d\n", last_sig);
}

/* code copied to a page: each stub is branched to by BR (x16 or x15) or BLR (x16) */
asm(".text\n.balign 16\n"
    "stubs_begin:\n"
    "stub_nop:     nop\n ret\n"
    "stub_bti_c:   hint #34\n ret\n"
    "stub_bti_j:   hint #36\n ret\n"
    "stub_bti_jc:  hint #38\n ret\n"
    "stub_paciasp: hint #25\n hint #29\n ret\n"
    "stub_bti:     hint #32\n ret\n"
    "stub_tramp:   hint #34\n br x15\n"  /* a BR from the page itself: BTYPE 3 if guarded */
    "stubs_end:\n");
/* the stubs' addresses (pc-relative: the compiler may not subtract symbols of its own) */
#define STUB_ADDR(name) ({ uint64_t a_; asm("adr %0, " #name : "=r"(a_)); a_; })

static int call_stub(uint64_t addr, int how, uint64_t tramp)
{
    last_sig = 0;
    if (sigsetjmp(env, 1))
        return last_sig;
    if (how == 0)
        asm volatile("mov x16, %0\n adr x30, 1f\n br x16\n 1:" : : "r"(addr) : "x16", "x30", "memory");
    else if (how == 1)
        asm volatile("mov x15, %0\n adr x30, 1f\n br x15\n 1:" : : "r"(addr) : "x15", "x30", "memory");
    else if (how == 2)
        asm volatile("mov x16, %0\n blr x16" : : "r"(addr) : "x16", "x30", "memory");
    else
        asm volatile("mov x15, %0\n mov x16, %1\n blr x16" : : "r"(addr), "r"(tramp)
                     : "x15", "x16", "x30", "memory");
    return 0;
}

static char *code_page(int prot)
{
    long page = sysconf(_SC_PAGESIZE);
    char *code = mmap(0, page, PROT_READ | PROT_WRITE | PROT_EXEC | prot,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) {
        perror("mmap");
        return 0;
    }
    uint64_t begin = STUB_ADDR(stubs_begin);
    memcpy(code, (void *)begin, STUB_ADDR(stubs_end) - begin);
    __builtin___clear_cache(code, code + page);
    return code;
}

/* each landing pad reached by BR x16, BR x15 (from unguarded code: BTYPE 1 too),
 * BLR x16 (BTYPE 2) and BR x15 from the page itself (BTYPE 3 when guarded), on a
 * page mapped with PROT_BTI, one given it by mprotect before it runs, and one
 * without */
static void bti_landing_pads(void)
{
    static const char *names[] = {"nop", "bti c", "bti j", "bti jc", "paciasp", "bti"};
    static const char *hows[] = {"br x16", "br x15", "blr x16", "br x15 there"};
    uint64_t begin = STUB_ADDR(stubs_begin);
    uint64_t stubs[] = {STUB_ADDR(stub_nop), STUB_ADDR(stub_bti_c), STUB_ADDR(stub_bti_j),
                        STUB_ADDR(stub_bti_jc), STUB_ADDR(stub_paciasp), STUB_ADDR(stub_bti)};
    char *pages[3] = {code_page(PROT_BTI_), code_page(0), code_page(0)};
    static const char *kinds[] = {"mmap BTI", "mprotect", "plain"};
    if (!pages[0] || !pages[1] || !pages[2])
        return;
    mprotect(pages[1], sysconf(_SC_PAGESIZE), PROT_READ | PROT_EXEC | PROT_BTI_);
    for (int p = 0; p < 3; p++) {
        for (int i = 0; i < 6; i++) {
            printf("%-8s %-8s:", kinds[p], names[i]);
            for (int how = 0; how < 4; how++) {
                uint64_t tramp = (uint64_t)pages[p] + (STUB_ADDR(stub_tramp) - begin);
                int sig = call_stub((uint64_t)pages[p] + (stubs[i] - begin), how, tramp);
                printf(" %s %s", hows[how], sig == SIGILL ? "SIGILL" : sig ? "SIG?" : "ok");
                if (sig == SIGILL)
                    printf("(code %d)", last_code);
            }
            printf("\n");
        }
    }
}

static uint64_t thread_code;

static void *thread_main(void *arg)
{
    thread_code = pacia((uint64_t)arg, 77);
    return 0;
}

static void keys_across_fork_threads_and_reset(void)
{
    uint64_t p = 0x401000, c = pacia(p, 77), d = pacdb(p, 78);
    pthread_t t;
    pthread_create(&t, 0, thread_main, (void *)p);
    pthread_join(t, 0);
    printf("thread: same code %d\n", thread_code == c);
    pid_t pid = fork();
    if (pid == 0)
        _exit(pacia(p, 77) == c ? 3 : 4);
    int status;
    waitpid(pid, &status, 0);
    printf("fork: child has the same keys %d\n", WEXITSTATUS(status) == 3);
    /* a reset of the A keys: IA and DA codes change (unless by a 1/128 chance), DB's not */
    printf("reset A keys: %d\n", prctl(PR_PAC_RESET_KEYS, PR_PAC_APIAKEY | PR_PAC_APDAKEY, 0, 0, 0));
    uint64_t s = salt_for(pacia, p);
    int changed = 0;
    for (uint64_t m = s; m < s + 8; m++)
        changed |= pacia(p, m) != c;
    printf("after reset: ia codes changed %d, db code kept %d\n", changed, pacdb(p, 78) == d);
    printf("reset bad key: %d\n", prctl(PR_PAC_RESET_KEYS, 1 << 5, 0, 0, 0));
    printf("reset with arg3: %d\n", prctl(PR_PAC_RESET_KEYS, 0, 1, 0, 0));
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, 0);
    sigaction(SIGILL, &sa, 0);
    sigaction(SIGBUS, &sa, 0);
    printf("hwcap PACA %d PACG %d, hwcap2 BTI %d\n", !!(getauxval(AT_HWCAP) & HWCAP_PACA),
           !!(getauxval(AT_HWCAP) & HWCAP_PACG), !!(getauxval(AT_HWCAP2) & HWCAP2_BTI));
    round_trips();
    authenticated_loads_and_branches();
    failed_auth_faults();
    bti_landing_pads();
    keys_across_fork_threads_and_reset();
    return 0;
}
