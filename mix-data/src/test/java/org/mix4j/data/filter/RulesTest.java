package org.mix4j.data.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.data.DataFixtures;
import org.mix4j.data.records.Sample;
import org.mix4j.image.ImageDecoder;

/** Each rule on crafted samples: what it drops, what it rewrites, and why it says so. */
class RulesTest {

    @TempDir
    Path dir;

    private Rule.Verdict run(Rule rule, Sample s) {
        return rule.apply(s, new SampleImages(s, new ImageDecoder()));
    }

    @Test
    void decodableDropsMissingAndBrokenImages() throws IOException {
        DataFixtures.png(dir.resolve("ok.png"), DataFixtures.picture(40, 30, 0));
        Files.writeString(dir.resolve("broken.png"), "not a picture");
        Rule rule = new ImageRules.Decodable();
        assertNotNull(run(rule, DataFixtures.pair(dir, "ok.png", "a")).sample());
        assertTrue(run(rule, DataFixtures.pair(dir, "missing.png", "a")).reason().startsWith("image undecodable: "));
        assertTrue(run(rule, DataFixtures.pair(dir, "broken.png", "a")).reason().contains("broken.png"));
        assertNotNull(run(rule, DataFixtures.pair(dir, null, "text only")).sample());
    }

    @Test
    void minSideAndMaxAspectLookAtEachImage() {
        DataFixtures.png(dir.resolve("wide.png"), DataFixtures.picture(100, 20, 0));
        assertEquals("short side 20 < 32", run(new ImageRules.MinSide(32), DataFixtures.pair(dir, "wide.png", "a")).reason());
        assertNotNull(run(new ImageRules.MinSide(20), DataFixtures.pair(dir, "wide.png", "a")).sample());
        assertEquals("aspect ratio 5.00 > 3.0", run(new ImageRules.MaxAspect(3), DataFixtures.pair(dir, "wide.png", "a")).reason());
        assertNotNull(run(new ImageRules.MaxAspect(5), DataFixtures.pair(dir, "wide.png", "a")).sample());
    }

