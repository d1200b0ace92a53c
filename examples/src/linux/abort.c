/* A program that ends by a signal: abort() raises SIGABRT with the default action.
 * Under tcgkit run (as under qemu-aarch64) the process dies by that signal. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    printf("about to abort\n");
    fflush(stdout);
    abort();
}
