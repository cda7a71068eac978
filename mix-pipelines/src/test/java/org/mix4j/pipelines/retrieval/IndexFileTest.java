package org.mix4j.pipelines.retrieval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IndexFileTest {

    @TempDir
    Path dir;

    static final ModelFingerprint MODEL = new ModelFingerprint("/models/clip", "clip_vision", "ab".repeat(32), 24);

    /** {@code count} random unit vectors of width 24 and their fp16 index. */
    static IndexContents randomIndex(int count, long seed, float[][] original) {
        Random random = new Random(seed);
        short[] values = new short[count * MODEL.dim()];
        List<IndexEntry> entries = new ArrayList<>();
        for (int r = 0; r < count; r++) {
            float[] v = new float[MODEL.dim()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) random.nextGaussian();
            }
            v = EmbeddingIndex.normalized(v);
            original[r] = v;
            for (int i = 0; i < v.length; i++) {
                values[r * v.length + i] = Fp16.fromFloat(v[i]);
            }
            entries.add(new IndexEntry("album/ü-" + r + ".jpg", 1000L + r, 1_700_000_000_123_456_789L + r));
        }
        return new IndexContents(MODEL, "/photos", entries, values);
    }

    @Test
    void roundTripsHeaderEntriesAndEmbeddingsWithinFp16Precision() {
        float[][] original = new float[50][];
        IndexContents written = randomIndex(50, 1, original);
        Path file = dir.resolve("photos.index");
        IndexFile.write(file, written);
        IndexContents read = IndexFile.read(file);

        assertEquals(MODEL, read.model());
        assertEquals("/photos", read.root());
        assertEquals(written.entries(), read.entries());
        assertArrayEquals(written.embeddings(), read.embeddings());
        for (int r = 0; r < original.length; r++) {
            for (int i = 0; i < MODEL.dim(); i++) {
                float stored = Fp16.toFloat(read.embeddings()[r * MODEL.dim() + i]);
                assertEquals(original[r][i], stored, 1e-3, "row " + r + " dim " + i);
            }
        }
    }

    @Test
    void headerIsReadableJsonNamingModelDimDtypeAndCount() throws IOException {
        Path file = dir.resolve("photos.index");
        IndexFile.write(file, randomIndex(3, 2, new float[3][]));
        byte[] bytes = Files.readAllBytes(file);
        assertEquals("MIXINDEX", new String(bytes, 0, 8, StandardCharsets.US_ASCII));
        int length = ByteBuffer.wrap(bytes, 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        JsonObject header = JsonParser.parseString(new String(bytes, 12, length, StandardCharsets.UTF_8)).getAsJsonObject();
        assertEquals("/models/clip", header.getAsJsonObject("model").get("checkpoint").getAsString());
        assertEquals(MODEL.hash(), header.getAsJsonObject("model").get("hash").getAsString());
        assertEquals(24, header.get("dim").getAsInt());
        assertEquals("float16", header.get("dtype").getAsString());
        assertEquals(3, header.get("count").getAsInt());
    }

    @Test
    void emptyIndexRoundTrips() {
        Path file = dir.resolve("empty.index");
        IndexFile.write(file, new IndexContents(MODEL, "", List.of(), new short[0]));
        assertEquals(0, IndexFile.read(file).count());
    }

    @Test
    void replacesAnExistingIndexWithoutLeavingTempFiles() throws IOException {
        Path file = dir.resolve("photos.index");
        IndexFile.write(file, randomIndex(5, 3, new float[5][]));
        IndexFile.write(file, randomIndex(7, 4, new float[7][]));
        assertEquals(7, IndexFile.read(file).count());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
    }

    @Test
    void aFailedWriteKeepsThePreviousIndex() throws IOException {
        Path file = dir.resolve("photos.index");
        IndexFile.write(file, randomIndex(5, 3, new float[5][]));
        byte[] before = Files.readAllBytes(file);
        List<IndexEntry> tooLong = List.of(new IndexEntry("x".repeat(70_000), 1, 1));
        IndexContents bad = new IndexContents(MODEL, "", tooLong, new short[MODEL.dim()]);
        assertThrows(IllegalArgumentException.class, () -> IndexFile.write(file, bad));
        assertArrayEquals(before, Files.readAllBytes(file));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temp file left");
        }
    }

    @Test
    void writesThroughASymbolicLinkAndKeepsIt() throws IOException {
        Path real = dir.resolve("data/photos.index");
        Path link = dir.resolve("photos.index");
        IndexFile.write(real, randomIndex(5, 3, new float[5][]));
        Files.createSymbolicLink(link, Path.of("data/photos.index"));
        IndexFile.write(link, randomIndex(7, 4, new float[7][]));
        assertTrue(Files.isSymbolicLink(link), "the link is not replaced by a file");
        assertEquals(7, IndexFile.read(real).count());
        try (Stream<Path> files = Files.list(dir.resolve("data"))) {
            assertEquals(List.of(real), files.toList(), "the temp file went next to the target");
        }
    }

    @Test
    void aLinkToAFileNotYetWrittenCreatesIt() throws IOException {
        Path link = dir.resolve("photos.index");
        Path hop = dir.resolve("hop.index");
        Files.createSymbolicLink(hop, dir.resolve("later/photos.index"));
        Files.createSymbolicLink(link, hop.getFileName());
        IndexFile.write(link, randomIndex(2, 3, new float[2][]));
        assertTrue(Files.isSymbolicLink(link) && Files.isSymbolicLink(hop));
        assertEquals(2, IndexFile.read(dir.resolve("later/photos.index")).count());
    }

    @Test
    void missingFileIsNamed() {
        Path file = dir.resolve("nothere.index");
        IndexFileException e = assertThrows(IndexFileException.class, () -> IndexFile.read(file));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("mix index"), e.getMessage());
    }

    @Test
    void truncatedFlippedOrForeignFilesAreRejectedNamingTheFile() throws IOException {
        Path good = dir.resolve("good.index");
        IndexFile.write(good, randomIndex(20, 5, new float[20][]));
        byte[] bytes = Files.readAllBytes(good);

        assertRejected("truncated.index", Arrays.copyOf(bytes, bytes.length - 100), "truncated");
        byte[] flipped = bytes.clone();
        flipped[bytes.length / 2] ^= 0x10; // inside the embeddings
        assertRejected("flipped.index", flipped, "checksum");
        byte[] magic = bytes.clone();
        magic[0] = 'X';
        assertRejected("magic.index", magic, "not a mix4j retrieval index");
        assertRejected("text.index", "hello, this is not an index at all".getBytes(StandardCharsets.UTF_8),
                "not a mix4j retrieval index");
        assertRejected("tiny.index", new byte[3], "truncated");
        byte[] hugeHeader = bytes.clone();
        ByteBuffer.wrap(hugeHeader, 8, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(Integer.MAX_VALUE);
        assertRejected("header.index", hugeHeader, "header length");
    }

    @Test
    void corruptHeaderValuesAreRejected() throws IOException {
        Path good = dir.resolve("good.index");
        IndexFile.write(good, randomIndex(4, 6, new float[4][]));
        byte[] bytes = Files.readAllBytes(good);
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        // same length edits, so the layout stays valid and the header check is what fails
        assertRejected("dtype.index", text.replace("\"float16\"", "\"float32\"").getBytes(StandardCharsets.ISO_8859_1),
                "dtype");
        assertRejected("count.index", text.replace("\"count\":4", "\"count\":5").getBytes(StandardCharsets.ISO_8859_1),
                "header describes");
        assertRejected("json.index", text.replace("{\"format\"", "[\"format\"").getBytes(StandardCharsets.ISO_8859_1),
                "header");
    }

    private void assertRejected(String name, byte[] content, String expected) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, content);
        IndexFileException e = assertThrows(IndexFileException.class, () -> IndexFile.read(file), name);
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expected), name + ": " + e.getMessage());
    }
}
