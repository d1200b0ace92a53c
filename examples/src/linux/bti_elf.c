/*
 * A program whose ELF file is marked for BTI (built with -mbranch-protection=standard
 * and without libc, so that every object carries the GNU property note): Linux and
 * qemu-aarch64 map its text guarded. Indirect calls land on the BTI c / PACIASP
 * each function starts with; a BR from the guarded text through X15 (BTYPE 3) to
 * a function's BTI c is the Branch Target exception: SIGILL, whose handler reports
 * it and skips the call. tcgkit's tests/test_pauth_bti.py compares the output and
 * exit status with qemu-aarch64 -cpu max.
 */
#include "../rt.h"

#define SIGILL 4
#define SA_SIGINFO 4
#define NR_RT_SIGACTION 134

static volatile int faults;

/* the handler gets (sig, siginfo, ucontext); it skips the faulting call: pc = x30 */
static void on_sigill(int sig, void *info, void *uc)
{
    (void)info;
    uint64_t *mc = (uint64_t *)((char *)uc + 176);  /* uc_mcontext: fault_address, x0.. */
    faults++;
    print_str("SIGILL ");
    print_u64(sig);
    print_str(" code ");
    print_u64(*(int *)((char *)info + 8));
    print_str("\n");
    mc[1 + 31 + 1] = mc[1 + 30];  /* pc <- x30: back to after the branch */
    mc[1 + 31 + 2] = 0;  /* pstate: BTYPE cleared */
}

static void set_handler(void)
{
    struct { void *handler; unsigned long flags, restorer, mask; } sa = {
        (void *)on_sigill, SA_SIGINFO, 0, 0};
    rt_syscall(NR_RT_SIGACTION, SIGILL, (long)&sa, 0, 8, 0, 0);
}

static __attribute__((noinline)) uint64_t add3(uint64_t x) { return x + 3; }
static __attribute__((noinline)) uint64_t twice(uint64_t x) { return 2 * x; }

typedef uint64_t (*fn)(uint64_t);

/* BR Xn (not X16/X17) from guarded text: BTYPE 3, which a function's BTI c refuses */
static uint64_t branch_x15(fn f, uint64_t x)
{
    register uint64_t x0 __asm__("x0") = x;
    __asm__ volatile("mov x15, %1\n\t"
                     "adr x30, 1f\n\t"
                     "br x15\n"
                     "1:"
                     : "+r"(x0)
                     : "r"(f)
                     : "x15", "x30", "memory");
    return x0;
}

/* BR X16 from guarded text: BTYPE 1, which BTI c accepts (PLT stubs branch so) */
static uint64_t branch_x16(fn f, uint64_t x)
{
    register uint64_t x0 __asm__("x0") = x;
    __asm__ volatile("mov x16, %1\n\t"
                     "adr x30, 1f\n\t"
                     "br x16\n"
                     "1:"
                     : "+r"(x0)
                     : "r"(f)
                     : "x16", "x30", "memory");
    return x0;
}

int main(void)
{
    volatile fn table[2] = {add3, twice};
    set_handler();
    print_str("blr: ");
    print_u64(table[0](table[1](20)));
    print_str("\nbr x16: ");
    print_u64(branch_x16(table[0], 1));
    print_str("\nbr x15: ");
    print_u64(branch_x15(table[1], 5));  /* SIGILL: x0 stays 5 */
    print_str("\nfaults: ");
    print_u64(faults);
    print_str("\n");
    return faults == 1 ? 0 : 1;
}
