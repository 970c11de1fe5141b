/*
 * memory_hog - allocate and hold memory.
 *
 * Usage:   memory_hog MB
 * Does:    allocates MB megabytes, one MiB at a time, writing to every page so
 *          the memory is really charged; prints "allocated N\n" (flushed)
 *          after each MiB; after the last one prints "done\n" and sleeps
 *          forever, holding the memory.
 * Used to: memory.max / OOM tests (the program is killed part-way).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
    if (argc != 2)
        return 100;
    long mb = atol(argv[1]);

    for (long i = 1; i <= mb; i++) {
        char *chunk = malloc(1 << 20);
        if (!chunk) {
            printf("malloc failed at %ld\n", i);
            fflush(stdout);
            return 1;
        }
        memset(chunk, 0x5a, 1 << 20);
        printf("allocated %ld\n", i);
        fflush(stdout);
    }
    printf("done\n");
    fflush(stdout);
    for (;;)
        pause();
}
