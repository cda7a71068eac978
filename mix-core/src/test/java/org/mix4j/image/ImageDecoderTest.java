package org.mix4j.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.api.RgbImage;

/**
 * Decoding against Pillow 9.4's {@code Image.open(f).convert("RGB")} (the {@code .rgb} files next
 * to each test image, written by {@code generate_decode_cases.py}), and refusal of bad files.
 */
class ImageDecoderTest {

    @TempDir
    Path tmp;

    @TestFactory
    Stream<DynamicTest> everyTestImageDecodesToPilsRgbPixels() throws IOException, URISyntaxException {
        Path dir = Path.of(getClass().getResource("/images/decode").toURI());
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> !p.toString().endsWith(".rgb")).sorted().toList();
        }
        assertTrue(files.size() >= 30, "test images missing under " + dir);
        return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(Path.of(f + ".rgb"))).order(ByteOrder.LITTLE_ENDIAN);
            int w = b.getInt();
            int h = b.getInt();
            byte[] expected = new byte[w * h * 3];
            b.get(expected);
            RgbImage image = ImageDecoder.readRgb(f);
            assertEquals(w + "x" + h, image.width() + "x" + image.height());
            assertArrayEquals(expected, image.pixels());
        }));
    }

    @Test
    void refusesADeclaredDecompressionBombBeforeDecoding() throws IOException {
        Path bomb = tmp.resolve("bomb.png");
        Files.write(bomb, png(100_000, 100_000, new byte[64]));
        long start = System.nanoTime();
        ImageTooLargeException e = assertThrows(ImageTooLargeException.class, () -> ImageDecoder.readRgb(bomb));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 2000, "took " + millis + " ms");
        assertTrue(e.getMessage().contains(bomb.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("100000x100000"), e.getMessage());
        assertEquals(ImageDecoder.DEFAULT_MAX_PIXELS, e.limit());
    }

    @Test
    void pixelLimitIsConfigurable() throws IOException {
        Path file = tmp.resolve("small.png");
        Files.write(file, png(20, 10, new byte[10 * 61]));
        assertThrows(ImageTooLargeException.class, () -> new ImageDecoder(199).read(file));
        assertEquals(20, new ImageDecoder(200).read(file).width());
    }

    @Test
    void corruptDataErrorNamesTheFile() throws IOException {
        Path file = tmp.resolve("corrupt.png");
        byte[] junk = new byte[300];
        Arrays.fill(junk, (byte) 0x5a);
        Files.write(file, png(20, 10, null, junk));
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> ImageDecoder.readRgb(file));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
    }

    @Test
    void truncatedPngAndJpegAreErrorsNamingTheFile() throws IOException, URISyntaxException {
        for (String name : List.of("rgb.png", "rgb.jpg", "p8.gif", "rgb.bmp")) {
            byte[] whole = Files.readAllBytes(Path.of(getClass().getResource("/images/decode/" + name).toURI()));
            Path cut = tmp.resolve("cut_" + name);
            Files.write(cut, Arrays.copyOf(whole, whole.length * 2 / 3));
            ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> ImageDecoder.readRgb(cut), name);
            assertTrue(e.getMessage().contains(cut.toString()), e.getMessage());
        }
    }

    @Test
    void unknownFormatEmptyAndMissingFilesAreErrorsNamingTheFile() throws IOException {
        Path text = tmp.resolve("notes.png");
        Files.writeString(text, "not an image at all");
        Path empty = tmp.resolve("empty.jpg");
        Files.write(empty, new byte[0]);
        Path missing = tmp.resolve("missing.gif");
        for (Path p : List.of(text, empty, missing)) {
            ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> ImageDecoder.readRgb(p));
            assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        }
    }

    @Test
    void decodesFromMemoryLikeFromAFile() throws IOException, URISyntaxException {
        Path file = Path.of(getClass().getResource("/images/decode/p8.png").toURI());
        RgbImage fromBytes = new ImageDecoder().read(Files.readAllBytes(file), "p8.png");
        assertTrue(ImageOps.samePixels(ImageDecoder.readRgb(file), fromBytes));
    }

    /** The JDK's reader ignores CRCs; PIL checks those of the chunks before the image data. */
    @Test
    void refusesABadChunkCrcLikePil() throws IOException {
        byte[] good = withChunks(chunk("tEXt", latin1("Title\0field")));
        assertEquals(2, new ImageDecoder().read(good, "good.png").width());
        byte[] badIhdr = good.clone();
        badIhdr[8 + 8 + 13] ^= 1; // first CRC byte of IHDR
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> new ImageDecoder().read(badIhdr, "ihdr.png"));
        assertEquals("ihdr.png: bad CRC in PNG chunk IHDR (chunk 0 at byte 8; the file is corrupt)", e.getMessage());
        byte[] badText = good.clone();
        badText[8 + 25 + 8 + 3] ^= 1; // a byte of the tEXt data
        Path file = tmp.resolve("text.png");
        Files.write(file, badText);
        e = assertThrows(ImageDecodeException.class, () -> ImageDecoder.readRgb(file));
        assertTrue(e.getMessage().startsWith(file + ": bad CRC in PNG chunk tEXt (chunk 1 at byte 33"), e.getMessage());
    }

    /** Half a megabyte of zTXt once inflated to 1.9 GB in the JDK's metadata; PIL stops at 1 MiB. */
    @Test
    void refusesTextAndIccChunksThatInflatePastOneMegabyte() throws IOException {
        byte[] bomb = deflate(new byte[2 << 20]); // 2 MiB of zeros in about 2 KB
        Map<String, byte[]> chunks = Map.of(
                "zTXt", concat(latin1("Comment\0\0"), bomb),
                "iTXt", concat(latin1("Comment\0\1\0en\0Kommentar\0"), bomb),
                "iCCP", concat(latin1("icc\0\0"), bomb));
        for (Map.Entry<String, byte[]> c : chunks.entrySet()) {
            byte[] file = withChunks(chunk(c.getKey(), c.getValue()));
            ImageDecodeException e = assertTimeoutPreemptively(Duration.ofSeconds(2), () -> assertThrows(
                    ImageDecodeException.class, () -> new ImageDecoder().read(file, "bomb.png")));
            assertEquals("bomb.png: PNG chunk " + c.getKey() + " (chunk 1 at byte 33) inflates to more than 1048576 bytes"
                    + " (as PIL, refused: a decompression bomb?)", e.getMessage());
        }
        byte[] oneMegabyte = chunk("zTXt", concat(latin1("k\0\0"), deflate(new byte[1 << 20])));
        byte[] many = withChunks(java.util.stream.IntStream.range(0, 65).mapToObj(i -> oneMegabyte).toArray(byte[][]::new));
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> new ImageDecoder().read(many, "many.png"));
        assertTrue(e.getMessage().startsWith("many.png: PNG text chunks hold more than 67108864 bytes"), e.getMessage());
    }

    @Test
    void textChunksWithinThePilLimitsStillDecode() throws IOException {
        byte[] file = withChunks(chunk("zTXt", concat(latin1("Comment\0\0"), deflate(new byte[1 << 20]))),
                chunk("iTXt", latin1("Comment\0\0\0\0\0plain text")), chunk("tEXt", latin1("Title\0field")));
        assertEquals(2, new ImageDecoder().read(file, "text.png").height());
    }

    /** A 2x2 RGB PNG with {@code extra} chunks between IHDR and IDAT. */
    private static byte[] withChunks(byte[]... extra) throws IOException {
        byte[] base = png(2, 2, new byte[2 * 7]);
        int ihdrEnd = 8 + 25;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(base, 0, ihdrEnd);
        for (byte[] c : extra) {
            out.write(c);
        }
        out.write(base, ihdrEnd, base.length - ihdrEnd);
        return out.toByteArray();
    }

    private static byte[] chunk(String type, byte[] data) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            chunk(new DataOutputStream(bytes), type, data);
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static byte[] deflate(byte[] raw) {
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
        deflater.setInput(raw);
        deflater.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        while (!deflater.finished()) {
            out.write(buf, 0, deflater.deflate(buf));
        }
        deflater.end();
        return out.toByteArray();
    }

    private static byte[] latin1(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** An 8-bit RGB PNG whose IHDR declares {@code width x height}, with {@code raw} deflated as IDAT. */
    static byte[] png(int width, int height, byte[] raw) throws IOException {
        Deflater deflater = new Deflater();
        deflater.setInput(raw);
        deflater.finish();
        byte[] buf = new byte[raw.length + 64];
        int n = deflater.deflate(buf);
        return png(width, height, null, Arrays.copyOf(buf, n));
    }

    private static byte[] png(int width, int height, byte[] unused, byte[] idat) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) 8).put((byte) 2)
                .put((byte) 0).put((byte) 0).put((byte) 0);
        chunk(out, "IHDR", ihdr.array());
        chunk(out, "IDAT", idat);
        chunk(out, "IEND", new byte[0]);
        return bytes.toByteArray();
    }

    private static void chunk(DataOutputStream out, String type, byte[] data) throws IOException {
        out.writeInt(data.length);
        byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        out.write(t);
        out.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeInt((int) crc.getValue());
    }
}
