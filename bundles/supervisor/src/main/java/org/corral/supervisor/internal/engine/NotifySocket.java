package org.corral.supervisor.internal.engine;

import java.time.Duration;
import java.util.Objects;

/**
 * What a program launched with an sd_notify socket gets ({@link Engine#launch(org.corral.api.CommandSpec,
 * org.corral.api.OutputConsumer, NotifySocket)}): its helper creates a Unix datagram socket that only the program's
 * processes may use, passes {@code NOTIFY_SOCKET} (and, with a watchdog, {@code WATCHDOG_USEC} and
 * {@code WATCHDOG_PID}), and forwards every datagram of the program to {@code listener} (docs/protocol.md
 * "sd_notify").
 *
 * @param watchdog the watchdog interval the program is told ({@link Duration#ZERO}: none); the engine only
 *     passes it on, the caller keeps the time
 * @param listener receives each datagram with the pid of its sender
 */
public record NotifySocket(Duration watchdog, Listener listener) {

    public NotifySocket {
        Objects.requireNonNull(watchdog, "watchdog");
        Objects.requireNonNull(listener, "listener");
        if (watchdog.isNegative()) {
            throw new IllegalArgumentException("watchdog " + watchdog);
        }
    }

    /** Receives the program's sd_notify datagrams. */
    @FunctionalInterface
    public interface Listener {
        /**
         * One datagram (1..4096 bytes, no NUL byte) from process {@code pid} of the program, in the order sent.
         * Runs on an engine thread (the IO or the delivery thread, in order with the program's output): return
         * quickly.
         */
        void datagram(long pid, byte[] message);
    }
}
