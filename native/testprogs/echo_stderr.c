/*
 * echo_stderr - write a text to stderr.
 *
 * Usage:   echo_stderr TEXT
 * Does:    writes TEXT followed by "\n" to stderr (nothing to stdout), exits 0.
 */
#include <stdio.h>

int main(int argc, char *argv[])
{
    if (argc != 2)
        return 100;
    fprintf(stderr, "%s\n", argv[1]);
    return 0;
}
