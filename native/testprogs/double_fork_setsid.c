/*
 * double_fork_setsid - the classic daemonize: escape the parent's session.
 *
 * Usage:   double_fork_setsid [--stay]
 * Does:    fork; the child calls setsid() and forks again; that grandchild
 *          prints its pid ("<pid>\n") on stdout and sleeps forever, keeping
 *          stdout open; the intermediate child exits at once, so the
 *          grandchild is an orphan in its own session and process group.
 *          The program waits until the grandchild has printed its pid and
 *          the intermediate child has exited, then exits 0
 *          (with --stay it sleeps forever instead of exiting).
 * Used to: check that a daemonized grandchild is still killed (subreaper,
 *          or cgroup), and that the stdout it holds does not block the exit.
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
    int stay = argc > 1 && strcmp(argv[1], "--stay") == 0;
    int printed[2]; /* closed by the grandchild once its pid is out */

    if (pipe(printed) != 0)
        return 1;
    pid_t child = fork();
    if (child < 0)
        return 1;
    if (child == 0) {
        setsid();
        pid_t grandchild = fork();
        if (grandchild < 0)
            _exit(1);
        if (grandchild == 0) {
            char line[32];
            int n = snprintf(line, sizeof line, "%d\n", (int)getpid());
            if (write(STDOUT_FILENO, line, n) != n)
                _exit(1);
            close(printed[0]);
            close(printed[1]);
            for (;;)
                pause();
        }
        _exit(0);
    }

    close(printed[1]);
    char c;
    while (read(printed[0], &c, 1) > 0) /* EOF: the grandchild printed its pid */
        ;
    waitpid(child, NULL, 0);
    if (stay)
        for (;;)
            pause();
    return 0;
}
