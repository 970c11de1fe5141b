/* What main.c offers the broker (broker.c): connecting, HELLO and serving one
 * program as a helper. */
#ifndef CORRAL_MODES_H
#define CORRAL_MODES_H

#include <stdint.h>

#include "protocol.h"

/* A status of the helper executable: a broker's child could not connect. */
#define EXIT_CONNECT_FAILED 3

/* A connected Unix stream socket (close-on-exec) to path, or -1 with errno. */
int connect_to(const char *path);
/* Sends HELLO(role, own pid, token) or exits with status 1. */
void send_hello(int sock, int role, const uint8_t token[PROTO_TOKEN_LEN]);
/* Serves one program on a connection that sent HELLO.  spec_rc: 0 parsed,
 * -1 parse error (err), -2 read the SPAWN from the connection.  Returns the
 * helper's exit status. */
int serve(int sock, int sigfd, const uint8_t token[PROTO_TOKEN_LEN], struct spawn_spec *spec,
          int spec_rc, char *err);

#endif