    @Test
    void nearDuplicatesAreFoundAcrossSizesAndRecompression() throws IOException {
        DataFixtures.png(dir.resolve("a.png"), DataFixtures.picture(64, 48, 0));
        DataFixtures.png(dir.resolve("a-big.png"), DataFixtures.picture(200, 150, 0));
        ImageIO.write(DataFixtures.picture(64, 48, 0), "jpeg", dir.resolve("a.jpg").toFile());
        DataFixtures.png(dir.resolve("b.png"), DataFixtures.picture(64, 48, 1));
        BufferedImage noise = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        Random r = new Random(1);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                noise.setRGB(x, y, r.nextInt(0x1000000));
            }
        }
        DataFixtures.png(dir.resolve("noise.png"), noise);
        long a = PerceptualHash.of(ImageDecoder.readRgb(dir.resolve("a.png")));
        int big = PerceptualHash.distance(a, PerceptualHash.of(ImageDecoder.readRgb(dir.resolve("a-big.png"))));
        int jpeg = PerceptualHash.distance(a, PerceptualHash.of(ImageDecoder.readRgb(dir.resolve("a.jpg"))));
        int other = PerceptualHash.distance(a, PerceptualHash.of(ImageDecoder.readRgb(dir.resolve("b.png"))));
        assertTrue(big <= 4 && jpeg <= 4 && other > 10, big + " " + jpeg + " " + other);
        Rule rule = new ImageRules.NearDuplicate(6);
        assertNotNull(run(rule, DataFixtures.pair(dir, "a.png", "one")).sample());
        assertTrue(run(rule, DataFixtures.pair(dir, "a-big.png", "two")).reason().startsWith("near-duplicate image"));
        assertTrue(run(rule, DataFixtures.pair(dir, "a.jpg", "three")).dropped());
        assertNotNull(run(rule, DataFixtures.pair(dir, "b.png", "four")).sample());
        assertNotNull(run(rule, DataFixtures.pair(dir, "noise.png", "five")).sample());
        assertTrue(run(new ImageRules.NearDuplicate(0), DataFixtures.pair(dir, "a.png", "x")).sample() != null);
    }

    @Test
    void textLengthCountsCodePointsOfTheAnswers() {
        Sample s = DataFixtures.pair(dir, "a.png", "一只猫\ud83d\ude00"); // the answer: 4 code points
        assertNotNull(run(new TextRules.Length(4, 4), s).sample());
        assertEquals("text 4 characters < 5", run(new TextRules.Length(5, null), s).reason());
        assertEquals("text 4 characters > 3", run(new TextRules.Length(null, 3), s).reason());
    }

    @Test
    void cjkRatioIsTheShareOfCjkLettersAmongLetters() {
        assertEquals(0.5, TextRules.CjkRatio.ratio("ab 猫狗 12!"), 1e-9);
        assertEquals(0, TextRules.CjkRatio.ratio("123"), 1e-9);
        Sample zh = new Sample("w", "/", List.of(), List.of(new Sample.Turn("assistant", "一只红色的猫 cat", "{}")), "{}");
        assertNotNull(run(new TextRules.CjkRatio(0.5, null), zh).sample());
        assertTrue(run(new TextRules.CjkRatio(null, 0.5), zh).reason().startsWith("CJK share 0.67 outside"));
    }

    @Test
    void stripRemovesUrlsAndBoilerplateButKeepsPlaceholders() {
        Sample s = new Sample("w", "/", List.of("a.png"), List.of(new Sample.Turn("user",
                "<image>\nSee https://example.com/x?y=1 now", "{}"), new Sample.Turn("assistant",
                "A cat. Stock photo by www.foo.com. All Rights Reserved", "{}")), "{}");
        Sample out = run(new TextRules.Strip(true, List.of("stock photo by", "all rights reserved")), s).sample();
        assertEquals("<image>\nSee now", out.turns().get(0).text());
        assertEquals("A cat. .", out.turns().get(1).text());
        Sample clean = DataFixtures.pair(dir, "a.png", "a cat");
        assertTrue(run(new TextRules.Strip(true, List.of()), clean).sample() == clean, "unchanged sample is the same");
    }

    @Test
    void maskWordsMasksWholeLatinWordsAndCjkAnywhere() {
        Rule rule = new TextRules.MaskWords(List.of("# comment", "darn", "坏词", ""));
        Sample out = run(rule, DataFixtures.pair(dir, "a.png", "Darn it, darned 坏词了")).sample();
        assertEquals("**** it, darned **了", out.firstText("assistant"));
    }

    @Test
    void maskPersonalMasksEmailsPhonesAndValidIdNumbers() {
        String text = "Mail ann.lee+x@mail.example.cn or call 138-1234-5678, +86 13912345678, (010)12345678, "
                + "+1 415 555 0132. ID 11010519491231002X; not an ID 110105194912310021; order 2024-05-01.";
        String out = run(new TextRules.MaskPersonal(), DataFixtures.pair(dir, "a.png", text)).sample().firstText("assistant");
        assertEquals("Mail [EMAIL] or call [PHONE], [PHONE], [PHONE], [PHONE]. ID [ID_NUMBER]; not an ID "
                + "110105194912310021; order 2024-05-01.", out);
    }

    @Test
    void dedupDropsRepeatedImageTextPairsOnly() {
        Rule rule = new DuplicatePairs();
        assertNotNull(run(rule, DataFixtures.pair(dir, "a.png", "a cat")).sample());
        assertEquals("duplicate (image, text) pair", run(rule, DataFixtures.pair(dir, "./a.png", "a cat")).reason());
        assertNotNull(run(rule, DataFixtures.pair(dir, "a.png", "a dog")).sample());
        assertNotNull(run(rule, DataFixtures.pair(dir, "b.png", "a cat")).sample());
    }

    @Test
    void theFilterCountsWhatEachRuleRemovedAndRewroteWithExamples() {
        DataFixtures.png(dir.resolve("ok.png"), DataFixtures.picture(64, 64, 0));
        DataFixtures.png(dir.resolve("small.png"), DataFixtures.picture(16, 16, 1));
        List<Rule> rules = new FilterSettings(null, null, null, null, true, 3, null, null, null, true, true, 32, null,
                null, null, null).rules(null);
        assertEquals(List.of("mask_personal", "text_length", "dedup", "decodable", "min_side"),
                rules.stream().map(Rule::name).toList());
        try (SampleFilter f = new SampleFilter(rules)) {
            assertNotNull(f.apply(DataFixtures.pair(dir, "ok.png", "mail a@b.com")));
            assertNull(f.apply(DataFixtures.pair(dir, "ok.png", "mail a@b.com")));
            assertNull(f.apply(DataFixtures.pair(dir, "small.png", "a small one")));
            assertNull(f.apply(DataFixtures.pair(dir, "gone.png", "missing")));
            SampleFilter.Count mask = f.counts().get(0);
            assertEquals(2, mask.changed());
            assertEquals(0, mask.removed());
            assertEquals(1, f.counts().get(2).removed());
            assertEquals(1, f.counts().get(3).removed());
            assertTrue(f.counts().get(4).examples().get(0).endsWith("short side 16 < 32"), f.counts().get(4).examples().toString());
        }
    }

    @Test
    void rulesAreSerializableFunctions() throws Exception {
        DataFixtures.png(dir.resolve("ok.png"), DataFixtures.picture(64, 64, 0));
        List<Rule> rules = new FilterSettings(true, List.of("stock photo"), null, null, true, 1, 100, 0.0, 1.0, true, true,
                8, 4.0, 4, null, null).rules(null);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(new java.util.ArrayList<>(rules));
            out.writeObject(DataFixtures.pair(dir, "ok.png", "x"));
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            @SuppressWarnings("unchecked")
            List<Rule> copy = (List<Rule>) in.readObject();
            Sample s = (Sample) in.readObject();
            try (SampleFilter f = new SampleFilter(copy)) {
                assertEquals("[EMAIL] a cat", f.apply(s.withTurns(List.of(new Sample.Turn("assistant",
                        "me@x.org a cat stock photo", "{}")))).firstText("assistant"));
            }
        }
    }
}
