/*
 * print_clock - a heartbeat that says when each line was written.
 *
 * Usage:   print_clock INTERVAL_MS
 * Does:    every INTERVAL_MS milliseconds, prints "<seq> <ns>\n" (seq counts
 *          from 1; ns is CLOCK_MONOTONIC in nanoseconds, taken just before
 *          the write), one write(2) per line, forever.
 * Used to: measure how long a line takes from the program to Corral's
 *          listeners (on Linux the JVM's System.nanoTime() is the same
 *          CLOCK_MONOTONIC).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
    if (argc != 2)
        return 100;
    long ms = atol(argv[1]);
    if (ms < 0)
        return 100;

    char buf[64];
    for (unsigned long long seq = 1;; seq++) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        int n = snprintf(buf, sizeof buf, "%llu %lld\n", seq,
                         (long long)now.tv_sec * 1000000000LL + now.tv_nsec);
        if (write(STDOUT_FILENO, buf, n) != n)
            return 1;
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    }
}
