package org.corral.api;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/** What a program reads on stdin. Never the control channel of the helper. */
public final class Stdin {

    /** The kinds of stdin. */
    public enum Kind {
        /** {@code /dev/null} (default). */
        NONE,
        /** Fixed bytes, then end of file. */
        BYTES,
        /** A file, opened for reading by the helper. */
        FILE
    }

    private static final Stdin NONE = new Stdin(Kind.NONE, null, null);

    private final Kind kind;
    private final byte[] bytes;
    private final Path file;

    private Stdin(Kind kind, byte[] bytes, Path file) {
        this.kind = kind;
        this.bytes = bytes;
        this.file = file;
    }

    public static Stdin none() {
        return NONE;
    }

    public static Stdin bytes(byte[] bytes) {
        return new Stdin(Kind.BYTES, bytes.clone(), null);
    }

    public static Stdin text(String text) {
        return new Stdin(Kind.BYTES, text.getBytes(java.nio.charset.StandardCharsets.UTF_8), null);
    }

    public static Stdin file(Path file) {
        return new Stdin(Kind.FILE, null, Objects.requireNonNull(file, "file"));
    }

    public Kind kind() {
        return kind;
    }

    /** The bytes for {@link Kind#BYTES} (a copy). */
    public Optional<byte[]> bytes() {
        return Optional.ofNullable(bytes).map(byte[]::clone);
    }

    /** Length of the bytes for {@link Kind#BYTES}, else 0, without copying. */
    public int length() {
        return bytes == null ? 0 : bytes.length;
    }

    /** The file for {@link Kind#FILE}. */
    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    @Override
    public String toString() {
        switch (kind) {
            case BYTES:
                return "stdin(" + bytes.length + " bytes)";
            case FILE:
                return "stdin(" + file + ")";
            default:
                return "stdin(none)";
        }
    }
}
