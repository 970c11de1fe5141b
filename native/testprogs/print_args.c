/*
 * print_args - show argv exactly.
 *
 * Usage:   print_args [ARG...]
 * Does:    writes every argv element, argv[0] included, one per line
 *          ("<arg>\n"; an empty argument gives an empty line), then exits 0.
 */
#include <stdio.h>

int main(int argc, char *argv[])
{
    for (int i = 0; i < argc; i++)
        printf("%s\n", argv[i]);
    return 0;
}
