/* The runtime shared by the example programs (see rt.h). */
#include "rt.h"

#define SYS_write 64
#define SYS_exit_group 94
#define SYS_brk 214

long rt_syscall(long nr, long a, long b, long c, long d, long e, long f)
{
    register long x8 __asm__("x8") = nr;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc #0"
                     : "+r"(x0)
                     : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                     : "memory");
    return x0;
}

void *memcpy(void *d, const void *s, size_t n)
{
    uint8_t *dp = d;
    const uint8_t *sp = s;
    while (n--)
        *dp++ = *sp++;
    return d;
}

void *memmove(void *d, const void *s, size_t n)
{
    uint8_t *dp = d;
    const uint8_t *sp = s;
    if (dp < sp)
        while (n--)
            *dp++ = *sp++;
    else
        while (n--)
            dp[n] = sp[n];
    return d;
}

void *memset(void *d, int c, size_t n)
{
    uint8_t *dp = d;
    while (n--)
        *dp++ = (uint8_t)c;
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

void rt_exit(int code)
{
    rt_syscall(SYS_exit_group, code, 0, 0, 0, 0, 0);
    __builtin_unreachable();
}

void rt_write(const char *s, size_t n) { rt_syscall(SYS_write, 1, (long)s, n, 0, 0, 0); }

void print_str(const char *s) { rt_write(s, strlen(s)); }

void print_u64(uint64_t v)
{
    char buf[24];
    int i = 23;
    buf[i] = 0;
    do {
        buf[--i] = '0' + v % 10;
        v /= 10;
    } while (v);
    print_str(buf + i);
}

void print_hex(uint64_t v)
{
    char buf[19];
    buf[0] = '0';
    buf[1] = 'x';
    for (int i = 0; i < 16; i++)
        buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
    buf[18] = 0;
    print_str(buf);
}

void *rt_sbrk(size_t n)
{
    static char *cur;
    if (!cur)
        cur = (char *)rt_syscall(SYS_brk, 0, 0, 0, 0, 0, 0);
    char *old = cur;
    char *want = cur + ((n + 15) & ~15UL);
    if ((char *)rt_syscall(SYS_brk, (long)want, 0, 0, 0, 0, 0) != want)
        return 0;
    cur = want;
    return old;
}

int main(int argc, char **argv);

void rt_start_c(long *sp)
{
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    rt_exit(main(argc, argv));
}

__asm__(".globl _start\n"
        "_start:\n"
        "  mov x0, sp\n"
        "  bl rt_start_c\n");
