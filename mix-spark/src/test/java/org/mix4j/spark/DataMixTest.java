package org.mix4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.data.ops.DataRun;
import org.mix4j.data.ops.Mixing;
import org.mix4j.data.ops.RunReport;
import org.mix4j.data.records.BadRecords;
import org.mix4j.data.synth.SynthOptions;
import org.mix4j.data.synth.SynthWriter;

/**
 * DataMain mix on local[2] Spark against {@link Mixing#mix}, the class {@code mix data mix} calls:
 * a LLaVA file and a caption-pair file with a bad record, mixed without and with repeats; the same
 * output lines in the same order.
 */
class DataMixTest {

    @TempDir
    static Path dir;

    static Path llava;
    static Path captions;

    @BeforeAll
    static void data() throws IOException {
        Path synth = dir.resolve("synth");
        SynthWriter.write(synth, 4, 40, new SynthOptions(32, 64, 2, 0, 0.2, 0.3, 3.0, List.of("en")), false, n -> {});
        llava = Files.write(synth.resolve("a.jsonl"), Files.readAllLines(synth.resolve("llava-captions.jsonl")).subList(0, 30));
        List<String> pairs = new ArrayList<>(Files.readAllLines(synth.resolve("captions.jsonl")).subList(30, 39));
        pairs.add(4, "not a record");
        captions = Files.write(synth.resolve("b.jsonl"), pairs);
    }

    @Test
    void mixWithoutRepeatsEqualsTheLocalMix() throws IOException {
        List<String> lines = compare("plain", null, 5);
        assertEquals(36, lines.size(), "27 of a:3 and all 9 of b:1");
        assertEquals(9, lines.stream().filter(l -> l.contains("\"conversations\"") && l.contains("scene-0003")).count(),
                "b's caption pairs (scenes 30-38), written as LLaVA records");
        assertTrue(lines.subList(0, 18).stream().anyMatch(l -> l.contains("scene-0003")), "interleaved, not appended");
    }

    @Test
    void mixWithRepeatsEqualsTheLocalMix() throws IOException {
        List<String> lines = compare("total", 50L, 11);
        assertEquals(51, lines.size(), "round(50 * 3/4) + round(50 * 1/4), as mix data mix rounds each share");
        assertTrue(lines.stream().distinct().count() < 50, "the short input repeats");
    }

    @Test
    void rejectsMalformedInputs() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DataMain.mix(LocalSpark.session(),
                "mix", "--inputs", llava + ":x", "--output", dir.resolve("never").toString()));
        assertTrue(e.getMessage().contains("expected FILE:RATIO"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DataMain.mix(LocalSpark.session(), "mix", "--inputs",
                llava + ":1", "--output", dir.resolve("never").toString(), "--count", "3"));
        assertEquals("--count does not apply to mix", e.getMessage());
    }

    /** The local mix's lines and the job's, compared; the job's. */
    private static List<String> compare(String name, Long total, long seed) throws IOException {
        Path local = Files.createDirectories(dir.resolve("local-" + name)).resolve("mixed.jsonl");
        RunReport expected = Mixing.mix(new DataRun(null, null, null, new BadRecords(false, null), null),
                List.of(new Mixing.Part(llava, 3), new Mixing.Part(captions, 1)), local, total, seed);
        Path out = dir.resolve("spark-" + name); // a level below dir, as the local file: the same image paths
        List<String> args = new ArrayList<>(List.of("mix", "--inputs", llava + ":3," + captions + ":1", "--output",
                out.toString(), "--seed", Long.toString(seed), "--partitions", "3", "--skip-bad"));
        if (total != null) {
            args.addAll(List.of("--total", total.toString()));
        }
        RunReport actual = DataMain.mix(LocalSpark.session(), args.toArray(String[]::new));
        List<String> lines = parts(out);
        List<String> want = Files.readAllLines(local);
        for (int i = 0; i < Math.min(want.size(), lines.size()); i++) {
            assertEquals(want.get(i), lines.get(i), "line " + (i + 1));
        }
        assertEquals(want.size(), lines.size());
        assertEquals(expected.written(), actual.written());
        assertEquals(1, actual.json().get("bad_records").getAsJsonObject().get("count").getAsLong());
        return lines;
    }

    private static List<String> parts(Path out) throws IOException {
        List<String> lines = new ArrayList<>();
        try (Stream<Path> files = Files.list(out)) {
            for (Path p : files.filter(f -> f.getFileName().toString().startsWith("part-")).sorted().toList()) {
                lines.addAll(Files.readAllLines(p));
            }
        }
        return lines;
    }
}
