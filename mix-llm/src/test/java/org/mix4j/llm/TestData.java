package org.mix4j.llm;

import java.net.URISyntaxException;
import java.nio.file.Path;

/** Paths of this module's test resources. */
public final class TestData {

    /** Byte-level BPE: bytes are ids 0-255, then merges up to "Hello" = 259 and "Ġworld" = 264. */
    public static final long HELLO = 259;
    public static final long SPACE_WORLD = 264;
    public static final long ENDOFTEXT = 265;
    public static final long IM_START = 266;
    public static final long IM_END = 267;
    public static final long BEGIN_OF_TEXT = 268;

    private TestData() {}

    public static Path resource(String name) {
        try {
            return Path.of(TestData.class.getResource("/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
