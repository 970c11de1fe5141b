/*
 * sleep_ms - sleep, then exit 0.
 *
 * Usage:   sleep_ms MS
 * Does:    sleeps MS milliseconds (interrupted sleeps are resumed), exits 0.
 *          Prints nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char *argv[])
{
    if (argc != 2)
        return 100;
    long ms = atol(argv[1]);
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    return 0;
}
