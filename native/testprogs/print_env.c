/*
 * print_env - show the environment exactly.
 *
 * Usage:   print_env
 * Does:    writes every entry of its environment, in order, one per line
 *          ("NAME=value\n"), then exits 0. An empty environment prints nothing.
 */
#include <stdio.h>

extern char **environ;

int main(void)
{
    for (char **e = environ; *e; e++)
        printf("%s\n", *e);
    return 0;
}
