/*
 * fork_bomb - fork until fork fails, with a hard cap.
 *
 * Usage:   fork_bomb [MAX]
 * Does:    forks sleeping children as fast as it can until fork() fails
 *          (e.g. EAGAIN from a cgroup's pids.max) or MAX children exist.
 *          MAX defaults to 10000 and is clamped to 10000, so even without a
 *          pids limit it can never take a host down.
 *          Every child sleeps forever (it does not fork itself).
 * Output:  "forked N\n" then either "fork failed: <strerror>\n" or
 *          "cap reached\n", then "ready\n" (all flushed).
 * Then:    sleeps forever; kill it (and its children) to end it. The children
 *          also die on their own if the program dies (PR_SET_PDEATHSIG), a
 *          safety net for a host without a cgroup.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define HARD_CAP 10000

int main(int argc, char *argv[])
{
    long max = argc > 1 ? atol(argv[1]) : HARD_CAP;
    if (max > HARD_CAP || max < 0)
        max = HARD_CAP;

    long forked = 0;
    int failure = 0;
    pid_t parent = getpid();
    while (forked < max) {
        pid_t pid = fork();
        if (pid < 0) {
            failure = errno;
            break;
        }
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != parent)
                _exit(0);
            for (;;)
                pause();
        }
        forked++;
    }
    printf("forked %ld\n", forked);
    if (failure)
        printf("fork failed: %s\n", strerror(failure));
    else
        printf("cap reached\n");
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}
