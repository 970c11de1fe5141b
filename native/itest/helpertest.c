/*
 * helpertest - the integration test suite of the Corral native helper.
 *
 * Usage:
 *   helpertest --helper PATH --testprogs DIR [--prefix "qemu-arm-static -cpu arm1176"]
 *              [--only SUBSTRING] [--list] [--keep] [-v]
 *
 * Runs the helper binary at PATH (behind PREFIX, e.g. a qemu-user emulator,
 * when given) in each of its modes (run-fd over a socketpair, run over a
 * listening Unix socket, broker), speaks the control protocol of
 * docs/protocol.md with it (own encoder/decoder in proto.c), and checks one
 * behaviour per test against the small programs in DIR (native/testprogs).
 *
 * Output: one line per test, "ok NAME", "FAIL NAME: reason" or
 * "n/a NAME: reason", lines starting with "#" for information, and a last
 * line "N passed, N failed" (", N skipped" appended when some were n/a).
 * The exit status is 1 when a test failed, 2 on bad usage, 0 otherwise.
 *
 * Each test runs in its own process under a deadline; whatever it started is
 * tagged and removed afterwards, also when it failed or hung (see harness.h).
 * The suite must run as root (uid/gid switching, cgroups).
 */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/un.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define WAIT 10000 /* default wait for anything, ms (scaled under qemu) */
#define NA_SUBREAPER "N/A (QEMU user mode without PR_SET_CHILD_SUBREAPER, needs QEMU >= 10)"

/* ---- small helpers for the tests ------------------------------------------ */

static bool has_line(sess_t *s, int stream, const char *line)
{
    const char *text = buf_str(&s->data[stream]);
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)); p++)
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return true;
    return false;
}

static void wait_line(sess_t *s, int stream, const char *line)
{
    if (!WAIT_FOR(has_line(s, stream, line) || s->exited || s->hup, WAIT))
        fail("no line \"%s\" within %d ms (%s so far: %s)", line, scaled(WAIT),
             stream == S_STDOUT ? "stdout" : "stderr", out_str(s, stream));
    CHECK(has_line(s, stream, line), "no line \"%s\" before %s (%s: %s)", line,
          s->exited ? exit_str(s) : "hang-up", stream == S_STDOUT ? "stdout" : "stderr",
          out_str(s, stream));
}

static void expect_text(sess_t *s, int stream, const char *want)
{
    const char *got = buf_str(&s->data[stream]);
    if (strcmp(got, want) != 0) {
        char w[120];
        snprintf(w, sizeof w, "%s", want);
        fail("%s is %s (%zu bytes), expected \"%s\"%s (%zu bytes)",
             stream == S_STDOUT ? "stdout" : "stderr", out_str(s, stream), s->data[stream].len,
             w, strlen(want) > 100 ? "..." : "", strlen(want));
    }
}

static void expect_exited(sess_t *s, int code)
{
    CHECK(s->exit_kind == EXIT_EXITED && s->exit_value == code, "EXIT says %s, expected exited %d",
          exit_str(s), code);
}

static void expect_signaled(sess_t *s, int signo)
{
    CHECK(s->exit_kind == EXIT_SIGNALED && s->exit_value == signo,
          "EXIT says %s, expected killed by signal %d", exit_str(s), signo);
}

/* drain-before-exit: each piped stream reached EOF before EXIT */
static void expect_eofs_before_exit(sess_t *s, bool out, bool err)
{
    CHECK(!out || s->eof_at_exit[S_STDOUT], "EXIT came before EOF(stdout)");
    CHECK(!err || s->eof_at_exit[S_STDERR], "EXIT came before EOF(stderr)");
}

static void expect_spawn_failed(sess_t *s, int stage, int err, const char *must_name)
{
    if (!WAIT_FOR(s->spawned || s->spawn_failed || s->hup, WAIT))
        fail("neither SPAWNED nor SPAWN_FAILED within %d ms", scaled(WAIT));
    CHECK(!s->spawned, "SPAWNED (pid %d), expected SPAWN_FAILED", s->prog);
    CHECK(s->spawn_failed, "connection closed without SPAWN_FAILED%s%s", s->violation[0] ? ": " : "",
          s->violation);
    const char *text = buf_str(&s->sf_text);
    CHECK(s->sf_stage == stage, "SPAWN_FAILED stage %u, expected %d (text: %s)", s->sf_stage, stage,
          text);
    CHECK(err < 0 || s->sf_errno == (uint32_t)err, "SPAWN_FAILED errno %u, expected %d (text: %s)",
          s->sf_errno, err, text);
    CHECK(!must_name || strstr(text, must_name), "SPAWN_FAILED text \"%s\" does not name \"%s\"",
          text, must_name);
    CHECK(text[0], "SPAWN_FAILED without text");
    /* the helper then exits (with no particular status) */
    if (!WAIT_FOR(s->hup, 5000))
        fail("the helper kept the connection open after SPAWN_FAILED");
    CHECK(!s->violation[0], "protocol violation: %s", s->violation);
    if (!WAIT_FOR(helper_gone(s), 5000))
        fail("the helper did not exit after SPAWN_FAILED");
    CHECK(s->pid == 0 || (WIFEXITED(s->wstatus) && WEXITSTATUS(s->wstatus) == 0),
          "the helper ended with status 0x%x after SPAWN_FAILED, expected exit status 0", s->wstatus);
}

/* The tree is gone right now (zombies count as gone). */
static void expect_all_gone(const pid_t *pids, int n, const char *when)
{
    char alive[512];
    if (alive_list(pids, n, alive, sizeof alive) == 0)
        return;
    bool later = wait_gone(pids, n, 1000);
    fail("%s, still alive: %s%s", when, alive, later ? " (gone within 1 s after)" : " (still there 1 s later)");
}

static pid_t helper_pid(sess_t *s) { return s->pid > 0 ? s->pid : (pid_t)s->hello_pid; }

/*
 * A check that needs the helper to be a child subreaper (an orphan that left
 * the program's process group must come back to the helper) and no cgroup.
 * Under QEMU < 10 user mode the helper cannot be one and says so in a
 * MESSAGE: then the test still runs, but its outcome is reported as n/a.
 */
static bool no_subreaper_under_qemu(sess_t *s)
{
    return (s->subreaper_warn || shared->subreaper_missing == 1) && cfg.nprefix > 0;
}

static void needs_subreaper(sess_t *s)
{
    if (no_subreaper_under_qemu(s)) {
        na_mode = true;
        snprintf(na_reason, sizeof na_reason, "%s", NA_SUBREAPER);
    }
}

/* Waits shortened when the outcome will be n/a anyway. */
static int na_wait(int ms) { return na_mode && ms > 2000 ? 2000 : ms; }

static buf_t spec_with_cgroup(buf_t spec, const char **cg)
{
    *cg = cg_make();
    field_str(&spec, T_CGROUP, *cg);
    field_str(&spec, T_CGROUP_REMOVE, *cg);
    return spec;
}

/* ---- basics ------------------------------------------------------------------ */

static void t_hello_and_subreaper(void)
{
    sess_t *s = launch_fd();
    CHECK(s->hello_pid == (uint32_t)s->pid, "HELLO pid %u, but the helper is pid %d", s->hello_pid,
          s->pid);
    buf_t spec = spec_prog("exit_with", "0", NULL);
    sess_spawn(s, &spec);
    expect_spawned(s);
    finish(s, WAIT);
    expect_exited(s, 0);
    shared->subreaper_missing = s->subreaper_warn;
    if (s->subreaper_warn) {
        const char *m = strcasestr(buf_str(&s->msgs), "subreaper");
        snprintf(shared->subreaper_text, sizeof shared->subreaper_text, "%s", m ? m : "");
        shared->subreaper_text[strcspn(shared->subreaper_text, "\n")] = '\0';
        CHECK(cfg.nprefix > 0, "the helper warns that it is no child subreaper, on native Linux: %s",
              buf_str(&s->msgs));
    }
}

static void t_echo(void)
{
    sess_t *s = start(spec_prog("/bin/echo", "hello", "world", NULL));
    finish(s, WAIT);
    expect_exited(s, 0);
    expect_text(s, S_STDOUT, "hello world\n");
    expect_text(s, S_STDERR, "");
    expect_eofs_before_exit(s, true, true);
    CHECK((s->exit_flags & (XF_SIGNALED | XF_SIGKILL)) == 0,
          "EXIT flags 0x%x for a program that exited by itself", s->exit_flags);
}

static void t_exit_code_3(void)
{
    sess_t *s = start(spec_prog("exit_with", "3", NULL));
    finish(s, WAIT);
    expect_exited(s, 3);
}

static void t_killed_by_signal(void)
{
    int sigs[] = { SIGKILL, SIGTERM, SIGSEGV };
    for (int i = 0; i < 3; i++) {
        char arg[8];
        snprintf(arg, sizeof arg, "%d", sigs[i]);
        sess_t *s = start(spec_prog("kill_self", arg, NULL));
        finish(s, WAIT);
        expect_signaled(s, sigs[i]);
        CHECK((s->exit_flags & (XF_SIGNALED | XF_SIGKILL)) == 0,
              "EXIT flags 0x%x, but the helper did not signal the program", s->exit_flags);
    }
}

static void interleaved(int n, buf_t *out, buf_t *err, buf_t *merged)
{
    for (int i = 1; i <= n; i++) {
        char o[32], e[32];
        int on = snprintf(o, sizeof o, "out %d\n", i), en = snprintf(e, sizeof e, "err %d\n", i);
        buf_add(out, o, on);
        buf_add(err, e, en);
        buf_add(merged, o, on);
        buf_add(merged, e, en);
    }
}

static void t_stdout_stderr_separate(void)
{
    sess_t *s = start(spec_prog("interleave", "200", NULL));
    finish(s, WAIT);
    expect_exited(s, 0);
    buf_t out = { 0 }, err = { 0 }, merged = { 0 };
    interleaved(200, &out, &err, &merged);
    expect_text(s, S_STDOUT, buf_str(&out));
    expect_text(s, S_STDERR, buf_str(&err));
    expect_eofs_before_exit(s, true, true);
}

static void t_stderr_merged(void)
{
    buf_t spec = spec_prog("interleave", "200", NULL);
    field_u8(&spec, T_STDERR_MODE, 1);
    sess_t *s = start(spec);
    finish(s, WAIT);
    expect_exited(s, 0);
    buf_t out = { 0 }, err = { 0 }, merged = { 0 };
    interleaved(200, &out, &err, &merged);
    expect_text(s, S_STDOUT, buf_str(&merged));
    CHECK(s->data[S_STDERR].len == 0, "%zu bytes on stream 2 with stderr merged into stdout",
          s->data[S_STDERR].len);
    expect_eofs_before_exit(s, true, false);
}

static void t_stderr_discarded(void)
{
    buf_t spec = spec_prog("interleave", "50", NULL);
    field_u8(&spec, T_STDERR_MODE, 2);
    sess_t *s = start(spec);
    finish(s, WAIT);
    expect_exited(s, 0);
    buf_t out = { 0 }, err = { 0 }, merged = { 0 };
    interleaved(50, &out, &err, &merged);
    expect_text(s, S_STDOUT, buf_str(&out));
    CHECK(s->data[S_STDERR].len == 0, "%zu bytes on stream 2 with stderr discarded",
          s->data[S_STDERR].len);

    spec = spec_prog("fd_check", NULL);
    field_u8(&spec, T_STDERR_MODE, 2);
    s = start(spec);
    finish(s, WAIT);
    CHECK(has_line(s, S_STDOUT, "2 /dev/null"), "stderr of the program is not /dev/null: %s",
          out_str(s, S_STDOUT));
}

static void t_stdout_discarded(void)
{
    buf_t spec = spec_prog("interleave", "50", NULL);
    field_u8(&spec, T_STDOUT_MODE, 2);
    sess_t *s = start(spec);
    finish(s, WAIT);
    expect_exited(s, 0);
    buf_t out = { 0 }, err = { 0 }, merged = { 0 };
    interleaved(50, &out, &err, &merged);
    CHECK(s->data[S_STDOUT].len == 0, "%zu bytes on stream 1 with stdout discarded",
          s->data[S_STDOUT].len);
    expect_text(s, S_STDERR, buf_str(&err));
}

static void t_partial_line(void)
{
    sess_t *s = start(spec_prog("partial_line", NULL));
    finish(s, WAIT);
    expect_exited(s, 0);
    expect_text(s, S_STDOUT, "no newline at end");
}

static void t_stderr_only(void)
{
    sess_t *s = start(spec_prog("echo_stderr", "to stderr, with spaces", NULL));
    finish(s, WAIT);
    expect_exited(s, 0);
    expect_text(s, S_STDOUT, "");
    expect_text(s, S_STDERR, "to stderr, with spaces\n");
}

static void t_args_exact(void)
{
    buf_t spec = { 0 };
    field_str(&spec, T_PATH, prog_path("print_args"));
    field_str(&spec, T_ARG, "custom-argv0");
    field_str(&spec, T_ARG, "");
    field_str(&spec, T_ARG, "two words");
    field_str(&spec, T_ARG, "--x=$HOME;*");
    field_str(&spec, T_ENV, marker);
    sess_t *s = start(spec);
    finish(s, WAIT);
    expect_exited(s, 0);
    expect_text(s, S_STDOUT, "custom-argv0\n\ntwo words\n--x=$HOME;*\n");
}

static void t_env_exact(void)
{
    const char *env[] = { "A=1", "B=two words", "EMPTY=", "UTF8=gr\xc3\xbc\xc3\x9f", "PATH=/nowhere", marker };
    buf_t spec = { 0 };
    field_str(&spec, T_PATH, prog_path("print_env"));
    field_str(&spec, T_ARG, "print_env");
    buf_t want = { 0 };
    for (int i = 0; i < 6; i++) {
        field_str(&spec, T_ENV, env[i]);
        buf_add(&want, env[i], strlen(env[i]));
        buf_add(&want, "\n", 1);
    }
    sess_t *s = start(spec);
    finish(s, WAIT);
    expect_exited(s, 0);
    expect_text(s, S_STDOUT, buf_str(&want));
}

static void t_env_empty(void)
{
    buf_t spec = { 0 };
    field_str(&spec, T_PATH, prog_path("print_env"));
    field_str(&spec, T_ARG, "print_env");
    sess_t *s = start(spec);
    finish(s, WAIT);
    expect_exited(s, 0);
    expect_text(s, S_STDOUT, "");
}

static void t_cwd(void)
{
    buf_t spec = spec_prog("print_cwd", NULL);
    field_str(&spec, T_CWD, cfg.tmpdir);
    sess_t *s = start(spec);
    finish(s, WAIT);
    expect_exited(s, 0);
    char want[300];
    snprintf(want, sizeof want, "%s\n", cfg.tmpdir);
    expect_text(s, S_STDOUT, want);
}

static void t_cwd_missing(void)
{
    const char *dir = "/nonexistent/corral-itest-no-such-dir";
    buf_t spec = spec_prog("print_cwd", NULL);
    field_str(&spec, T_CWD, dir);
    sess_t *s = launch_fd();
    sess_spawn(s, &spec);
    expect_spawn_failed(s, 5, ENOENT, dir);
}

/* ---- stdin ------------------------------------------------------------------- */

static void t_stdin_none(void)
{
    sess_t *s = start(spec_prog("cat_stdin_count", NULL));
    finish(s, WAIT);
    expect_exited(s, 0);
    expect_text(s, S_STDOUT, "0\n");
    s = start(spec_prog("fd_check", NULL));
    finish(s, WAIT);
    CHECK(has_line(s, S_STDOUT, "0 /dev/null"), "stdin of the program is not /dev/null: %s",
          out_str(s, S_STDOUT));
}

/* Sends n bytes as STDIN frames, then STDIN_EOF. With FLAGS bit 1 it keeps
 * at most 1 MiB unacknowledged, as the protocol asks of the JVM. */
static void send_stdin(sess_t *s, const uint8_t *data, size_t n, size_t chunk)
{
    bool acks = s->flags & FL_STDIN_ACK;
    for (size_t off = 0; off < n; off += chunk) {
        size_t k = n - off < chunk ? n - off : chunk;
        if (acks && !WAIT_FOR(s->stdin_sent + k - s->stdin_acked <= P_STDIN_WINDOW || s->hup, WAIT))
            fail("no STDIN_ACK within %d ms: %llu bytes sent, %llu acknowledged", scaled(WAIT),
                 (unsigned long long)s->stdin_sent, (unsigned long long)s->stdin_acked);
        queue_stdin(s, data + off, k);
        /* keep the send queue short: the helper applies back-pressure */
        if (!WAIT_FOR(s->out.len < 4 * chunk || s->hup, WAIT))
            fail("the helper stopped taking STDIN frames after %zu of %zu bytes (stdout so far %zu "
                 "bytes, credit granted %llu)",
                 off, n, s->data[S_STDOUT].len, (unsigned long long)s->granted[S_STDOUT]);
        CHECK(!s->hup, "connection closed while sending stdin (%zu of %zu bytes)", off, n);
    }
    send_frame(s, P_STDIN_EOF, NULL, 0);
}

static void t_stdin_pipe_count(void)
{
    size_t n = 1024 * 1024 + 17;
    uint8_t *data = calloc(1, n);
    buf_t spec = spec_prog("cat_stdin_count", NULL);
    field_u8(&spec, T_STDIN, 1);
    sess_t *s = start(spec);
    send_stdin(s, data, n, 60000);
    finish(s, WAIT);
    expect_exited(s, 0);
    char want[32];
    snprintf(want, sizeof want, "%zu\n", n);
    expect_text(s, S_STDOUT, want);
}

/* the program reads stdin only after a while: the pipe fills, the helper
 * must hold the rest and go on reading its connection once the pipe drains */
static void t_stdin_pipe_slow_reader(void)
{
    size_t n = 1024 * 1024;
    uint8_t *data = calloc(1, n);
    char script[600];
    snprintf(script, sizeof script, "sleep 0.5; exec %s", prog_path("cat_stdin_count"));
    buf_t spec = spec_prog("/bin/sh", "-c", script, NULL);
    field_u8(&spec, T_STDIN, 1);
    sess_t *s = start(spec);
    send_stdin(s, data, n, 200000);
    finish(s, WAIT);
    expect_exited(s, 0);
    expect_text(s, S_STDOUT, "1048576\n");
}

/* stdin and stdout in flight at the same time, exact bytes back */
static void stdin_echo(size_t n, bool acks)
{
    uint8_t *data = malloc(n);
    for (size_t i = 0; i < n; i++)
        data[i] = (uint8_t)(i * 7 + i / 251);
    buf_t spec = spec_prog("/bin/cat", NULL);
    field_u8(&spec, T_STDIN, 1);
    field_u32(&spec, T_WINDOW, 65536);
    if (acks)
        field_u32(&spec, T_FLAGS, FL_STDIN_ACK);
    sess_t *s = start(spec);
    send_stdin(s, data, n, 100000);
    finish(s, 4 * WAIT);
    expect_exited(s, 0);
    CHECK(s->data[S_STDOUT].len == n, "cat gave back %zu bytes, sent %zu", s->data[S_STDOUT].len, n);
    CHECK(memcmp(s->data[S_STDOUT].p, data, n) == 0, "cat gave back different bytes");
    if (acks)
        CHECK(s->acked_at_exit == n, "STDIN_ACK total %llu at EXIT, sent %zu",
              (unsigned long long)s->acked_at_exit, n);
    else
        CHECK(s->stdin_acked == 0, "STDIN_ACK frames without FLAGS bit 1");
    free(data);
}

/* 3 MiB: within the 4 MiB the helper buffers without acknowledgements */
static void t_stdin_pipe_echo(void) { stdin_echo(3 * 1024 * 1024, false); }
/* 16 MiB with STDIN_ACK flow control */
static void t_stdin_pipe_echo_acked(void) { stdin_echo(16 * 1024 * 1024, true); }

