/*
 * unix_listen - a stranger's socket where a helper's should be.
 *
 * Usage:   unix_listen SOCKET_PATH
 * Does:    binds and listens on a Unix stream socket at SOCKET_PATH (mode
 *          0777, so that any user may connect), prints "listening\n", accepts
 *          one connection and reads from it until the peer closes it, then
 *          prints "received N bytes\n" (N: everything the peer sent) and exits
 *          0. It sends nothing.
 * Used to: check that the JVM refuses to re-attach to a socket of another
 *          user, before it sends the attach secret.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
    if (argc != 2 || strlen(argv[1]) >= sizeof(((struct sockaddr_un *)0)->sun_path))
        return 100;
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    strcpy(a.sun_path, argv[1]);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 4) < 0) {
        perror("unix_listen");
        return 1;
    }
    chmod(argv[1], 0777);
    printf("listening\n");
    fflush(stdout);
    int c = accept(fd, NULL, NULL);
    if (c < 0) {
        perror("unix_listen: accept");
        return 1;
    }
    long total = 0;
    char buf[4096];
    ssize_t r;
    while ((r = read(c, buf, sizeof buf)) > 0)
        total += r;
    printf("received %ld bytes\n", total);
    unlink(argv[1]);
    return 0;
}
