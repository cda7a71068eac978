package org.mix4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.api.RgbImage;
import org.mix4j.data.filter.ClipScore;
import org.mix4j.data.filter.SampleFilter;
import org.mix4j.data.filter.SampleImages;
import org.mix4j.data.ops.DataRun;
import org.mix4j.data.ops.RunReport;
import org.mix4j.data.ops.Sampling;
import org.mix4j.data.ops.Splitting;
import org.mix4j.data.ops.Stats;
import org.mix4j.data.records.BadRecords;
import org.mix4j.data.records.Format;
import org.mix4j.data.records.SampleReader;
import org.mix4j.data.synth.SynthOptions;
import org.mix4j.data.synth.SynthWriter;
import org.mix4j.image.ImageDecoder;
import org.mix4j.spark.data.DataChain;

/**
 * DataMain's chain on local[2] Spark against the local tools' chain (mix data convert, filter,
 * sample through the same classes the CLI calls) over a few hundred synthetic records with crafted
 * bad ones: the same output lines in the same order, and the same counts per rule and bad record.
 */
class DataChainTest {

    @TempDir
    static Path dir;

    static Path input;
    static Path rules;

    @BeforeAll
    static void data() throws IOException {
        Path synth = dir.resolve("synth");
        SynthWriter.write(synth, 3, 220, new SynthOptions(32, 96, 2, 0, 0.2, 0.3, 3.0, List.of("en")), false, n -> {});
        List<String> lines = new ArrayList<>(Files.readAllLines(synth.resolve("llava-captions.jsonl")));
        Path images = synth.resolve("images");
        Files.writeString(images.resolve("broken.png"), "not a picture");
        LocalSpark.writePng(images.resolve("tiny.png"), 20, 20, 1);
        LocalSpark.writePng(images.resolve("wide.png"), 200, 40, 2);
        for (int i = 0; i < 4; i++) {
            LocalSpark.writePng(images.resolve("own-" + i + ".png"), 64, 64, 10 + i);
        }
        // crafted records, spread through the file; a duplicate of a later record comes first, so the
        // later original is the one dropped
        String later = lines.get(150).replace("\"id\":\"scene-00150-caption\"", "\"id\":\"early-copy\"");
        lines.add(5, later);
        lines.add(12, "this line is not JSON");
        lines.add(20, "{\"id\":\"no-turns\",\"image\":\"images/scene-00001.png\",\"conversations\":\"oops\"}");
        lines.add(31, llava("two-images", "[\"images/own-0.png\",\"images/own-1.png\"]", "two pictures of shapes"));
        lines.add(40, llava("broken", "\"images/broken.png\"", "a broken picture of a red circle"));
        lines.add(47, llava("missing", "\"images/nope.png\"", "a missing picture of a blue square"));
        lines.add(55, llava("short", "\"images/own-0.png\"", "ok"));
        lines.add(63, llava("pii", "\"images/own-1.png\"", "mail a.b@example.com or call 13800138000 about the circle")
                .replace("{\"id\"", "{\"source\":\"crafted\",\"meta\":{\"k\":[1,2]},\"id\""));
        lines.add(70, llava("url", "\"images/own-2.png\"", "a green star, see https://example.com/star for more"));
        lines.add(81, llava("tiny", "\"images/tiny.png\"", "a tiny picture of a dot"));
        lines.add(90, llava("wide", "\"images/wide.png\"", "a wide picture of a line"));
        lines.add(99, llava("same-image", "\"images/own-2.png\"", "another caption of the same star"));
        lines.add(lines.get(8));
        lines.add(lines.get(30));
        input = synth.resolve("in.jsonl");
        Files.write(input, lines);
        rules = dir.resolve("rules.yaml");
        Files.writeString(rules, """
                strip_urls: true
                mask_personal: true
                min_chars: 5
                dedup: true
                decodable: true
                min_side: 24
                max_aspect: 3
                near_duplicate: 2
                """);
    }

    private static String llava(String id, String image, String caption) {
        return "{\"id\":\"" + id + "\",\"image\":" + image + ",\"conversations\":[{\"from\":\"human\",\"value\":"
                + "\"<image>\\nDescribe the picture.\"},{\"from\":\"gpt\",\"value\":\"" + caption + "\"}]}";
    }

