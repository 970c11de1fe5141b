/* Teardown state machine; see teardown.h. */
#include "teardown.h"

#include <signal.h>

const char *td_state_name(enum td_state s)
{
    static const char *const names[] = {"RUNNING", "TERM_SENT", "KILL_SENT", "REAPED", "DONE"};
    return (unsigned)s <= TD_DONE ? names[s] : "?";
}

void td_init(struct teardown *td, int has_cgroup)
{
    *td = (struct teardown){0};
    td->state = TD_RUNNING;
    td->has_cgroup = has_cgroup;
    td->deadline = -1;
    td->giveup = -1;
    td->rekill_ms = TD_REKILL_MIN_MS;
}

static unsigned finish(struct teardown *td)
{
    td->state = TD_DONE;
    td->deadline = -1;
    return TD_ACT_RMDIR | TD_ACT_DONE;
}

static int tree_empty(const struct teardown *td)
{
    return td->children_gone && (!td->has_cgroup || td->cgroup_empty);
}

static unsigned watch(struct teardown *td)
{
    if (!td->has_cgroup || td->watching)
        return 0;
    td->watching = 1;
    return TD_ACT_WATCH_CGROUP;
}

/* Send SIGKILL and arm the backing-off re-kill timer. */
static unsigned kill_now(struct teardown *td, int64_t now)
{
    if (!td->killed && td->state == TD_REAPED)
        td->giveup = now + TD_CGROUP_GIVEUP_MS;
    td->killed = 1;
    td->deadline = now + td->rekill_ms;
    if (td->giveup >= 0 && td->deadline > td->giveup)
        td->deadline = td->giveup;
    td->rekill_ms = td->rekill_ms * 2 > TD_REKILL_MAX_MS ? TD_REKILL_MAX_MS : td->rekill_ms * 2;
    if (td->state != TD_REAPED)
        td->state = TD_KILL_SENT;
    return TD_ACT_KILL;
}

unsigned td_start(struct teardown *td, int signo, uint32_t grace_ms, int program_alive, int64_t now)
{
    int immediate = grace_ms == 0 || signo == SIGKILL;
    if (td->state == TD_DONE || td->state == TD_KILL_SENT || (td->state == TD_REAPED && td->killed))
        return 0;
    if (td->state != TD_RUNNING) {
        /* TERM_SENT, or REAPED before the SIGKILL: a STOP may hurry it up. */
        unsigned act = 0;
        if (immediate)
            return kill_now(td, now);
        if (signo != td->signo) {
            td->signo = signo;
            act |= TD_ACT_SIGNAL;
        }
        if (now + (int64_t)grace_ms < td->deadline)
            td->deadline = now + grace_ms;
        return act;
    }
    if (tree_empty(td))
        return finish(td);
    td->signo = signo;
    td->program_signaled = program_alive;
    unsigned act = watch(td);
    if (td->children_gone)
        td->state = TD_REAPED; /* only pids in the cgroup left */
    else
        td->state = TD_TERM_SENT;
    if (immediate)
        return act | kill_now(td, now);
    td->deadline = now + grace_ms;
    return act | TD_ACT_SIGNAL;
}

unsigned td_event(struct teardown *td, enum td_event ev, int64_t now)
{
    switch (ev) {
    case TD_EV_CHILDREN_GONE:
        td->children_gone = 1;
        if (td->state == TD_TERM_SENT || td->state == TD_KILL_SENT) {
            if (tree_empty(td))
                return finish(td);
            if (td->state == TD_KILL_SENT)
                td->giveup = now + TD_CGROUP_GIVEUP_MS;
            td->state = TD_REAPED;
        }
        return 0;
    case TD_EV_CGROUP_EMPTY:
        td->cgroup_empty = 1;
        if (td->state == TD_REAPED)
            return finish(td);
        return 0;
    case TD_EV_REAPED_SOME:
        /* Orphans may have been handed to us since the last SIGKILL. */
        if (td->state == TD_KILL_SENT)
            return TD_ACT_KILL;
        return 0;
    case TD_EV_TIMER:
        if (td->deadline < 0 || now < td->deadline)
            return 0;
        if (td->state == TD_REAPED && td->killed && now >= td->giveup) {
            td->gave_up = 1;
            return finish(td);
        }
        if (td->state == TD_TERM_SENT || td->state == TD_KILL_SENT || td->state == TD_REAPED)
            return kill_now(td, now);
        return 0;
    }
    return 0;
}

int td_timeout(const struct teardown *td, int64_t now)
{
    if (td->deadline < 0)
        return -1;
    if (td->deadline <= now)
        return 0;
    int64_t d = td->deadline - now;
    return d > 1000000 ? 1000000 : (int)d;
}
