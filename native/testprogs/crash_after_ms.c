/*
 * crash_after_ms - run for a while, then fail.
 *
 * Usage:   crash_after_ms MS CODE
 * Does:    prints "running\n" (flushed), sleeps MS milliseconds, then exits
 *          with status CODE.
 * Used to: restart-policy tests (a daemon that keeps crashing).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char *argv[])
{
    if (argc != 3)
        return 100;
    long ms = atol(argv[1]);
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    printf("running\n");
    fflush(stdout);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    return atoi(argv[2]);
}
