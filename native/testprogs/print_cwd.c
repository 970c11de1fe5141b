/*
 * print_cwd - show the working directory.
 *
 * Usage:   print_cwd
 * Does:    writes getcwd() followed by "\n", exits 0 (1 if getcwd fails).
 */
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    char dir[PATH_MAX];

    if (!getcwd(dir, sizeof dir)) {
        perror("print_cwd: getcwd");
        return 1;
    }
    printf("%s\n", dir);
    return 0;
}
