package org.mix4j.data.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SynthTest {

    @TempDir
    Path dir;

    @Test
    void scenesAreValidDistinctAndApart() {
        SceneSampler sampler = new SceneSampler(7, SynthOptions.defaults());
        Set<Integer> counts = new HashSet<>();
        for (int i = 0; i < 300; i++) {
            Scene s = sampler.scene(i);
            assertTrue(s.width() >= 64 && s.width() <= 512 && s.height() >= 64 && s.height() <= 512, s.toString());
            assertTrue(Math.max(s.width(), s.height()) <= 2 * Math.min(s.width(), s.height()) + 1, "aspect " + s);
            counts.add(s.shapes().size());
            assertEquals(s.shapes().size(), s.shapes().stream().map(Scene.Shape::kind).distinct().count(), "kinds " + s);
            assertEquals(s.shapes().size(), s.shapes().stream().map(Scene.Shape::colour).distinct().count(), "colours " + s);
            for (Scene.Shape a : s.shapes()) {
                assertNotEquals(s.background(), a.colour(), "the background contrasts with every shape: " + s);
                assertTrue(a.x() - a.radius() >= 0 && a.x() + a.radius() <= s.width()
                        && a.y() - a.radius() >= 0 && a.y() + a.radius() <= s.height(), "inside: " + s);
                for (Scene.Shape b : s.shapes()) {
                    if (a != b) {
                        assertTrue(Math.hypot(a.x() - b.x(), a.y() - b.y()) >= a.radius() + b.radius() - 1e-9,
                                "no shape hides another: " + s);
                    }
                }
            }
        }
        assertEquals(Set.of(1, 2, 3), counts);
    }

    /**
     * {@code --tilt} bounds each shape's turn and changes nothing else: the same draws are made, so a
     * scene at tilt 0 is the default one with its shapes upright.
     */
    @Test
    void tiltBoundsTheTurnOfEveryShapeAndNothingElse() {
        SceneSampler tilted = new SceneSampler(5, SynthOptions.defaults());
        SceneSampler upright = new SceneSampler(5, options(0));
        SceneSampler wide = new SceneSampler(5, options(40));
        double mostDefault = 0;
        double mostWide = 0;
        for (int i = 0; i < 200; i++) {
            Scene t = tilted.scene(i);
            Scene u = upright.scene(i);
            Scene w = wide.scene(i);
            assertEquals(t.width(), u.width());
            assertEquals(t.background(), u.background());
            assertEquals(t.shapes().size(), u.shapes().size());
            for (int k = 0; k < t.shapes().size(); k++) {
                Scene.Shape a = t.shapes().get(k);
                Scene.Shape b = u.shapes().get(k);
                assertEquals(new Scene.Shape(a.kind(), a.colour(), a.x(), a.y(), a.radius(), b.rotation()), b, "scene " + i);
                assertEquals(0.0, Math.abs(b.rotation()), "upright: scene " + i); // 0 or -0
                assertTrue(Math.abs(a.rotation()) <= Math.toRadians(15) + 1e-12, "scene " + i + ": " + a);
                mostDefault = Math.max(mostDefault, Math.abs(a.rotation()));
                double turn = w.shapes().get(k).rotation();
                assertTrue(Math.abs(turn) <= Math.toRadians(40) + 1e-12, "scene " + i + ": " + turn);
                mostWide = Math.max(mostWide, Math.abs(turn));
            }
        }
        assertTrue(mostDefault > Math.toRadians(12), "the default turns up to 15 degrees: " + Math.toDegrees(mostDefault));
        assertTrue(mostWide > Math.toRadians(30), "40 degrees: " + Math.toDegrees(mostWide));
        for (double bad : new double[] {-1, 181, Double.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> options(bad));
            assertTrue(e.getMessage().startsWith("tilt must be in [0, 180] degrees"), e.getMessage());
        }
    }

    private static SynthOptions options(double tilt) {
        SynthOptions d = SynthOptions.defaults();
        return new SynthOptions(d.minSize(), d.maxSize(), d.maxShapes(), d.sketch(), d.jpeg(), d.textured(), d.noise(),
                d.languages(), tilt);
    }

    @Test
    void theSameSeedDrawsTheSameScenesWhateverTheCount() {
        SceneSampler a = new SceneSampler(3, SynthOptions.defaults());
        SceneSampler b = new SceneSampler(3, SynthOptions.defaults());
        assertEquals(a.scene(17), b.scene(17));
        assertNotEquals(a.scene(17), new SceneSampler(4, SynthOptions.defaults()).scene(17));
        Path small = dir.resolve("small");
        Path large = dir.resolve("large");
        SynthWriter.write(small, 3, 4, SynthOptions.defaults(), false, n -> {});
        SynthWriter.write(large, 3, 6, SynthOptions.defaults(), false, n -> {});
        try (var files = Files.list(small.resolve("images"))) {
            for (Path p : files.toList()) {
                assertArrayEquals(bytes(p), bytes(large.resolve("images").resolve(p.getFileName())), p.toString());
            }
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Drawn on one thread or several, every file is the same byte for byte, and progress comes in order. */
    @Test
    void theFilesAreTheSameWhateverTheNumberOfThreads() throws Exception {
        Path one = dir.resolve("one");
        Path three = dir.resolve("three");
        List<Long> progress = new java.util.ArrayList<>();
        SynthOptions options = new SynthOptions(64, 160, 3, 0.3, 0.5, 0.3, 3, List.of("en", "zh"));
        SynthWriter.Summary a = SynthWriter.write(one, 5, 23, options, false, 1, n -> {});
        SynthWriter.Summary b = SynthWriter.write(three, 5, 23, options, false, 3, progress::add);
        assertEquals(a, b);
        assertTrue(a.jpegs() > 0 && a.jpegs() < 23, a.jpegs() + " JPEGs of 23");
        assertEquals(java.util.stream.LongStream.rangeClosed(1, 23).boxed().toList(), progress);
        List<Path> files;
        try (var walk = Files.walk(one)) {
            files = walk.filter(Files::isRegularFile).map(one::relativize).sorted().toList();
        }
        try (var walk = Files.walk(three)) {
            assertEquals(files, walk.filter(Files::isRegularFile).map(three::relativize).sorted().toList());
        }
        assertEquals(23 + 8, files.size(), files.toString()); // the pictures, scenes.jsonl, 6 text files, synth.json
        for (Path f : files) {
            assertArrayEquals(bytes(one.resolve(f)), bytes(three.resolve(f)), f.toString());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SynthWriter.write(dir.resolve("none"), 5, 2, options, false, 0, n -> {}));
        assertEquals("threads must be at least 1, got 0", e.getMessage());
    }

    /** The picture shows what scenes.jsonl says: each shape's colour where the shape is, the background elsewhere. */
    @Test
    void thePicturesMatchTheirTruth() throws Exception {
        SynthOptions clean = new SynthOptions(64, 256, 3, 0, 0, 0.5, 3, List.of("en"));
        SynthWriter.write(dir, 11, 30, clean, false, n -> {});
        for (String line : Files.readAllLines(dir.resolve("scenes.jsonl"))) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            BufferedImage image = ImageIO.read(dir.resolve(o.get("image").getAsString()).toFile());
            assertEquals(o.get("width").getAsInt(), image.getWidth());
            Colour background = Colour.named(o.get("background").getAsString());
            assertNear(background.rgb(), new Color(image.getRGB(1, 1)), 40, line); // a corner: outside every bounding circle
            for (var e : o.getAsJsonArray("shapes")) {
                JsonObject s = e.getAsJsonObject();
                ShapeKind kind = ShapeKind.named(s.get("shape").getAsString());
                double r = s.get("radius").getAsDouble();
                // a point well inside the shape: the centre, or for a ring half-way through its band
                int x = (int) Math.round(s.get("x").getAsDouble() + (kind == ShapeKind.RING ? 0.78 * r : 0));
                int y = (int) Math.round(s.get("y").getAsDouble());
                assertNear(Colour.named(s.get("colour").getAsString()).rgb(), new Color(image.getRGB(x, y)), 30, line);
            }
        }
    }

    @Test
    void captionsAndAnswersFollowFromTheScene() {
        Scene s = new Scene(200, 100, Colour.WHITE, false, Scene.Style.CLEAN, List.of(
                new Scene.Shape(ShapeKind.STAR, Colour.ORANGE, 160, 50, 20, 0),
                new Scene.Shape(ShapeKind.CIRCLE, Colour.RED, 30, 50, 20, 0)));
        assertEquals("a red circle and an orange star on a white background", SceneText.caption(s, "en"));
        assertEquals("白色背景上有一个红色圆形和一个橙色星形", SceneText.caption(s, "zh"));
        List<SceneText.Qa> en = SceneText.questions(s, "en", new Random(0));
        assertTrue(en.contains(new SceneText.Qa("colour", "What colour is the star?", "orange")), en.toString());
        assertTrue(en.contains(new SceneText.Qa("count", "How many shapes are there?", "two")), en.toString());
        assertTrue(en.contains(new SceneText.Qa("where", "Where is the red circle?", "left")), en.toString());
        assertTrue(en.contains(new SceneText.Qa("where", "Where is the orange star?", "right")), en.toString());
        assertTrue(en.contains(new SceneText.Qa("background", "What colour is the background?", "white")), en.toString());
        List<SceneText.Qa> zh = SceneText.questions(s, "zh", new Random(0));
        assertTrue(zh.contains(new SceneText.Qa("colour", "星形是什么颜色？", "橙色")), zh.toString());
        assertTrue(zh.contains(new SceneText.Qa("count", "图中有几个形状？", "两个")), zh.toString());
        for (List<SceneText.Qa> qas : List.of(en, zh)) {
            List<SceneText.Qa> yesNo = qas.stream().filter(q -> q.kind().equals("yes_no")).toList();
            assertEquals(2, yesNo.size());
            assertEquals(Set.of("yes", "no"), Set.of(yesNo.get(0).answer(), yesNo.get(1).answer())
                    .stream().map(a -> a.equals("有") ? "yes" : a.equals("没有") ? "no" : a)
                    .collect(java.util.stream.Collectors.toSet()));
        }
        // a shape near the centre gets no "where" question: its place is not clear
        Scene centred = new Scene(100, 100, Colour.BLACK, false, Scene.Style.CLEAN,
                List.of(new Scene.Shape(ShapeKind.RING, Colour.BLUE, 52, 49, 30, 0)));
        assertTrue(SceneText.questions(centred, "en", new Random(0)).stream().noneMatch(q -> q.kind().equals("where")));
    }

    /**
     * Shapes one above the other (centres closer across than half the smaller radius) may be listed
     * in either order: "which shapes" and the caption carry the other order as right too, and the
     * LLaVA files list both under "answers"; shapes clearly apart keep their one order.
     */
    @Test
    void shapesOneAboveTheOtherMayBeListedInEitherOrder() throws Exception {
        Scene.Shape star = new Scene.Shape(ShapeKind.STAR, Colour.ORANGE, 100, 30, 20, 0);
        Scene.Shape ring = new Scene.Shape(ShapeKind.RING, Colour.BLUE, 95, 150, 30, 0); // 5 px left of the star: < 10
        Scene.Shape square = new Scene.Shape(ShapeKind.SQUARE, Colour.RED, 180, 100, 20, 0);
        Scene s = new Scene(240, 200, Colour.WHITE, false, Scene.Style.CLEAN, List.of(star, ring, square));
        assertEquals(List.of(List.of(ring, star, square), List.of(star, ring, square)), s.leftToRightOrders());
        SceneText.Qa which = SceneText.questions(s, "en", new Random(0)).stream()
                .filter(q -> q.kind().equals("shapes")).findFirst().orElseThrow();
        assertEquals("a blue ring, an orange star and a red square", which.answer());
        assertEquals(List.of("an orange star, a blue ring and a red square"), which.alsoRight());
        assertEquals(List.of("白色背景上有一个蓝色圆环、一个橙色星形和一个红色正方形", "白色背景上有一个橙色星形、一个蓝色圆环和一个红色正方形"),
                SceneText.captions(s, "zh"));

        // 10 px apart across (half of 20): clearly left, one order only
        Scene apart = new Scene(240, 200, Colour.WHITE, false, Scene.Style.CLEAN, List.of(star,
                new Scene.Shape(ShapeKind.RING, Colour.BLUE, 90, 150, 30, 0)));
        assertEquals(1, apart.leftToRightOrders().size());
        assertTrue(SceneText.questions(apart, "en", new Random(0)).stream().allMatch(q -> q.alsoRight().isEmpty()));

        // the written files: "answers" on such samples only, the reply first
        SynthWriter.write(dir, 5, 60, SynthOptions.defaults(), false, n -> {});
        int listed = 0;
        for (String line : Files.readAllLines(dir.resolve("llava-vqa.jsonl"))) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            if (o.has("answers")) {
                listed++;
                assertEquals("shapes", o.get("kind").getAsString(), line);
                var answers = o.getAsJsonArray("answers");
                assertTrue(answers.size() >= 2, line);
                assertEquals(o.getAsJsonArray("conversations").get(1).getAsJsonObject().get("value"), answers.get(0), line);
            }
        }
        assertTrue(listed > 0 && listed < 30, listed + " of 60 scenes with shapes one above the other");
    }

    @Test
    void aFolderWithOtherFilesIsNeverOverwritten() throws Exception {
        Files.writeString(dir.resolve("notes.txt"), "mine");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SynthWriter.write(dir, 0, 2, SynthOptions.defaults(), false, n -> {}));
        assertTrue(e.getMessage().contains("is not empty"), e.getMessage());
        assertEquals("mine", Files.readString(dir.resolve("notes.txt")));
        assertThrows(IllegalArgumentException.class, () -> new SynthOptions(64, 512, 4, 0, 0, 0, 0, List.of("en")));
        assertThrows(IllegalArgumentException.class, () -> new SynthOptions(64, 512, 3, 0, 0, 0, 0, List.of("fr")));
    }

    private static void assertNear(Color expected, Color actual, int tolerance, String what) {
        int d = Math.max(Math.abs(expected.getRed() - actual.getRed()), Math.max(Math.abs(expected.getGreen()
                - actual.getGreen()), Math.abs(expected.getBlue() - actual.getBlue())));
        assertTrue(d <= tolerance, "expected " + expected + " got " + actual + " in " + what);
    }

    private static byte[] bytes(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}
