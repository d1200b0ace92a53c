/* Sorting: quicksort and merge sort of pseudo-random arrays, checked and
 * summarized by a checksum. Integer code, loops, recursion, the heap (brk). */
#include "rt.h"

static uint64_t state = 88172645463325252UL;
static uint64_t xorshift(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static void quicksort(int64_t *a, long lo, long hi)
{
    while (lo < hi) {
        int64_t p = a[(lo + hi) / 2];
        long i = lo, j = hi;
        while (i <= j) {
            while (a[i] < p)
                i++;
            while (a[j] > p)
                j--;
            if (i <= j) {
                int64_t t = a[i];
                a[i++] = a[j];
                a[j--] = t;
            }
        }
        if (j - lo < hi - i) {
            quicksort(a, lo, j);
            lo = i;
        } else {
            quicksort(a, i, hi);
            hi = j;
        }
    }
}

static void merge_sort(uint32_t *a, uint32_t *tmp, long n)
{
    for (long width = 1; width < n; width *= 2) {
        for (long i = 0; i < n; i += 2 * width) {
            long mid = i + width < n ? i + width : n;
            long end = i + 2 * width < n ? i + 2 * width : n;
            long l = i, r = mid, k = i;
            while (l < mid && r < end)
                tmp[k++] = a[l] <= a[r] ? a[l++] : a[r++];
            while (l < mid)
                tmp[k++] = a[l++];
            while (r < end)
                tmp[k++] = a[r++];
        }
        memcpy(a, tmp, n * sizeof *a);
    }
}

int main(int argc, char **argv)
{
    long n = 20000;
    if (argc > 1) { /* optional element count, for longer runs */
        n = 0;
        for (const char *c = argv[1]; *c >= '0' && *c <= '9'; c++)
            n = n * 10 + (*c - '0');
    }
    int64_t *a = rt_sbrk(n * sizeof *a);
    uint32_t *b = rt_sbrk(n * sizeof *b);
    uint32_t *tmp = rt_sbrk(n * sizeof *tmp);
    for (long i = 0; i < n; i++) {
        a[i] = (int64_t)xorshift();
        b[i] = (uint32_t)xorshift();
    }
    quicksort(a, 0, n - 1);
    merge_sort(b, tmp, n);
    uint64_t sum = 0;
    int ok = 1;
    for (long i = 0; i < n; i++) {
        if (i && (a[i - 1] > a[i] || b[i - 1] > b[i]))
            ok = 0;
        sum = sum * 31 + (uint64_t)a[i] + b[i];
    }
    print_str(ok ? "sorted " : "NOT SORTED ");
    print_u64(n);
    print_str(" + ");
    print_u64(n);
    print_str(" elements, checksum ");
    print_hex(sum);
    print_str("\n");
    return ok ? 0 : 1;
}
