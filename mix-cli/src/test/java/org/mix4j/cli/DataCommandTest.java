package org.mix4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.pipelines.retrieval.RetrievalFixtures;

/** The {@code mix data} tools through the command line: outputs, reports, refusals. */
class DataCommandTest {

    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    Path captions;

    record Result(int code, String out, String err) {}

    static Result mix(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Mix.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    static List<JsonObject> jsonl(Path file) throws IOException {
        List<JsonObject> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            out.add(JsonParser.parseString(line).getAsJsonObject());
        }
        return out;
    }

    /** Ten caption pairs over four pictures: one missing, one tiny, one repeated pair, one with an e-mail. */
    @BeforeEach
    void captions() throws IOException {
        Path images = dir.resolve("data/images");
        for (int i = 0; i < 4; i++) {
            RetrievalFixtures.writePng(images.resolve("p" + i + ".png"), i == 3 ? 12 : 48, 40, i);
        }
        StringBuilder b = new StringBuilder();
        String[] caps = {"a red sun on white", "a blue square", "a blue square", "mail me at ann@example.com please",
            "tiny picture here", "a missing picture", "一只红色的猫在桌子上", "ok", "a green ring", "two yellow stars"};
        String[] imgs = {"p0", "p1", "p1", "p2", "p3", "gone", "p0", "p1", "p2", "p0"};
        for (int i = 0; i < caps.length; i++) {
            b.append("{\"id\": \"c").append(i).append("\", \"image\": \"images/").append(imgs[i]).append(".png\", \"caption\": \"")
                    .append(caps[i]).append("\", \"source\": \"test\"}\n");
        }
        captions = Files.writeString(dir.resolve("data/captions.jsonl"), b.toString());
    }

    @Test
    void convertDetectsTheFormatKeepsUnknownFieldsAndComesBack() throws IOException {
        Path llava = dir.resolve("out/llava.json");
        Path report = dir.resolve("out/report.json");
        Result r = mix("data", "convert", captions.toString(), llava.toString(), "--to", "llava", "--report", report.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("converted 10 samples into"), r.out());
        JsonArray array = JsonParser.parseString(Files.readString(llava)).getAsJsonArray();
        JsonObject first = array.get(0).getAsJsonObject();
        assertEquals("../data/images/p0.png", first.get("image").getAsString(), "rebased to the output's folder");
        assertEquals("test", first.get("source").getAsString());
        assertEquals("<image>\nDescribe the picture.", first.getAsJsonArray("conversations").get(0).getAsJsonObject()
                .get("value").getAsString());
        JsonObject rep = JsonParser.parseString(Files.readString(report)).getAsJsonObject();
        assertEquals("caption", rep.get("from").getAsString());
        assertEquals(10, rep.getAsJsonObject("outputs").get(llava.toString()).getAsInt());

        Path openai = dir.resolve("out/openai.jsonl");
        assertEquals(0, mix("data", "convert", llava.toString(), openai.toString(), "--to", "openai").code());
        Path back = dir.resolve("data/back.jsonl");
        assertEquals(0, mix("data", "convert", openai.toString(), back.toString(), "--to", "caption").code());
        assertEquals(jsonl(captions), jsonl(back));
    }

