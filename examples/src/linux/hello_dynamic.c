/* A dynamically linked, position-independent program: the dynamic loader and libc
 * come from the sysroot (tcgkit run -L DIR, as qemu-aarch64 -L DIR); libm is opened
 * at run time with dlopen. Prints the same under tcgkit as under qemu-aarch64. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    printf("hello from a dynamically linked program with %d arguments\n", argc - 1);
    qsort(argv + 1, argc - 1, sizeof argv[0], cmp);
    for (int i = 1; i < argc; i++)
        printf("  %s\n", argv[i]);
    printf("main is %s the first 4 GiB (a PIE is placed high)\n",
           (unsigned long)main >> 32 ? "above" : "in");
    void *libm = dlopen("libm.so.6", RTLD_NOW);
    if (libm == NULL) {
        printf("dlopen failed: %s\n", dlerror());
        return 1;
    }
    double (*cosine)(double) = (double (*)(double))dlsym(libm, "cos");
    printf("cos(0.5) = %.12f through dlopen\n", cosine(0.5));
    const char *who = getenv("TCGKIT_EXAMPLE");
    printf("TCGKIT_EXAMPLE=%s\n", who ? who : "(unset)");
    size_t total = 0;
    for (int i = 0; i < 200; i++) {
        char *p = malloc(1000 * i + 1);
        memset(p, i, 1000 * i + 1);
        total += (unsigned char)p[1000 * i];
        free(p);
    }
    printf("malloc and free: %zu\n", total);
    dlclose(libm);
    return 7;
}
