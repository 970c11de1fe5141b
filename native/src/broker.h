/* The broker: forks a helper per SPAWN, reports each helper's end, and, as a
 * child subreaper, kills the orphans a dead helper leaves behind.  See
 * docs/protocol.md. */
#ifndef CORRAL_BROKER_H
#define CORRAL_BROKER_H

#include <stdint.h>

#include "protocol.h"

/* Connects to path, says HELLO(role broker, token) and serves SPAWN and
 * KILL_HELPER frames until the connection ends or a teardown signal comes.
 * Returns the exit status. */
int broker_main(const char *path, const uint8_t token[PROTO_TOKEN_LEN]);

#endif
