/*
 * kill_self - die from a signal.
 *
 * Usage:   kill_self SIGNO
 * Does:    restores the default action of SIGNO, unblocks it and raises it.
 *          Exits with 99 if it is somehow still alive afterwards.
 * Used to: check that "killed by signal N" is reported as such, not as an
 *          exit code.
 */
#include <signal.h>
#include <stdlib.h>

int main(int argc, char *argv[])
{
    if (argc != 2)
        return 100;
    int signo = atoi(argv[1]);
    sigset_t set;

    signal(signo, SIG_DFL);
    sigemptyset(&set);
    sigaddset(&set, signo);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(signo);
    return 99;
}
