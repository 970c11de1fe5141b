/*
 * interleave - alternate lines between stdout and stderr.
 *
 * Usage:   interleave N
 * Does:    for i = 1..N writes "out i\n" to stdout, then "err i\n" to stderr,
 *          each with its own write(2) (unbuffered), then exits 0.
 *          Merged into one pipe, the order is exactly
 *          "out 1\nerr 1\nout 2\nerr 2\n...".
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void say(int fd, const char *what, int i)
{
    char line[64];
    int n = snprintf(line, sizeof line, "%s %d\n", what, i);

    if (write(fd, line, n) != n)
        exit(1);
}

int main(int argc, char *argv[])
{
    if (argc != 2)
        return 100;
    int n = atoi(argv[1]);

    for (int i = 1; i <= n; i++) {
        say(STDOUT_FILENO, "out", i);
        say(STDERR_FILENO, "err", i);
    }
    return 0;
}