static void t_stdin_ack_dropped(void)
{
    /* stdin bytes the program never reads (it exits) are acknowledged as dropped */
    buf_t spec = spec_prog("exit_with", "0", NULL);
    field_u8(&spec, T_STDIN, 1);
    field_u32(&spec, T_FLAGS, FL_STDIN_ACK);
    sess_t *s = start(spec);
    expect_exit(s, WAIT);
    static uint8_t block[300000];
    queue_stdin(s, block, sizeof block); /* after EXIT: dropped silently, may race the close */
    CHECK(s->stdin_acked <= s->stdin_sent, "acknowledged more than sent");
    expect_helper_done(s, 5000);
}

static void t_stdin_close_early(void)
{
    /* STDIN_EOF with nothing sent: the program sees end of file at once */
    buf_t spec = spec_prog("cat_stdin_count", NULL);
    field_u8(&spec, T_STDIN, 1);
    sess_t *s = start(spec);
    send_frame(s, P_STDIN_EOF, NULL, 0);
    finish(s, WAIT);
    expect_exited(s, 0);
    expect_text(s, S_STDOUT, "0\n");
}

static void t_stdin_file(void)
{
    size_t n = 123457;
    char *data = malloc(n);
    memset(data, 'q', n);
    const char *file = tmp_file("stdin.txt", data, n);
    buf_t spec = spec_prog("cat_stdin_count", NULL);
    buf_t mode = { 0 };
    buf_u8(&mode, 2);
    buf_add(&mode, file, strlen(file));
    field_bytes(&spec, T_STDIN, mode.p, mode.len);
    sess_t *s = start(spec);
    finish(s, WAIT);
    expect_exited(s, 0);
    expect_text(s, S_STDOUT, "123457\n");
}

static void t_stdin_file_missing(void)
{
    const char *file = "/nonexistent/corral-itest-stdin";
    buf_t spec = spec_prog("cat_stdin_count", NULL);
    buf_t mode = { 0 };
    buf_u8(&mode, 2);
    buf_add(&mode, file, strlen(file));
    field_bytes(&spec, T_STDIN, mode.p, mode.len);
    sess_t *s = launch_fd();
    sess_spawn(s, &spec);
    expect_spawn_failed(s, 3, ENOENT, file);
}

/* ---- spawn failures and protocol errors ------------------------------------------ */

static void t_exec_missing(void)
{
    const char *path = "/nonexistent/corral-itest-nope";
    buf_t spec = spec_prog(path, NULL);
    sess_t *s = launch_fd();
    sess_spawn(s, &spec);
    expect_spawn_failed(s, 7, ENOENT, path);
}

static void t_exec_not_executable(void)
{
    const char *path = tmp_file("not-executable", "#!/bin/sh\necho hi\n", 18);
    buf_t spec = spec_prog(path, NULL);
    sess_t *s = launch_fd();
    sess_spawn(s, &spec);
    expect_spawn_failed(s, 7, EACCES, path);
}

static void t_spawn_unknown_tag(void)
{
    buf_t spec = spec_prog("exit_with", "0", NULL);
    field_u32(&spec, 99, 1);
    sess_t *s = launch_fd();
    sess_spawn(s, &spec);
    expect_spawn_failed(s, 1, -1, "99");
}

static void t_spawn_without_path(void)
{
    buf_t spec = { 0 };
    field_str(&spec, T_ARG, "x");
    sess_t *s = launch_fd();
    sess_spawn(s, &spec);
    expect_spawn_failed(s, 1, -1, NULL);
}

static void t_spawn_truncated_field(void)
{
    /* a field whose length runs past the end of the payload */
    buf_t spec = spec_prog("exit_with", "0", NULL);
    buf_u16(&spec, T_CWD);
    buf_u32(&spec, 1000);
    buf_add(&spec, "/tmp", 4);
    sess_t *s = launch_fd();
    sess_spawn(s, &spec);
    expect_spawn_failed(s, 1, -1, NULL);
}

/* A protocol error tears down like a hang-up: program gone, helper exits. */
static void protocol_error(const char *what, const uint8_t *raw, size_t n)
{
    sess_t *s = start(spec_prog("sleep_ms", "60000", NULL));
    pid_t prog = s->prog;
    buf_add(&s->out, raw, n);
    pump(0);
    if (!WAIT_FOR(s->hup, WAIT))
        fail("%s: the helper kept the connection open for %d ms", what, scaled(WAIT));
    CHECK(s->n_error_msgs > 0, "%s: no MESSAGE(error) before the hang-up (messages: %s)", what,
          buf_str(&s->msgs));
    if (!WAIT_FOR(helper_gone(s), WAIT))
        fail("%s: the helper did not exit", what);
    expect_all_gone(&prog, 1, "after the helper exited on a protocol error");
}

static void t_bad_frame_type(void)
{
    uint8_t raw[] = { 2, 0, 0, 0, 0x7f, 0 };
    protocol_error("frame type 0x7f", raw, sizeof raw);
}

static void t_bad_frame_length(void)
{
    uint8_t zero[] = { 0, 0, 0, 0 };
    protocol_error("frame length 0", zero, sizeof zero);
    uint8_t huge[] = { 0x11, 0x00, 0x10, 0x00, P_STDIN }; /* 1 MiB + 17 */
    protocol_error("frame length 1 MiB + 17", huge, sizeof huge);
}

/* ---- flow control and completeness ------------------------------------------------ */

static void check_pattern(sess_t *s, int stream, size_t want)
{
    size_t bad;
    CHECK(s->data[stream].len == want, "received %zu bytes, expected exactly %zu",
          s->data[stream].len, want);
    CHECK(pattern_ok(s->data[stream].p, want, &bad), "byte %zu differs from the pattern", bad);
}

static void flow_control(int stream, size_t total)
{
    char total_s[32], fd_s[8];
    snprintf(total_s, sizeof total_s, "%zu", total);
    snprintf(fd_s, sizeof fd_s, "%d", stream);
    buf_t spec = spec_prog("print_a_lot", total_s, "65536", fd_s, NULL);
    field_u32(&spec, T_WINDOW, 4096);
    sess_t *s = launch_fd();
    s->manual_credit = true;
    sess_spawn(s, &spec);
    expect_spawned(s);

    /* no credit given: exactly the window arrives, then nothing */
    WAIT_FOR(s->data[stream].len >= 4096 || s->exited || s->violation[0], WAIT);
    check_clean(s);
    CHECK(s->data[stream].len == 4096, "%zu bytes arrived without credit (window 4096)",
          s->data[stream].len);
    WAIT_FOR(s->data[stream].len > 4096 || s->exited || s->violation[0], 500);
    check_clean(s);
    CHECK(s->data[stream].len == 4096, "%zu bytes arrived without credit (window 4096)",
          s->data[stream].len);
    CHECK(!s->exited, "the program finished without credit: %s", exit_str(s));
    /* the program is blocked in write: its write count stops growing (once the
     * pipe is full) far below what it wants to write */
    long long w1 = proc_wchar(s->prog), w2 = -1;
    for (int i = 0; i < 50; i++) {
        sleep_ms(100);
        w2 = proc_wchar(s->prog);
        if (w2 == w1)
            break;
        w1 = w2;
    }
    CHECK(!proc_gone(s->prog), "the program is gone while it should be blocked");
    CHECK(w1 >= 0 && w1 == w2 && (size_t)w2 < total / 2,
          "the program is not blocked: it wrote %lld then %lld bytes of %zu", w1, w2, total);
    check_clean(s);
    CHECK(s->data[stream].len == 4096, "%zu bytes arrived without credit (window 4096)",
          s->data[stream].len);

    /* now credit everything as it comes */
    s->manual_credit = false; /* first: the answer to this CREDIT may arrive inside send_credit */
    send_credit(s, stream, 4096);
    finish(s, 6 * WAIT);
    expect_exited(s, 0);
    check_pattern(s, stream, total);
    CHECK(s->data[3 - stream].len == 0, "unexpected bytes on the other stream");
    expect_eofs_before_exit(s, true, true);
}

static void t_flow_control_stdout(void) { flow_control(S_STDOUT, 10 * 1024 * 1024); }
static void t_flow_control_stderr(void) { flow_control(S_STDERR, 2 * 1024 * 1024); }

static void t_zero_window_eof(void)
{
    /* WINDOW 0: an empty pipe still reaches EOF; one with bytes waits for credit */
    buf_t spec = spec_prog("echo_stderr", "hi", NULL);
    field_u32(&spec, T_WINDOW, 0);
    sess_t *s = launch_fd();
    s->manual_credit = true;
    sess_spawn(s, &spec);
    expect_spawned(s);
    if (!WAIT_FOR(s->eof[S_STDOUT] || s->violation[0] || s->hup, WAIT))
        fail("no EOF(stdout) for the empty stdout pipe with WINDOW 0");
    check_clean(s);
    WAIT_FOR(s->exited || s->eof[S_STDERR] || s->data[S_STDERR].len, 300);
    CHECK(!s->eof[S_STDERR] && !s->exited && s->data[S_STDERR].len == 0,
          "stderr (3 bytes waiting, no credit): %s", s->exited ? exit_str(s) : "EOF or data without credit");
    send_credit(s, S_STDERR, 3);
    finish(s, WAIT);
    expect_exited(s, 0);
    expect_text(s, S_STDERR, "hi\n");
}

static void t_drain_before_exit(void)
{
    size_t total = 5 * 1024 * 1024;
    for (int run = 1; run <= 20; run++) {
        sess_t *s = start(spec_prog("print_a_lot", "5242880", NULL));
        finish(s, 6 * WAIT);
        expect_exited(s, 0);
        CHECK(s->data_at_exit[S_STDOUT] == total, "run %d: %zu of %zu bytes before EXIT", run,
              s->data_at_exit[S_STDOUT], total);
        expect_eofs_before_exit(s, true, true);
        check_pattern(s, S_STDOUT, total);
    }
}

static void t_small_writes(void)
{
    /* 200000 bytes in 7-byte writes: many small reads and DATA frames */
    sess_t *s = start(spec_prog("print_a_lot", "200000", "7", NULL));
    finish(s, 3 * WAIT);
    expect_exited(s, 0);
    check_pattern(s, S_STDOUT, 200000);
}

static void t_big_window(void)
{
    /* DATA frames stay within 1 MiB even when the credit is larger */
    buf_t spec = spec_prog("print_a_lot", "8388608", "1048576", NULL);
    field_u32(&spec, T_WINDOW, 8 * 1024 * 1024);
    sess_t *s = start(spec);
    finish(s, 6 * WAIT);
    expect_exited(s, 0);
    check_pattern(s, S_STDOUT, 8 * 1024 * 1024);
    CHECK(s->max_frame_data <= P_MAX_DATA, "a DATA frame of %zu bytes", s->max_frame_data);
}

/* ---- the child's environment: fds, session --------------------------------------- */

static void t_fds_closed(void)
{
    /* the helper itself was started with extra fds 5, 9 and 63 open */
    sess_t *s = start(spec_prog("fd_check", NULL));
    finish(s, WAIT);
    CHECK(s->exit_kind == EXIT_EXITED && s->exit_value == 0 && has_line(s, S_STDOUT, "only 0 1 2"),
          "the program has more fds than 0, 1, 2 (%s): %s", exit_str(s), out_str(s, S_STDOUT));
    CHECK(!strstr(buf_str(&s->data[S_STDOUT]), "socket:"), "the program holds a socket: %s",
          out_str(s, S_STDOUT));
    CHECK(has_line(s, S_STDOUT, "0 /dev/null"), "stdin is not /dev/null: %s", out_str(s, S_STDOUT));
}

static void t_own_session(void)
{
    sess_t *s = start(spec_prog("sleep_ms", "60000", NULL));
    char st;
    pid_t ppid, pgrp, sid, hsid;
    CHECK(proc_stat(s->prog, &st, &ppid, &pgrp, &sid), "no /proc/%d/stat", s->prog);
    CHECK(sid == s->prog, "session %d, expected its own (%d)", sid, s->prog);
    CHECK(pgrp == s->prog, "process group %d, expected its own (%d)", pgrp, s->prog);
    CHECK(ppid == helper_pid(s), "parent %d, expected the helper %d", ppid, helper_pid(s));
    CHECK(proc_stat(helper_pid(s), NULL, NULL, NULL, &hsid) && hsid != sid,
          "the program shares the helper's session");
    send_stop(s, SIGTERM, 2000);
    finish(s, WAIT);
}

/* ---- STOP and SIGNAL ------------------------------------------------------------------ */

static void t_stop_graceful(void)
{
    sess_t *s = start(spec_prog("sleep_ms", "60000", NULL));
    int64_t t0 = now_ms();
    send_stop(s, SIGTERM, 5000);
    finish(s, WAIT);
    expect_signaled(s, SIGTERM);
    CHECK(s->exit_flags & XF_SIGNALED, "EXIT flags 0x%x lack bit 0 (teardown signal sent)",
          s->exit_flags);
    CHECK(!(s->exit_flags & XF_SIGKILL), "EXIT flags 0x%x: SIGKILL for a program that obeyed SIGTERM",
          s->exit_flags);
    CHECK(s->t_exit - t0 < 4000, "EXIT %lld ms after STOP: the helper waited out the grace",
          (long long)(s->t_exit - t0));
}

static void t_stop_kill_after_grace(void)
{
    sess_t *s = start(spec_prog("ignore_sigterm", NULL));
    wait_line(s, S_STDOUT, "ready");
    int64_t t0 = now_ms();
    send_stop(s, SIGTERM, 300);
    finish(s, WAIT);
    expect_signaled(s, SIGKILL);
    CHECK((s->exit_flags & 3) == 3, "EXIT flags 0x%x, expected bits 0 and 1 (SIGTERM, then SIGKILL)",
          s->exit_flags);
    CHECK(s->t_exit - t0 >= 250, "SIGKILL %lld ms after STOP, before the 300 ms grace",
          (long long)(s->t_exit - t0));
}

static void t_stop_zero_grace(void)
{
    sess_t *s = start(spec_prog("ignore_sigterm", NULL));
    wait_line(s, S_STDOUT, "ready");
    send_stop(s, SIGTERM, 0);
    finish(s, WAIT);
    expect_signaled(s, SIGKILL);
}

static void t_stop_other_signal(void)
{
    sess_t *s = start(spec_prog("ignore_sigterm", NULL));
    wait_line(s, S_STDOUT, "ready");
    send_stop(s, SIGINT, 5000);
    finish(s, WAIT);
    expect_signaled(s, SIGINT);
}

static void t_signal_program(void)
{
    sess_t *s = start(spec_prog("sleep_ms", "60000", NULL));
    send_signal(s, SIGT_PROGRAM, SIGUSR1);
    finish(s, WAIT);
    expect_signaled(s, SIGUSR1);
}

static void t_signal_group(void)
{
    sess_t *s = start(spec_prog("spawn_grandchildren", "3", "--wait", NULL));
    wait_line(s, S_STDOUT, "ready");
    pid_t pids[8];
    int n = parse_pids(buf_str(&s->data[S_STDOUT]), pids, 7);
    CHECK(n == 3, "spawn_grandchildren printed %d pids", n);
    pids[n++] = s->prog;
    send_signal(s, SIGT_GROUP, SIGKILL);
    finish(s, WAIT);
    expect_signaled(s, SIGKILL);
    expect_all_gone(pids, n, "after SIGNAL(group, SIGKILL) and EXIT");
}

/* ---- teardown of trees ------------------------------------------------------------------ */

/* A fork_tree: the pids and, as seen at start, their sessions. */
typedef struct {
    int n;
    pid_t root, pid[16], sid[16];
    bool cgroup;
} tree_t;

static void read_tree(sess_t *s, tree_t *t, int n)
{
    wait_line(s, S_STDOUT, "ready");
    t->n = parse_pids(buf_str(&s->data[S_STDOUT]), t->pid, 16);
    CHECK(t->n == n, "fork_tree printed %d pids, expected %d", t->n, n);
    t->root = s->prog;
    for (int i = 0; i < n; i++) {
        track_pid(t->pid[i]);
        CHECK(proc_stat(t->pid[i], NULL, NULL, NULL, &t->sid[i]), "tree member %d is gone already",
              t->pid[i]);
    }
}

static sess_t *start_tree(int n, tree_t *t, const char **cg)
{
    char arg[8];
    snprintf(arg, sizeof arg, "%d", n);
    buf_t spec = spec_prog("fork_tree", arg, NULL);
    if (cg)
        spec = spec_with_cgroup(spec, cg);
    sess_t *s = start(spec);
    t->cgroup = cg != NULL;
    read_tree(s, t, n);
    return s;
}

/*
 * Fails with what of the tree is alive. Without a cgroup, members that had
 * left the program's session (setsid) can only be found again by a
 * subreaper once their parent died: when only those are left and the helper
 * runs under a QEMU without subreaper support, the outcome is n/a.
 */
static void tree_fail(sess_t *s, tree_t *t, const char *what)
{
    char alive[512];
    int n = alive_list(t->pid, t->n, alive, sizeof alive);
    bool outside_only = n > 0;
    for (int i = 0; i < t->n; i++)
        if (!proc_gone(t->pid[i]) && t->sid[i] == t->root)
            outside_only = false;
    if (outside_only && !t->cgroup)
        needs_subreaper(s);
    if (n == 0)
        fail("%s (the whole tree is gone)", what);
    bool later = wait_gone(t->pid, t->n, 1000);
    fail("%s, still alive: %s%s%s", what, alive, outside_only ? " (all outside the program's session)" : "",
         later ? " (gone within 1 s after)" : " (still there 1 s later)");
}

static void expect_tree_gone(sess_t *s, tree_t *t, const char *when)
{
    if (alive_list(t->pid, t->n, NULL, 0) > 0)
        tree_fail(s, t, when);
}

/* without subreaper and cgroup an escaped member holds stdout: wait less */
static int tree_wait(sess_t *s, tree_t *t)
{
    return !t->cgroup && no_subreaper_under_qemu(s) ? 2000 : WAIT;
}

static void tree_wait_exit(sess_t *s, tree_t *t)
{
    if (!WAIT_FOR(s->exited || s->hup || s->violation[0], tree_wait(s, t))) {
        char what[100];
        snprintf(what, sizeof what, "no EXIT within %d ms", scaled(tree_wait(s, t)));
        tree_fail(s, t, what);
    }
    expect_exit(s, 0);
}

static void tree_wait_helper_exit(sess_t *s, tree_t *t, const char *after)
{
    if (!WAIT_FOR(s->reaped, tree_wait(s, t))) {
        char what[100];
        snprintf(what, sizeof what, "the helper did not exit within %d ms after %s", scaled(tree_wait(s, t)),
                 after);
        tree_fail(s, t, what);
    }
    CHECK(WIFEXITED(s->wstatus) && WEXITSTATUS(s->wstatus) == 0,
          "the helper ended with status 0x%x after %s, expected exit status 0", s->wstatus, after);
}

static void t_signal_descendants(void)
{
    tree_t t;
    sess_t *s = start_tree(7, &t, NULL);
    send_signal(s, SIGT_DESCENDANTS, SIGKILL);
    if (!wait_gone(t.pid, t.n, tree_wait(s, &t)))
        tree_fail(s, &t, "SIGNAL(every descendant, SIGKILL) left some alive");
    finish(s, WAIT);
}

static void t_tree_stop(void)
{
    tree_t t;
    sess_t *s = start_tree(10, &t, NULL);
    send_stop(s, SIGTERM, 1000);
    tree_wait_exit(s, &t);
    expect_tree_gone(s, &t, "at EXIT after STOP");
    expect_signaled(s, SIGTERM);
    expect_helper_done(s, 5000);
}

static void t_tree_hangup(void)
{
    tree_t t;
    sess_t *s = start_tree(10, &t, NULL);
    hang_up(s);
    tree_wait_helper_exit(s, &t, "the hang-up");
    expect_tree_gone(s, &t, "when the helper exited after the hang-up");
}

static void tree_program_exit(bool with_cgroup)
{
    tree_t t;
    const char *cg = NULL;
    sess_t *s = start_tree(10, &t, with_cgroup ? &cg : NULL);
    /* the root dies: its setsid'd subtrees become orphans */
    kill(s->prog, SIGKILL);
    tree_wait_exit(s, &t);
    expect_signaled(s, SIGKILL);
    expect_tree_gone(s, &t, "at EXIT after the program died");
    expect_helper_done(s, 5000);
    if (cg)
        CHECK(!cg_exists(cg), "cgroup %s still there after EXIT", cg);
}

