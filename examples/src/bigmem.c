/* Big memory: working sets far beyond a software TLB's reach (tcgkit's maps
 * 1 MiB). A byte sieve of Eratosthenes (strided stores sweeping the whole
 * array once per prime) and an open-addressing hash table of 64-bit keys
 * (random probes all over the table), both on the heap (brk, whose fresh
 * pages are zero).
 *
 *     bigmem.elf [SIEVE [TABLE [KEYS]]]
 *
 * SIEVE and TABLE are sizes in bytes, KEYS a count, each with an optional K
 * or M suffix (times 2^10 or 2^20). The defaults (1M 16M 32K) keep the run
 * short for the test suite; benchmarks pass larger ones. */
#include "rt.h"

static uint64_t state = 0x2545F4914F6CDD1DUL;
static uint64_t xorshift(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static long parse_size(const char *s)
{
    long n = 0;
    for (; *s >= '0' && *s <= '9'; s++)
        n = n * 10 + (*s - '0');
    if (*s == 'k' || *s == 'K')
        n <<= 10;
    else if (*s == 'm' || *s == 'M')
        n <<= 20;
    return n;
}

/* The number of primes below n (a multiple of 8); composite[] is zero. */
static long sieve(uint8_t *composite, long n, long *largest)
{
    composite[0] = composite[1] = 1;
    for (long p = 2; p * p < n; p++)
        if (!composite[p])
            for (long m = p * p; m < n; m += p)
                composite[m] = 1;
    const uint64_t *w = (const uint64_t *)composite;
    long count = 0; /* eight 0/1 flags at a time */
    for (long i = 0; i < n / 8; i++)
        count += 8 - (long)((w[i] * 0x0101010101010101UL) >> 56);
    long p = n - 1;
    while (composite[p])
        p--;
    *largest = p;
    return count;
}

struct slot {
    uint64_t key; /* 0: empty (xorshift never yields 0) */
    uint64_t value;
};

static long probes;

/* Linear probing from a multiplicative hash: key's slot, or the empty one
 * where it would go. */
static struct slot *lookup(struct slot *t, int bits, uint64_t key)
{
    uint64_t mask = (1UL << bits) - 1;
    uint64_t i = (key * 0x9E3779B97F4A7C15UL) >> (64 - bits);
    while (t[i].key && t[i].key != key) {
        i = (i + 1) & mask;
        probes++;
    }
    return &t[i];
}

/* a, x, b, y, c: text and numbers in turn */
static void say(const char *a, uint64_t x, const char *b, uint64_t y, const char *c)
{
    print_str(a);
    print_u64(x);
    print_str(b);
    print_u64(y);
    print_str(c);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? parse_size(argv[1]) : 1L << 20;
    long table_bytes = argc > 2 ? parse_size(argv[2]) : 16L << 20;
    long keys = argc > 3 ? parse_size(argv[3]) : 32L << 10;
    n = n < 64 ? 64 : (n + 7) & ~7L;
    int bits = 4;
    while ((2L << bits) * (long)sizeof(struct slot) <= table_bytes)
        bits++;
    long slots = 1L << bits;
    if (keys > slots / 2)
        keys = slots / 2;
    uint8_t *composite = rt_sbrk(n);
    struct slot *table = rt_sbrk(slots * sizeof *table);
    if (!composite || !table) {
        print_str("bigmem: out of memory\n");
        return 2;
    }

    long largest, primes = sieve(composite, n, &largest);
    say("sieve: ", primes, " primes below ", n, ", the largest ");
    print_u64(largest);
    print_str("\n");

    uint64_t seed = state;
    for (long i = 0; i < keys; i++) {
        uint64_t k = xorshift();
        struct slot *s = lookup(table, bits, k);
        s->key = k;
        s->value += (uint64_t)i + 1;
    }
    uint64_t fresh = state, sum = 0;
    long found = 0, stray = 0;
    state = seed; /* the same keys again: all present */
    for (long i = 0; i < keys; i++) {
        uint64_t k = xorshift();
        struct slot *s = lookup(table, bits, k);
        found += s->key == k;
        sum = (sum ^ s->value) * 0x100000001B3UL;
        sum ^= sum >> 29;
    }
    state = fresh; /* as many new keys: (almost surely) absent */
    for (long i = 0; i < keys; i++) {
        uint64_t k = xorshift();
        stray += lookup(table, bits, k)->key == k;
    }
    say("hash: ", keys, " keys in ", slots, " slots (");
    say("", slots * sizeof *table >> 20, " MiB): ", found, " found, ");
    say("", stray, " false hits, ", probes, " extra probes, checksum ");
    print_hex(sum);
    print_str("\n");
    int ok = found == keys && primes > 0;
    print_str(ok ? "bigmem: ok\n" : "bigmem: FAILED\n");
    return ok ? 0 : 1;
}
