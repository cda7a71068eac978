package org.mix4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.data.ops.DataRun;
import org.mix4j.data.ops.RunReport;
import org.mix4j.data.ops.Tagger;
import org.mix4j.data.records.BadRecords;
import org.mix4j.data.synth.SynthOptions;
import org.mix4j.data.synth.SynthWriter;

/**
 * DataMain tag on local[2] Spark against {@link Tagger} through {@link DataRun#transform}, as
 * {@code mix data tag} runs it, with the tiny LLaVA (greedy decoding): the same lines, tags included.
 */
class DataTagTest {

    @TempDir
    Path dir;

    @Test
    void tagsEqualTheLocalTaggersTags() throws IOException {
        Path synth = dir.resolve("synth");
        SynthWriter.write(synth, 6, 10, new SynthOptions(32, 64, 2, 0, 0.2, 0.3, 3.0, List.of("en")), false, n -> {});
        List<String> lines = new ArrayList<>(Files.readAllLines(synth.resolve("captions.jsonl")));
        lines.add(3, "{\"image\": \"images/missing.png\", \"caption\": \"no picture\"}");
        lines.add(6, "not a record");
        Path input = Files.write(synth.resolve("in.jsonl"), lines);
        Path yaml = LocalSpark.ROOT.resolve("examples/understanding/tiny-llava.yaml");

        Path local = Files.createDirectories(dir.resolve("local")).resolve("tagged.jsonl");
        RunReport expected;
        try (Tagger tagger = new Tagger(yaml, null, 3, LocalSpark.runtime().loader())) {
            expected = new DataRun(null, null, null, new BadRecords(false, null), null).transform(input, local, tagger,
                    new RunReport("tag"));
            expected.put("tagged", tagger.tagged()).put("without_image", tagger.untagged());
        }
        Path out = dir.resolve("spark");
        RunReport actual = DataMain.tag(LocalSpark.session(), "tag", "--input", input.toString(), "--output",
                out.toString(), "--pipeline", yaml.toString(), "--max-tags", "3", "--skip-bad", "--partitions", "2");

        List<String> tagged = Files.readAllLines(local);
        assertEquals(tagged, parts(out));
        assertEquals(10, tagged.stream().filter(l -> l.contains("\"tags\"")).count(), tagged.toString());
        assertEquals(expected.written(), actual.written());
        JsonObject want = expected.json();
        JsonObject got = actual.json();
        want.remove("outputs"); // a file there, a folder here
        got.remove("outputs");
        assertEquals(want, got);
        assertEquals(1, actual.json().get("without_image").getAsLong());
    }

    @Test
    void needsAPipeline() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DataMain.tag(LocalSpark.session(),
                "tag", "--input", "a.jsonl", "--output", dir.resolve("o").toString()));
        assertEquals("--pipeline is required", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DataMain.tag(LocalSpark.session(), "tag", "--input",
                "a.jsonl", "--output", "o", "--pipeline", "p.yaml", "--total", "3"));
        assertEquals("--total does not apply to tag", e.getMessage());
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
