package org.corral.supervisor.internal.protocol;

/** Constants of the helper control protocol (docs/protocol.md). All integers little-endian. */
public final class Protocol {

    /** The protocol version this JVM speaks (HELLO from a helper may carry {@link #MIN_VERSION}..this). */
    public static final int VERSION = 3;
    /**
     * The oldest helper protocol version accepted (version 2 added detach/re-attach, version 3 the frames of
     * helper loss: a helper of an older version, taken over at a hand-over, acknowledges no STOP).
     */
    public static final int MIN_VERSION = 1;
    /** The first version whose helpers acknowledge STOP with STOPPING. */
    public static final int VERSION_STOPPING = 3;
    public static final int TOKEN_LEN = 16;
    /** Largest DATA/STDIN payload. */
    public static final int DATA_MAX = 1024 * 1024;
    /** Largest value of a frame's length field (type + payload). */
    public static final int FRAME_MAX = DATA_MAX + 16;
    /** u32 length + u8 type. */
    public static final int HDR_LEN = 5;

    // JVM -> broker/helper
    public static final int T_SPAWN = 0x01;
    public static final int T_CREDIT = 0x02;
    public static final int T_STDIN = 0x03;
    public static final int T_STDIN_EOF = 0x04;
    public static final int T_SIGNAL = 0x05;
    public static final int T_STOP = 0x06;
    public static final int T_DETACH = 0x07;
    public static final int T_ATTACH = 0x08;
    public static final int T_KILL_HELPER = 0x09;

    // broker/helper -> JVM
    public static final int T_HELLO = 0x41;
    public static final int T_SPAWNED = 0x42;
    public static final int T_SPAWN_FAILED = 0x43;
    public static final int T_DATA = 0x44;
    public static final int T_EOF = 0x45;
    public static final int T_EXIT = 0x46;
    public static final int T_MESSAGE = 0x47;
    public static final int T_STDIN_ACK = 0x48;
    public static final int T_DETACHED = 0x49;
    public static final int T_ATTACHED = 0x4A;
    public static final int T_HELPER_EXIT = 0x4B;
    public static final int T_STOPPING = 0x4C;
    /** A datagram from the program's sd_notify socket (docs/protocol.md "sd_notify"). */
    public static final int T_NOTIFY = 0x4D;
    /** The final statistics of the CGROUP_STATS cgroup, just before EXIT. */
    public static final int T_STATS = 0x4E;

    public static final int ROLE_BROKER = 1;
    public static final int ROLE_HELPER = 2;

    public static final int STREAM_STDOUT = 1;
    public static final int STREAM_STDERR = 2;

    public static final int LVL_DEBUG = 1;
    public static final int LVL_INFO = 2;
    public static final int LVL_WARN = 3;
    public static final int LVL_ERROR = 4;

    public static final int SIGTARGET_PROGRAM = 0;
    public static final int SIGTARGET_GROUP = 1;
    public static final int SIGTARGET_TREE = 2;

    public static final int EXIT_EXITED = 0;
    public static final int EXIT_SIGNALED = 1;
    public static final int EXITF_SIGNALED_BY_HELPER = 1;
    public static final int EXITF_SIGKILL_NEEDED = 2;
    public static final int EXITF_CGROUP_NOT_REMOVED = 4;

    // SPAWN field tags
    public static final int F_TOKEN = 1;
    public static final int F_PATH = 2;
    public static final int F_ARG = 3;
    public static final int F_ENV = 4;
    public static final int F_CWD = 5;
    public static final int F_STDIN = 6;
    public static final int F_UID = 7;
    public static final int F_GID = 8;
    public static final int F_GROUPS = 9;
    public static final int F_CGROUP = 10;
    public static final int F_CGROUP_REMOVE = 11;
    public static final int F_KILL_SIGNAL = 12;
    public static final int F_GRACE_MS = 13;
    public static final int F_WINDOW = 14;
    public static final int F_STDERR_MODE = 15;
    public static final int F_STDOUT_MODE = 16;
    public static final int F_LABEL = 17;
    public static final int F_FLAGS = 18;
    // hardening (docs/protocol.md "Hardening")
    public static final int F_NO_NEW_PRIVS = 19;
    public static final int F_CAPS = 20;
    public static final int F_RLIMIT = 21;
    public static final int F_NICE = 22;
    public static final int F_OOM_SCORE_ADJ = 23;
    public static final int F_UMASK = 24;
    // 25, 26: taken on other branches
    /** sd_notify: {@code u64 watchdog_usec}, then the directory of the program's notify socket. */
    public static final int F_NOTIFY = 27;
    /** Longest NOTIFY directory: the socket {@code <dir>/<pid>-<16 hex>.sock} must fit in 107 bytes. */
    public static final int NOTIFY_DIR_MAX = 77;
    /** Longest datagram a NOTIFY frame carries (as systemd: PIPE_BUF). */
    public static final int NOTIFY_MSG_MAX = 4096;
    /** A cgroup whose interface files the helper sends in STATS before EXIT (then removes it as CGROUP_REMOVE says). */
    public static final int F_CGROUP_STATS = 28;

