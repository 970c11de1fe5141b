package org.corral.supervisor.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.corral.api.CommandSpec;
import org.corral.supervisor.support.NoLeftovers;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 11: the control socket closes connections that say no HELLO in time, holds no more than a bounded
 * number of them at once (the oldest makes room for a new one), and refuses connections of other users (SO_PEERCRED); the JVM does not re-attach to
 * a socket of another user (nor send it the attach secret).
 */
@ExtendWith(NoLeftovers.class)
class ControlSocketTest {

    static final int NOBODY = 65534;
    static HelperEngine engine;

    @BeforeAll
    static void start() {
        String arch = HelperLocator.architecture();
        engine = HelperEngine.start(EngineConfig.builder().runtimeParent(TestSupport.runtimeParent())
                .helperResource(HelperLocator.fromClassLoader(ControlSocketTest.class.getClassLoader(), arch)
                        .orElseThrow())
                .helloTimeout(Duration.ofSeconds(2)).build());
    }

    @AfterAll
    static void stop() {
        engine.close();
    }

    private static SocketChannel connect() throws IOException {
        return connect(engine);
    }

    private static SocketChannel connect(HelperEngine e) throws IOException {
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        c.connect(UnixDomainSocketAddress.of(e.controlSocket()));
        return c;
    }

