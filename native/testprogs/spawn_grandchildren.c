/*
 * spawn_grandchildren - background sleepers in the program's process group.
 *
 * Usage:   spawn_grandchildren N [--wait]
 * Does:    forks N children that sleep forever; they stay in the program's
 *          session and process group and keep its stdout/stderr open.
 * Output:  each child's pid, one per line, then "ready\n".
 * Then:    exits 0 at once (the children become orphans), or with --wait
 *          sleeps forever.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
    if (argc < 2 || argc > 3)
        return 100;
    int n = atoi(argv[1]);
    int wait_forever = argc == 3 && strcmp(argv[2], "--wait") == 0;

    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("spawn_grandchildren: fork");
            return 1;
        }
        if (pid == 0)
            for (;;)
                pause();
        printf("%d\n", (int)pid);
    }
    printf("ready\n");
    fflush(stdout);
    if (wait_forever)
        for (;;)
            pause();
    return 0;
}
