/*
 * ignore_sigterm - a program that refuses to die politely.
 *
 * Usage:   ignore_sigterm
 * Does:    ignores SIGTERM, prints "ready\n" (flushed), then sleeps forever.
 *          Only SIGKILL (or another fatal signal) ends it.
 * Used to: check that a teardown escalates to SIGKILL after the grace.
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    signal(SIGTERM, SIG_IGN);
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}
