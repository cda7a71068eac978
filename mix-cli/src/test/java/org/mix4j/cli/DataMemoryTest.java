package org.mix4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The streaming tools run in constant memory: a file twice the heap (and many times what reading it whole takes) converts and filters. */
class DataMemoryTest {

    private static final int RECORDS = 150_000;
    private static final String HEAP = "-Xmx24m";

    @Test
    void aFileSeveralTimesTheHeapConvertsAndFiltersInAJvmWithA24MegabyteHeap(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("big.json"); // a JSON array: the streaming JsonReader path
        try (BufferedWriter w = Files.newBufferedWriter(in)) {
            w.write("[\n");
            for (int i = 0; i < RECORDS; i++) {
                w.write((i == 0 ? "" : ",\n") + "{\"id\": \"s" + i + "\", \"image\": \"images/p" + (i % 97) + ".png\", "
                        + "\"conversations\": [{\"from\": \"human\", \"value\": \"<image>\\nWhat is in the picture, "
                        + "in a few words?\"}, {\"from\": \"gpt\", \"value\": \"" + "a red sun over the sea ".repeat(4)
                        + i + " mail a" + i + "@b.org\"}], \"meta\": {\"n\": " + i + "}}");
            }
            w.write("\n]\n");
        }
        assertTrue(Files.size(in) > 36L << 20, Files.size(in) + " bytes"); // read whole it would need several times that in JSON objects
        Path openai = dir.resolve("openai.jsonl");
        run("data", "convert", in.toString(), openai.toString(), "--to", "openai", "--no-progress");
        assertEquals(RECORDS, lines(openai));
        Path kept = dir.resolve("kept.jsonl");
        run("data", "filter", openai.toString(), kept.toString(), "--mask-personal", "--min-chars", "10", "--no-progress");
        assertEquals(RECORDS, lines(kept));
        try (var s = Files.lines(kept)) {
            assertTrue(s.limit(3).allMatch(l -> l.contains("mail [EMAIL]")));
        }
    }

    private static long lines(Path p) throws IOException {
        try (var s = Files.lines(p)) {
            return s.count();
        }
    }

    private static void run(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), HEAP, "-cp", System.getProperty("java.class.path"), Mix.class.getName()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(5, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), output);
    }
}
