/*
 * print_seq - an endless numbered heartbeat.
 *
 * Usage:   print_seq INTERVAL_MS
 * Does:    prints "1\n", "2\n", "3\n", ... one line every INTERVAL_MS
 *          milliseconds, flushing each line, forever.
 * Used to: check that a program keeps running (and no line is lost or
 *          repeated) across a supervisor update.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char *argv[])
{
    if (argc != 2)
        return 100;
    long ms = atol(argv[1]);

    for (unsigned long long seq = 1;; seq++) {
        printf("%llu\n", seq);
        if (fflush(stdout) != 0)
            return 1;
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    }
}