static void t_tree_program_exit(void) { tree_program_exit(false); }
static void t_tree_program_exit_cgroup(void) { tree_program_exit(true); }

static sess_t *start_double_fork(bool stay, const char **cg, pid_t *grandchild)
{
    buf_t spec = stay ? spec_prog("double_fork_setsid", "--stay", NULL)
                      : spec_prog("double_fork_setsid", NULL);
    if (cg)
        spec = spec_with_cgroup(spec, cg);
    sess_t *s = start(spec);
    if (!WAIT_FOR(parse_pids(buf_str(&s->data[S_STDOUT]), grandchild, 1) == 1 || s->hup, WAIT))
        fail("double_fork_setsid printed no pid (stdout %s)", out_str(s, S_STDOUT));
    CHECK(parse_pids(buf_str(&s->data[S_STDOUT]), grandchild, 1) == 1, "no grandchild pid: %s",
          out_str(s, S_STDOUT));
    track_pid(*grandchild);
    pid_t sid;
    if (proc_stat(*grandchild, NULL, NULL, NULL, &sid))
        CHECK(sid != s->prog, "the grandchild did not leave the program's session");
    else /* without --stay the program exits at once and its helper may have killed the
          * grandchild already (seen on a loaded CI machine): only then may it be gone */
        CHECK(!stay, "the grandchild %d is gone while the program stays", (int)*grandchild);
    return s;
}

static void double_fork(const char *how, bool with_cgroup)
{
    const char *cg = NULL;
    pid_t gc;
    bool exit_case = strcmp(how, "exit") == 0;
    sess_t *s = start_double_fork(!exit_case, with_cgroup ? &cg : NULL, &gc);
    if (!with_cgroup)
        needs_subreaper(s);
    if (exit_case) {
        expect_exit(s, na_wait(WAIT));
        expect_exited(s, 0);
        expect_all_gone(&gc, 1, "at EXIT of the program (exited 0)");
        expect_helper_done(s, 5000);
    } else if (strcmp(how, "stop") == 0) {
        send_stop(s, SIGTERM, 500);
        expect_exit(s, na_wait(WAIT));
        expect_signaled(s, SIGTERM);
        expect_all_gone(&gc, 1, "at EXIT after STOP");
        expect_helper_done(s, 5000);
    } else {
        hang_up(s);
        if (!WAIT_FOR(s->reaped, na_wait(WAIT)))
            fail("the helper did not exit within %d ms after the hang-up", scaled(na_wait(WAIT)));
        expect_all_gone(&gc, 1, "when the helper exited after the hang-up");
    }
    if (cg)
        CHECK(!cg_exists(cg), "cgroup %s still there after the helper finished", cg);
}

static void t_double_fork_exit(void) { double_fork("exit", false); }
static void t_double_fork_stop(void) { double_fork("stop", false); }
static void t_double_fork_hangup(void) { double_fork("hangup", false); }
static void t_double_fork_exit_cgroup(void) { double_fork("exit", true); }
static void t_double_fork_stop_cgroup(void) { double_fork("stop", true); }
static void t_double_fork_hangup_cgroup(void) { double_fork("hangup", true); }

static void t_grandchildren_in_group(void)
{
    /* the program exits at once; its children (same process group) hold stdout */
    sess_t *s = start(spec_prog("spawn_grandchildren", "3", NULL));
    expect_exit(s, WAIT);
    expect_exited(s, 0);
    pid_t pids[8];
    int n = parse_pids(buf_str(&s->data[S_STDOUT]), pids, 8);
    CHECK(n == 3 && has_line(s, S_STDOUT, "ready"), "stdout incomplete at EXIT: %s",
          out_str(s, S_STDOUT));
    expect_all_gone(pids, n, "at EXIT");
    CHECK(!(s->exit_flags & XF_SIGNALED), "EXIT flags 0x%x: bit 0 set though the program exited by itself",
          s->exit_flags);
    expect_helper_done(s, 5000);
}

static void t_keep_descendants_flag(void)
{
    buf_t spec = spec_prog("spawn_grandchildren", "2", NULL);
    field_u32(&spec, T_FLAGS, 1);
    sess_t *s = start(spec);
    wait_line(s, S_STDOUT, "ready");
    pid_t pids[4];
    int n = parse_pids(buf_str(&s->data[S_STDOUT]), pids, 4);
    CHECK(n == 2, "spawn_grandchildren printed %d pids", n);
    for (int i = 0; i < n; i++)
        track_pid(pids[i]);
    WAIT_FOR(proc_gone(s->prog) && s->exited, 1000);
    char alive[128];
    CHECK(alive_list(pids, n, alive, sizeof alive) == 2,
          "FLAGS bit 0 (keep descendants) given, but the helper killed them (alive: %s)", alive);
    CHECK(!s->exited || !s->eof[S_STDOUT] || s->data_at_exit[S_STDOUT] == s->data[S_STDOUT].len,
          "inconsistent");
    /* they hold stdout: once they are gone the helper can finish */
    for (int i = 0; i < n; i++)
        kill(pids[i], SIGKILL);
    finish(s, WAIT);
    expect_exited(s, 0);
}

/* ---- the helper's own death and signals -------------------------------------------------- */

static void t_helper_sigkill_pdeathsig(void)
{
    sess_t *s = start(spec_prog("ignore_sigterm", NULL));
    wait_line(s, S_STDOUT, "ready");
    pid_t prog = s->prog;
    kill(s->pid, SIGKILL);
    CHECK(wait_gone(&prog, 1, 3000), "the program survived kill -9 of the helper");
}

static void helper_signal(int signo)
{
    tree_t t;
    sess_t *s = start_tree(6, &t, NULL);
    kill(s->pid, signo);
    char after[32];
    snprintf(after, sizeof after, "signal %d", signo);
    tree_wait_helper_exit(s, &t, after);
    expect_tree_gone(s, &t, "when the helper exited");
    CHECK(WIFEXITED(s->wstatus), "the helper was killed by signal %d (received %d), not a clean exit",
          WTERMSIG(s->wstatus), signo);
    check_clean(s);
    if (s->exited)
        expect_signaled(s, SIGTERM);
}

static void t_helper_sigterm(void) { helper_signal(SIGTERM); }
static void t_helper_sighup(void) { helper_signal(SIGHUP); }
static void t_helper_sigint(void) { helper_signal(SIGINT); }
static void t_helper_sigquit(void) { helper_signal(SIGQUIT); }

static void helper_ignores(int signo)
{
    sess_t *s = start(spec_prog("sleep_ms", "60000", NULL));
    kill(s->pid, signo);
    WAIT_FOR(s->reaped || s->hup || s->exited, 300);
    CHECK(!s->reaped, "the helper died from signal %d (status 0x%x)", signo, s->wstatus);
    CHECK(!s->hup && !s->exited, "signal %d ended the session (%s)", signo,
          s->exited ? exit_str(s) : "hang-up");
    CHECK(!proc_gone(s->prog), "signal %d to the helper killed the program", signo);
    send_stop(s, SIGTERM, 2000);
    finish(s, WAIT);
    expect_signaled(s, SIGTERM);
}

static void t_helper_sigpipe(void) { helper_ignores(SIGPIPE); }
static void t_helper_sigusr1(void) { helper_ignores(SIGUSR1); }
static void t_helper_sigusr2(void) { helper_ignores(SIGUSR2); }

static void t_hangup_grace(void)
{
    /* GRACE_MS and KILL_SIGNAL of the spec apply to a hang-up teardown */
    buf_t spec = spec_prog("ignore_sigterm", NULL);
    field_u32(&spec, T_GRACE_MS, 300);
    sess_t *s = start(spec);
    wait_line(s, S_STDOUT, "ready");
    pid_t prog = s->prog;
    hang_up(s);
    CHECK(wait_gone(&prog, 1, 5000), "ignore_sigterm survived a hang-up with a 300 ms grace");
    if (!WAIT_FOR(s->reaped, WAIT))
        fail("the helper did not exit after the hang-up");
}

static void t_kill_signal_field(void)
{
    buf_t spec = spec_prog("sleep_ms", "60000", NULL);
    field_u32(&spec, T_KILL_SIGNAL, SIGUSR1);
    sess_t *s = start(spec);
    pid_t prog = s->prog;
    kill(s->pid, SIGTERM); /* a teardown that uses the spec's kill signal */
    if (!WAIT_FOR(s->reaped, WAIT))
        fail("the helper did not exit after SIGTERM");
    CHECK(proc_gone(prog), "the program survived");
    CHECK(s->exited, "no EXIT sent before the helper exited (cannot see the kill signal)");
    expect_signaled(s, SIGUSR1);
}

/* ---- uid, gid, groups --------------------------------------------------------------------- */

static bool nobody_ids(unsigned *uid, unsigned *gid)
{
    FILE *f = fopen("/etc/passwd", "re"); /* no NSS: read the file */
    char line[512];
    bool found = false;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "nobody:%*[^:]:%u:%u:", uid, gid) == 2) {
            found = true;
            break;
        }
    if (f)
        fclose(f);
    return found;
}

static void t_uid_gid_groups(void)
{
    unsigned uid, gid;
    if (!nobody_ids(&uid, &gid))
        not_applicable("no user nobody in /etc/passwd");
    /* nobody must be able to reach the program */
    char dir[512];
    snprintf(dir, sizeof dir, "%s", prog_path("print_ids"));
    for (char *slash; (slash = strrchr(dir, '/')) && slash != dir;) {
        *slash = '\0';
        struct stat st;
        CHECK(stat(dir, &st) == 0 && (st.st_mode & S_IXOTH),
              "%s is not searchable by others: user nobody cannot run the test programs", dir);
    }
    buf_t spec = spec_prog("print_ids", NULL);
    field_u32(&spec, T_UID, uid);
    field_u32(&spec, T_GID, gid);
    buf_t groups = { 0 };
    buf_u32(&groups, gid);
    buf_u32(&groups, 4242);
    field_bytes(&spec, T_GROUPS, groups.p, groups.len);
    sess_t *s = start(spec);
    finish(s, WAIT);
    expect_exited(s, 0);
    char want[200];
    /* the kernel keeps supplementary groups sorted */
    unsigned lo = gid < 4242 ? gid : 4242, hi = gid < 4242 ? 4242 : gid;
    snprintf(want, sizeof want, "uid=%u euid=%u gid=%u egid=%u groups=%u,%u\n", uid, uid, gid, gid,
             lo, hi);
    expect_text(s, S_STDOUT, want);
}

static void t_uid_empty_groups(void)
{
    unsigned uid, gid;
    if (!nobody_ids(&uid, &gid))
        not_applicable("no user nobody in /etc/passwd");
    buf_t spec = spec_prog("print_ids", NULL);
    field_u32(&spec, T_UID, uid);
    field_u32(&spec, T_GID, gid);
    field_bytes(&spec, T_GROUPS, "", 0);
    sess_t *s = start(spec);
    finish(s, WAIT);
    expect_exited(s, 0);
    char want[200];
    snprintf(want, sizeof want, "uid=%u euid=%u gid=%u egid=%u groups=\n", uid, uid, gid, gid);
    expect_text(s, S_STDOUT, want);
}

/* ---- cgroups --------------------------------------------------------------------------------- */

static void t_cgroup_placement(void)
{
    const char *cg;
    sess_t *s = start(spec_with_cgroup(spec_prog("sleep_ms", "60000", NULL), &cg));
    CHECK(cg_contains(s->prog, cg), "the program is not in %s", cg);
    CHECK(!cg_contains(s->pid, cg), "the helper itself joined %s", cg);
    send_stop(s, SIGTERM, 2000);
    finish(s, WAIT);
    expect_signaled(s, SIGTERM);
    CHECK(!cg_exists(cg), "%s still exists after EXIT", cg);
    CHECK(!(s->exit_flags & XF_CGROUP_LEFT), "EXIT flags 0x%x say a cgroup could not be removed",
          s->exit_flags);
}

static void t_cgroup_program_exit(void)
{
    const char *cg;
    sess_t *s = start(spec_with_cgroup(spec_prog("spawn_grandchildren", "3", NULL), &cg));
    expect_exit(s, WAIT);
    expect_exited(s, 0);
    pid_t pids[4];
    int n = parse_pids(buf_str(&s->data[S_STDOUT]), pids, 4);
    CHECK(n == 3, "spawn_grandchildren printed %d pids", n);
    expect_all_gone(pids, n, "at EXIT");
    CHECK(!cg_exists(cg), "%s still exists after EXIT", cg);
    expect_helper_done(s, 5000);
}

static void t_cgroup_nested_remove(void)
{
    const char *base = cg_make();
    char mid[600], leaf[700];
    snprintf(mid, sizeof mid, "%s/a", base);
    snprintf(leaf, sizeof leaf, "%s/b", mid);
    CHECK(mkdir(mid, 0755) == 0 && mkdir(leaf, 0755) == 0, "mkdir %s: %s", leaf, strerror(errno));
    buf_t spec = spec_prog("exit_with", "0", NULL);
    field_str(&spec, T_CGROUP, leaf);
    field_str(&spec, T_CGROUP_REMOVE, leaf);
    field_str(&spec, T_CGROUP_REMOVE, mid);
    sess_t *s = start(spec);
    finish(s, WAIT);
    expect_exited(s, 0);
    CHECK(!cg_exists(leaf) && !cg_exists(mid), "%s not removed after EXIT", cg_exists(leaf) ? leaf : mid);
    CHECK(cg_exists(base), "%s (not in CGROUP_REMOVE) was removed", base);
}

/* CGROUP_STATS: the limits cgroup's files come in one STATS frame just
 * before EXIT, read once the program's leaf was empty; then the leaf and the
 * limits cgroup are removed (CGROUP_REMOVE, deepest first). */
static void t_cgroup_stats_before_exit(void)
{
    const char *base = cg_make();
    char leaf[700];
    snprintf(leaf, sizeof leaf, "%s/program", base);
    CHECK(mkdir(leaf, 0755) == 0, "mkdir %s: %s", leaf, strerror(errno));
    /* a program that stays until stopped: one that exits at once may be
     * reaped before /proc/<pid>/cgroup is read (seen under QEMU on CI) */
    buf_t spec = spec_prog("sleep_ms", "60000", NULL);
    field_str(&spec, T_CGROUP, leaf);
    field_str(&spec, T_CGROUP_REMOVE, leaf);
    field_str(&spec, T_CGROUP_REMOVE, base);
    field_str(&spec, T_CGROUP_STATS, base);
    sess_t *s = start(spec);
    CHECK(cg_contains(s->prog, leaf), "the program is not in %s", leaf);
    send_stop(s, SIGTERM, 2000);
    finish(s, WAIT);
    expect_signaled(s, SIGTERM);
    CHECK(s->n_stats == 1, "%d STATS frames, expected 1", s->n_stats);
    CHECK(s->stats_before_exit, "STATS came after EXIT");
    const char *st = buf_str(&s->stats);
    CHECK(strstr(st, "cgroup.events=populated 0|") != NULL, "STATS lacks cgroup.events with populated 0: %.300s", st);
    CHECK(strstr(st, "cgroup.procs=\n") != NULL, "STATS lacks an empty cgroup.procs: %.300s", st);
    CHECK(strstr(st, "cgroup.kill=") == NULL, "STATS carries the write-only cgroup.kill");
    CHECK(strstr(st, "cpu.stat=usage_usec ") != NULL || strstr(st, "cgroup.stat=") != NULL,
          "STATS lacks cpu.stat/cgroup.stat: %.300s", st);
    CHECK(!cg_exists(leaf) && !cg_exists(base), "%s not removed after EXIT", cg_exists(leaf) ? leaf : base);
    CHECK(!(s->exit_flags & XF_CGROUP_LEFT), "EXIT flags 0x%x say a cgroup could not be removed", s->exit_flags);
}

/* Without CGROUP_STATS no STATS frame comes. */
static void t_cgroup_no_stats_unasked(void)
{
    const char *cg;
    sess_t *s = start(spec_with_cgroup(spec_prog("exit_with", "0", NULL), &cg));
    finish(s, WAIT);
    expect_exited(s, 0);
    CHECK(s->n_stats == 0, "%d STATS frames though the SPAWN named no CGROUP_STATS", s->n_stats);
}

static void t_cgroup_missing(void)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/corral-itest-%d-%d-does-not-exist", cg_mount() ? cg_mount() : "/sys/fs/cgroup",
             suite_pid, test_number);
    buf_t spec = spec_prog("exit_with", "0", NULL);
    field_str(&spec, T_CGROUP, dir);
    sess_t *s = launch_fd();
    sess_spawn(s, &spec);
    expect_spawn_failed(s, 4, -1, dir);
}

/* ---- run and broker modes ----------------------------------------------------------------------- */

static void t_run_mode(void)
{
    listener_t *l = listen_new();
    sess_t *s = launch_run(l);
    buf_t spec = spec_prog("interleave", "3", NULL);
    sess_spawn(s, &spec);
    expect_spawned(s);
    finish(s, WAIT);
    expect_exited(s, 0);
    expect_text(s, S_STDOUT, "out 1\nout 2\nout 3\n");
    expect_text(s, S_STDERR, "err 1\nerr 2\nerr 3\n");
}

static void t_run_mode_hangup(void)
{
    listener_t *l = listen_new();
    sess_t *s = launch_run(l);
    buf_t spec = spec_prog("fork_tree", "6", NULL);
    sess_spawn(s, &spec);
    expect_spawned(s);
    tree_t t = { 0 };
    read_tree(s, &t, 6);
    hang_up(s);
    tree_wait_helper_exit(s, &t, "the hang-up");
    expect_tree_gone(s, &t, "when the helper exited after the hang-up");
}

static void t_broker_two_helpers(void)
{
    listener_t *l = listen_new();
    sess_t *b = launch_broker(l);
    uint8_t tok[2][16];
    const char *word[2] = { "first", "second" };
    for (int i = 0; i < 2; i++) {
        for (int k = 0; k < 16; k++)
            tok[i][k] = rand();
        buf_t spec = spec_prog("/bin/echo", word[i], NULL);
        spawn_raw(b, &spec, tok[i]);
        buf_free(&spec);
    }
    sess_t *h[2];
    for (int i = 0; i < 2; i++) {
        h[i] = accept_helper(l, tok[i], WAIT);
        CHECK(h[i], "no helper with the token of spawn %d connected", i + 1);
    }
    CHECK(h[0]->hello_pid != h[1]->hello_pid && h[0]->hello_pid != b->hello_pid,
          "helper pids not distinct: %u %u (broker %u)", h[0]->hello_pid, h[1]->hello_pid,
          b->hello_pid);
    for (int i = 0; i < 2; i++) {
        expect_spawned(h[i]);
        pid_t ppid;
        if (proc_stat(h[i]->hello_pid, NULL, &ppid, NULL, NULL))
            CHECK(ppid == (pid_t)b->hello_pid, "helper %u is a child of %d, not of the broker %u",
                  h[i]->hello_pid, ppid, b->hello_pid);
    }
    char want[32];
    for (int i = 0; i < 2; i++) {
        finish(h[i], WAIT);
        expect_exited(h[i], 0);
        snprintf(want, sizeof want, "%s\n", word[i]);
        expect_text(h[i], S_STDOUT, want);
    }
    check_clean(b);
    CHECK(!b->hup && !b->reaped, "the broker went away while its connection was open");
    hang_up(b);
    if (!WAIT_FOR(b->reaped, WAIT))
        fail("the broker did not exit after its connection closed");
    CHECK(WIFEXITED(b->wstatus) && WEXITSTATUS(b->wstatus) == 0, "the broker ended with status 0x%x",
          b->wstatus);
}

