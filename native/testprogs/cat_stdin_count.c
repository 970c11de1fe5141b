/*
 * cat_stdin_count - count what arrives on stdin.
 *
 * Usage:   cat_stdin_count
 * Does:    reads stdin until end of file, then writes the number of bytes
 *          read as a decimal line ("12345\n") and exits 0 (1 on read error).
 *          /dev/null as stdin gives "0\n".
 */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    static char buf[65536];
    unsigned long long count = 0;
    ssize_t n;

    while ((n = read(STDIN_FILENO, buf, sizeof buf)) > 0)
        count += n;
    if (n < 0) {
        perror("cat_stdin_count: read");
        return 1;
    }
    printf("%llu\n", count);
    return 0;
}
