/*
 * escape_storm - descendants that do everything to escape: daemonize, leave
 *                the process group, block every signal, and fork in a loop.
 *
 * Usage:   escape_storm N [LIFE_MS]
 * Does:    starts N workers (1 <= N <= 1000). Each worker daemonizes the
 *          classic way (fork; the child calls setsid() and forks again; the
 *          intermediate child exits), so it is an orphan in a session of its
 *          own; then it moves into a process group of its own
 *          (setpgid(0, 0)), blocks every signal that can be blocked, prints
 *          its pid ("<pid>\n") on stdout, points stdin, stdout and stderr at
 *          /dev/null, and forks in a loop forever: each child (same blocked
 *          signals) lives LIFE_MS milliseconds (default 20) and exits; the
 *          worker reaps it and forks the next one.
 * Output:  the N worker pids, one per line, then "ready\n" once all were
 *          printed.
 * Then:    the program itself sleeps forever (it ignores nothing: any
 *          signal with a default action ends it).
 * Exit:    100 for bad arguments, 1 when a fork or pipe fails at start.
 * Used to: check that nothing of a program's tree survives when its helper
 *          (or the broker) is killed while the owner lives (issue 10).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int report[2]; /* each worker writes one byte once its pid is out */

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static void worker(long life_ms)
{
    setpgid(0, 0);
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    char line[32];
    int n = snprintf(line, sizeof line, "%d\n", (int)getpid());
    if (write(STDOUT_FILENO, line, n) != n) /* one write: lines never mix */
        _exit(1);
    if (write(report[1], "x", 1) != 1)
        _exit(1);
    close(report[0]);
    close(report[1]);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        if (null > STDERR_FILENO)
            close(null);
    }
    for (;;) {
        pid_t c = fork();
        if (c == 0) {
            nap_ms(life_ms);
            _exit(0);
        }
        if (c < 0) {
            nap_ms(life_ms);
            continue;
        }
        while (waitpid(c, NULL, 0) < 0)
            ;
    }
}

int main(int argc, char *argv[])
{
    int n = argc >= 2 ? atoi(argv[1]) : 0;
    long life_ms = argc >= 3 ? atol(argv[2]) : 20;
    if (argc < 2 || argc > 3 || n < 1 || n > 1000 || life_ms < 0)
        return 100;
    if (pipe(report) != 0)
        return 1;
    for (int i = 0; i < n; i++) {
        pid_t child = fork();
        if (child < 0)
            return 1;
        if (child == 0) {
            setsid();
            pid_t grandchild = fork();
            if (grandchild < 0)
                _exit(1);
            if (grandchild == 0)
                worker(life_ms);
            _exit(0);
        }
        waitpid(child, NULL, 0);
    }
    close(report[1]);
    for (int seen = 0; seen < n; seen++) {
        char c;
        if (read(report[0], &c, 1) != 1)
            return 1;
    }
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}