    /** Waits up to {@code millis} until the JVM closed each of {@code cs}; returns those it did not close. */
    private static List<SocketChannel> stillOpen(List<SocketChannel> cs, long millis) throws IOException {
        List<SocketChannel> open = new ArrayList<>(cs);
        try (Selector sel = Selector.open()) {
            for (SocketChannel c : cs) {
                c.configureBlocking(false);
                c.register(sel, SelectionKey.OP_READ, c);
            }
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            ByteBuffer b = ByteBuffer.allocate(64);
            while (!open.isEmpty()) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    break;
                }
                sel.select(left);
                for (SelectionKey k : sel.selectedKeys()) {
                    b.clear();
                    int n;
                    try {
                        n = ((SocketChannel) k.channel()).read(b);
                    } catch (IOException e) {
                        n = -1;
                    }
                    if (n < 0) {
                        k.cancel();
                        open.remove(k.attachment());
                    }
                }
                sel.selectedKeys().clear();
            }
        }
        return open;
    }

    @Test
    void aConnectionWithoutHelloIsClosedAfterTheDeadline() throws Exception {
        try (SocketChannel c = connect()) {
            assertEquals(List.of(), stillOpen(List.of(c), 30_000), "the JVM closed an idle connection (HELLO deadline 2 s)");
        }
        assertEquals("ok\n", run("ok"), "the engine still runs programs");
    }

    @Test
    void idleConnectionsAreCappedAndProgramsStillStart() throws Exception {
        List<SocketChannel> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 600; i++) {
                idle.add(connect());
            }
            // what the cap refuses is closed at once; programs start meanwhile
            assertEquals("during the flood\n", run("during the flood"));
            List<SocketChannel> open = stillOpen(idle, 1000);
            assertTrue(open.size() <= HelperEngine.UNAUTHENTICATED_MAX, "at most " + HelperEngine.UNAUTHENTICATED_MAX
                    + " idle connections are held, but " + open.size() + " of 600 are open");
            assertEquals(List.of(), stillOpen(open, 30_000), "the HELLO deadline closes the rest");
        } finally {
            for (SocketChannel c : idle) {
                c.close();
            }
        }
    }

    /**
     * At the cap, a new connection closes the oldest one waiting for its HELLO instead of being refused: idle
     * connections that came first (still in the backlog when a spawn's helper connects) cannot keep the
     * helper out. A HELLO deadline of a minute here, so that only the cap closes anything.
     */
    @Test
    void atTheCapTheOldestWaitingConnectionMakesRoomForTheNewOne() throws Exception {
        HelperEngine e = HelperEngine.start(EngineConfig.builder().runtimeParent(TestSupport.runtimeParent())
                .helperResource(HelperLocator.fromClassLoader(ControlSocketTest.class.getClassLoader(),
                        HelperLocator.architecture()).orElseThrow())
                .helloTimeout(Duration.ofMinutes(1)).build());
        List<SocketChannel> idle = new ArrayList<>();
        try {
            for (int i = 0; i < HelperEngine.UNAUTHENTICATED_MAX; i++) {
                idle.add(connect(e));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (e.awaitingHelloCount() < HelperEngine.UNAUTHENTICATED_MAX && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(HelperEngine.UNAUTHENTICATED_MAX, e.awaitingHelloCount(), "every idle connection accepted");
            SocketChannel newest = connect(e);
            idle.add(newest);
            assertEquals(List.of(), stillOpen(List.of(idle.get(0)), 30_000), "the oldest waiting connection is closed");
            assertEquals(List.of(newest), stillOpen(List.of(newest), 300), "the newest connection is held");
            assertEquals(HelperEngine.UNAUTHENTICATED_MAX, e.awaitingHelloCount(), "still at the cap, not above");
            RunningProgram p = e.launch(CommandSpec.of("echo", "at the cap"));
            assertEquals("at the cap\n", new String(p.completion().get(60, TimeUnit.SECONDS).stdout(),
                    StandardCharsets.UTF_8));
        } finally {
            for (SocketChannel c : idle) {
                c.close();
            }
            e.close();
        }
    }

    private static String run(String word) throws Exception {
        RunningProgram p = engine.launch(CommandSpec.of("echo", word));
        return new String(p.completion().get(60, TimeUnit.SECONDS).stdout(), StandardCharsets.UTF_8);
    }

    static String setpriv() {
        for (String d : new String[] {"/usr/bin/setpriv", "/bin/setpriv"}) {
            if (Files.isExecutable(Path.of(d))) {
                return d;
            }
        }
        return null;
    }

    private static List<String> asNobody(String... cmd) {
        List<String> c = new ArrayList<>(List.of(setpriv(), "--reuid=" + NOBODY, "--regid=" + NOBODY,
                "--clear-groups"));
        c.addAll(List.of(cmd));
        return c;
    }

    @Test
    void aConnectionOfAnotherUserIsRefusedAtOnce() throws Exception {
        assumeTrue(setpriv() != null && CommandResolver.selfUid() == 0, "needs root and setpriv");
        // an engine whose HELLO deadline is far beyond the probe's wait: only the user check can close it
        HelperEngine engine = HelperEngine.start(EngineConfig.builder().runtimeParent(TestSupport.runtimeParent())
                .helperResource(HelperLocator.fromClassLoader(ControlSocketTest.class.getClassLoader(),
                        HelperLocator.architecture()).orElseThrow())
                .helloTimeout(Duration.ofSeconds(120)).build());
        Path dir = engine.runtimeDir();
        Path parent = dir.getParent();
        assumeTrue(parent.equals(TestSupport.runtimeParent().toAbsolutePath()), "the runtime directory is under "
                + "this test's own parent: " + dir);
        Path sock = engine.controlSocket();
        Set<java.nio.file.attribute.PosixFilePermission> parentPerms = Files.getPosixFilePermissions(parent);
        Set<java.nio.file.attribute.PosixFilePermission> dirPerms = Files.getPosixFilePermissions(dir);
        Set<java.nio.file.attribute.PosixFilePermission> sockPerms = Files.getPosixFilePermissions(sock);
        try {
            // a mistake that lets another user reach the socket: the JVM still refuses it
            Files.setPosixFilePermissions(parent, PosixFilePermissions.fromString("rwx--x--x"));
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
            Files.setPosixFilePermissions(sock, PosixFilePermissions.fromString("rwxrwxrwx"));
            Process probe = new ProcessBuilder(asNobody(TestSupport.prog("ctl_probe"), sock.toString(), "20000"))
                    .redirectErrorStream(true).start();
            String out = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            probe.waitFor(60, TimeUnit.SECONDS);
            assertTrue(out.startsWith("uid " + NOBODY + " euid " + NOBODY), out);
            assertTrue(out.contains("closed after"), "the JVM closed the other user's connection: " + out);
        } finally {
            Files.setPosixFilePermissions(sock, sockPerms);
            Files.setPosixFilePermissions(dir, dirPerms);
            Files.setPosixFilePermissions(parent, parentPerms);
            engine.close();
        }
    }

    @Test
    void noReattachToASocketOfAnotherUser() throws Exception {
        assumeTrue(setpriv() != null && CommandResolver.selfUid() == 0, "needs root and setpriv");
        Path dir = Files.createTempDirectory("corral-peer-test-"); // in /tmp: the other user can get there
        Path sock = dir.resolve("helper.sock");
        Files.setOwner(dir, dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
        Process listener = new ProcessBuilder(asNobody(TestSupport.prog("unix_listen"), sock.toString()))
                .redirectErrorStream(true).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(listener.getInputStream(),
                StandardCharsets.UTF_8))) {
            assertEquals("listening", r.readLine());
            HandOff h = new HandOff(1, 1, "00112233445566778899aabbccddeeff", "0123456789abcdef0123456789abcdef", sock,
                    20_000, 0, 0, Map.of());
            RunningProgram p = engine.attach(h, CommandSpec.of("/bin/true"), null);
            ExecutionException e = assertThrows(ExecutionException.class, () -> p.started().get(30, TimeUnit.SECONDS));
            assertNotNull(e.getCause().getMessage());
            assertTrue(e.getCause().getMessage().contains("runs as user nobody"), e.getCause().getMessage());
            assertEquals("received 0 bytes", r.readLine(), "the secret was not sent to the other user's socket");
        } finally {
            listener.destroyForcibly();
            listener.waitFor(10, TimeUnit.SECONDS);
            Files.deleteIfExists(sock);
            Files.deleteIfExists(dir);
        }
    }
}