static void t_broker_ten_helpers(void)
{
    listener_t *l = listen_new();
    sess_t *b = launch_broker(l);
    enum { N = 8 };
    uint8_t tok[N][16];
    for (int i = 0; i < N; i++) {
        for (int k = 0; k < 16; k++)
            tok[i][k] = rand();
        char bytes[16];
        snprintf(bytes, sizeof bytes, "%d", 100000 + i);
        buf_t spec = spec_prog("print_a_lot", bytes, NULL);
        spawn_raw(b, &spec, tok[i]);
        buf_free(&spec);
    }
    for (int i = 0; i < N; i++) {
        sess_t *h = accept_helper(l, tok[i], WAIT);
        CHECK(h, "no helper with the token of spawn %d connected", i + 1);
        expect_spawned(h);
        finish(h, WAIT);
        expect_exited(h, 0);
        check_pattern(h, S_STDOUT, 100000 + i);
    }
    hang_up(b);
    if (!WAIT_FOR(b->reaped, WAIT))
        fail("the broker did not exit after its connection closed");
}

static void t_broker_gone_helper_stays(void)
{
    listener_t *l = listen_new();
    sess_t *b = launch_broker(l);
    uint8_t tok[16];
    for (int k = 0; k < 16; k++)
        tok[k] = rand();
    buf_t spec = spec_prog("crash_after_ms", "1500", "7", NULL);
    spawn_raw(b, &spec, tok);
    buf_free(&spec);
    sess_t *h = accept_helper(l, tok, WAIT);
    CHECK(h, "no helper connected");
    expect_spawned(h);
    hang_up(b);
    if (!WAIT_FOR(b->reaped, WAIT))
        fail("the broker did not exit after its connection closed");
    CHECK(!h->exited && !h->hup, "the helper ended with the broker");
    finish(h, WAIT);
    expect_exited(h, 7);
    expect_text(h, S_STDOUT, "running\n");
}

static void t_broker_spawn_failed(void)
{
    listener_t *l = listen_new();
    sess_t *b = launch_broker(l);
    uint8_t tok[16];
    for (int k = 0; k < 16; k++)
        tok[k] = rand();
    const char *path = "/nonexistent/corral-itest-broker-nope";
    buf_t spec = spec_prog(path, NULL);
    spawn_raw(b, &spec, tok);
    buf_free(&spec);
    sess_t *h = accept_helper(l, tok, WAIT);
    CHECK(h, "no helper connected");
    expect_spawn_failed(h, 7, ENOENT, path);
    check_clean(b);
    hang_up(b);
    if (!WAIT_FOR(b->reaped, WAIT))
        fail("the broker did not exit after its connection closed");
}

static int wait_plain(pid_t pid, const char *what)
{
    int st;
    int64_t deadline = now_ms() + scaled(5000);
    pid_t r;
    while ((r = waitpid(pid, &st, WNOHANG)) == 0 && now_ms() < deadline)
        sleep_ms(10);
    CHECK(r == pid, "helper %s did not exit within %d ms", what, scaled(5000));
    return st;
}

static void t_bad_usage(void)
{
    /* a helper started wrongly must say so and exit 2, not hang */
    char *bad[][5] = { { "x", NULL }, { "no-such-mode", "a", "b", NULL }, { "run-fd", "not-a-number", NULL },
                       { "run", "/tmp/x.sock", "zz", NULL }, { "run-fd", "3", "0011", NULL },
                       { "broker", "/tmp/x.sock", NULL } };
    for (int i = 0; i < 6; i++) {
        char what[100];
        snprintf(what, sizeof what, "\"%s %s %s\"", bad[i][0], bad[i][1] ? bad[i][1] : "",
                 bad[i][1] && bad[i][2] ? bad[i][2] : "");
        int st = wait_plain(launch_plain(bad[i]), what);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 2, "helper %s ended with status 0x%x, expected exit 2",
              what, st);
    }
}

static void t_cannot_connect(void)
{
    char *args[] = { "run", "/nonexistent/corral-itest/ctl.sock", "00112233445566778899aabbccddeeff", NULL };
    int st = wait_plain(launch_plain(args), "run with a missing socket");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1, "ended with status 0x%x, expected exit 1", st);
    FILE *f = fopen(last_log(), "re");
    char line[300] = "";
    if (f) {
        if (!fgets(line, sizeof line, f))
            line[0] = '\0';
        fclose(f);
    }
    CHECK(strstr(line, "/nonexistent/corral-itest/ctl.sock"), "no line on stderr naming the socket (got \"%s\")",
          line);
}

static void t_run_fd_token(void)
{
    uint8_t tok[16];
    for (int k = 0; k < 16; k++)
        tok[k] = rand();
    sess_t *s = launch_fd_token(tok); /* checks the HELLO token */
    buf_t spec = spec_prog("exit_with", "4", NULL);
    sess_spawn(s, &spec);
    expect_spawned(s);
    finish(s, WAIT);
    expect_exited(s, 4);
}

static void t_spawn_unknown_flags(void)
{
    buf_t spec = spec_prog("exit_with", "0", NULL);
    field_u32(&spec, T_FLAGS, 1u << 7);
    sess_t *s = launch_fd();
    sess_spawn(s, &spec);
    expect_spawn_failed(s, 1, -1, NULL);
}

static void t_bad_signal_and_stop(void)
{
    buf_t spec = spec_prog("sleep_ms", "60000", NULL);
    field_u32(&spec, T_KILL_SIGNAL, SIGUSR2);
    sess_t *s = start(spec);
    /* SIGNAL with a signal above 64: MESSAGE(error), ignored */
    send_signal(s, SIGT_PROGRAM, 99);
    WAIT_FOR(s->n_error_msgs >= 1 || s->hup || s->exited, 2000);
    CHECK(s->n_error_msgs == 1, "expected MESSAGE(error) for SIGNAL 99, got: %s", buf_str(&s->msgs));
    WAIT_FOR(s->hup || s->exited, 300);
    CHECK(!s->hup && !s->exited && !proc_gone(s->prog), "SIGNAL 99 was not ignored (%s)",
          s->exited ? exit_str(s) : "connection closed");
    /* STOP with signal 0: MESSAGE(error); the stop still happens, with the
     * spawn's KILL_SIGNAL (or, should a helper ignore it, a later STOP does) */
    send_stop(s, 0, 2000);
    WAIT_FOR(s->n_error_msgs >= 2 || s->hup || s->exited, 2000);
    CHECK(s->n_error_msgs == 2, "expected MESSAGE(error) for STOP 0, got: %s", buf_str(&s->msgs));
    s->n_error_msgs = 0;
    if (!WAIT_FOR(s->exited || s->hup, 500))
        send_stop(s, SIGUSR2, 2000);
    finish(s, WAIT);
    expect_signaled(s, SIGUSR2);
}

static void t_cgroup_removed_after_spawn_failed(void)
{
    const char *cg;
    const char *path = "/nonexistent/corral-itest-nope";
    buf_t spec = spec_with_cgroup(spec_prog(path, NULL), &cg);
    sess_t *s = launch_fd();
    sess_spawn(s, &spec);
    expect_spawn_failed(s, 7, ENOENT, path);
    CHECK(!cg_exists(cg), "%s still exists after SPAWN_FAILED", cg);
}

static void random16(uint8_t t[16])
{
    for (int k = 0; k < 16; k++)
        t[k] = rand();
}

static void t_broker_bad_frames(void)
{
    listener_t *l = listen_new();
    sess_t *b = launch_broker(l);
    /* a SPAWN without TOKEN cannot be routed: MESSAGE(error), nothing started */
    buf_t spec = spec_prog("exit_with", "0", NULL);
    spawn_raw(b, &spec, NULL);
    buf_free(&spec);
    /* a frame other than SPAWN: MESSAGE(error), ignored */
    frame_credit(&b->out, S_STDOUT, 100);
    pump(0);
    if (!WAIT_FOR(b->n_error_msgs >= 2 || b->hup, WAIT))
        fail("broker: expected two MESSAGE(error), got: %s", buf_str(&b->msgs));
    CHECK(!b->hup && !b->reaped, "the broker went away after a bad frame");
    WAIT_FOR(false, 300);
    int stray = accept(l->fd, NULL, NULL); /* the listening socket is non-blocking */
    if (stray >= 0)
        close(stray);
    CHECK(l->n_accepted == 1 && stray < 0, "a helper connected for a SPAWN without TOKEN");
    /* a SPAWN that does not parse but has a TOKEN: the helper reports it */
    uint8_t tok[16];
    random16(tok);
    spec = spec_prog("exit_with", "0", NULL);
    field_u32(&spec, 99, 0);
    spawn_raw(b, &spec, tok);
    buf_free(&spec);
    sess_t *h = accept_helper(l, tok, WAIT);
    CHECK(h, "no helper connected for an unparsable SPAWN with a TOKEN");
    expect_spawn_failed(h, 1, -1, "99");
    /* a framing error ends the broker with status 1 */
    uint8_t zero[4] = { 0 };
    buf_add(&b->out, zero, 4);
    pump(0);
    if (!WAIT_FOR(b->reaped, WAIT))
        fail("the broker did not exit after a framing error");
    CHECK(WIFEXITED(b->wstatus) && WEXITSTATUS(b->wstatus) == 1,
          "the broker ended with status 0x%x after a framing error, expected exit 1", b->wstatus);
}

static void t_broker_helper_cannot_connect(void)
{
    listener_t *l = listen_new();
    sess_t *b = launch_broker(l);
    unlink(l->path); /* the helper it forks finds no socket */
    uint8_t tok[16];
    random16(tok);
    buf_t spec = spec_prog("exit_with", "0", NULL);
    spawn_raw(b, &spec, tok);
    buf_free(&spec);
    if (!WAIT_FOR(b->n_spawn_failed > 0 || b->hup, WAIT))
        fail("the broker reported nothing for a helper that could not connect");
    CHECK(b->sf_stage == 8 && b->sf_errno == ECONNREFUSED,
          "broker SPAWN_FAILED stage %u errno %u, expected stage 8, ECONNREFUSED", b->sf_stage, b->sf_errno);
    CHECK(b->sf_text.len >= 16 && memcmp(b->sf_text.p, tok, 16) == 0,
          "broker SPAWN_FAILED does not carry the spawn's token");
    b->n_error_msgs = 0;
    check_clean(b);
    hang_up(b);
    if (!WAIT_FOR(b->reaped, WAIT))
        fail("the broker did not exit after its connection closed");
}

static void t_broker_sigterm_helpers_live(void)
{
    listener_t *l = listen_new();
    sess_t *b = launch_broker(l);
    uint8_t tok[16];
    random16(tok);
    buf_t spec = spec_prog("crash_after_ms", "1000", "5", NULL);
    spawn_raw(b, &spec, tok);
    buf_free(&spec);
    sess_t *h = accept_helper(l, tok, WAIT);
    CHECK(h, "no helper connected");
    expect_spawned(h);
    kill(b->pid, SIGTERM);
    if (!WAIT_FOR(b->reaped, WAIT))
        fail("the broker did not exit on SIGTERM");
    CHECK(WIFEXITED(b->wstatus), "the broker was killed by SIGTERM instead of exiting");
    CHECK(!h->exited && !h->hup, "the helper ended with the broker");
    finish(h, WAIT);
    expect_exited(h, 5);
}

/* ---- helper loss (protocol version 3) ------------------------------------------------------------- */

static void t_stop_acknowledged(void)
{
    sess_t *s = start(spec_prog("ignore_sigterm", NULL));
    wait_line(s, S_STDOUT, "ready");
    send_stop(s, SIGTERM, 400);
    if (!WAIT_FOR(s->n_stopping > 0 || s->exited || s->hup, WAIT))
        fail("no STOPPING within %d ms of a STOP", scaled(WAIT));
    CHECK(s->n_stopping == 1 && !s->exited, "STOPPING did not come before EXIT (%d STOPPING, %s)", s->n_stopping,
          s->exited ? exit_str(s) : "not exited");
    CHECK(s->stopping_signo == SIGTERM && s->stopping_grace == 400,
          "STOPPING says signal %u grace %u ms, expected %d and 400", s->stopping_signo, s->stopping_grace, SIGTERM);
    /* a second STOP (SIGKILL now) is acknowledged too */
    send_stop(s, SIGKILL, 0);
    finish(s, WAIT);
    CHECK(s->n_stopping == 2, "%d STOPPING frames for two STOPs", s->n_stopping);
    expect_signaled(s, SIGKILL);
}

static void t_kill_helper_is_for_the_broker(void)
{
    sess_t *s = start(spec_prog("sleep_ms", "60000", NULL));
    uint8_t tok[16];
    random16(tok);
    send_frame(s, P_KILL_HELPER, tok, 16);
    WAIT_FOR(s->n_error_msgs >= 1 || s->hup || s->exited, 2000);
    CHECK(s->n_error_msgs == 1 && strstr(buf_str(&s->msgs), "KILL_HELPER"),
          "expected MESSAGE(error) naming KILL_HELPER, got: %s", buf_str(&s->msgs));
    CHECK(!s->hup && !s->exited && !proc_gone(s->prog), "KILL_HELPER to a helper was not ignored");
    s->n_error_msgs = 0;
    send_stop(s, SIGTERM, 0);
    finish(s, WAIT);
}

/* The broker reports how each of its helpers ended (HELPER_EXIT), by token. */
static void t_broker_reports_helper_exit(void)
{
    listener_t *l = listen_new();
    sess_t *b = launch_broker(l);
    uint8_t tok[2][16];
    random16(tok[0]);
    random16(tok[1]);
    buf_t spec = spec_prog("sleep_ms", "60000", NULL);
    spawn_raw(b, &spec, tok[0]);
    buf_free(&spec);
    spec = spec_prog("exit_with", "0", NULL);
    spawn_raw(b, &spec, tok[1]);
    buf_free(&spec);
    sess_t *h0 = accept_helper(l, tok[0], WAIT);
    sess_t *h1 = accept_helper(l, tok[1], WAIT);
    CHECK(h0 && h1, "the helpers did not connect");
    expect_spawned(h0);
    expect_spawned(h1);
    finish(h1, WAIT);
    const struct helper_exit *x = await_helper_exit(b, tok[1], WAIT);
    CHECK(x, "no HELPER_EXIT for a helper that exited after EXIT");
    CHECK(x->pid == h1->hello_pid && x->kind == EXIT_EXITED && x->value == 0,
          "HELPER_EXIT pid %u kind %u value %d, expected pid %u exited 0", x->pid, x->kind, x->value, h1->hello_pid);
    pid_t prog = h0->prog;
    kill((pid_t)h0->hello_pid, SIGKILL);
    x = await_helper_exit(b, tok[0], WAIT);
    CHECK(x, "no HELPER_EXIT for a helper killed with SIGKILL");
    CHECK(x->pid == h0->hello_pid && x->kind == EXIT_SIGNALED && x->value == SIGKILL,
          "HELPER_EXIT pid %u kind %u value %d, expected pid %u killed by %d", x->pid, x->kind, x->value,
          h0->hello_pid, SIGKILL);
    CHECK(wait_gone(&prog, 1, 3000), "the program survived kill -9 of its helper");
    check_clean(b);
    hang_up(b);
    if (!WAIT_FOR(b->reaped, WAIT))
        fail("the broker did not exit after its connection closed");
}

/* KILL_HELPER: the broker kills the helper forked for that token, and only that one. */
static void t_broker_kill_helper(void)
{
    listener_t *l = listen_new();
    sess_t *b = launch_broker(l);
    uint8_t tok[16], other[16];
    random16(tok);
    random16(other);
    buf_t spec = spec_prog("sleep_ms", "60000", NULL);
    spawn_raw(b, &spec, tok);
    buf_free(&spec);
    sess_t *h = accept_helper(l, tok, WAIT);
    CHECK(h, "no helper connected");
    expect_spawned(h);
    pid_t prog = h->prog;
    send_kill_helper(b, other);
    WAIT_FOR(h->hup, 300);
    CHECK(!h->hup && b->n_helper_exits == 0, "KILL_HELPER with an unknown token ended a helper");
    send_kill_helper(b, tok);
    const struct helper_exit *x = await_helper_exit(b, tok, WAIT);
    CHECK(x && x->kind == EXIT_SIGNALED && x->value == SIGKILL, "KILL_HELPER: %s",
          x ? "the helper did not die of SIGKILL" : "no HELPER_EXIT");
    CHECK(WAIT_FOR(h->hup, WAIT), "the killed helper's connection stayed open");
    CHECK(!h->exited, "a killed helper sent EXIT");
    CHECK(wait_gone(&prog, 1, 3000), "the program survived its helper's SIGKILL");
    check_clean(b);
    hang_up(b);
    if (!WAIT_FOR(b->reaped, WAIT))
        fail("the broker did not exit after its connection closed");
}

/* escape_storm N through the broker: its helper and the N worker pids. */
static sess_t *storm(listener_t *l, sess_t *b, uint8_t tok[16], pid_t *pids, int n)
{
    char arg[16];
    snprintf(arg, sizeof arg, "%d", n);
    random16(tok);
    buf_t spec = spec_prog("escape_storm", arg, NULL);
    spawn_raw(b, &spec, tok);
    buf_free(&spec);
    sess_t *h = accept_helper(l, tok, WAIT);
    CHECK(h, "no helper connected");
    expect_spawned(h);
    wait_line(h, S_STDOUT, "ready");
    CHECK(parse_pids(buf_str(&h->data[S_STDOUT]), pids, n) == n, "escape_storm printed: %s", out_str(h, S_STDOUT));
    return h;
}

/* Nothing carrying the test's tag is left (the broker is gone by now). */
static void expect_nothing_tagged(const char *when)
{
    char list[512];
    int64_t deadline = now_ms() + scaled(na_wait(3000));
    int n;
    while ((n = sweep_tagged(marker, false, list, sizeof list)) > 0 && now_ms() < deadline)
        sleep_ms(20);
    CHECK(n == 0, "%d process(es) left %s: %s", n, when, list);
}

/*
 * kill -9 of a helper whose program's descendants daemonized, left the
 * process group, block every signal and fork in a loop: they reparent to the
 * broker (a child subreaper), which kills them with their descendants before
 * it reports the helper's end.
 */
static void t_broker_kills_orphans_of_a_dead_helper(void)
{
    listener_t *l = listen_new();
    sess_t *b = launch_broker(l);
    WAIT_FOR(b->subreaper_warn, 200);
    needs_subreaper(b);
    uint8_t tok[16];
    pid_t pids[5];
    sess_t *h = storm(l, b, tok, pids, 5);
    kill((pid_t)h->hello_pid, SIGKILL);
    const struct helper_exit *x = await_helper_exit(b, tok, WAIT);
    CHECK(x && x->kind == EXIT_SIGNALED && x->value == SIGKILL, "HELPER_EXIT: %s",
          x ? "not SIGKILL" : "none");
    char list[256];
    if (!wait_gone(pids, 5, na_wait(3000))) {
        alive_list(pids, 5, list, sizeof list);
        fail("escaped workers alive after the broker reported the helper's death: %s", list);
    }
    hang_up(b);
    if (!WAIT_FOR(b->reaped, WAIT))
        fail("the broker did not exit after its connection closed");
    expect_nothing_tagged("of the program's tree");
}

/*
 * The broker is stopped while a helper dies, then its connection closes: it
 * kills the orphans that reparented to it before it exits, so none goes on
 * to init.
 */
static void t_broker_exit_leaves_no_orphan(void)
{
    listener_t *l = listen_new();
    sess_t *b = launch_broker(l);
    WAIT_FOR(b->subreaper_warn, 200);
    needs_subreaper(b);
    uint8_t tok[16];
    pid_t pids[5];
    sess_t *h = storm(l, b, tok, pids, 5);
    kill(b->pid, SIGSTOP);
    kill((pid_t)h->hello_pid, SIGKILL);
    CHECK(WAIT_FOR(h->hup, WAIT), "the killed helper's connection stayed open");
    sleep_ms(scaled(100)); /* the workers' parents die and they reparent to the stopped broker */
    hang_up(b);
    kill(b->pid, SIGCONT);
    if (!WAIT_FOR(b->reaped, WAIT))
        fail("the broker did not exit after its connection closed");
    CHECK(WIFEXITED(b->wstatus) && WEXITSTATUS(b->wstatus) == 0, "the broker ended with status 0x%x", b->wstatus);
    char list[256];
    if (!wait_gone(pids, 5, na_wait(3000))) {
        alive_list(pids, 5, list, sizeof list);
        fail("orphans of a dead helper outlived the broker: %s", list);
    }
    expect_nothing_tagged("after the broker exited");
}

