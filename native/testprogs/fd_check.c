/*
 * fd_check - list the open file descriptors.
 *
 * Usage:   fd_check
 * Does:    lists /proc/self/fd and writes one line per open fd (except the
 *          one used for the listing itself): "FD TARGET\n", where TARGET is
 *          the readlink of /proc/self/fd/FD (e.g. "0 /dev/null",
 *          "1 pipe:[1234]", "2 socket:[99]"), in ascending fd order. Then a
 *          last line: "only 0 1 2\n" and exit 0 when no fd other than 0, 1 and
 *          2 is open, or "extra fds\n" and exit 1 otherwise.
 * Used to: check that a launcher closes every inherited fd in the child.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int by_number(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

int main(void)
{
    DIR *dir = opendir("/proc/self/fd");
    if (!dir) {
        perror("fd_check: /proc/self/fd");
        return 2;
    }
    int fds[4096], n = 0;
    struct dirent *e;
    while ((e = readdir(dir)) && n < 4096) {
        if (e->d_name[0] == '.')
            continue;
        int fd = atoi(e->d_name);
        if (fd != dirfd(dir))
            fds[n++] = fd;
    }
    qsort(fds, n, sizeof fds[0], by_number);

    int extra = 0;
    for (int i = 0; i < n; i++) {
        char path[64], target[PATH_MAX];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fds[i]);
        ssize_t len = readlink(path, target, sizeof target - 1);
        target[len < 0 ? 0 : len] = '\0';
        printf("%d %s\n", fds[i], target);
        if (fds[i] > 2)
            extra = 1;
    }
    closedir(dir);
    printf(extra ? "extra fds\n" : "only 0 1 2\n");
    return extra;
}
