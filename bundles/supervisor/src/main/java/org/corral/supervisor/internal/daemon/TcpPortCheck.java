package org.corral.supervisor.internal.daemon;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.function.Consumer;

import org.corral.supervisor.internal.engine.Timers;

/**
 * Ready when {@code 127.0.0.1:port} accepts a TCP connection: non-blocking connects on the engine's timers, at
 * backing-off intervals (10 ms doubling to 500 ms); a pending connect is looked at after 2 ms, then 5 ms
 * doubling, five times, before it counts as refused.
 */
final class TcpPortCheck extends ReadinessCheck.Probing {

    private static final InetAddress LOOPBACK;

    static {
        try {
            LOOPBACK = InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int port;
    private volatile SocketChannel pending;

    TcpPortCheck(int port, Timers timers, Consumer<String> passed) {
        super(timers, passed);
        this.port = port;
    }

    @Override
    void cancelled() {
        close(pending);
    }

    @Override
    void probe(int attempt) {
        SocketChannel ch = null;
        try {
            ch = SocketChannel.open();
            ch.configureBlocking(false);
            if (ch.connect(new InetSocketAddress(LOOPBACK, port))) {
                close(ch);
                pass("127.0.0.1:" + port + " accepts connections");
                return;
            }
            SocketChannel open = ch;
            pending = open;
            always(Duration.ofMillis(2), () -> finish(attempt, open, 0));
        } catch (IOException e) {
            close(ch);
            next(attempt);
        }
    }

    private void finish(int attempt, SocketChannel ch, int checks) {
        if (!active()) {
            close(ch);
            return;
        }
        try {
            if (ch.finishConnect()) {
                close(ch);
                pass("127.0.0.1:" + port + " accepts connections");
                return;
            }
            if (checks < 5) {
                always(Duration.ofMillis(5L << checks), () -> finish(attempt, ch, checks + 1));
                return;
            }
        } catch (IOException e) {
            // refused: not listening yet
        }
        close(ch);
        next(attempt);
    }

    private void next(int attempt) {
        long ms = Math.min(500, 10L << Math.min(attempt, 6));
        later(Duration.ofMillis(ms), () -> probe(attempt + 1));
    }

    private static void close(SocketChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                // nothing to do
            }
        }
    }
}