/* ---- the table ------------------------------------------------------------------------------------ */

/* ---- detach and re-attach ------------------------------------------------------------------------ */

/* The program's write count stops growing: it is blocked on a full pipe.
 * On a loaded machine a runnable program can go unscheduled for a few hundred
 * milliseconds, so "blocked" means: no byte written for 1 s in a row (sampled
 * every 100 ms), reached within 30 s. A helper that keeps reading the pipe
 * while detached never gets there. */
static void expect_blocked(pid_t prog, const char *when)
{
    long long last = proc_wchar(prog), now = last;
    int still_ms = 0;
    for (int waited = 0; waited < 30000 && still_ms < 1000; waited += 100) {
        sleep_ms(100);
        now = proc_wchar(prog);
        if (now == last) {
            still_ms += 100;
        } else {
            still_ms = 0;
            last = now;
        }
    }
    CHECK(!proc_gone(prog), "%s: the program is gone", when);
    CHECK(last >= 0 && still_ms >= 1000,
          "%s: the program is not blocked (still writing after 30 s: %lld bytes so far)", when, now);
}

/* print_seq output: "1\n2\n3\n..." without a gap or repeat; a last partial
 * line is allowed only when partial_ok. Returns the number of whole lines. */
static unsigned long long check_seq(const buf_t *all, bool partial_ok)
{
    unsigned long long want = 1, lines = 0;
    size_t i = 0;
    while (i < all->len) {
        const uint8_t *nl = memchr(all->p + i, '\n', all->len - i);
        if (!nl) {
            CHECK(partial_ok, "the output ends inside a line after line %llu", lines);
            break;
        }
        char line[32];
        size_t n = (size_t)(nl - (all->p + i));
        CHECK(n > 0 && n < sizeof line, "line %llu has %zu bytes", lines + 1, n);
        memcpy(line, all->p + i, n);
        line[n] = '\0';
        unsigned long long got = strtoull(line, NULL, 10);
        CHECK(got == want, "sequence broken at byte %zu: line \"%s\" where %llu was due", i, line, want);
        want++;
        lines++;
        i += n + 1;
    }
    return lines;
}

static void append_out(buf_t *all, sess_t *s)
{
    buf_add(all, s->data[S_STDOUT].p, s->data[S_STDOUT].len);
    buf_add(all, s->data[S_STDERR].p, s->data[S_STDERR].len);
}

/* After the last session of a detached/attached helper finished: the
 * helper process (our child, session first) exited with status 0. */
static void expect_first_helper_exit0(sess_t *first)
{
    if (!WAIT_FOR(first->reaped, WAIT))
        fail("the helper process %d did not exit", first->pid);
    CHECK(WIFEXITED(first->wstatus) && WEXITSTATUS(first->wstatus) == 0,
          "the helper ended with status 0x%x, expected exit status 0", first->wstatus);
}

static void expect_attached_to(sess_t *a, sess_t *first, pid_t prog, int state)
{
    expect_attached(a);
    CHECK(a->version == P_VERSION, "HELLO version %u after ATTACH", a->version);
    CHECK(a->hello_pid == (uint32_t)helper_pid(first), "HELLO pid %u, the helper is %d", a->hello_pid,
          helper_pid(first));
    CHECK(memcmp(a->token, first->token, 16) == 0, "HELLO token after ATTACH differs from the first HELLO's");
    CHECK(a->att_pid == (uint32_t)prog, "ATTACHED program pid %u, expected %d", a->att_pid, prog);
    CHECK(a->att_state == state, "ATTACHED state %u, expected %d", a->att_state, state);
}

static void t_detach_attach_sequence(void)
{
    /* print_seq 0 floods; WINDOW 64 with manual credit: blocked at once */
    buf_t spec = spec_prog("print_seq", "0", NULL);
    field_u32(&spec, T_WINDOW, 64);
    field_str(&spec, T_LABEL, "daemon-seq");
    sess_t *first = launch_fd();
    first->manual_credit = true;
    sess_spawn(first, &spec);
    expect_spawned(first);
    pid_t prog = first->prog;
    WAIT_FOR(first->data[S_STDOUT].len >= 64 || first->violation[0], WAIT);
    check_clean(first);
    CHECK(first->data[S_STDOUT].len == 64, "%zu bytes without credit (window 64)", first->data[S_STDOUT].len);

    buf_t all = { 0 };
    sess_t *cur = first;
    uint64_t sent_total = 64;
    for (int cycle = 1; cycle <= 3; cycle++) {
        const char *path = detach_path();
        uint8_t secret[16];
        random_secret(secret);
        send_detach(cur, 60000, secret, path);
        expect_detached(cur);
        sent_total = cur->att_bytes[S_STDOUT] + cur->received[S_STDOUT];
        CHECK(cur->det_bytes[S_STDOUT] == sent_total, "cycle %d: DETACHED says %llu stdout bytes, %llu arrived",
              cycle, (unsigned long long)cur->det_bytes[S_STDOUT], (unsigned long long)sent_total);
        mode_t mode = 0;
        CHECK(is_socket(path, &mode), "cycle %d: no socket at %s after DETACHED", cycle, path);
        CHECK(mode == 0600, "cycle %d: socket mode %o, expected 600", cycle, (unsigned)mode);
        append_out(&all, cur);
        /* nothing is read while detached: the program blocks on its full pipe */
        expect_blocked(prog, "while detached");

        sess_t *a = attach_to(path, secret, 64, true);
        CHECK(a, "cycle %d: connect %s: %s", cycle, path, strerror(errno));
        expect_attached_to(a, first, prog, 0);
        CHECK(a->att_bytes[S_STDOUT] == sent_total && a->att_bytes[S_STDERR] == 0,
              "cycle %d: ATTACHED says %llu/%llu bytes sent, expected %llu/0", cycle,
              (unsigned long long)a->att_bytes[S_STDOUT], (unsigned long long)a->att_bytes[S_STDERR],
              (unsigned long long)sent_total);
        CHECK(a->att_label.len == 10 && memcmp(a->att_label.p, "daemon-seq", 10) == 0,
              "ATTACHED label is \"%s\", expected \"daemon-seq\"", buf_str(&a->att_label));
        CHECK(!is_socket(path, NULL), "cycle %d: socket %s still there after ATTACHED", cycle, path);
        /* the new window holds: exactly 64 bytes, then nothing */
        WAIT_FOR(a->data[S_STDOUT].len >= 64 || a->violation[0], WAIT);
        WAIT_FOR(a->data[S_STDOUT].len > 64 || a->violation[0], 300);
        check_clean(a);
        CHECK(a->data[S_STDOUT].len == 64, "cycle %d: %zu bytes after ATTACH with window 64", cycle,
              a->data[S_STDOUT].len);
        /* then let it flow: what waited in the pipe and fresh lines */
        a->manual_credit = false;
        send_credit(a, S_STDOUT, 64);
        WAIT_FOR(a->data[S_STDOUT].len >= 200000 || a->hup || a->violation[0], 3 * WAIT);
        check_clean(a);
        CHECK(a->data[S_STDOUT].len >= 200000, "cycle %d: only %zu bytes after credit", cycle,
              a->data[S_STDOUT].len);
        cur = a;
        check_seq(&all, true);
    }
    send_stop(cur, SIGTERM, 2000);
    finish(cur, 3 * WAIT);
    expect_signaled(cur, SIGTERM);
    append_out(&all, cur);
    unsigned long long lines = check_seq(&all, false);
    CHECK(lines > 3 * 20000, "only %llu lines in all", lines);
    expect_first_helper_exit0(first);
    buf_free(&all);
}

static void t_detach_program_exits(void)
{
    buf_t spec = spec_prog("crash_after_ms", "500", "7", NULL);
    sess_t *first = start(spec);
    pid_t prog = first->prog;
    const char *path = detach_path();
    uint8_t secret[16];
    random_secret(secret);
    send_detach(first, 60000, secret, path);
    expect_detached(first);
    bool exited_detached = !proc_gone(prog);
    if (!WAIT_FOR(proc_gone(prog), WAIT))
        fail("crash_after_ms 500 7 did not end");
    sleep_ms(200); /* the helper reaps it and starts the (empty) teardown while detached */
    CHECK(is_socket(path, NULL), "the helper stopped listening after its program exited while detached");
    sess_t *a = attach_to(path, secret, 65536, false);
    CHECK(a, "connect %s: %s", path, strerror(errno));
    expect_attached_to(a, first, prog, 1);
    CHECK(a->att_kind == EXIT_EXITED && a->att_value == 7, "ATTACHED status kind %u value %d, expected exited 7",
          a->att_kind, a->att_value);
    CHECK(a->att_label.len == 0, "ATTACHED carries a label though the SPAWN had none");
    finish(a, WAIT);
    expect_exited(a, 7);
    buf_t all = { 0 };
    append_out(&all, first);
    append_out(&all, a);
    CHECK(strcmp(buf_str(&all), "running\n") == 0, "output %s, expected \"running\\n\"", buf_str(&all));
    expect_first_helper_exit0(first);
    if (!exited_detached)
        printf("# detach-program-exits: the program had exited before DETACHED\n");
}

static void t_detach_output_waits(void)
{
    /* 40000 bytes, window 4096: 4096 arrive, the rest waits in the pipe while
     * detached, the program exits; after ATTACH every byte arrives */
    buf_t spec = spec_prog("print_a_lot", "40000", "1000", NULL);
    field_u32(&spec, T_WINDOW, 4096);
    sess_t *first = launch_fd();
    first->manual_credit = true;
    sess_spawn(first, &spec);
    expect_spawned(first);
    pid_t prog = first->prog;
    WAIT_FOR(first->data[S_STDOUT].len >= 4096 || first->violation[0], WAIT);
    check_clean(first);
    const char *path = detach_path();
    uint8_t secret[16];
    random_secret(secret);
    send_detach(first, 60000, secret, path);
    expect_detached(first);
    CHECK(first->data[S_STDOUT].len == 4096, "%zu bytes before DETACHED (window 4096)", first->data[S_STDOUT].len);
    if (!WAIT_FOR(proc_gone(prog), WAIT))
        fail("print_a_lot did not finish while detached (40000 bytes fit in the pipe)");
    sleep_ms(100);
    /* window 0 and a CREDIT right behind the ATTACH, before ATTACHED came:
     * the frames behind ATTACH count */
    sess_t *a = attach_to(path, secret, 0, false);
    CHECK(a, "connect %s: %s", path, strerror(errno));
    send_credit(a, S_STDOUT, 1 << 20);
    expect_attached_to(a, first, prog, 1);
    CHECK(a->att_kind == EXIT_EXITED && a->att_value == 0, "ATTACHED status kind %u value %d, expected exited 0",
          a->att_kind, a->att_value);
    finish(a, WAIT);
    expect_exited(a, 0);
    buf_t all = { 0 };
    append_out(&all, first);
    append_out(&all, a);
    size_t bad;
    CHECK(all.len == 40000, "%zu bytes over both connections, expected 40000", all.len);
    CHECK(pattern_ok(all.p, all.len, &bad), "byte %zu differs from the pattern", bad);
    expect_first_helper_exit0(first);
}

static void t_detach_lease_expiry(void)
{
    tree_t t;
    const char *cg;
    sess_t *first = start_tree(6, &t, &cg);
    const char *path = detach_path();
    uint8_t secret[16];
    random_secret(secret);
    send_detach(first, 300, secret, path);
    expect_detached(first);
    CHECK(cg_exists(cg), "the cgroup is gone right after DETACHED");
    if (!WAIT_FOR(first->reaped, WAIT))
        tree_fail(first, &t, "the helper did not exit after the 300 ms lease");
    CHECK(WIFEXITED(first->wstatus) && WEXITSTATUS(first->wstatus) == 0,
          "the helper ended with status 0x%x after the lease, expected exit status 0", first->wstatus);
    expect_tree_gone(first, &t, "when the helper exited after the lease");
    CHECK(!cg_exists(cg), "cgroup %s still there after the lease teardown", cg);
    CHECK(!is_socket(path, NULL), "socket %s still there after the lease", path);
    CHECK(connect_unix(path) < 0, "could connect to %s after the lease", path);
}

static void t_detach_lease_grace_sigkill(void)
{
    /* no cgroup; a program that ignores SIGTERM: lease, then GRACE_MS, then SIGKILL */
    buf_t spec = spec_prog("ignore_sigterm", NULL);
    field_u32(&spec, T_GRACE_MS, 300);
    sess_t *first = start(spec);
    wait_line(first, S_STDOUT, "ready");
    pid_t prog = first->prog;
    const char *path = detach_path();
    uint8_t secret[16];
    random_secret(secret);
    send_detach(first, 200, secret, path);
    expect_detached(first);
    CHECK(wait_gone(&prog, 1, WAIT), "ignore_sigterm survived lease + grace");
    expect_first_helper_exit0(first);
    CHECK(!is_socket(path, NULL), "socket %s still there after the lease", path);
}

static void t_detach_wrong_secret(void)
{
    sess_t *first = start(spec_prog("sleep_ms", "60000", NULL));
    const char *path = detach_path();
    uint8_t secret[16], wrong[16];
    random_secret(secret);
    memcpy(wrong, secret, 16);
    wrong[15] ^= 1;
    send_detach(first, 60000, secret, path);
    expect_detached(first);
    sess_t *bad = attach_to(path, wrong, 65536, false);
    CHECK(bad, "connect %s: %s", path, strerror(errno));
    expect_refused(bad, "ATTACH with a wrong secret");
    CHECK(is_socket(path, NULL), "the helper stopped listening after a wrong secret");
    CHECK(!proc_gone(first->prog), "the program died after a wrong secret");
    sess_t *a = attach_to(path, secret, 65536, false);
    CHECK(a, "connect %s: %s", path, strerror(errno));
    expect_attached_to(a, first, first->prog, 0);
    send_stop(a, SIGTERM, 2000);
    finish(a, WAIT);
    expect_signaled(a, SIGTERM);
    expect_first_helper_exit0(first);
}

static void t_detach_idle_and_garbage_closed(void)
{
    sess_t *first = start(spec_prog("sleep_ms", "60000", NULL));
    const char *path = detach_path();
    uint8_t secret[16];
    random_secret(secret);
    send_detach(first, 60000, secret, path);
    expect_detached(first);
    /* a connection that sends nothing is closed (after 2 s) */
    int fd = connect_unix(path);
    CHECK(fd >= 0, "connect %s: %s", path, strerror(errno));
    struct pollfd pf = { fd, POLLIN, 0 };
    int64_t t0 = now_ms();
    int pr = poll(&pf, 1, scaled(WAIT));
    char c;
    CHECK(pr == 1 && read(fd, &c, 1) <= 0, "an idle attach connection stayed open %lld ms",
          (long long)(now_ms() - t0));
    close(fd);
    /* a frame that is not ATTACH (a CREDIT) is closed at once */
    fd = connect_unix(path);
    CHECK(fd >= 0, "connect %s: %s", path, strerror(errno));
    uint8_t credit[10] = { 6, 0, 0, 0, P_CREDIT, 1, 0, 0, 1, 0 };
    CHECK(write(fd, credit, sizeof credit) == (ssize_t)sizeof credit, "write: %s", strerror(errno));
    pr = poll(&pf, 1, scaled(WAIT));
    pf.fd = fd;
    CHECK(poll(&pf, 1, scaled(WAIT)) == 1 && read(fd, &c, 1) <= 0, "a CREDIT on the attach socket got an answer");
    close(fd);
    CHECK(is_socket(path, NULL), "the helper stopped listening");
    sess_t *a = attach_to(path, secret, 65536, false);
    CHECK(a, "connect %s: %s", path, strerror(errno));
    expect_attached_to(a, first, first->prog, 0);
    send_stop(a, SIGTERM, 2000);
    finish(a, WAIT);
    expect_first_helper_exit0(first);
}

/* In a child running as nobody: connect to path and send the right ATTACH.
 * Exit status: 0 closed without a byte, 1 got bytes, 2 connect EACCES,
 * 3 connect failed otherwise, 4 no answer, 5 setuid failed. */
