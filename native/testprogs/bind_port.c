/*
 * bind_port - bind a TCP socket on the loopback address.
 *
 * Usage:   bind_port PORT [--hold]
 * Does:    binds a TCP socket to 127.0.0.1:PORT and listens on it, then
 *          closes it (--hold: keeps listening, accepting and closing
 *          connections, until killed).  Prints "bound 127.0.0.1:PORT" and
 *          exits 0, or prints
 *          "bind 127.0.0.1:PORT: <strerror>" and exits 1 (2 when the socket
 *          cannot be made).  A port below net.ipv4.ip_unprivileged_port_start
 *          needs CAP_NET_BIND_SERVICE; EADDRINUSE comes after that check.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
    char *end;
    int hold = argc == 3 && strcmp(argv[2], "--hold") == 0;
    long port = argc == 2 || hold ? strtol(argv[1], &end, 10) : -1;
    if ((argc != 2 && !hold) || *end || port < 1 || port > 65535) {
        fprintf(stderr, "usage: bind_port PORT [--hold]\n");
        return 100;
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        printf("socket: %s\n", strerror(errno));
        return 2;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 1) < 0) {
        printf("bind 127.0.0.1:%ld: %s\n", port, strerror(errno));
        return 1;
    }
    printf("bound 127.0.0.1:%ld\n", port);
    fflush(stdout);
    while (hold) {
        int c = accept(fd, NULL, NULL);
        if (c >= 0)
            close(c);
    }
    close(fd);
    return 0;
}
