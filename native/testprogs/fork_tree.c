/*
 * fork_tree - a tree of sleeping processes, some in their own sessions.
 *
 * Usage:   fork_tree N
 * Does:    builds a binary tree of N processes in total (N >= 1; the program
 *          itself is the root, node 0). Node k forks nodes 2k+1 and 2k+2
 *          (when < N). Every node whose number k satisfies k % 3 == 1 calls
 *          setsid() first, so it and its subtree leave the program's
 *          session and process group (nodes 1, 4, 7, ...). So a kill of the
 *          process group alone does not reach the whole tree.
 * Output:  the pid of every node (root included), one per line, in no
 *          particular order, then "ready\n" once all N pids were printed.
 * Then:    every node except the root sleeps forever. The root waits for
 *          its direct children and exits 0 when none are left.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int total;
static int report[2]; /* each non-root node writes one byte when it printed its pid */

static void print_pid(void)
{
    char line[32];
    int n = snprintf(line, sizeof line, "%d\n", (int)getpid());

    if (write(STDOUT_FILENO, line, n) != n) /* one write: lines never mix */
        _exit(1);
}

static void grow(int k)
{
    for (int c = 2 * k + 1; c <= 2 * k + 2 && c < total; c++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork_tree: fork");
            exit(1);
        }
        if (pid == 0) {
            if (c % 3 == 1)
                setsid();
            grow(c);
            print_pid();
            if (write(report[1], "x", 1) != 1)
                _exit(1);
            for (;;)
                pause();
        }
    }
}

int main(int argc, char *argv[])
{
    if (argc != 2 || (total = atoi(argv[1])) < 1)
        return 100;
    if (pipe(report) != 0)
        return 1;

    grow(0);
    print_pid();
    for (int seen = 1; seen < total; seen++) {
        char c;
        if (read(report[0], &c, 1) != 1)
            return 1;
    }
    printf("ready\n");
    fflush(stdout);

    while (wait(NULL) > 0)
        ;
    return 0;
}