static int attach_as_nobody(const char *path, const uint8_t secret[16])
{
    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
            _exit(5);
        int fd = connect_unix(path);
        if (fd < 0)
            _exit(errno == EACCES ? 2 : 3);
        buf_t b = { 0 };
        frame_attach(&b, secret, 65536);
        if (write(fd, b.p, b.len) != (ssize_t)b.len) { /* the helper may close first */ }
        struct pollfd pf = { fd, POLLIN, 0 };
        if (poll(&pf, 1, 20000) != 1)
            _exit(4);
        char c;
        _exit(read(fd, &c, 1) > 0 ? 1 : 0);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

static void t_detach_other_uid_refused(void)
{
    sess_t *first = start(spec_prog("sleep_ms", "60000", NULL));
    const char *path = detach_path();
    uint8_t secret[16];
    random_secret(secret);
    send_detach(first, 60000, secret, path);
    expect_detached(first);
    /* first line of defence: the 0600 socket in a 0700 directory */
    int r = attach_as_nobody(path, secret);
    CHECK(r == 2, "uid 65534 connecting to the 0600 socket: result %d, expected EACCES (2)", r);
    /* second: SO_PEERCRED, also when the file modes let the stranger in */
    char dir[400];
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    CHECK(chmod(dir, 0711) == 0 && chmod(path, 0666) == 0, "chmod: %s", strerror(errno));
    r = attach_as_nobody(path, secret);
    CHECK(r == 0, "uid 65534 with the right secret: result %d, expected the connection closed without a byte (0)%s",
          r, r == 1 ? ": IT WAS ACCEPTED" : "");
    CHECK(is_socket(path, NULL), "the helper stopped listening after refusing another uid");
    CHECK(!proc_gone(first->prog), "the program died after a refused attach");
    sess_t *a = attach_to(path, secret, 65536, false);
    CHECK(a, "connect %s: %s", path, strerror(errno));
    expect_attached_to(a, first, first->prog, 0);
    send_stop(a, SIGTERM, 2000);
    finish(a, WAIT);
    expect_first_helper_exit0(first);
}

static void detached_signal(int signo)
{
    tree_t t;
    sess_t *first = start_tree(6, &t, NULL);
    const char *path = detach_path();
    uint8_t secret[16];
    random_secret(secret);
    send_detach(first, 60000, secret, path);
    expect_detached(first);
    kill(first->pid, signo);
    char after[48];
    snprintf(after, sizeof after, "signal %d while detached", signo);
    tree_wait_helper_exit(first, &t, after);
    expect_tree_gone(first, &t, "when the helper exited");
    CHECK(!is_socket(path, NULL), "socket %s still there after the helper exited", path);
}

static void t_detach_sigterm(void) { detached_signal(SIGTERM); }
static void t_detach_sighup(void) { detached_signal(SIGHUP); }

static void t_detach_refused_while_stopping(void)
{
    buf_t spec = spec_prog("ignore_sigterm", NULL);
    sess_t *s = start(spec);
    wait_line(s, S_STDOUT, "ready");
    send_stop(s, SIGTERM, 1000);
    const char *path = detach_path();
    uint8_t secret[16];
    random_secret(secret);
    send_detach(s, 60000, secret, path);
    if (!WAIT_FOR(s->n_error_msgs > 0 || s->detached || s->exited, WAIT))
        fail("no answer to DETACH during the teardown");
    CHECK(!s->detached, "DETACH honoured during the teardown");
    CHECK(strstr(buf_str(&s->msgs), "4: DETACH refused: the teardown has started"),
          "expected MESSAGE(error, \"DETACH refused: the teardown has started\"), got %s", buf_str(&s->msgs));
    CHECK(!is_socket(path, NULL), "a socket was created for a refused DETACH");
    s->n_error_msgs = 0;
    finish(s, WAIT);
    expect_signaled(s, SIGKILL);
}

static void t_detach_refused_bad_requests(void)
{
    sess_t *s = start(spec_prog("sleep_ms", "60000", NULL));
    uint8_t secret[16], zero[16] = { 0 };
    random_secret(secret);
    const char *path = detach_path();
    char dir[400], file[420], nodir[420];
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    snprintf(file, sizeof file, "%s/regular", dir);
    snprintf(nodir, sizeof nodir, "%s/no/such/dir.sock", dir);
    int fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    CHECK(fd >= 0 && write(fd, "keep", 4) == 4, "create %s", file);
    close(fd);
    struct { uint32_t lease; const uint8_t *secret; const char *path; const char *why; } bad[] = {
        { 0, secret, path, "lease 0 ms" },
        { 1000, zero, path, "secret is all zero bytes" },
        { 1000, secret, "relative.sock", "socket path must be absolute" },
        { 1000, secret, file, "exists and is not a socket" },
        { 1000, secret, nodir, "bind " },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t before = s->msgs.len;
        send_detach(s, bad[i].lease, bad[i].secret, bad[i].path);
        if (!WAIT_FOR(s->msgs.len > before || s->detached || s->hup, WAIT))
            fail("no answer to a DETACH that must be refused (%s)", bad[i].why);
        CHECK(!s->detached && !s->hup, "a bad DETACH (%s) was honoured", bad[i].why);
        const char *m = buf_str(&s->msgs) + before;
        CHECK(strncmp(m, "4: DETACH refused: ", 19) == 0 && strstr(m, bad[i].why),
              "expected MESSAGE(error, \"DETACH refused: ...%s...\"), got %s", bad[i].why, m);
    }
    struct stat st;
    CHECK(stat(file, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 4, "the regular file %s was touched", file);
    unlink(file);
    /* a stale socket file at the path is replaced */
    int stale = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    CHECK(bind(stale, (struct sockaddr *)&sa, sizeof sa) == 0, "bind stale %s: %s", path, strerror(errno));
    close(stale);
    s->n_error_msgs = 0;
    CHECK(!proc_gone(s->prog), "the program died from refused DETACHes");
    send_detach(s, 60000, secret, path);
    expect_detached(s);
    sess_t *a = attach_to(path, secret, 65536, false);
    CHECK(a, "connect %s: %s", path, strerror(errno));
    expect_attached_to(a, s, s->prog, 0);
    /* ATTACH on the control connection: an error, ignored */
    buf_t att = { 0 };
    frame_attach(&att, secret, 1);
    send_frame(a, P_ATTACH, att.p + 5, att.len - 5);
    buf_free(&att);
    if (!WAIT_FOR(a->n_error_msgs > 0 || a->hup, WAIT))
        fail("no answer to ATTACH on the control connection");
    CHECK(strstr(buf_str(&a->msgs), "4: ATTACH on an attached control connection: ignored"),
          "messages: %s", buf_str(&a->msgs));
    a->n_error_msgs = 0;
    send_stop(a, SIGTERM, 2000);
    finish(a, WAIT);
    expect_signaled(a, SIGTERM);
    expect_first_helper_exit0(s);
}

static void t_detach_stdin_continues(void)
{
    /* cat with a stdin pipe and STDIN_ACK: input before and after the hand-over */
    buf_t spec = spec_prog("/bin/cat", NULL);
    field_u8(&spec, T_STDIN, 1);
    field_u32(&spec, T_FLAGS, FL_STDIN_ACK);
    sess_t *first = start(spec);
    queue_stdin(first, "before ", 7);
    WAIT_FOR(first->data[S_STDOUT].len >= 7 && first->stdin_acked == 7, WAIT);
    CHECK(first->stdin_acked == 7, "STDIN_ACK %llu of 7", (unsigned long long)first->stdin_acked);
    const char *path = detach_path();
    uint8_t secret[16];
    random_secret(secret);
    send_detach(first, 60000, secret, path);
    expect_detached(first);
    sess_t *a = attach_to(path, secret, 65536, false);
    CHECK(a, "connect %s: %s", path, strerror(errno));
    a->flags = FL_STDIN_ACK;
    expect_attached_to(a, first, first->prog, 0);
    queue_stdin(a, "after\n", 6);
    send_frame(a, P_STDIN_EOF, NULL, 0);
    finish(a, WAIT);
    expect_exited(a, 0);
    CHECK(a->acked_at_exit == 6, "STDIN_ACK %llu on the new connection, expected 6",
          (unsigned long long)a->acked_at_exit);
    buf_t all = { 0 };
    append_out(&all, first);
    append_out(&all, a);
    CHECK(strcmp(buf_str(&all), "before after\n") == 0, "output %s", buf_str(&all));
    expect_first_helper_exit0(first);
}

static void t_detach_broker_helper(void)
{
    /* the realistic hand-over: the old JVM's broker goes away, its helper is
     * detached and re-attached by the new one */
    listener_t *l = listen_new();
    sess_t *b = launch_broker(l);
    uint8_t tok[16];
    random16(tok);
    buf_t spec = spec_prog("print_seq", "2", NULL);
    field_str(&spec, T_LABEL, "broker-daemon");
    spawn_raw(b, &spec, tok);
    buf_free(&spec);
    sess_t *h = accept_helper(l, tok, WAIT);
    CHECK(h, "no helper connected");
    expect_spawned(h);
    pid_t prog = h->prog;
    wait_line(h, S_STDOUT, "20");
    const char *path = detach_path();
    uint8_t secret[16];
    random_secret(secret);
    send_detach(h, 60000, secret, path);
    expect_detached(h);
    hang_up(b);
    if (!WAIT_FOR(b->reaped, WAIT))
        fail("the broker did not exit after its connection closed");
    sleep_ms(200);
    sess_t *a = attach_to(path, secret, 65536, false);
    CHECK(a, "connect %s: %s", path, strerror(errno));
    expect_attached(a);
    CHECK(memcmp(a->token, tok, 16) == 0, "HELLO token after ATTACH is not the SPAWN's");
    CHECK(a->att_pid == (uint32_t)prog && a->hello_pid == h->hello_pid, "another program or helper");
    CHECK(a->att_label.len == 13 && memcmp(a->att_label.p, "broker-daemon", 13) == 0, "label %s",
          buf_str(&a->att_label));
    buf_t all = { 0 };
    append_out(&all, h);
    size_t before = all.len;
    WAIT_FOR(a->data[S_STDOUT].len > 200 || a->hup, WAIT);
    send_stop(a, SIGTERM, 2000);
    finish(a, WAIT);
    append_out(&all, a);
    CHECK(all.len > before, "no output after the re-attach");
    check_seq(&all, false);
    if (!WAIT_FOR(proc_gone((pid_t)a->hello_pid), WAIT))
        fail("the helper did not exit");
    buf_free(&all);
}

/* ---- hardening (NO_NEW_PRIVS, CAPS, RLIMIT, NICE, OOM_SCORE_ADJ, UMASK) ------------------------- */

#define NA_RLIMIT_QEMU "N/A (QEMU user mode accepts setrlimit/prlimit64 for RLIMIT_AS, RLIMIT_DATA and " \
                       "RLIMIT_STACK but does not apply them)"
#define CAP_BIT(c) (1ull << (c))
enum { CAP_CHOWN_ = 0, CAP_NET_BIND_SERVICE_ = 10, CAP_SYS_NICE_ = 23, CAP_SYS_RESOURCE_ = 24,
       CAP_WAKE_ALARM_ = 35 };

static const char *const rl_names[RL_COUNT] = {
    "cpu", "fsize", "data", "stack", "core", "rss", "nproc", "nofile",
    "memlock", "as", "locks", "sigpending", "msgqueue", "nice", "rtprio", "rttime",
};

/* The value of "KEY=value" in the program's stdout (print_hardening), or "" when absent. */
static const char *prog_value(sess_t *s, const char *key)
{
    static char val[128];
    const char *text = buf_str(&s->data[S_STDOUT]);
    size_t n = strlen(key);
    val[0] = '\0';
    for (const char *p = text; (p = strstr(p, key)); p++)
        if ((p == text || p[-1] == '\n') && p[n] == '=') {
            size_t len = strcspn(p + n + 1, "\n");
            snprintf(val, sizeof val, "%.*s", (int)(len < sizeof val ? len : sizeof val - 1), p + n + 1);
            break;
        }
    return val;
}

static void expect_value(sess_t *s, const char *key, const char *want)
{
    const char *got = prog_value(s, key);
    CHECK(strcmp(got, want) == 0, "the program reads %s=%s, expected %s (its output: %s)", key,
          got[0] ? got : "(no such line)", want, out_str(s, S_STDOUT));
}

static void expect_caps(sess_t *s, const char *key, uint64_t want)
{
    char hex[32];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)want);
    expect_value(s, key, hex);
}

/* A line "Key:\tvalue" of this (test) process's /proc/self/status, as a number in base. */
static unsigned long long self_status(const char *key, int base)
{
    FILE *f = fopen("/proc/self/status", "re");
    char line[256];
    unsigned long long v = 0;
    size_t n = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, key, n) && line[n] == ':') {
            v = strtoull(line + n + 1, NULL, base);
            break;
        }
    if (f)
        fclose(f);
    return v;
}

static bool self_has_cap(int cap) { return (self_status("CapEff", 16) >> cap) & 1; }

/* print_hardening run by a fresh helper with the given extra fields; finished, exit 0 checked. */
static sess_t *run_hardening(buf_t spec)
{
    sess_t *s = start(spec);
    finish(s, WAIT);
    expect_exited(s, 0);
    return s;
}

static void rl_str(char *buf, size_t cap, uint64_t v)
{
    if (v == RL_UNLIMITED || v == (uint64_t)RLIM_INFINITY)
        snprintf(buf, cap, "unlimited");
    else
        snprintf(buf, cap, "%llu", (unsigned long long)v);
}

static void expect_rlimit(sess_t *s, int r, uint64_t soft, uint64_t hard)
{
    char key[32], want[64], a[24], b[24];
    rl_str(a, sizeof a, soft);
    rl_str(b, sizeof b, hard);
    snprintf(key, sizeof key, "rlimit.%s", rl_names[r]);
    snprintf(want, sizeof want, "%s/%s", a, b);
    expect_value(s, key, want);
}

static void t_hardening_baseline(void)
{
    /* without hardening fields the program inherits the helper's (= this process's) settings */
    sess_t *s = run_hardening(spec_prog("print_hardening", NULL));
    mode_t m = umask(0);
    umask(m);
    char v[32];
    expect_value(s, "NoNewPrivs", "0");
    expect_caps(s, "CapBnd", self_status("CapBnd", 16));
    expect_caps(s, "CapAmb", 0);
    snprintf(v, sizeof v, "%04o", (unsigned)m);
    expect_value(s, "umask", v);
    errno = 0;
    snprintf(v, sizeof v, "%d", getpriority(PRIO_PROCESS, 0));
    expect_value(s, "nice", v);
    char adj[16] = "";
    FILE *f = fopen("/proc/self/oom_score_adj", "re");
    CHECK(f && fscanf(f, "%15s", adj) == 1, "cannot read this process's oom_score_adj");
    fclose(f);
    expect_value(s, "oom_score_adj", adj);
    for (int r = 0; r < RL_COUNT; r++) {
        struct rlimit rl;
        CHECK(getrlimit(r, &rl) == 0, "getrlimit %d", r);
        expect_rlimit(s, r, rl.rlim_cur, rl.rlim_max);
    }
}

static void t_no_new_privs(void)
{
    buf_t spec = spec_prog("print_hardening", NULL);
    field_bytes(&spec, T_NO_NEW_PRIVS, "", 0);
    sess_t *s = run_hardening(spec);
    expect_value(s, "NoNewPrivs", "1");
}

static void t_umask(void)
{
    const unsigned masks[] = { 0077, 0, 0027 };
    const char *want[] = { "0077", "0000", "0027" };
    for (int i = 0; i < 3; i++) {
        buf_t spec = spec_prog("print_hardening", NULL);
        field_u32(&spec, T_UMASK, masks[i]);
        sess_t *s = run_hardening(spec);
        expect_value(s, "umask", want[i]);
    }
}

static void t_nice(void)
{
    buf_t spec = spec_prog("print_hardening", NULL);
    field_u32(&spec, T_NICE, 10);
    expect_value(run_hardening(spec), "nice", "10");

    /* below the helper's own: needs CAP_SYS_NICE, which the helper (root) has unless its bounding set lacks it */
    spec = spec_prog("print_hardening", NULL);
    field_u32(&spec, T_NICE, (uint32_t)-5);
    if (self_has_cap(CAP_SYS_NICE_)) {
        expect_value(run_hardening(spec), "nice", "-5");
    } else {
        sess_t *s = launch_fd();
        sess_spawn(s, &spec);
        expect_spawn_failed(s, 10, -1, "nice -5");
    }
}

static void t_oom_score_adj(void)
{
    buf_t spec = spec_prog("print_hardening", NULL);
    field_u32(&spec, T_OOM_SCORE_ADJ, 500);
    expect_value(run_hardening(spec), "oom_score_adj", "500");

    spec = spec_prog("print_hardening", NULL);
    field_u32(&spec, T_OOM_SCORE_ADJ, (uint32_t)-500);
    if (self_has_cap(CAP_SYS_RESOURCE_)) {
        expect_value(run_hardening(spec), "oom_score_adj", "-500");
    } else {
        /* this machine's bounding set lacks CAP_SYS_RESOURCE: the refusal must name the key */
        printf("# oom-score-adj: no CAP_SYS_RESOURCE here, checking the refusal of -500\n");
        sess_t *s = launch_fd();
        sess_spawn(s, &spec);
        expect_spawn_failed(s, 11, EACCES, "oom.score.adj -500");
        CHECK(strstr(buf_str(&s->sf_text), "CAP_SYS_RESOURCE"), "no hint: %s", buf_str(&s->sf_text));
    }
}

/* A soft/hard pair below this process's hard limit (lowering needs no privilege). */
static void lowered(int r, uint64_t *soft, uint64_t *hard)
{
    static const uint64_t choice[RL_COUNT] = {
        [RL_CPU] = 3600, [RL_FSIZE] = 1ull << 32, [RL_DATA] = 1ull << 31, [RL_STACK] = 4 << 20,
        [RL_CORE] = 1 << 20, [RL_RSS] = 1ull << 30, [RL_NPROC] = 4000, [RL_NOFILE] = 256,
        [RL_MEMLOCK] = 1 << 20, [RL_AS] = 1ull << 32, [RL_LOCKS] = 64, [RL_SIGPENDING] = 500,
        [RL_MSGQUEUE] = 65536, [RL_NICE] = 0, [RL_RTPRIO] = 0, [RL_RTTIME] = 500000,
    };
    struct rlimit rl;
    getrlimit(r, &rl);
    uint64_t h = choice[r];
    if (rl.rlim_max != RLIM_INFINITY && (uint64_t)rl.rlim_max < h)
        h = rl.rlim_max;
    *hard = h;
    *soft = h / 2;
}

/* The 13 resources every helper applies: all but as, data and stack (QEMU user mode ignores those). */
static void t_rlimits(void)
{
    buf_t spec = spec_prog("print_hardening", NULL);
    uint64_t soft[RL_COUNT], hard[RL_COUNT];
    for (int r = 0; r < RL_COUNT; r++) {
        if (r == RL_AS || r == RL_DATA || r == RL_STACK)
            continue;
        lowered(r, &soft[r], &hard[r]);
        field_rlimit(&spec, (uint8_t)r, soft[r], hard[r]);
    }
    sess_t *s = run_hardening(spec);
    for (int r = 0; r < RL_COUNT; r++)
        if (r != RL_AS && r != RL_DATA && r != RL_STACK)
            expect_rlimit(s, r, soft[r], hard[r]);
}

static void t_rlimits_as_data_stack(void)
{
    buf_t spec = spec_prog("print_hardening", NULL);
    const int rs[] = { RL_AS, RL_DATA, RL_STACK };
    uint64_t soft[RL_COUNT], hard[RL_COUNT];
    for (int i = 0; i < 3; i++) {
        lowered(rs[i], &soft[rs[i]], &hard[rs[i]]);
        field_rlimit(&spec, (uint8_t)rs[i], soft[rs[i]], hard[rs[i]]);
    }
    sess_t *s = launch_fd();
    sess_spawn(s, &spec);
    if (!WAIT_FOR(s->spawned || s->spawn_failed || s->hup, WAIT))
        fail("neither SPAWNED nor SPAWN_FAILED");
    if (s->spawn_failed && cfg.nprefix > 0) {
        /* the helper must notice, not run the program without the limit */
        /* applied in resource order: data (2) is the first the emulator drops */
        expect_spawn_failed(s, 9, ENOTSUP, "rlimit.data (soft ");
        CHECK(strstr(buf_str(&s->sf_text), "did not take effect"), "text: %s", buf_str(&s->sf_text));
        not_applicable("%s; observed: the helper refused the spawn (SPAWN_FAILED stage 9, \"%s\")",
                       NA_RLIMIT_QEMU, buf_str(&s->sf_text));
    }
    CHECK(s->spawned, "SPAWN_FAILED stage %u: %s", s->sf_stage, buf_str(&s->sf_text));
    finish(s, WAIT);
    expect_exited(s, 0);
    for (int i = 0; i < 3; i++)
        expect_rlimit(s, rs[i], soft[rs[i]], hard[rs[i]]);
}

static void t_rlimit_raise_hard(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    CHECK(rl.rlim_max != RLIM_INFINITY, "nofile hard limit is unlimited");
    uint64_t hard = (uint64_t)rl.rlim_max + 1, soft = hard;
    buf_t spec = spec_prog("print_hardening", NULL);
    field_rlimit(&spec, RL_NOFILE, soft, hard);
    if (self_has_cap(CAP_SYS_RESOURCE_)) {
        expect_rlimit(run_hardening(spec), RL_NOFILE, soft, hard);
    } else {
        printf("# rlimit-raise-hard: no CAP_SYS_RESOURCE here, checking the refusal\n");
        sess_t *s = launch_fd();
        sess_spawn(s, &spec);
        expect_spawn_failed(s, 9, EPERM, "rlimit.nofile");
        CHECK(strstr(buf_str(&s->sf_text), "CAP_SYS_RESOURCE"), "no hint: %s", buf_str(&s->sf_text));
    }
}

static buf_t spec_nobody(const char *prog, const char *arg, unsigned *uid)
{
    unsigned gid;
    if (!nobody_ids(uid, &gid))
        not_applicable("no user nobody in /etc/passwd");
    buf_t spec = spec_prog(prog, arg, NULL);
    field_u32(&spec, T_UID, *uid);
    field_u32(&spec, T_GID, gid);
    field_bytes(&spec, T_GROUPS, "", 0);
    return spec;
}

/* nproc is checked when the uid changes, against the processes the new user already has (this one
 * not yet counted): with one program of nobody running, a second one with nproc 0 fails its execve
 * with EAGAIN. */
static void t_rlimit_nproc_nobody(void)
{
    unsigned uid;
    sess_t *first = start(spec_nobody("sleep_ms", "60000", &uid));
    buf_t spec = spec_nobody("print_hardening", NULL, &uid);
    field_rlimit(&spec, RL_NPROC, 0, 0);
    sess_t *s = launch_fd();
    sess_spawn(s, &spec);
    expect_spawn_failed(s, 7, EAGAIN, "rlimit.nproc");
    send_stop(first, SIGTERM, 1000);
    finish(first, WAIT);
}

static void t_caps_nobody_bind_80(void)
{
    unsigned uid;
    /* without the capability nobody cannot bind port 80 (so the check below means something) */
    sess_t *s = start(spec_nobody("bind_port", "80", &uid));
    finish(s, WAIT);
    expect_exited(s, 1);
    expect_text(s, S_STDOUT, "bind 127.0.0.1:80: Permission denied\n");

    buf_t spec = spec_nobody("bind_port", "80", &uid);
    field_u64(&spec, T_CAPS, CAP_BIT(CAP_NET_BIND_SERVICE_));
    s = start(spec);
    finish(s, WAIT);
    const char *out = buf_str(&s->data[S_STDOUT]);
    if (strstr(out, "Address already in use")) /* checked after the permission: the capability worked */
        printf("# caps-nobody-bind-80: 127.0.0.1:80 is in use by someone else; EADDRINUSE comes after the "
               "permission check\n");
    else {
        expect_exited(s, 0);
        expect_text(s, S_STDOUT, "bound 127.0.0.1:80\n");
    }

    spec = spec_nobody("print_hardening", NULL, &uid);
    field_u64(&spec, T_CAPS, CAP_BIT(CAP_NET_BIND_SERVICE_));
    s = run_hardening(spec);
    for (const char *k = "CapInh\0CapPrm\0CapEff\0CapAmb\0CapBnd\0"; *k; k += strlen(k) + 1)
        expect_caps(s, k, CAP_BIT(CAP_NET_BIND_SERVICE_));
}