    @Test
    void badLinesStopTheRunOrAreSkippedAndReportedNeverSilently() throws IOException {
        Files.writeString(captions, "{not json\n", java.nio.file.StandardOpenOption.APPEND);
        Path out = dir.resolve("out.jsonl");
        Result stop = mix("data", "convert", captions.toString(), out.toString());
        assertEquals(2, stop.code());
        assertTrue(stop.err().contains(captions + ":11: not a JSON object"), stop.err());
        assertTrue(stop.err().contains("--skip-bad"), stop.err());
        assertFalse(Files.exists(out), "no half-written output");
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "no temporary file left");
        }
        Path report = dir.resolve("report.json");
        Result skip = mix("data", "convert", captions.toString(), out.toString(), "--skip-bad", "--report", report.toString());
        assertEquals(0, skip.code(), skip.err());
        assertTrue(skip.err().contains("skipped " + captions + ":11: not a JSON object"), skip.err());
        assertTrue(skip.out().contains("1 bad record(s) skipped"), skip.out());
        assertEquals(10, Files.readAllLines(out).size());
        JsonObject bad = JsonParser.parseString(Files.readString(report)).getAsJsonObject().getAsJsonObject("bad_records");
        assertEquals(1, bad.get("count").getAsInt());
        Result refused = mix("data", "convert", captions.toString(), captions.toString(), "--skip-bad");
        assertEquals(2, refused.code());
        assertTrue(refused.err().contains("is an input of this run"), refused.err());
    }

    @Test
    void filterAppliesRulesFromAFileAndFlagsAndReportsEachRule() throws IOException {
        Path words = Files.writeString(dir.resolve("rules/words.txt".replace("rules/", "")), "please\n");
        Path rules = Files.writeString(dir.resolve("rules.yaml"), "mask_personal: true\nmask_words: words.txt\n"
                + "dedup: true\ndecodable: true\nmin_side: 32\nmin_chars: 5\n");
        Path out = dir.resolve("kept.jsonl");
        Path report = dir.resolve("filter-report.json");
        Result r = mix("data", "filter", captions.toString(), out.toString(), "--rules", rules.toString(), "--max-cjk-ratio",
                "0.5", "--report", report.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("kept 5 of 10 samples"), r.out());
        List<JsonObject> kept = jsonl(out);
        assertEquals(List.of("c0", "c1", "c3", "c8", "c9"), kept.stream().map(o -> o.get("id").getAsString()).toList());
        assertEquals("mail me at [EMAIL] ******", kept.get(2).get("caption").getAsString());
        JsonObject byRule = JsonParser.parseString(Files.readString(report)).getAsJsonObject().getAsJsonObject("rules");
        Map<String, Integer> removed = new HashMap<>();
        byRule.entrySet().forEach(e -> removed.put(e.getKey(), e.getValue().getAsJsonObject().get("removed").getAsInt()));
        assertEquals(Map.of("mask_words", 0, "mask_personal", 0, "text_length", 1, "cjk_ratio", 1, "dedup", 1,
                "decodable", 1, "min_side", 1), removed);
        assertEquals(1, byRule.getAsJsonObject("mask_personal").get("changed").getAsInt());
        JsonArray examples = byRule.getAsJsonObject("decodable").getAsJsonArray("examples");
        assertTrue(examples.get(0).getAsString().startsWith("c5: image undecodable"), examples.toString());
        assertTrue(byRule.getAsJsonObject("dedup").getAsJsonArray("examples").get(0).getAsString()
                .equals("c2: duplicate (image, text) pair"));

        Result unknown = mix("data", "filter", captions.toString(), out.toString(), "--rules",
                Files.writeString(dir.resolve("bad.yaml"), "min_sid: 3\n").toString());
        assertEquals(1, unknown.code());
        assertTrue(unknown.err().contains("bad.yaml:1") && unknown.err().contains("min_side"), unknown.err());
    }

    @Test
    void theShippedRulesFileRunsWithItsWordListBesideIt() throws IOException {
        RetrievalFixtures.writePng(dir.resolve("data/images/p9.png"), 64, 64, 9);
        Files.writeString(captions, "{\"id\": \"s\", \"image\": \"images/p9.png\", \"caption\": \"a star, see "
                + "https://x.org/a now\"}\n", java.nio.file.StandardOpenOption.APPEND);
        Path out = dir.resolve("shipped.jsonl");
        Result r = mix("data", "filter", captions.toString(), out.toString(), "--rules",
                REPO.resolve("examples/data/filter-rules.yaml").toString(), "--min-side", "8");
        assertEquals(0, r.code(), r.err());
        JsonObject last = jsonl(out).get(jsonl(out).size() - 1);
        assertEquals("a ****, see now", last.get("caption").getAsString());
    }

    @Test
    void filterByClipScoreDropsPairsUnderTheThreshold() throws IOException {
        Path out = dir.resolve("clip.jsonl");
        Path report = dir.resolve("clip-report.json");
        Result r = mix("data", "filter", captions.toString(), out.toString(), "--decodable", "--clip-pipeline",
                REPO.resolve("examples/retrieval/tiny.yaml").toString(), "--min-clip-score", "0.0", "--report",
                report.toString());
        assertEquals(0, r.code(), r.err());
        JsonObject clip = JsonParser.parseString(Files.readString(report)).getAsJsonObject().getAsJsonObject("rules")
                .getAsJsonObject("clip_score");
        assertEquals(9, jsonl(out).size() + clip.get("removed").getAsInt(), r.out());
        for (JsonElement e : clip.getAsJsonArray("examples")) {
            assertTrue(e.getAsString().matches("c\\d: CLIP score -0\\.\\d+ < 0\\.0"), e.getAsString());
        }
    }

    @Test
    void sampleMixAndSplitAreSeededAndTheSplitIsStable() throws IOException {
        Path a = dir.resolve("a.jsonl");
        Path b = dir.resolve("b.jsonl");
        assertEquals(0, mix("data", "sample", captions.toString(), a.toString(), "--count", "4", "--seed", "3").code());
        assertEquals(0, mix("data", "sample", captions.toString(), b.toString(), "--count", "4", "--seed", "3").code());
        assertEquals(Files.readString(a), Files.readString(b));
        assertEquals(4, jsonl(a).size());
        Result frac = mix("data", "sample", captions.toString(), b.toString(), "--fraction", "0.5", "--seed", "1");
        assertEquals(0, frac.code(), frac.err());

        Path other = Files.writeString(dir.resolve("data/other.jsonl"), "{\"image\": \"images/p0.png\", \"caption\": \"x\"}\n"
                .repeat(3));
        Path mixed = dir.resolve("mixed.jsonl");
        Result m = mix("data", "mix", captions + ":2", other + ":1", "-o", mixed.toString(), "--seed", "5");
        assertEquals(0, m.code(), m.err());
        assertTrue(m.out().startsWith("mixed 9 samples from 2 inputs"), m.out());
        List<JsonObject> rows = jsonl(mixed);
        assertEquals(6, rows.stream().filter(o -> o.has("id")).count());
        Result up = mix("data", "mix", captions + ":1", other + ":1", "-o", mixed.toString(), "--total", "20");
        assertEquals(0, up.code(), up.err());
        assertEquals(10, jsonl(mixed).stream().filter(o -> !o.has("id")).count(), "the short input repeats");

        Path parts = dir.resolve("split");
        Result s = mix("data", "split", captions.toString(), "--out-dir", parts.toString(), "--ratios", "0.5,0.3,0.2");
        assertEquals(0, s.code(), s.err());
        Map<String, String> partOf = new HashMap<>();
        for (String name : List.of("train", "val", "test")) {
            jsonl(parts.resolve(name + ".jsonl")).forEach(o -> partOf.put(o.get("id").getAsString(), name));
        }
        assertEquals(10, partOf.size());
        // more samples, another order: the first ten stay where they were
        List<String> lines = new ArrayList<>(Files.readAllLines(captions));
        for (int i = 10; i < 30; i++) {
            lines.add("{\"id\": \"c" + i + "\", \"image\": \"images/p0.png\", \"caption\": \"more " + i + "\"}");
        }
        java.util.Collections.reverse(lines);
        Path bigger = Files.write(dir.resolve("data/bigger.jsonl"), lines);
        assertEquals(0, mix("data", "split", bigger.toString(), "--out-dir", dir.resolve("split2").toString(), "--ratios",
                "0.5,0.3,0.2").code());
        for (String name : List.of("train", "val", "test")) {
            for (JsonObject o : jsonl(dir.resolve("split2").resolve(name + ".jsonl"))) {
                String was = partOf.get(o.get("id").getAsString());
                assertTrue(was == null || was.equals(name), o + " moved from " + was + " to " + name);
            }
        }
    }

    @Test
    void statsCountsAndHistogramsAsTextAndJson() throws IOException {
        Path json = dir.resolve("stats.json");
        Result r = mix("data", "stats", captions.toString(), "--json", json.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("10 samples"), r.out());
        assertTrue(r.out().contains("image shorter side (px)"), r.out());
        JsonObject s = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertEquals(10, s.get("samples").getAsInt());
        assertEquals(1, s.get("unreadable_images").getAsInt());
        long sides = 0;
        for (JsonElement bin : s.getAsJsonArray("image_short_side")) {
            sides += bin.getAsJsonObject().get("count").getAsLong();
        }
        assertEquals(9, sides);
        Path tagged = Files.writeString(dir.resolve("data/tagged.jsonl"),
                "{\"image\": \"images/p0.png\", \"caption\": \"x\", \"tags\": [\"sun\", \"red\"]}\n"
                        + "{\"image\": \"images/p1.png\", \"caption\": \"y\", \"tags\": [\"sun\"]}\n");
        Result t = mix("data", "stats", tagged.toString(), "--json", "-");
        assertEquals(0, t.code(), t.err());
        JsonObject tags = JsonParser.parseString(t.out()).getAsJsonObject().getAsJsonObject("tags");
        assertEquals(2, tags.get("sun").getAsInt());
        assertEquals(1, tags.get("red").getAsInt());
    }

    @Test
    void tagStoresTheModelsTagsInATagsField() throws IOException {
        Path out = dir.resolve("tagged.jsonl");
        Result r = mix("data", "tag", captions.toString(), out.toString(), "--pipeline",
                REPO.resolve("examples/understanding/tiny-llava.yaml").toString(), "--max-tags", "3", "--skip-bad");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("tagged 9 samples (1 without a readable image)"), r.out());
        List<JsonObject> rows = jsonl(out);
        assertEquals(10, rows.size());
        assertTrue(rows.get(0).getAsJsonArray("tags").size() <= 3, rows.get(0).toString());
        assertFalse(rows.get(5).has("tags"));
    }
}
