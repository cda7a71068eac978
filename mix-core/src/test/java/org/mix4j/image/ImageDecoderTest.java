package org.mix4j.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
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
