/*
 * print_a_lot - write an exact number of bytes of a known pattern.
 *
 * Usage:   print_a_lot BYTES [CHUNK [FD]]
 * Does:    writes exactly BYTES bytes to FD (default 1, stdout) using write(2)
 *          calls of at most CHUNK bytes (default 65536), then exits 0
 *          (exit 1 if a write fails).
 * Pattern: byte number i (counting from 0 over the whole output) is
 *          PATTERN[i % 61], where PATTERN is the 60 characters
 *          "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx"
 *          followed by "\n". So the output is lines of 60 characters, and a
 *          lost, repeated or reordered chunk shows up as a pattern break.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char PATTERN[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx\n";
#define PERIOD 61

int main(int argc, char *argv[])
{
    if (argc < 2 || argc > 4)
        return 100;
    long long total = atoll(argv[1]);
    long chunk = argc > 2 ? atol(argv[2]) : 65536;
    int fd = argc > 3 ? atoi(argv[3]) : STDOUT_FILENO;

    if (chunk < 1)
        return 100;
    char *buf = malloc(chunk + PERIOD);
    if (!buf)
        return 1;
    for (long i = 0; i < chunk + PERIOD; i++)
        buf[i] = PATTERN[i % PERIOD];

    long long done = 0;
    while (done < total) {
        long n = total - done < chunk ? (long)(total - done) : chunk;
        /* start inside buf where the pattern continues */
        ssize_t w = write(fd, buf + done % PERIOD, n);
        if (w <= 0)
            return 1;
        done += w;
    }
    return 0;
}
