package org.mix4j.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsFileTest {

    @TempDir
    Path dir;

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** Writes an 8-byte little-endian length (possibly a lie), the header, then data. */
    static Path raw(Path file, long declaredLength, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredLength).put(h).put(data);
        Files.write(file, b.array());
        return file;
    }

    static Path raw(Path file, String header, byte[] data) throws IOException {
        return raw(file, header.getBytes(StandardCharsets.UTF_8).length, header, data);
    }

    private CheckpointException openFails(Path file) {
        return assertThrows(CheckpointException.class, () -> SafeTensorsFile.open(file).close());
    }

    @Test
    void roundTripsEveryDtype() throws IOException {
        Path file = dir.resolve("all.safetensors");
        new SafeTensorsWriter()
                .put("f32", manager.create(new float[] {1.5f, -2f, 3.25f}))
                .put("f16", manager.create(new float[] {0.5f, 2f}).toType(DataType.FLOAT16, false))
                .put("i64", manager.create(new long[] {1L << 40, -3}))
                .put("i32", manager.create(new int[] {7, -8}))
                .put("i8", manager.create(new byte[] {-5, 6}))
                .put("u8", manager.create(new byte[] {(byte) 200, 3}).toType(DataType.UINT8, false))
                .put("bool", manager.create(new boolean[] {true, false, true}))
                .put("matrix", manager.arange(6f).reshape(2, 3))
                .write(file);
        try (Checkpoint c = Checkpoint.open(file)) {
            Weights w = c.weights(manager, DataType.FLOAT32);
            assertArrayEquals(new float[] {1.5f, -2f, 3.25f}, w.get("f32").toFloatArray());
            assertArrayEquals(new float[] {0.5f, 2f}, w.get("f16").toFloatArray());
            assertArrayEquals(new long[] {1L << 40, -3}, w.get("i64").toLongArray());
            assertArrayEquals(new int[] {7, -8}, w.get("i32").toIntArray());
            assertArrayEquals(new byte[] {-5, 6}, w.get("i8").toByteArray());
            assertArrayEquals(new int[] {200, 3}, w.get("u8").toType(DataType.INT32, false).toIntArray());
            assertArrayEquals(new boolean[] {true, false, true}, w.get("bool").toBooleanArray());
            assertEquals(new Shape(2, 3), w.get("matrix", new Shape(2, 3)).getShape());
        }
    }

    @Test
    void widensBfloat16AndInt16WhileReading() throws IOException {
        // bf16 1.0 = 0x3F80, -4.0 = 0xC080; i16 300 = 0x012C, -2 = 0xFFFE (little-endian bytes)
        byte[] data = {(byte) 0x80, 0x3f, (byte) 0x80, (byte) 0xc0, 0x2c, 0x01, (byte) 0xfe, (byte) 0xff};
        Path file = raw(dir.resolve("wide.safetensors"),
                "{\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                        + "\"s\":{\"dtype\":\"I16\",\"shape\":[2],\"data_offsets\":[4,8]}}", data);
        try (Checkpoint c = Checkpoint.open(file)) {
            assertEquals(SafeDType.BF16, c.tensors().get("b").dtype());
            Weights w = c.weights(manager, DataType.FLOAT32);
            assertArrayEquals(new float[] {1f, -4f}, w.get("b").toFloatArray());
            assertEquals(DataType.INT32, w.get("s").getDataType());
            assertArrayEquals(new int[] {300, -2}, w.get("s").toIntArray());
            assertEquals(DataType.FLOAT16, c.weights(manager, DataType.FLOAT16).get("b").getDataType());
        }
    }

    @Test
    void widenedCopiesAreFreedAsSoonAsTheEngineHasTheTensor() throws IOException {
        // 16 BF16 tensors of 1 MiB each widen to 2 MiB of float32 apiece; left to the garbage
        // collector those copies would add up to 32 MiB of direct memory beside the loaded weights
        int tensors = 16;
        int elements = 1 << 19;
        StringBuilder header = new StringBuilder("{");
        for (int i = 0; i < tensors; i++) {
            header.append(i == 0 ? "" : ",").append("\"t").append(i).append("\":{\"dtype\":\"BF16\",\"shape\":[")
                    .append(elements).append("],\"data_offsets\":[").append((long) i * elements * 2).append(',')
                    .append((long) (i + 1) * elements * 2).append("]}");
        }
        byte[] data = new byte[tensors * elements * 2];
        for (int i = 0; i < data.length; i += 2) {
            data[i + 1] = 0x3f; // bf16 0x3F00 = 0.5
        }
        Path file = raw(dir.resolve("many.safetensors"), header.append('}').toString(), data);
        java.lang.management.BufferPoolMXBean direct = java.lang.management.ManagementFactory
                .getPlatformMXBeans(java.lang.management.BufferPoolMXBean.class).stream()
                .filter(p -> p.getName().equals("direct")).findFirst().orElseThrow();
        assertTrue(DirectBuffers.immediate(), "this JDK lacks Unsafe.invokeCleaner");
        long before = direct.getMemoryUsed();
        try (Checkpoint c = Checkpoint.open(file)) {
            Weights w = c.weights(manager, DataType.FLOAT32);
            for (int i = 0; i < tensors; i++) {
                assertEquals(0.5f, w.get("t" + i).getFloat(elements - 1));
            }
            long grown = direct.getMemoryUsed() - before;
            assertTrue(grown < 4L * elements, "direct memory grew by " + grown + " bytes while loading");
        }
    }

    @Test
    void rejectsFileShorterThanLengthField() throws IOException {
        Path file = dir.resolve("tiny.safetensors");
        Files.write(file, new byte[] {1, 2, 3});
        CheckpointException e = openFails(file);
        assertTrue(e.getMessage().contains("tiny.safetensors") && e.getMessage().contains("too short"), e.getMessage());
    }

    @Test
    void rejectsHeaderLongerThanFile() throws IOException {
        Path file = raw(dir.resolve("long.safetensors"), 5000, "{}", new byte[0]);
        CheckpointException e = openFails(file);
        assertTrue(e.getMessage().contains("long.safetensors") && e.getMessage().contains("beyond the end"), e.getMessage());
    }

    @Test
    void rejectsHeaderOverHundredMegabytesWithoutAllocatingIt() throws IOException {
        Path file = raw(dir.resolve("huge.safetensors"), 1L << 40, "{}", new byte[0]);
        CheckpointException e = openFails(file);
        assertTrue(e.getMessage().contains("exceeds the limit"), e.getMessage());
        Path negative = raw(dir.resolve("neg.safetensors"), -1L, "{}", new byte[0]);
        assertTrue(openFails(negative).getMessage().contains("exceeds the limit"));
    }

    @Test
    void rejectsInvalidJson() throws IOException {
        Path file = raw(dir.resolve("json.safetensors"), "{\"a\": {\"dtype\": ", new byte[0]);
        CheckpointException e = openFails(file);
        assertTrue(e.getMessage().contains("json.safetensors") && e.getMessage().contains("not valid JSON"), e.getMessage());
    }

    @Test
    void rejectsOffsetsPastTheData() throws IOException {
        Path file = raw(dir.resolve("range.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[8]);
        CheckpointException e = openFails(file);
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("past the end"), e.getMessage());
    }

    @Test
    void rejectsTruncatedFile() throws IOException {
        Path good = dir.resolve("good.safetensors");
        new SafeTensorsWriter().put("a", manager.ones(new Shape(64))).put("b", manager.ones(new Shape(64))).write(good);
        byte[] bytes = Files.readAllBytes(good);
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length - 100));
        CheckpointException e = openFails(cut);
        assertTrue(e.getMessage().contains("cut.safetensors") && e.getMessage().contains("'b'")
                && e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void rejectsOverlappingRanges() throws IOException {
        Path file = raw(dir.resolve("overlap.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]);
        CheckpointException e = openFails(file);
        assertTrue(e.getMessage().contains("overlaps") && e.getMessage().contains("'a'"), e.getMessage());
    }

    @Test
    void rejectsOutOfOrderOffsets() throws IOException {
        Path file = raw(dir.resolve("order.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", new byte[8]);
        CheckpointException e = openFails(file);
        assertTrue(e.getMessage().contains("'a'") && e.getMessage().contains("out of order"), e.getMessage());
    }

    @Test
    void rejectsShapeThatDisagreesWithByteRange() throws IOException {
        Path file = raw(dir.resolve("shape.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]);
        CheckpointException e = openFails(file);
        assertTrue(e.getMessage().contains("'a'") && e.getMessage().contains("12 bytes"), e.getMessage());
    }

    @Test
    void rejectsShapeWhoseSizeOverflows() throws IOException {
        Path file = raw(dir.resolve("overflow.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}", new byte[8]);
        assertTrue(openFails(file).getMessage().contains("overflows"));
    }

    @Test
    void rejectsUnknownDtype() throws IOException {
        Path file = raw(dir.resolve("dtype.safetensors"),
                "{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", new byte[2]);
        CheckpointException e = openFails(file);
        assertTrue(e.getMessage().contains("unknown dtype 'F8_E4M3'") && e.getMessage().contains("BF16"), e.getMessage());
    }

    @Test
    void rejectsHolesAndTrailingBytes() throws IOException {
        Path hole = raw(dir.resolve("hole.safetensors"),
                "{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},"
                        + "\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[4,6]}}", new byte[6]);
        assertTrue(openFails(hole).getMessage().contains("hole"));
        Path trailing = raw(dir.resolve("trailing.safetensors"),
                "{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}", new byte[10]);
        assertTrue(openFails(trailing).getMessage().contains("trailing"));
    }

    @Test
    void rejectsNegativeOrNonIntegerShape() throws IOException {
        Path file = raw(dir.resolve("neg.safetensors"),
                "{\"a\":{\"dtype\":\"U8\",\"shape\":[-2],\"data_offsets\":[0,2]}}", new byte[2]);
        assertTrue(openFails(file).getMessage().contains("negative"));
        Path frac = raw(dir.resolve("frac.safetensors"),
                "{\"a\":{\"dtype\":\"U8\",\"shape\":[1.5],\"data_offsets\":[0,2]}}", new byte[2]);
        assertTrue(openFails(frac).getMessage().contains("non-integer"));
    }

    @Test
    void readsZeroSizedTensorsAndMetadata() throws IOException {
        Path file = raw(dir.resolve("empty.safetensors"),
                "{\"__metadata__\":{\"format\":\"pt\"},\"e\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[0,0]}}",
                new byte[0]);
        try (SafeTensorsFile f = SafeTensorsFile.open(file)) {
            assertEquals("pt", f.metadata().get("format"));
            NDArray e = f.read("e", manager);
            assertEquals(new Shape(0, 3), e.getShape());
        }
    }

    private static final String ENTRY = "{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}";

    /** The reference parses headers with serde_json, which accepts none of these. */
    @Test
    void rejectsLenientJson() throws IOException {
        String[] headers = {
            "{/* c */\"a\":" + ENTRY + "}",
            "{a:" + ENTRY + "}",
            "{'a':" + ENTRY + "}",
            "{\"a\":" + ENTRY + ",}",
            "{\"a\":" + ENTRY + "} {}",
        };
        for (int i = 0; i < headers.length; i++) {
            Path file = raw(dir.resolve("lenient" + i + ".safetensors"), headers[i], new byte[2]);
            CheckpointException e = openFails(file);
            assertTrue(e.getMessage().contains("lenient" + i + ".safetensors") && e.getMessage().contains("JSON")
                    && !e.getMessage().contains("\n") && !e.getMessage().contains("LENIENT"), headers[i] + ": " + e.getMessage());
        }
    }

    @Test
    void rejectsInvalidUtf8InTheHeader() throws IOException {
        byte[] header = ("{\"a\u00ff\":" + ENTRY + "}").getBytes(StandardCharsets.ISO_8859_1); // a lone 0xFF byte
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + 2).order(ByteOrder.LITTLE_ENDIAN);
        Path file = dir.resolve("utf8.safetensors");
        Files.write(file, b.putLong(header.length).put(header).put(new byte[2]).array());
        CheckpointException e = openFails(file);
        assertTrue(e.getMessage().contains("utf8.safetensors") && e.getMessage().contains("not valid UTF-8"), e.getMessage());
    }

    @Test
    void rejectsNonStringMetadata() throws IOException {
        Path file = raw(dir.resolve("meta.safetensors"), "{\"__metadata__\":{\"epochs\":3},\"a\":" + ENTRY + "}",
                new byte[2]);
        CheckpointException e = openFails(file);
        assertTrue(e.getMessage().contains("meta.safetensors") && e.getMessage().contains("__metadata__.epochs must be a string"),
                e.getMessage());
    }

    @Test
    void rejectsDuplicateKeys() throws IOException {
        Path file = raw(dir.resolve("dup.safetensors"),
                "{\"a\":" + ENTRY + ",\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}", new byte[2]);
        CheckpointException e = openFails(file);
        assertTrue(e.getMessage().contains("dup.safetensors") && e.getMessage().contains("'a' twice"), e.getMessage());
    }

    /** A header of one giant shape array once built a tree of gigabytes; it is now refused at entry 65. */
    @Test
    void rejectsGiantShapeArrayWithoutParsingItAll() throws IOException {
        StringBuilder header = new StringBuilder(6_000_000).append("{\"a\":{\"dtype\":\"U8\",\"shape\":[");
        for (int i = 0; i < 2_000_000; i++) {
            header.append(i == 0 ? "1" : ",1");
        }
        Path file = raw(dir.resolve("rank.safetensors"), header.append("],\"data_offsets\":[0,1]}}").toString(), new byte[1]);
        header.setLength(0);
        CheckpointException e = assertTimeoutPreemptively(Duration.ofSeconds(2), () -> openFails(file));
        assertTrue(e.getMessage().contains("rank.safetensors") && e.getMessage().contains("'a'")
                && e.getMessage().contains("shape has more than 64 entries") && e.getMessage().length() < 200, e.getMessage());
    }

    @Test
    void rejectsHeaderAtTheReferenceLimit() throws IOException {
        Path file = raw(dir.resolve("limit.safetensors"), SafeTensorsFile.MAX_HEADER_BYTES, "{}", new byte[0]);
        assertTrue(openFails(file).getMessage().contains("header length 100000000 exceeds the limit"), "limit");
    }

    /** A tensor cut off after the file was opened is an error naming it (a mapped file crashed the JVM). */
    @Test
    void fileTruncatedAfterOpeningFailsWithTheTensorsName() throws IOException {
        Path file = dir.resolve("shrink.safetensors");
        new SafeTensorsWriter().put("a", manager.ones(new Shape(64))).put("b", manager.ones(new Shape(1 << 16))).write(file);
        try (SafeTensorsFile f = SafeTensorsFile.open(file)) {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.truncate(Files.size(file) - 1000);
            }
            assertEquals(64f, f.read("a", manager).sum().getFloat());
            CheckpointException e = assertThrows(CheckpointException.class, () -> f.read("b", manager));
            assertTrue(e.getMessage().startsWith(file + ": tensor 'b': cannot read") && e.getMessage().contains("truncated")
                    && !e.getMessage().contains("\n"), e.getMessage());
        }
    }

    /**
     * The file shrinks and grows back while tensors are read, as when a download or a copy rewrites
     * it: each read gives the tensor or a CheckpointException, never a crash (SIGBUS on a mapping).
     */
    @Test
    void fileChangingWhileReadIsAnErrorNotACrash() throws Exception {
        Path file = dir.resolve("race.safetensors");
        new SafeTensorsWriter().put("w", manager.ones(new Shape(1 << 22))).write(file);
        byte[] full = Files.readAllBytes(file);
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread shrinker = new Thread(() -> {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                while (!stop.get()) {
                    ch.truncate(1024);
                    ch.write(ByteBuffer.wrap(full, 1024, full.length - 1024), 1024);
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        try (SafeTensorsFile f = SafeTensorsFile.open(file)) {
            shrinker.start();
            long end = System.nanoTime() + 300_000_000L;
            while (System.nanoTime() < end) {
                try (NDArray w = f.read("w", manager)) {
                    assertEquals(new Shape(1 << 22), w.getShape());
                } catch (CheckpointException e) {
                    assertTrue(e.getMessage().contains("tensor 'w'"), e.getMessage());
                }
            }
        } finally {
            stop.set(true);
            shrinker.join();
        }
    }
}