static void t_caps_root_bounding(void)
{
    uint64_t set = CAP_BIT(CAP_NET_BIND_SERVICE_) | CAP_BIT(CAP_CHOWN_);
    buf_t spec = spec_prog("print_hardening", NULL);
    field_u64(&spec, T_CAPS, set);
    sess_t *s = run_hardening(spec);
    for (const char *k = "CapInh\0CapPrm\0CapEff\0CapBnd\0"; *k; k += strlen(k) + 1)
        expect_caps(s, k, set);
    expect_caps(s, "CapAmb", 0);
}

static void t_caps_empty(void)
{
    buf_t spec = spec_prog("print_hardening", NULL);
    field_u64(&spec, T_CAPS, 0);
    sess_t *s = run_hardening(spec);
    for (const char *k = "CapInh\0CapPrm\0CapEff\0CapBnd\0CapAmb\0"; *k; k += strlen(k) + 1)
        expect_caps(s, k, 0);
    unsigned uid;
    spec = spec_nobody("print_hardening", NULL, &uid);
    field_u64(&spec, T_CAPS, 0);
    s = run_hardening(spec);
    for (const char *k = "CapInh\0CapPrm\0CapEff\0CapBnd\0CapAmb\0"; *k; k += strlen(k) + 1)
        expect_caps(s, k, 0);
}

static void t_caps_unknown(void)
{
    buf_t spec = spec_prog("print_hardening", NULL);
    field_u64(&spec, T_CAPS, CAP_BIT(63) | CAP_BIT(CAP_NET_BIND_SERVICE_));
    sess_t *s = launch_fd();
    sess_spawn(s, &spec);
    expect_spawn_failed(s, 12, EINVAL, "(63) is not known to this kernel");
}

static void t_caps_not_in_bounding(void)
{
    /* the helper inherits this test process's bounding set */
    CHECK(prctl(PR_CAPBSET_DROP, CAP_WAKE_ALARM_, 0, 0, 0) == 0, "PR_CAPBSET_DROP: %s", strerror(errno));
    buf_t spec = spec_prog("print_hardening", NULL);
    field_u64(&spec, T_CAPS, CAP_BIT(CAP_WAKE_ALARM_) | CAP_BIT(CAP_NET_BIND_SERVICE_));
    sess_t *s = launch_fd();
    sess_spawn(s, &spec);
    expect_spawn_failed(s, 12, EPERM, "CAP_WAKE_ALARM (35) is not in the helper's bounding set");
}

static void t_hardening_all_nobody(void)
{
    unsigned uid;
    bool sys_nice = self_has_cap(CAP_SYS_NICE_);
    buf_t spec = spec_nobody("print_hardening", NULL, &uid);
    field_bytes(&spec, T_NO_NEW_PRIVS, "", 0);
    field_u64(&spec, T_CAPS, CAP_BIT(CAP_NET_BIND_SERVICE_));
    field_rlimit(&spec, RL_NOFILE, 100, 200);
    field_rlimit(&spec, RL_CORE, 0, 0);
    field_rlimit(&spec, RL_NPROC, 500, 1000);
    field_rlimit(&spec, RL_MEMLOCK, 65536, 65536);
    field_u32(&spec, T_NICE, sys_nice ? (uint32_t)-5 : 7); /* -5: set before setuid, nobody could not */
    field_u32(&spec, T_OOM_SCORE_ADJ, 300);
    field_u32(&spec, T_UMASK, 0027);
    sess_t *s = run_hardening(spec);
    expect_value(s, "NoNewPrivs", "1");
    for (const char *k = "CapInh\0CapPrm\0CapEff\0CapAmb\0CapBnd\0"; *k; k += strlen(k) + 1)
        expect_caps(s, k, CAP_BIT(CAP_NET_BIND_SERVICE_));
    expect_rlimit(s, RL_NOFILE, 100, 200);
    expect_rlimit(s, RL_CORE, 0, 0);
    expect_rlimit(s, RL_NPROC, 500, 1000);
    expect_rlimit(s, RL_MEMLOCK, 65536, 65536);
    expect_value(s, "nice", sys_nice ? "-5" : "7");
    expect_value(s, "oom_score_adj", "300");
    expect_value(s, "umask", "0027");
}

static void t_hardening_bad_fields(void)
{
    struct { const char *what; int tag; uint32_t v; } bad[] = {
        { "nice 20 is not -20..19", T_NICE, 20 },
        { "nice -21 is not -20..19", T_NICE, (uint32_t)-21 },
        { "-1001 is not -1000..1000", T_OOM_SCORE_ADJ, (uint32_t)-1001 },
        { "01000 is not 0..0777", T_UMASK, 01000 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        buf_t spec = spec_prog("print_hardening", NULL);
        field_u32(&spec, (uint16_t)bad[i].tag, bad[i].v);
        sess_t *s = launch_fd();
        sess_spawn(s, &spec);
        expect_spawn_failed(s, 1, -1, bad[i].what);
    }
    buf_t spec = spec_prog("print_hardening", NULL);
    field_rlimit(&spec, RL_NOFILE, 10, 5);
    sess_t *s = launch_fd();
    sess_spawn(s, &spec);
    expect_spawn_failed(s, 1, -1, "rlimit.nofile soft 10 is above hard 5");
    spec = spec_prog("print_hardening", NULL);
    field_rlimit(&spec, RL_CORE, 0, 0);
    field_rlimit(&spec, RL_CORE, 0, 0);
    s = launch_fd();
    sess_spawn(s, &spec);
    expect_spawn_failed(s, 1, -1, "rlimit.core (resource 4) given twice");
    spec = spec_prog("print_hardening", NULL);
    field_bytes(&spec, T_NO_NEW_PRIVS, "\x01", 1);
    s = launch_fd();
    sess_spawn(s, &spec);
    expect_spawn_failed(s, 1, -1, "NO_NEW_PRIVS (tag 19)");
}

struct test {
    const char *name;
    void (*fn)(void);
    int timeout_s;
};

/* ---- sd_notify (SPAWN field NOTIFY, frame NOTIFY) -------------------------------------------------- */

static buf_t spec_notify(buf_t spec, uint64_t usec, const char *dir)
{
    buf_t v = { 0 };
    buf_u64(&v, usec);
    buf_add(&v, dir, strlen(dir));
    field_bytes(&spec, T_NOTIFY, v.p, v.len);
    buf_free(&v);
    return spec;
}

/* Sends one datagram to path from this process (or as uid when uid > 0, in a child): 0, or errno. */
static int send_dgram(const char *path, const void *msg, size_t n, uid_t uid)
{
    pid_t pid = uid > 0 ? fork() : 0;
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        if (uid > 0 && (setgroups(0, NULL) != 0 || setgid(uid) != 0 || setuid(uid) != 0))
            _exit(250);
        struct sockaddr_un a = { .sun_family = AF_UNIX };
        snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        int r = fd < 0 || sendto(fd, msg, n, MSG_NOSIGNAL, (struct sockaddr *)&a, sizeof a) < 0 ? errno : 0;
        if (fd >= 0)
            close(fd);
        if (uid > 0)
            _exit(r);
        return r;
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 200;
}

static bool has_notify(sess_t *s, const char *line)
{
    const char *all = buf_str(&s->notifies);
    size_t n = strlen(line);
    for (const char *p = all; (p = strstr(p, line)); p++)
        if ((p == all || p[-1] == '\n') && p[n] == '\n')
            return true;
    return false;
}

static void expect_notify(sess_t *s, pid_t from, const char *text)
{
    char line[600];
    snprintf(line, sizeof line, "%d: %s", (int)from, text);
    CHECK(WAIT_FOR(has_notify(s, line) || s->exited, WAIT) && has_notify(s, line),
          "no NOTIFY \"%s\"; NOTIFY frames: %s; messages: %s; program output: %s", line, buf_str(&s->notifies),
          buf_str(&s->msgs), out_str(s, S_STDOUT));
}

/* the NOTIFY_SOCKET the program printed (step env) */
static const char *notify_path(sess_t *s)
{
    CHECK(WAIT_FOR(strstr(buf_str(&s->data[S_STDOUT]), "\npid=") || s->exited, WAIT),
          "the program printed no environment: %s", out_str(s, S_STDOUT));
    static char path[200];
    snprintf(path, sizeof path, "%s", prog_value(s, "NOTIFY_SOCKET"));
    return path;
}

static void t_notify_socket_and_env(void)
{
    const char *dir = notify_dir();
    buf_t spec = spec_prog("notify_send", "env", "sleep=300", "send=READY=1\\nSTATUS=serving 3 clients", NULL);
    spec_env(&spec, "NOTIFY_SOCKET=/run/systemd/notify"); /* the JVM's own, from its systemd unit */
    spec_env(&spec, "WATCHDOG_USEC=1");
    sess_t *s = start(spec_notify(spec, 5000000, dir));
    const char *path = notify_path(s);
    char want[300];
    snprintf(want, sizeof want, "%s/%d-", dir, (int)helper_pid(s));
    CHECK(strncmp(path, want, strlen(want)) == 0 && strlen(path) == strlen(want) + 16 + 5 &&
          strcmp(path + strlen(path) - 5, ".sock") == 0,
          "NOTIFY_SOCKET=%s, expected %s<16 hex>.sock", path, want);
    struct stat st;
    CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0711 && st.st_uid == geteuid(),
          "the helper made %s with mode 0%o owner %u, expected 0711 and ours", dir, st.st_mode & 07777, st.st_uid);
    CHECK(lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0600,
          "%s: mode 0%o, expected a socket with mode 0600", path, st.st_mode & 0777);
    expect_value(s, "WATCHDOG_USEC", "5000000");
    char pid[16];
    snprintf(pid, sizeof pid, "%d", (int)s->prog);
    expect_value(s, "WATCHDOG_PID", pid);
    expect_value(s, "pid", pid);
    expect_notify(s, s->prog, "READY=1|STATUS=serving 3 clients");
    finish(s, WAIT);
    expect_exited(s, 0);
    CHECK(strstr(out_str(s, S_STDOUT), "NOTIFY_SOCKET=/run/systemd/notify") == NULL,
          "the inherited NOTIFY_SOCKET reached the program: %s", out_str(s, S_STDOUT));
    CHECK(lstat(path, &st) < 0 && errno == ENOENT, "the socket %s is still there after EXIT", path);
    CHECK(s->n_notify == 1, "%d NOTIFY frames: %s", s->n_notify, buf_str(&s->notifies));
}

static void t_notify_without_watchdog(void)
{
    const char *dir = notify_dir();
    sess_t *s = start(spec_notify(spec_prog("notify_send", "env", NULL), 0, dir));
    finish(s, WAIT);
    expect_exited(s, 0);
    CHECK(prog_value(s, "NOTIFY_SOCKET")[0] == '/', "no NOTIFY_SOCKET: %s", out_str(s, S_STDOUT));
    expect_value(s, "WATCHDOG_USEC", "-");
    expect_value(s, "WATCHDOG_PID", "-");
    /* and without the field there is no socket at all */
    buf_t plain = spec_prog("notify_send", "env", NULL);
    spec_env(&plain, "NOTIFY_SOCKET=/run/systemd/notify");
    sess_t *p = start(plain);
    finish(p, WAIT);
    expect_value(p, "NOTIFY_SOCKET", "/run/systemd/notify"); /* untouched: the JVM decides what to pass */
}

static void notify_descendants(bool with_cgroup)
{
    const char *dir = notify_dir();
    const char *cg = NULL;
    buf_t spec = spec_notify(spec_prog("notify_send", "env", "child=STATUS=from a child",
                                       "orphan=STATUS=from an orphan", "send=READY=1", "sleep=200", NULL), 0, dir);
    if (with_cgroup)
        spec = spec_with_cgroup(spec, &cg);
    sess_t *s = start(spec);
    expect_notify(s, s->prog, "READY=1");
    finish(s, WAIT);
    expect_exited(s, 0);
    CHECK(strstr(buf_str(&s->notifies), ": STATUS=from a child\n") != NULL,
          "the child's datagram was not forwarded: %s; messages: %s", buf_str(&s->notifies), buf_str(&s->msgs));
    const char *orphan = strstr(buf_str(&s->notifies), ": STATUS=from an orphan\n");
    if (!with_cgroup && no_subreaper_under_qemu(s)) {
        /* its parent is init, not the helper: only a cgroup says it belongs to the program */
        printf("# notify-descendants-accepted: without a subreaper the orphan's datagram was %s\n",
               orphan ? "forwarded (it was read before the orphan was reparented)" : "refused");
        needs_subreaper(s);
        return;
    }
    CHECK(orphan != NULL, "the orphan's datagram was not forwarded: %s; messages: %s", buf_str(&s->notifies),
          buf_str(&s->msgs));
    CHECK(strstr(buf_str(&s->msgs), "refused") == NULL, "a datagram was refused: %s",
          strstr(buf_str(&s->msgs), "refused"));
    /* each came with its own sender pid */
    char prog_line[32];
    snprintf(prog_line, sizeof prog_line, "%d: STATUS", (int)s->prog);
    CHECK(strstr(buf_str(&s->notifies), prog_line) == NULL, "a descendant's datagram carries the program's pid: %s",
          buf_str(&s->notifies));
}

static void t_notify_descendants(void) { notify_descendants(false); }
static void t_notify_descendants_cgroup(void) { notify_descendants(true); }

static void t_notify_outsider_refused(void)
{
    const char *dir = notify_dir();
    sess_t *s = start(spec_notify(spec_prog("notify_send", "env", "sleep=1500", "send=READY=1", NULL), 0, dir));
    const char *path = notify_path(s);
    /* this process is no process of the program: refused, whatever it says */
    CHECK(send_dgram(path, "READY=1\nMAINPID=1", 17, 0) == 0, "sendto %s: %s", path, strerror(errno));
    char want[120];
    snprintf(want, sizeof want, "refused a datagram from pid %d: the sender is no process of the program",
             (int)getpid());
    CHECK(WAIT_FOR(strstr(buf_str(&s->msgs), want) != NULL, WAIT), "no refusal \"%s\": %s", want,
          buf_str(&s->msgs));
    /* nor its malformed ones, refused for what they are before who sent them */
    static char big[5000];
    memset(big, 'x', sizeof big);
    CHECK(send_dgram(path, big, sizeof big, 0) == 0, "sendto: %s", strerror(errno));
    CHECK(send_dgram(path, "READY=1\0x", 9, 0) == 0, "sendto: %s", strerror(errno));
    CHECK(send_dgram(path, "", 0, 0) == 0, "sendto: %s", strerror(errno));
    CHECK(WAIT_FOR(strstr(buf_str(&s->msgs), "it contains a NUL byte") != NULL, WAIT), "messages: %s",
          buf_str(&s->msgs));
    CHECK(strstr(buf_str(&s->msgs), "it is longer than 4096 bytes") != NULL, "messages: %s", buf_str(&s->msgs));
    /* the program's own still comes through */
    expect_notify(s, s->prog, "READY=1");
    finish(s, WAIT);
    expect_exited(s, 0);
    CHECK(s->n_notify == 1, "%d NOTIFY frames, expected only the program's: %s", s->n_notify,
          buf_str(&s->notifies));
}

static void t_notify_quick_sender(void)
{
    /* a sender that exits right after sendmsg may be gone when the helper reads: then it cannot be
       checked, and the refusal says so (never "no process of the program") */
    const char *dir = notify_dir();
    sess_t *s = start(spec_notify(spec_prog("notify_send", "quick=STATUS=quick", "sleep=300", NULL), 0, dir));
    finish(s, WAIT);
    expect_exited(s, 0);
    bool forwarded = strstr(buf_str(&s->notifies), ": STATUS=quick\n") != NULL;
    bool gone = strstr(buf_str(&s->msgs), "the sender exited before it could be checked") != NULL;
    CHECK(forwarded != gone, "forwarded %d, refused as gone %d: %s; messages %s", forwarded, gone,
          buf_str(&s->notifies), buf_str(&s->msgs));
    CHECK(strstr(buf_str(&s->msgs), "no process of the program") == NULL, "messages: %s", buf_str(&s->msgs));
    printf("# notify-quick-sender: %s\n", forwarded ? "the helper read it while the sender lived"
                                                    : "the sender was gone: refused, reason given");
}

static void t_notify_barrier_fd_closed(void)
{
    /* systemd-notify and sd_notify_barrier() pass a pipe and wait until the receiver closed it */
    const char *dir = notify_dir();
    sess_t *s = start(spec_notify(spec_prog("notify_send", "send=READY=1", "barrier", NULL), 0, dir));
    finish(s, WAIT);
    expect_exited(s, 0);
    CHECK(strstr(out_str(s, S_STDOUT), "barrier ok") != NULL, "the passed fd was not closed: %s",
          out_str(s, S_STDOUT));
    expect_notify(s, s->prog, "READY=1");
    expect_notify(s, s->prog, "BARRIER=1");
}

static void t_notify_as_nobody(void)
{
    unsigned uid, gid;
    CHECK(nobody_ids(&uid, &gid), "no nobody in /etc/passwd");
    const char *dir = notify_dir();
    buf_t spec = spec_prog("notify_send", "env", "sleep=1000", "send=READY=1", NULL);
    field_u32(&spec, T_UID, uid);
    field_u32(&spec, T_GID, gid);
    field_bytes(&spec, T_GROUPS, NULL, 0);
    sess_t *s = start(spec_notify(spec, 0, dir));
    const char *path = notify_path(s);
    struct stat st;
    CHECK(lstat(path, &st) == 0 && st.st_uid == uid && st.st_gid == gid && (st.st_mode & 0777) == 0600,
          "%s: owner %u:%u mode 0%o, expected %u:%u 0600", path, st.st_uid, st.st_gid, st.st_mode & 0777, uid, gid);
    /* another unprivileged user cannot even send */
    int r = send_dgram(path, "READY=1", 7, 12345);
    CHECK(r == EACCES, "uid 12345 sending to the program's socket: %s, expected EACCES", r ? strerror(r) : "sent");
    expect_notify(s, s->prog, "READY=1");
    finish(s, WAIT);
    expect_exited(s, 0);
    CHECK(s->n_notify == 1, "%d NOTIFY frames: %s", s->n_notify, buf_str(&s->notifies));
}

static void t_notify_dir_refused(void)
{
    const char *dir = notify_dir();
    CHECK(mkdir(dir, 0700) == 0 && chmod(dir, 0777) == 0, "mkdir %s: %s", dir, strerror(errno));
    sess_t *s = launch_fd();
    buf_t spec = spec_notify(spec_prog("notify_send", "env", NULL), 0, dir);
    sess_spawn(s, &spec);
    expect_spawn_failed(s, 8, EPERM, "is not a private directory");
    CHECK(strstr(buf_str(&s->sf_text), "notify socket: ") == buf_str(&s->sf_text), "text %s",
          buf_str(&s->sf_text));
    /* a relative directory is refused by the parser */
    sess_t *p = launch_fd();
    buf_t rel = spec_notify(spec_prog("notify_send", NULL), 0, "tmp/x");
    sess_spawn(p, &rel);
    expect_spawn_failed(p, 1, EINVAL, "the directory must be an absolute path");
}

