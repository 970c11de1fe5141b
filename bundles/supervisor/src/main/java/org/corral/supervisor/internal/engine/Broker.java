package org.corral.supervisor.internal.engine;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * One broker process: forks a helper per SPAWN. SPAWN frames sent before it said HELLO wait here.
 */
final class Broker {

    final TokenKey token;
    private volatile Process process;
    private Conn conn;
    private boolean dead;
    private final ArrayDeque<ByteBuffer> early = new ArrayDeque<>();

    Broker(TokenKey token) {
        this.token = token;
    }

    void process(Process p) {
        this.process = p;
    }

    /** The broker process (null until started). */
    Process process() {
        return process;
    }

    long pid() {
        Process p = process;
        return p == null ? -1 : p.pid();
    }

    synchronized boolean connected() {
        return conn != null && !dead;
    }

    synchronized boolean isDead() {
        return dead;
    }

    /** HELLO arrived on {@code c}: flush what waited. */
    synchronized void connected(Conn c) {
        conn = c;
        while (!early.isEmpty()) {
            c.send(early.poll());
        }
    }

    /**
     * Sends a SPAWN (or queues it until HELLO).
     *
     * @return false when this broker is dead
     */
    synchronized boolean send(ByteBuffer frame) {
        if (dead) {
            return false;
        }
        if (conn == null) {
            early.add(frame);
            return true;
        }
        return conn.send(frame);
    }

    /** Marks it dead; returns whether it was alive. */
    synchronized boolean markDead() {
        boolean was = !dead;
        dead = true;
        early.clear();
        return was;
    }

    synchronized Conn conn() {
        return conn;
    }
}
