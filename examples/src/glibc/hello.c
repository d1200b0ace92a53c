/* A static glibc program: the C runtime's start-up (TLS, IRELATIVE relocations,
 * rseq, uname, getrandom...), malloc, stdio and printf of a double. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    char *p = malloc(100);
    strcpy(p, "heap ok");
    printf("hello from glibc, argc=%d %s %.3f\n", argc, p, 3.14159);
    free(p);
    return 7;
}
