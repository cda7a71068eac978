package org.mix4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Errors a user causes reach them as one line naming the file (and key or tensor), without a
 * stack trace or a Java class name, and with a non-zero exit code.
 */
class ErrorMessagesCliTest {

    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final String LLAVA = REPO.resolve("examples/understanding/tiny-llava.yaml").toString();
    private static final String TINY_SD = REPO.resolve("examples/generation/tiny-sd.yaml").toString();

    @TempDir
    Path dir;

    record Result(int code, String out, String err) {}

    /** Runs mix; what goes to the JVM's own stderr (a library printing a stack trace) is counted in too. */
    private Result mix(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        ByteArrayOutputStream jvmErr = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        System.setErr(new PrintStream(jvmErr, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Mix.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        } finally {
            System.setErr(saved);
        }
        return new Result(code, out.toString(), err + jvmErr.toString(StandardCharsets.UTF_8));
    }

    /** One {@code error:} line holding every one of {@code names}; no trace, no exception class. */
    private static String assertOneLineError(Result r, String... names) {
        assertNotEquals(0, r.code(), r.err());
        List<String> errors = r.err().lines().filter(l -> l.startsWith("error: ")).toList();
        assertEquals(1, errors.size(), r.err());
        for (String name : names) {
            assertTrue(errors.get(0).contains(name), name + " missing from:\n" + r.err());
        }
        assertFalse(r.err().contains("\tat ") || r.err().contains("at org.") || r.err().contains("at java."), r.err());
        assertFalse(r.err().matches("(?s).*[a-z](Exception|Error)\\b.*"), "a Java class name in:\n" + r.err());
        return errors.get(0);
    }

    @Test
    void pngWithABadChunkLengthIsReportedWithItsFileName() throws IOException {
        Path png = dir.resolve("bad-chunk.png");
        ByteBuffer b = ByteBuffer.allocate(33 + 8 + 20);
        b.put(pngStart());
        b.putInt(0xff).put("IDAT".getBytes(StandardCharsets.US_ASCII)); // declares 255 bytes, has 12
        Files.write(png, Arrays.copyOf(b.array(), b.position() + 12));
        String line = assertOneLineError(mix("run", LLAVA, "--image", png.toString(), "--prompt", "hi"), png.toString());
        assertTrue(line.contains("Invalid chunk length"), line);
    }

    @Test
    void pngThatEndsAfterItsHeaderIsReportedWithItsFileName() throws IOException {
        Path png = dir.resolve("short.png");
        Files.write(png, pngStart());
        assertOneLineError(mix("run", LLAVA, "--image", png.toString(), "--prompt", "hi"), png.toString());
    }

    @Test
    void shardMapEntryThatIsNotAStringNamesTheIndexAndTensor() throws IOException {
        Path model = dir.resolve("sharded");
        Files.createDirectories(model);
        Files.write(model.resolve("model-00001-of-00001.safetensors"), safetensors());
        Path index = model.resolve("model.safetensors.index.json");
        Files.writeString(index, "{\"weight_map\": {\"w\": null}}");
        assertOneLineError(mix("inspect", model.toString()), index.toString(),
                "weight_map entry 'w' must be a file name, got null");
        Files.writeString(index, "{\"weight_map\": {\"w\": 3}}");
        assertOneLineError(mix("inspect", model.toString()), index.toString(), "'w' must be a file name, got 3");
        Files.writeString(index, "{\"weight_map\": [\"w\"]}");
        assertOneLineError(mix("inspect", model.toString()), index.toString(), "no \"weight_map\" object");
    }

    @Test
    void symlinkedShardToAnotherKindOfFileNamesTheLinkAndItsTarget() throws IOException {
        Path target = dir.resolve("notes.txt");
        Files.writeString(target, "these are my notes, not a checkpoint\n");
        Path model = dir.resolve("linked");
        Files.createDirectories(model);
        Path link = model.resolve("model.safetensors");
        try {
            Files.createSymbolicLink(link, target);
        } catch (UnsupportedOperationException | IOException e) {
            assumeTrue(false, "no symbolic links here: " + e);
        }
        String line = assertOneLineError(mix("inspect", model.toString()), link.toString(),
                "(-> " + target.toRealPath() + ")", "not a safetensors file");
        assertFalse(line.contains("these are"), line);
    }

    @Test
    void headerThatIsNotJsonIsOneLine() throws IOException {
        Path file = dir.resolve("garbage.safetensors");
        byte[] text = "garbage \u0001 {not json}".getBytes(StandardCharsets.UTF_8);
        Files.write(file, concat(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(text.length).array(), text));
        Result r = mix("inspect", file.toString());
        assertOneLineError(r, file.toString(), "not a safetensors file: header is not valid JSON");
        assertEquals(1, r.err().strip().lines().count(), r.err()); // gson's "See https://..." line is dropped
    }

    @Test
    void checkpointThatIsAFileSaysACheckpointIsADirectory() throws IOException {
        Path weights = dir.resolve("model.safetensors");
        Files.copy(Path.of(System.getProperty("mix.golden.dir"), "llava", "model.safetensors"), weights);
        Path yaml = dir.resolve("pipe.yaml");
        Files.writeString(yaml, Files.readString(Path.of(LLAVA))
                .replaceFirst("checkpoint: .*", "checkpoint: " + weights)
                .replace("path: ../../../", "path: " + REPO + "/"));
        assertOneLineError(mix("run", yaml.toString(), "--image", REPO.resolve("examples/images/field.png").toString(),
                "--prompt", "hi"), weights + " is a file; a checkpoint is a directory holding config.json");
        assertOneLineError(mix("run", "--model", weights.toString(), "--prompt", "hi"), weights.toString(),
                "is a file; --model needs a checkpoint directory");
    }

    @Test
    void outputUnderAFileIsRefusedBeforeLoading() throws IOException {
        Path file = dir.resolve("taken");
        Files.writeString(file, "");
        assertOneLineError(mix("generate", TINY_SD, "--prompt", "x", "--steps", "1", "-o", file.resolve("x.png").toString()),
                file + " is a file, not a directory");
        assertOneLineError(mix("generate", TINY_SD, "--prompt", "x", "--steps", "1", "-o", file.toString()),
                file + " is a file, not a directory");
    }

    @Test
    void outputThatCannotBeCreatedIsOneLineNotAJdkTrace() {
        // /proc takes no new files, for root too (where a read-only folder would not stop the write)
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "needs Linux /proc");
        Path out = Path.of("/proc/mix4j-test-out.png");
        assertOneLineError(mix("generate", TINY_SD, "--prompt", "x", "--steps", "1", "-o", out.toString()),
                "/proc");
        assertOneLineError(mix("generate", TINY_SD, "--prompt", "x", "--steps", "1", "-o", "/proc/self"),
                "/proc/self");
    }