    @Test
    void convertFilterSampleChainEqualsTheLocalChain() throws IOException {
        // the local tools, one after the other, as mix data convert / filter / sample run them
        Path local = Files.createDirectories(dir.resolve("local"));
        BadRecords bad = new BadRecords(false, null);
        RunReport convert = new DataRun(null, Format.CAPTION, null, bad, null)
                .transform(input, local.resolve("a.jsonl"), s -> s, new RunReport("convert"));
        List<SampleFilter.Count> counts;
        try (SampleFilter filter = new SampleFilter(DataMain.rules(rules).rules(null))) {
            new DataRun(null, null, null, new BadRecords(true, null), null)
                    .transform(local.resolve("a.jsonl"), local.resolve("b.jsonl"), filter::apply, new RunReport("filter"));
            counts = filter.counts();
        }
        Sampling.count(new DataRun(null, null, null, new BadRecords(true, null), null), local.resolve("b.jsonl"),
                local.resolve("c.jsonl"), 120, 7);
        // the fixture exercises every rule it names (else equal counts would prove little)
        for (SampleFilter.Count c : counts) {
            assertTrue(c.removed() + c.changed() > 0, c.rule() + " did nothing");
        }
        assertEquals(3, bad.count(), bad.listed().toString());

        Path out = dir.resolve("spark");
        List<RunReport> steps = DataChain.run(LocalSpark.session(), DataMain.parse(2, "chain", "--input", input.toString(),
                "--output", out.toString(), "--to", "caption", "--rules", rules.toString(), "--count", "120",
                "--seed", "7", "--partitions", "3", "--skip-bad"));

        assertSameLines(Files.readAllLines(local.resolve("c.jsonl")), parts(out));
        assertEquals(List.of("convert", "filter", "sample"), steps.stream().map(r -> r.json().get("command").getAsString()).toList());
        JsonObject converted = steps.get(0).json();
        assertEquals(convert.json().get("bad_records"), converted.get("bad_records"));
        assertEquals(convert.json().getAsJsonObject("inputs").get(input.toString()),
                converted.getAsJsonObject("inputs").get(input.toString()));
        assertEquals(new RunReport("filter").rules(counts).json().get("rules"), steps.get(1).json().get("rules"));
        assertEquals(120, steps.get(2).written());
    }

    @Test
    void sampleByFractionSelectsWhatTheLocalSamplerSelects() throws IOException {
        Path local = Files.createDirectories(dir.resolve("local-fraction")).resolve("fraction.jsonl");
        RunReport expected = Sampling.fraction(new DataRun(null, null, null, new BadRecords(false, null), null), input,
                local, 0.3, 11);
        Path out = dir.resolve("spark-fraction");
        List<RunReport> steps = DataChain.run(LocalSpark.session(), DataMain.parse(2, "sample", "--input", input.toString(),
                "--output", out.toString(), "--fraction", "0.3", "--seed", "11", "--skip-bad"));
        List<String> lines = parts(out);
        assertSameLines(Files.readAllLines(local), lines);
        assertEquals(expected.written(), steps.get(0).written());
        assertTrue(lines.size() > 40 && lines.size() < 110, lines.size() + " of ~240 at 0.3");
    }

    @Test
    void jsonArrayInputIsReadWholeWithTheSameRecords() throws IOException {
        Path array = Files.createDirectories(dir.resolve("array")).resolve("in.json");
        new DataRun(null, null, null, new BadRecords(false, null), null).transform(input, array, s -> s,
                new RunReport("convert"));
        Path local = Files.createDirectories(dir.resolve("local-array")).resolve("some.jsonl");
        Sampling.count(new DataRun(null, null, null, new BadRecords(true, null), null), array, local, 50, 1);
        Path out = dir.resolve("spark-array");
        DataChain.run(LocalSpark.session(), DataMain.parse(2, "sample", "--input", array.toString(), "--output",
                out.toString(), "--count", "50", "--seed", "1", "--partitions", "3"));
        assertSameLines(Files.readAllLines(local), parts(out));
    }

    @Test
    void splitPutsEachSampleInTheLocalSplitsPart() throws IOException {
        Path local = dir.resolve("local-split");
        List<String> names = List.of("train", "val", "test");
        List<Splitting.Part> parts = List.of(new Splitting.Part("train", 0.6, local.resolve("train.jsonl")),
                new Splitting.Part("val", 0.3, local.resolve("val.jsonl")),
                new Splitting.Part("test", 0.1, local.resolve("test.jsonl")));
        Splitting.split(new DataRun(null, null, null, new BadRecords(false, null), null), input, parts, 5);
        Path out = dir.resolve("spark-split");
        DataChain.run(LocalSpark.session(), DataMain.parse(2, "split", "--input", input.toString(), "--output",
                out.toString(), "--ratios", "0.6,0.3,0.1", "--seed", "5", "--skip-bad", "--partitions", "3"));
        for (String name : names) {
            // a part folder is one level deeper than the local part file: compare samples, images resolved
            List<String> expected = samples(local.resolve(name + ".jsonl"));
            assertTrue(expected.size() > 10, name + ": " + expected.size());
            List<String> actual = new ArrayList<>();
            try (Stream<Path> files = Files.list(out.resolve(name))) {
                for (Path p : files.filter(f -> f.getFileName().toString().startsWith("part-")).sorted().toList()) {
                    actual.addAll(samples(p));
                }
            }
            assertSameLines(expected, actual);
        }
    }

