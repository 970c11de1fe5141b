/*
 * rename_exchange - swap two directory entries atomically, over and over, as an attacker racing a
 *                   privileged process that walks or deletes a tree would.
 *
 * Usage:   rename_exchange [-t MS] A1 B1 [A2 B2 ...]
 * Does:    swaps each pair Ai, Bi with renameat2(RENAME_EXCHANGE) once; if one fails prints
 *          "renameat2 Ai Bi: <strerror>" and exits 1. Otherwise prints "ready\n" and keeps
 *          swapping every pair in turn in a tight loop (failed swaps, e.g. once an entry was
 *          deleted, are counted and the loop goes on) for MS milliseconds (default: until
 *          killed), then prints "swaps N failed F\n" and exits 0. The two entries of a pair may
 *          lie in different directories of one file system.
 * Used to: show that Corral's sweeps of stale runtime directories never delete anything
 *          through a subdirectory swapped for a symbolic link while they walk the tree.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static int exchange(const char *a, const char *b)
{
    /* the raw system call: glibc before 2.28 has no renameat2() wrapper */
    return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char *argv[])
{
    long ms = 0;
    int first = 1;
    if (argc > 2 && strcmp(argv[1], "-t") == 0) {
        ms = atol(argv[2]);
        first = 3;
    }
    int pairs = (argc - first) / 2;
    if (ms < 0 || pairs < 1 || (argc - first) % 2 != 0)
        return 100;
    char **p = argv + first;
    for (int i = 0; i < pairs; i++) {
        if (exchange(p[2 * i], p[2 * i + 1]) != 0) {
            printf("renameat2 %s %s: %s\n", p[2 * i], p[2 * i + 1], strerror(errno));
            return 1;
        }
    }
    printf("ready\n");
    fflush(stdout);
    long long end = now_ms() + ms;
    unsigned long long swaps = (unsigned long long)pairs, failed = 0;
    for (;;) {
        for (int i = 0; i < 1024; i++) {
            int k = i % pairs;
            if (exchange(p[2 * k], p[2 * k + 1]) == 0)
                swaps++;
            else
                failed++;
        }
        if (ms > 0 && now_ms() >= end)
            break;
    }
    printf("swaps %llu failed %llu\n", swaps, failed);
    return 0;
}
