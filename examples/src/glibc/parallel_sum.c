/* CPU-bound work split over threads: argv[1] threads (default 2) each mix their
 * share of argv[2] numbers (default 100000) through a 64-bit hash and sum them.
 * The sum does not depend on the number of threads, so runs with 1 and with N
 * threads print the same (benchmarks/guest_threads.py times them). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_THREADS 64

struct share {
    uint64_t begin, end, sum;
};

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static void *work(void *arg)
{
    struct share *s = arg;
    uint64_t sum = 0;
    for (uint64_t i = s->begin; i < s->end; i++)
        sum += mix(i);
    s->sum = sum;
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2;
    uint64_t total = argc > 2 ? strtoull(argv[2], NULL, 0) : 100000;
    if (n < 1 || n > MAX_THREADS)
        n = 2;
    pthread_t t[MAX_THREADS];
    struct share shares[MAX_THREADS];
    for (int i = 0; i < n; i++) {
        shares[i].begin = total * i / n;
        shares[i].end = total * (i + 1) / n;
        pthread_create(&t[i], NULL, work, &shares[i]);
    }
    uint64_t sum = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        sum += shares[i].sum;
    }
    printf("%llu numbers mixed: sum %016llx\n", (unsigned long long)total,
           (unsigned long long)sum);
    return 0;
}