static void t_notify_stale_swept(void)
{
    const char *dir = notify_dir();
    CHECK(mkdir(dir, 0711) == 0, "mkdir %s: %s", dir, strerror(errno));
    char stale[400], live[400], other[400];
    snprintf(stale, sizeof stale, "%s/999999999-0123456789abcdef.sock", dir); /* above any pid_max */
    snprintf(live, sizeof live, "%s/%d-0123456789abcdef.sock", dir, (int)getpid());
    snprintf(other, sizeof other, "%s/999999999-notasocketname", dir);
    close(open(stale, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
    close(open(live, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
    close(open(other, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
    sess_t *s = start(spec_notify(spec_prog("notify_send", "env", NULL), 0, dir));
    finish(s, WAIT);
    expect_exited(s, 0);
    struct stat st;
    CHECK(lstat(stale, &st) < 0, "%s of a helper that is gone was not removed", stale);
    CHECK(lstat(live, &st) == 0, "%s of a live pid was removed", live);
    CHECK(lstat(other, &st) == 0, "%s, not a notify socket name, was removed", other);
}

static void t_notify_waits_while_detached(void)
{
    /* datagrams sent while detached wait in the socket and arrive after ATTACHED */
    const char *dir = notify_dir();
    sess_t *first = start(spec_notify(spec_prog("notify_send", "env", "sleep=1500", "send=STATUS=while detached",
                                                 "sleep=60000", NULL), 0, dir));
    notify_path(first);
    const char *path = detach_path();
    uint8_t secret[16];
    random_secret(secret);
    send_detach(first, 60000, secret, path);
    expect_detached(first);
    sleep_ms(scaled(2500)); /* the program sends meanwhile */
    CHECK(first->n_notify == 0, "NOTIFY before the detach: %s", buf_str(&first->notifies));
    sess_t *a = attach_to(path, secret, 65536, false);
    CHECK(a, "connect %s: %s", path, strerror(errno));
    expect_attached(a);
    expect_notify(a, first->prog, "STATUS=while detached");
    send_stop(a, SIGTERM, 2000);
    finish(a, WAIT);
}

static const struct test tests[] = {
    { "hello-and-subreaper-probe", t_hello_and_subreaper, 30 },
    { "echo-output-and-exit-0", t_echo, 30 },
    { "exit-code-3", t_exit_code_3, 30 },
    { "killed-by-signal", t_killed_by_signal, 30 },
    { "stdout-stderr-separate", t_stdout_stderr_separate, 30 },
    { "stderr-merged", t_stderr_merged, 30 },
    { "stderr-discarded", t_stderr_discarded, 30 },
    { "stdout-discarded", t_stdout_discarded, 30 },
    { "stderr-only", t_stderr_only, 30 },
    { "partial-line", t_partial_line, 30 },
    { "args-exact", t_args_exact, 30 },
    { "env-exact", t_env_exact, 30 },
    { "env-empty", t_env_empty, 30 },
    { "cwd", t_cwd, 30 },
    { "cwd-missing-spawn-failed", t_cwd_missing, 30 },
    { "stdin-none", t_stdin_none, 30 },
    { "stdin-pipe-count", t_stdin_pipe_count, 60 },
    { "stdin-pipe-slow-reader", t_stdin_pipe_slow_reader, 60 },
    { "stdin-pipe-echo-exact", t_stdin_pipe_echo, 120 },
    { "stdin-ack-echo-16MiB", t_stdin_pipe_echo_acked, 240 },
    { "stdin-ack-after-exit", t_stdin_ack_dropped, 30 },
    { "stdin-eof-at-once", t_stdin_close_early, 30 },
    { "stdin-file", t_stdin_file, 30 },
    { "stdin-file-missing-spawn-failed", t_stdin_file_missing, 30 },
    { "exec-missing-spawn-failed", t_exec_missing, 30 },
    { "exec-not-executable-spawn-failed", t_exec_not_executable, 30 },
    { "spawn-unknown-tag", t_spawn_unknown_tag, 30 },
    { "spawn-without-path", t_spawn_without_path, 30 },
    { "spawn-truncated-field", t_spawn_truncated_field, 30 },
    { "protocol-bad-frame-type", t_bad_frame_type, 30 },
    { "protocol-bad-frame-length", t_bad_frame_length, 60 },
    { "bad-usage", t_bad_usage, 30 },
    { "cannot-connect-exit-1", t_cannot_connect, 30 },
    { "run-fd-token", t_run_fd_token, 30 },
    { "spawn-unknown-flags", t_spawn_unknown_flags, 30 },
    { "bad-signal-and-stop", t_bad_signal_and_stop, 30 },
    { "flow-control-stdout-window-4096", t_flow_control_stdout, 180 },
    { "flow-control-stderr-window-4096", t_flow_control_stderr, 120 },
    { "zero-window-eof", t_zero_window_eof, 30 },
    { "drain-before-exit-5MB-x20", t_drain_before_exit, 600 },
    { "small-writes-complete", t_small_writes, 120 },
    { "data-frames-max-1MiB", t_big_window, 120 },
    { "fds-closed-in-child", t_fds_closed, 30 },
    { "own-session-and-pgrp", t_own_session, 30 },
    { "stop-graceful", t_stop_graceful, 30 },
    { "stop-sigkill-after-grace", t_stop_kill_after_grace, 30 },
    { "stop-zero-grace", t_stop_zero_grace, 30 },
    { "stop-other-signal", t_stop_other_signal, 30 },
    { "signal-program", t_signal_program, 30 },
    { "signal-group", t_signal_group, 30 },
    { "signal-descendants", t_signal_descendants, 30 },
    { "tree-gone-after-stop", t_tree_stop, 30 },
    { "tree-gone-after-hangup", t_tree_hangup, 30 },
    { "tree-gone-after-program-death", t_tree_program_exit, 30 },
    { "tree-gone-after-program-death-cgroup", t_tree_program_exit_cgroup, 30 },
    { "double-fork-gone-after-exit", t_double_fork_exit, 30 },
    { "double-fork-gone-after-stop", t_double_fork_stop, 30 },
    { "double-fork-gone-after-hangup", t_double_fork_hangup, 30 },
    { "double-fork-gone-after-exit-cgroup", t_double_fork_exit_cgroup, 30 },
    { "double-fork-gone-after-stop-cgroup", t_double_fork_stop_cgroup, 30 },
    { "double-fork-gone-after-hangup-cgroup", t_double_fork_hangup_cgroup, 30 },
    { "grandchildren-in-group-gone-at-exit", t_grandchildren_in_group, 30 },
    { "flag-keep-descendants", t_keep_descendants_flag, 30 },
    { "helper-kill9-pdeathsig", t_helper_sigkill_pdeathsig, 30 },
    { "helper-sigterm-teardown", t_helper_sigterm, 30 },
    { "helper-sighup-teardown", t_helper_sighup, 30 },
    { "helper-sigint-teardown", t_helper_sigint, 30 },
    { "helper-sigquit-teardown", t_helper_sigquit, 30 },
    { "helper-sigpipe-ignored", t_helper_sigpipe, 30 },
    { "helper-sigusr1-ignored", t_helper_sigusr1, 30 },
    { "helper-sigusr2-ignored", t_helper_sigusr2, 30 },
    { "hangup-grace-then-sigkill", t_hangup_grace, 30 },
    { "kill-signal-field", t_kill_signal_field, 30 },
    { "uid-gid-groups-nobody", t_uid_gid_groups, 30 },
    { "uid-gid-empty-groups", t_uid_empty_groups, 30 },
    { "hardening-baseline-inherited", t_hardening_baseline, 30 },
    { "hardening-no-new-privs", t_no_new_privs, 30 },
    { "hardening-umask", t_umask, 30 },
    { "hardening-nice", t_nice, 30 },
    { "hardening-oom-score-adj", t_oom_score_adj, 30 },
    { "hardening-rlimits-13-lowered", t_rlimits, 30 },
    { "hardening-rlimits-as-data-stack", t_rlimits_as_data_stack, 30 },
    { "hardening-rlimit-raise-hard-nofile", t_rlimit_raise_hard, 30 },
    { "hardening-rlimit-nproc-0-nobody-eagain", t_rlimit_nproc_nobody, 30 },
    { "hardening-caps-nobody-bind-port-80", t_caps_nobody_bind_80, 30 },
    { "hardening-caps-root-bounding-set", t_caps_root_bounding, 30 },
    { "hardening-caps-empty-set", t_caps_empty, 30 },
    { "hardening-caps-unknown-to-kernel", t_caps_unknown, 30 },
    { "hardening-caps-not-in-helper-bounding-set", t_caps_not_in_bounding, 30 },
    { "hardening-all-at-once-nobody", t_hardening_all_nobody, 30 },
    { "hardening-bad-fields-parse", t_hardening_bad_fields, 30 },
    { "cgroup-placement-and-removal", t_cgroup_placement, 30 },
    { "cgroup-removed-after-exit", t_cgroup_program_exit, 30 },
    { "cgroup-remove-nested-in-order", t_cgroup_nested_remove, 30 },
    { "cgroup-stats-before-exit-then-removed", t_cgroup_stats_before_exit, 30 },
    { "cgroup-no-stats-unasked", t_cgroup_no_stats_unasked, 30 },
    { "cgroup-missing-spawn-failed", t_cgroup_missing, 30 },
    { "cgroup-removed-after-spawn-failed", t_cgroup_removed_after_spawn_failed, 30 },
    { "run-mode-socket", t_run_mode, 30 },
    { "run-mode-hangup", t_run_mode_hangup, 30 },
    { "broker-two-helpers", t_broker_two_helpers, 30 },
    { "broker-eight-helpers", t_broker_ten_helpers, 60 },
    { "broker-gone-helper-stays", t_broker_gone_helper_stays, 30 },
    { "broker-spawn-failed", t_broker_spawn_failed, 30 },
    { "broker-bad-frames", t_broker_bad_frames, 30 },
    { "broker-helper-cannot-connect", t_broker_helper_cannot_connect, 30 },
    { "broker-sigterm-helpers-live", t_broker_sigterm_helpers_live, 30 },
    { "stop-acknowledged", t_stop_acknowledged, 30 },
    { "kill-helper-is-for-the-broker", t_kill_helper_is_for_the_broker, 30 },
    { "broker-reports-helper-exit", t_broker_reports_helper_exit, 30 },
    { "broker-kill-helper", t_broker_kill_helper, 30 },
    { "broker-kills-orphans-of-a-dead-helper", t_broker_kills_orphans_of_a_dead_helper, 30 },
    { "broker-exit-leaves-no-orphan", t_broker_exit_leaves_no_orphan, 30 },
    { "detach-attach-seq-continuous-blocked", t_detach_attach_sequence, 120 },
    { "detach-program-exits-while-detached", t_detach_program_exits, 30 },
    { "detach-output-waits-in-pipe", t_detach_output_waits, 30 },
    { "detach-lease-expiry-tree-cgroup-socket-gone", t_detach_lease_expiry, 30 },
    { "detach-lease-grace-then-sigkill", t_detach_lease_grace_sigkill, 30 },
    { "detach-wrong-secret-then-right", t_detach_wrong_secret, 30 },
    { "detach-idle-and-garbage-connections-closed", t_detach_idle_and_garbage_closed, 60 },
    { "detach-other-uid-refused", t_detach_other_uid_refused, 60 },
    { "detach-helper-sigterm-teardown", t_detach_sigterm, 30 },
    { "detach-helper-sighup-teardown", t_detach_sighup, 30 },
    { "detach-refused-while-stopping", t_detach_refused_while_stopping, 30 },
    { "detach-refused-bad-requests", t_detach_refused_bad_requests, 30 },
    { "detach-stdin-continues", t_detach_stdin_continues, 30 },
    { "detach-broker-helper-reattached", t_detach_broker_helper, 30 },
    { "notify-socket-env-private-and-removed", t_notify_socket_and_env, 30 },
    { "notify-without-watchdog-and-without-field", t_notify_without_watchdog, 30 },
    { "notify-descendants-accepted", t_notify_descendants, 30 },
    { "notify-descendants-accepted-cgroup", t_notify_descendants_cgroup, 30 },
    { "notify-outsider-and-malformed-refused", t_notify_outsider_refused, 30 },
    { "notify-barrier-fd-closed", t_notify_barrier_fd_closed, 30 },
    { "notify-quick-sender-gone-or-forwarded", t_notify_quick_sender, 30 },
    { "notify-as-nobody-socket-owner", t_notify_as_nobody, 30 },
    { "notify-dir-not-private-refused", t_notify_dir_refused, 30 },
    { "notify-stale-sockets-swept", t_notify_stale_swept, 30 },
    { "notify-datagrams-wait-while-detached", t_notify_waits_while_detached, 60 },
};
#define N_TESTS (int)(sizeof tests / sizeof tests[0])

/* ---- the runner --------------------------------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr, "usage: helpertest --helper PATH --testprogs DIR [--prefix \"EMULATOR ARGS\"]\n"
                    "                  [--only SUBSTRING] [--list] [--keep] [-v]\n");
    exit(2);
}

/* Runs one test in its own process; returns R_OK, R_FAIL or R_NA. */
static int run_test(int i, char *reason, size_t reasonsz)
{
    test_number = i + 1;
    snprintf(marker, sizeof marker, "CORRAL_ITEST=%d-%d", suite_pid, test_number);
    shared->result = R_NONE;
    shared->reason[0] = '\0';
    fflush(stdout);
    fflush(stderr);

    pid_t pid = fork();
    if (pid < 0) {
        snprintf(reason, reasonsz, "fork: %s", strerror(errno));
        return R_FAIL;
    }
    if (pid == 0) {
        signal(SIGPIPE, SIG_IGN);
        if (sigsetjmp(test_jmp, 1) == 0) {
            tests[i].fn();
            /* nothing the test started may still be running */
            char left[512];
            const char *tag = marker + strlen("CORRAL_ITEST=");
            int64_t deadline = now_ms() + 500;
            while (sweep_tagged(tag, false, left, sizeof left) > 0 && now_ms() < deadline)
                sleep_ms(20);
            if (left[0] && !na_mode)
                fail("left running after the test: %s", left);
            if (na_mode)
                not_applicable("%s; observed: every check passed anyway", na_reason);
            shared->result = R_OK;
        }
        test_cleanup();
        _exit(0);
    }

    int64_t deadline = now_ms() + (int64_t)tests[i].timeout_s * 1000 * cfg.slow;
    int st;
    bool timed_out = false;
    while (waitpid(pid, &st, WNOHANG) == 0) {
        if (now_ms() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            timed_out = true;
            break;
        }
        sleep_ms(5);
    }

    int result = shared->result;
    snprintf(reason, reasonsz, "%s", shared->reason);
    if (timed_out) {
        result = R_FAIL;
        snprintf(reason, reasonsz, "timed out after %d s (test process killed)",
                 tests[i].timeout_s * cfg.slow);
    } else if (result == R_NONE) {
        result = R_FAIL;
        snprintf(reason, reasonsz, "the test process ended without a result (status 0x%x)", st);
    }

    /* backstop: whatever is left of this test, by tag */
    char left[512], cgs[512], prefix[64];
    int n = sweep_tagged(marker + strlen("CORRAL_ITEST="), true, left, sizeof left);
    snprintf(prefix, sizeof prefix, "corral-itest-%d-%d-", suite_pid, test_number);
    int c = sweep_cgroups(prefix, cgs, sizeof cgs);
    if ((n || c) && result != R_NA) {
        size_t len = strlen(reason);
        snprintf(reason + len, reasonsz - len, "%sleft behind and removed by the runner:%s%s%s%s",
                 result == R_OK ? "" : "; ", n ? " processes " : "", n ? left : "",
                 c ? " cgroups " : "", c ? cgs : "");
        result = R_FAIL;
    }
    return result;
}

int main(int argc, char *argv[])
{
    const char *only = NULL, *prefix = NULL;
    bool list = false, keep = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--helper") && i + 1 < argc)
            cfg.helper = argv[++i];
        else if (!strcmp(argv[i], "--testprogs") && i + 1 < argc)
            cfg.testprogs = argv[++i];
        else if (!strcmp(argv[i], "--prefix") && i + 1 < argc)
            prefix = argv[++i];
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "--list"))
            list = true;
        else if (!strcmp(argv[i], "--keep"))
            keep = true;
        else if (!strcmp(argv[i], "-v"))
            cfg.verbose = true;
        else
            usage();
    }
    if (list) {
        for (int i = 0; i < N_TESTS; i++)
            printf("%s\n", tests[i].name);
        return 0;
    }
    if (!cfg.helper || !cfg.testprogs)
        usage();

    static char helper_abs[4096], progs_abs[4096];
    if (!realpath(cfg.helper, helper_abs) || access(helper_abs, X_OK) != 0) {
        fprintf(stderr, "helpertest: helper %s: %s\n", cfg.helper, strerror(errno));
        return 2;
    }
    if (!realpath(cfg.testprogs, progs_abs)) {
        fprintf(stderr, "helpertest: testprogs %s: %s\n", cfg.testprogs, strerror(errno));
        return 2;
    }
    cfg.helper = helper_abs;
    cfg.testprogs = progs_abs;
    const char *needed[] = { "fork_tree", "double_fork_setsid", "ignore_sigterm", "print_a_lot", "fd_check",
                             "print_ids", "spawn_grandchildren", "interleave", "print_hardening", "bind_port" };
    for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++)
        if (access(prog_path(needed[i]), X_OK) != 0) {
            fprintf(stderr, "helpertest: test program %s missing (make -C native testprogs)\n",
                    prog_path(needed[i]));
            return 2;
        }
    if (prefix) {
        static char copy[512];
        snprintf(copy, sizeof copy, "%s", prefix);
        for (char *w = strtok(copy, " \t"); w && cfg.nprefix < 15; w = strtok(NULL, " \t"))
            cfg.prefix[cfg.nprefix++] = w;
    }
    cfg.slow = cfg.nprefix ? 4 : 1;
    if (geteuid() != 0)
        fprintf(stderr, "helpertest: warning: not root; uid/gid and cgroup tests will fail\n");

    suite_pid = getpid();
    snprintf(cfg.tmpdir, sizeof cfg.tmpdir, "/tmp/corral-itest-%d", suite_pid);
    if (mkdir(cfg.tmpdir, 0700) != 0) {
        fprintf(stderr, "helpertest: mkdir %s: %s\n", cfg.tmpdir, strerror(errno));
        return 2;
    }
    shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    shared->subreaper_missing = -1;
    srand(suite_pid);
    setvbuf(stdout, NULL, _IOLBF, 0);

    printf("# helper: %s%s%s\n", cfg.nprefix ? prefix : "", cfg.nprefix ? " " : "", cfg.helper);
    printf("# testprogs: %s, cgroup2: %s, logs: %s\n", cfg.testprogs, cg_mount() ? cg_mount() : "none",
           cfg.tmpdir);

    int passed = 0, failed = 0, skipped = 0;
    for (int i = 0; i < N_TESTS; i++) {
        if (only && !strstr(tests[i].name, only) && i != 0)
            continue;
        char reason[1500];
        int r = run_test(i, reason, sizeof reason);
        if (r == R_OK) {
            printf("ok %s\n", tests[i].name);
            passed++;
        } else if (r == R_NA) {
            printf("n/a %s: %s\n", tests[i].name, reason);
            skipped++;
        } else {
            printf("FAIL %s: %s\n", tests[i].name, reason);
            failed++;
        }
        if (i == 0) {
            if (shared->subreaper_missing == 1)
                printf("# the helper is not a child subreaper here (%s): subreaper-dependent checks are "
                       "reported as %s\n", shared->subreaper_text, NA_SUBREAPER);
            else if (shared->subreaper_missing == 0)
                printf("# the helper is a child subreaper: subreaper-dependent checks count\n");
        }
    }

    /* the suite as a whole leaves nothing behind */
    char tag[32], left[512], cgs[512], prefix_cg[64];
    snprintf(tag, sizeof tag, "%d-", suite_pid);
    snprintf(prefix_cg, sizeof prefix_cg, "corral-itest-%d-", suite_pid);
    int n = sweep_tagged(tag, true, left, sizeof left);
    int c = sweep_cgroups(prefix_cg, cgs, sizeof cgs);
    if (n || c) {
        printf("FAIL suite-left-nothing-behind: processes: %s; cgroups: %s\n", n ? left : "none",
               c ? cgs : "none");
        failed++;
    } else {
        printf("ok suite-left-nothing-behind\n");
        passed++;
    }

    if (failed || keep)
        printf("# helper logs kept in %s\n", cfg.tmpdir);
    else {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", cfg.tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "helpertest: could not remove %s\n", cfg.tmpdir);
    }
    if (skipped)
        printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    else
        printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