    /** A data file's samples as text: resolved image files, messages and other fields. */
    private static List<String> samples(Path file) {
        List<String> out = new ArrayList<>();
        try (SampleReader r = SampleReader.open(file, null, null, new BadRecords(true, null))) {
            r.forEachRemaining(s -> out.add(s.imagePaths() + " " + s.turns() + " " + s.extra()));
        }
        return out;
    }

    @Test
    void clipScoreRuleLoadsOnTheExecutorAndDropsWhatTheLocalRuleDrops() throws IOException {
        Path small = dir.resolve("synth/small.jsonl"); // the tiny CLIP embeds a pair in tens of ms: a few dozen
        Files.write(small, Files.readAllLines(input).subList(0, 30));
        Path tiny = LocalSpark.ROOT.resolve("examples/retrieval/tiny.yaml");
        Path clipRules = Files.writeString(dir.resolve("clip-rules.yaml"), "decodable: true\nclip_pipeline: " + tiny
                + "\nmin_clip_score: " + medianScore(small, tiny) + "\n");
        Path local = Files.createDirectories(dir.resolve("local-clip")).resolve("kept.jsonl");
        List<SampleFilter.Count> counts;
        try (SampleFilter filter = new SampleFilter(DataMain.rules(clipRules).rules(LocalSpark.runtime().loader()))) {
            new DataRun(null, null, null, new BadRecords(false, null), null).transform(small, local, filter::apply,
                    new RunReport("filter"));
            counts = filter.counts();
        }
        Path out = dir.resolve("spark-clip");
        List<RunReport> steps = DataChain.run(LocalSpark.session(), DataMain.parse(2, "filter", "--input", small.toString(),
                "--output", out.toString(), "--rules", clipRules.toString(), "--skip-bad", "--partitions", "2"));
        assertSameLines(Files.readAllLines(local), parts(out));
        assertEquals(new RunReport("filter").rules(counts).json().get("rules"), steps.get(0).json().get("rules"));
        long removed = counts.get(1).removed();
        assertTrue(removed > 0 && removed < 25, counts.get(1).rule() + " removed " + removed + " of ~28");
    }

    /** The median CLIP score of a file's pairs (the random tiny CLIP's scores sit anywhere): a cut that drops some. */
    private static double medianScore(Path file, Path pipeline) {
        List<Double> scores = new ArrayList<>();
        ImageDecoder decoder = new ImageDecoder();
        try (ClipScore clip = new ClipScore(pipeline, 0, LocalSpark.runtime().loader());
                SampleReader r = SampleReader.open(file, null, null, new BadRecords(false, null))) {
            r.forEachRemaining(s -> {
                List<RgbImage> images = new SampleImages(s, decoder).ok();
                if (!images.isEmpty()) {
                    scores.add(clip.score(images.get(0), s.firstText("assistant")));
                }
            });
        }
        Collections.sort(scores);
        return scores.get(scores.size() / 2);
    }

    @Test
    void statsEqualTheLocalStats() {
        JsonObject expected = Stats.of(new DataRun(null, null, null, new BadRecords(false, null), null), input, true);
        JsonObject actual = DataMain.stats(LocalSpark.session(), "stats", "--input", input.toString(), "--skip-bad",
                "--partitions", "3");
        assertEquals(expected, actual);
        assertTrue(expected.get("unreadable_images").getAsLong() >= 2, expected.toString());
    }

    /** Equal lists of lines; else the first difference (the whole lists would fill the screen). */
    private static void assertSameLines(List<String> expected, List<String> actual) {
        for (int i = 0; i < Math.min(expected.size(), actual.size()); i++) {
            assertEquals(expected.get(i), actual.get(i), "line " + (i + 1) + " of the output");
        }
        assertEquals(expected.size(), actual.size(), "lines in the output");
    }

    /** The lines of a Spark output folder's part files, in part order. */
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
