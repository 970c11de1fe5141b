/*
 * partial_line - output whose last line has no newline.
 *
 * Usage:   partial_line
 * Does:    writes exactly "no newline at end" (17 bytes, no "\n") to stdout
 *          and exits 0.
 * Used to: check that a trailing partial line is delivered, not dropped.
 */
#include <unistd.h>

int main(void)
{
    static const char text[] = "no newline at end";

    return write(STDOUT_FILENO, text, sizeof text - 1) == sizeof text - 1 ? 0 : 1;
}