    public static final int STDIN_NULL = 0;
    public static final int STDIN_PIPE = 1;
    public static final int STDIN_FILE = 2;

    public static final int OUT_PIPE = 0;
    public static final int OUT_MERGE = 1;
    public static final int OUT_NULL = 2;

    public static final int FLAG_KEEP_DESCENDANTS = 1;
    /** SPAWN FLAGS bit 1: the helper acknowledges STDIN payload with STDIN_ACK. */
    public static final int FLAG_STDIN_ACK = 2;
    /** Most STDIN payload a JVM that asked for STDIN_ACK keeps unacknowledged. */
    public static final int STDIN_WINDOW = 1024 * 1024;

    /** No upper bound on a payload size (the length field's own bound applies). */
    public static final long ANY = 0xffffffffL;

    /**
     * Payload size bounds {@code {min, max}} of a frame type (max {@link #ANY}: no bound of its own), or null
     * for a type this direction does not have. The same table as {@code rule_for} in native/src/protocol.c
     * (a test keeps them equal).
     *
     * @param toHelper frames the JVM sends (true) or frames a broker/helper sends (false)
     */
    public static long[] payloadBounds(boolean toHelper, int type) {
        if (toHelper) {
            switch (type) {
                case T_SPAWN: return new long[] {0, ANY};
                case T_CREDIT: return new long[] {5, 5};
                case T_STDIN: return new long[] {0, DATA_MAX};
                case T_STDIN_EOF: return new long[] {0, 0};
                case T_SIGNAL: return new long[] {5, 5};
                case T_STOP: return new long[] {8, 8};
                case T_DETACH: return new long[] {4 + TOKEN_LEN + 1, 4 + TOKEN_LEN + 107};
                case T_ATTACH: return new long[] {TOKEN_LEN + 4, TOKEN_LEN + 4};
                case T_KILL_HELPER: return new long[] {TOKEN_LEN, TOKEN_LEN};
                default: return null;
            }
        }
        switch (type) {
            case T_HELLO: return new long[] {2 + 1 + 4 + TOKEN_LEN, 2 + 1 + 4 + TOKEN_LEN};
            case T_SPAWNED: return new long[] {4, 4};
            case T_SPAWN_FAILED: return new long[] {5, ANY};
            case T_DATA: return new long[] {2, DATA_MAX + 1};
            case T_EOF: return new long[] {1, 1};
            case T_EXIT: return new long[] {6, 6};
            case T_MESSAGE: return new long[] {1, ANY};
            case T_STDIN_ACK: return new long[] {4, 4};
            case T_DETACHED: return new long[] {16, 16};
            case T_ATTACHED: return new long[] {26, ANY};
            case T_HELPER_EXIT: return new long[] {TOKEN_LEN + 9, TOKEN_LEN + 9};
            case T_STOPPING: return new long[] {8, 8};
            case T_NOTIFY: return new long[] {4 + 1, 4 + NOTIFY_MSG_MAX};
            case T_STATS: return new long[] {0, DATA_MAX};
            default: return null;
        }
    }

    /** SPAWN_FAILED stage names, indexed by stage number. */
    private static final String[] STAGES = {"unknown", "parse", "fork", "stdio", "cgroup", "chdir",
        "setgroups/setgid/setuid", "exec", "other", "rlimit", "nice", "oom_score_adj", "capabilities",
        "no_new_privs"};

    private Protocol() {
    }

    /** A readable name of a SPAWN_FAILED stage. */
    public static String stageName(int stage) {
        return stage > 0 && stage < STAGES.length ? STAGES[stage] : "stage " + stage;
    }

    /** A readable name of a frame type, for error messages. */
    public static String typeName(int type) {
        switch (type) {
            case T_SPAWN: return "SPAWN";
            case T_CREDIT: return "CREDIT";
            case T_STDIN: return "STDIN";
            case T_STDIN_EOF: return "STDIN_EOF";
            case T_SIGNAL: return "SIGNAL";
            case T_STOP: return "STOP";
            case T_DETACH: return "DETACH";
            case T_ATTACH: return "ATTACH";
            case T_KILL_HELPER: return "KILL_HELPER";
            case T_HELLO: return "HELLO";
            case T_SPAWNED: return "SPAWNED";
            case T_SPAWN_FAILED: return "SPAWN_FAILED";
            case T_DATA: return "DATA";
            case T_EOF: return "EOF";
            case T_EXIT: return "EXIT";
            case T_MESSAGE: return "MESSAGE";
            case T_STDIN_ACK: return "STDIN_ACK";
            case T_DETACHED: return "DETACHED";
            case T_ATTACHED: return "ATTACHED";
            case T_HELPER_EXIT: return "HELPER_EXIT";
            case T_STOPPING: return "STOPPING";
            case T_NOTIFY: return "NOTIFY";
            case T_STATS: return "STATS";
            default: return String.format("0x%02x", type);
        }
    }
}
