package org.corral.supervisor.internal.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HexFormat;

import org.corral.api.Capability;
import org.corral.api.CommandSpec;
import org.corral.api.Rlimit;
import org.junit.jupiter.api.Test;

/** The hardening fields 19..24 of a SPAWN frame, byte for byte as docs/protocol.md gives them. */
class SpawnFrameHardeningTest {

    private static String hex(SpawnFrame f) {
        return HexFormat.of().formatHex(f.fieldBytes());
    }

    @Test
    void eachFieldAsDocumented() {
        // tag u16, length u32, value; little-endian
        assertEquals("1300" + "00000000", hex(new SpawnFrame().hardening(
                CommandSpec.builder("x").noNewPrivileges(true).build())));
        assertEquals("1400" + "08000000" + "0104000000000000", hex(new SpawnFrame().hardening(
                CommandSpec.builder("x").capabilities(Capability.NET_BIND_SERVICE, Capability.CHOWN).build())));
        assertEquals("1400" + "08000000" + "0000000000010000", hex(new SpawnFrame().hardening(
                CommandSpec.builder("x").capabilities(Capability.CHECKPOINT_RESTORE).build())));
        assertEquals("1400" + "08000000" + "0000000000000000", hex(new SpawnFrame().hardening(
                CommandSpec.builder("x").capabilities().build())), "an empty set is sent: no capability at all");
        assertEquals("1500" + "11000000" + "07" + "0004000000000000" + "0010000000000000", hex(new SpawnFrame()
                .hardening(CommandSpec.builder("x").rlimit(Rlimit.NOFILE, 1024, 4096).build())));
        assertEquals("1500" + "11000000" + "04" + "0000000000000000" + "ffffffffffffffff", hex(new SpawnFrame()
                .hardening(CommandSpec.builder("x").rlimit(Rlimit.CORE, 0, Rlimit.UNLIMITED).build())),
                "unlimited is all ones");
        assertEquals("1600" + "04000000" + "fbffffff", hex(new SpawnFrame().hardening(
                CommandSpec.builder("x").nice(-5).build())));
        assertEquals("1700" + "04000000" + "18fcffff", hex(new SpawnFrame().hardening(
                CommandSpec.builder("x").oomScoreAdj(-1000).build())));
        assertEquals("1800" + "04000000" + "17000000", hex(new SpawnFrame().hardening(
                CommandSpec.builder("x").umask(0027).build())));
    }

    @Test
    void rlimitsInTheKernelsOrderOneFieldEach() {
        CommandSpec spec = CommandSpec.builder("x").rlimit(Rlimit.STACK, 8 << 20, 16 << 20).rlimit(Rlimit.AS, 1L << 40,
                Rlimit.UNLIMITED).rlimit(Rlimit.CPU, 10, 20).build();
        byte[] b = new SpawnFrame().hardening(spec).fieldBytes();
        assertEquals(3 * (6 + 17), b.length);
        assertEquals(0, b[6], "cpu (0) first");
        assertEquals(3, b[6 + 23], "then stack (3)");
        assertEquals(9, b[6 + 46], "then as (9)");
        assertArrayEquals(HexFormat.of().parseHex("0000000000010000"), java.util.Arrays.copyOfRange(b, 46 + 7, 46 + 15),
                "2^40 little-endian");
    }

    @Test
    void nothingWithoutHardening() {
        assertEquals(0, new SpawnFrame().hardening(CommandSpec.of("x")).fieldBytes().length,
                "a spec without hardening gives the frame it always gave");
        assertEquals(0, new SpawnFrame().hardening(CommandSpec.builder("x").noNewPrivileges(false).nice(null)
                .capabilities((java.util.Set<Capability>) null).build()).fieldBytes().length);
    }

    @Test
    void aHardeningSpawnFailedIsDecodedWithItsStage() throws Exception {
        byte[] text = "capabilities: CAP_WAKE_ALARM (35) is not in the helper's bounding set"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.nio.ByteBuffer p = java.nio.ByteBuffer.allocate(5 + text.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        p.putInt(1).put((byte) 12).put(text);
        FrameDecoderTest.Recorder r = FrameDecoderTest.feed(FrameDecoderTest.concat(FrameDecoderTest.hello(),
                FrameDecoderTest.frame(Protocol.T_SPAWN_FAILED, p.array())), 3);
        assertEquals(java.util.List.of("HELLO v1 r2 p4242 t7,9",
                "FAILED 1 12 - capabilities: CAP_WAKE_ALARM (35) is not in the helper's bounding set"), r.events);
    }

    @Test
    void stagesHaveNames() {
        assertEquals("rlimit", Protocol.stageName(9));
        assertEquals("nice", Protocol.stageName(10));
        assertEquals("oom_score_adj", Protocol.stageName(11));
        assertEquals("capabilities", Protocol.stageName(12));
        assertEquals("no_new_privs", Protocol.stageName(13));
        assertEquals("stage 14", Protocol.stageName(14));
    }
}
