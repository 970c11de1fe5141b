/*
 * print_hardening - show what the helper's hardening fields set, as the
 * running program sees it.
 *
 * Usage:   print_hardening
 * Does:    writes these lines, then exits 0:
 *            "NoNewPrivs=N"                   from /proc/self/status
 *            "CapInh=HEX" "CapPrm=HEX" "CapEff=HEX" "CapBnd=HEX" "CapAmb=HEX"
 *                                             (16 hex digits, from /proc/self/status)
 *            "umask=OOOO"                     (4 octal digits)
 *            "nice=N"                         getpriority(PRIO_PROCESS, 0)
 *            "oom_score_adj=N"                from /proc/self/oom_score_adj
 *            "rlimit.NAME=SOFT/HARD"          for each of the 16 resources, in the
 *                                             kernel's order (cpu .. rttime); a value
 *                                             is a number or "unlimited"
 *          Exit status 1 when /proc/self/status cannot be read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

static const char *const names[] = {
    "cpu", "fsize", "data", "stack", "core", "rss", "nproc", "nofile",
    "memlock", "as", "locks", "sigpending", "msgqueue", "nice", "rtprio", "rttime",
};

static void value(char *buf, size_t cap, rlim_t v)
{
    if (v == RLIM_INFINITY)
        snprintf(buf, cap, "unlimited");
    else
        snprintf(buf, cap, "%llu", (unsigned long long)v);
}

int main(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) {
        perror("print_hardening: /proc/self/status");
        return 1;
    }
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char key[32], val[64];
        if (sscanf(line, "%31[^:]:%63s", key, val) != 2)
            continue;
        if (!strcmp(key, "NoNewPrivs") || !strncmp(key, "Cap", 3))
            printf("%s=%s\n", key, val);
    }
    fclose(f);

    mode_t m = umask(0);
    umask(m);
    printf("umask=%04o\n", (unsigned)m);

    errno = 0;
    int prio = getpriority(PRIO_PROCESS, 0);
    printf("nice=%d\n", prio);

    f = fopen("/proc/self/oom_score_adj", "r");
    int adj = 0;
    if (f && fscanf(f, "%d", &adj) == 1)
        printf("oom_score_adj=%d\n", adj);
    else
        printf("oom_score_adj=?\n");
    if (f)
        fclose(f);

    for (int r = 0; r < 16; r++) {
        struct rlimit rl;
        char soft[32] = "?", hard[32] = "?";
        if (getrlimit(r, &rl) == 0) {
            value(soft, sizeof soft, rl.rlim_cur);
            value(hard, sizeof hard, rl.rlim_max);
        }
        printf("rlimit.%s=%s/%s\n", names[r], soft, hard);
    }
    return 0;
}
