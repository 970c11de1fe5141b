/*
 * exit_with - exit with a given code.
 *
 * Usage:   exit_with CODE
 * Does:    exits at once with status CODE (0..255), printing nothing.
 */
#include <stdlib.h>

int main(int argc, char *argv[])
{
    if (argc != 2)
        return 100;
    return atoi(argv[1]);
}