    @Test
    void errorsEscapingPicocliAreOneLineToo() {
        ThrowingCommand.next = new OutOfMemoryError("Java heap space");
        String line = assertOneLineError(mix("throw-for-test"));
        assertTrue(line.startsWith("error: out of memory: "), line);
        ThrowingCommand.next = new StackOverflowError();
        line = assertOneLineError(mix("throw-for-test"));
        assertTrue(line.startsWith("error: input nested too deeply"), line);
        ThrowingCommand.next = new OutOfMemoryError();
        assertTrue(mix("--debug", "throw-for-test").err().contains("\tat "), "--debug keeps the trace");
    }

    /** The PNG signature and a valid IHDR chunk of a 4x4 RGB image. */
    private static byte[] pngStart() {
        ByteBuffer ihdr = ByteBuffer.allocate(17).put("IHDR".getBytes(StandardCharsets.US_ASCII))
                .putInt(4).putInt(4).put(new byte[] {8, 2, 0, 0, 0});
        CRC32 crc = new CRC32();
        crc.update(ihdr.array());
        return ByteBuffer.allocate(33).put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'})
                .putInt(13).put(ihdr.array()).putInt((int) crc.getValue()).array();
    }

    /** A safetensors file with one float tensor 'w' of shape [1]. */
    private static byte[] safetensors() {
        byte[] header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}".getBytes(StandardCharsets.UTF_8);
        return concat(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array(), header,
                new byte[4]);
    }

    private static byte[] concat(byte[]... parts) {
        ByteBuffer b = ByteBuffer.allocate(Arrays.stream(parts).mapToInt(p -> p.length).sum());
        for (byte[] p : parts) {
            b.put(p);
        }
        return b.array();
    }
}
