/*
 * long_lines - lines of one repeated character, as fast as the pipe takes them.
 *
 * Usage:   long_lines LENGTH [COUNT [CHAR [HOLD]]]
 * Does:    writes COUNT lines (default 0: forever), each LENGTH bytes of CHAR
 *          (default 'x') followed by "\n", one write(2) per line; then,
 *          when HOLD is "hold", sleeps forever (holding stdout open), else
 *          exits 0 (exit 1 if a write fails).
 * Used to: flood a daemon with very long lines (memory budgets), and to
 *          print one line of commas for a backtracking readiness pattern.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
    if (argc < 2 || argc > 5)
        return 100;
    long len = atol(argv[1]);
    long long count = argc > 2 ? atoll(argv[2]) : 0;
    char c = argc > 3 && argv[3][0] ? argv[3][0] : 'x';
    int hold = argc > 4 && strcmp(argv[4], "hold") == 0;

    if (len < 0 || count < 0)
        return 100;
    char *line = malloc(len + 1);
    if (!line)
        return 1;
    memset(line, c, len);
    line[len] = '\n';
    for (long long i = 0; count == 0 || i < count; i++) {
        long done = 0;
        while (done < len + 1) {
            ssize_t w = write(STDOUT_FILENO, line + done, len + 1 - done);
            if (w <= 0)
                return 1;
            done += w;
        }
    }
    while (hold)
        pause();
    return 0;
}
