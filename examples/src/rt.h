/* A tiny freestanding runtime for the example programs: Linux system calls
 * through svc, program start, and the few libc functions gcc may call. */
#ifndef RT_H
#define RT_H
typedef unsigned long size_t;
typedef unsigned long uint64_t;
typedef unsigned int uint32_t;
typedef unsigned char uint8_t;
typedef long int64_t;
typedef int int32_t;

long rt_syscall(long nr, long a, long b, long c, long d, long e, long f);
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
void rt_exit(int code) __attribute__((noreturn));
void rt_write(const char *s, size_t n);
void print_str(const char *s);
void print_u64(uint64_t v);
void print_hex(uint64_t v);
void *rt_sbrk(size_t n);
#endif
