package org.mix4j.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.nn.Autograd;

/**
 * The contrastive objective's arithmetic against numbers worked out by hand: InfoNCE on a 2x2 case
 * (with and without a hard-negative column, and with a caption two pairs share), the clamp of the logit scale, the recall counts, the
 * attribute substitution, and the errors of bad caption data.
 */
class ContrastiveLossTest {

    private static NDManager manager;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void stop() {
        manager.close();
    }

    /** log(1 + e^-x): the cross-entropy of two logits whose right one leads by x. */
    private static double ce2(double lead) {
        return Math.log(1 + Math.exp(-lead));
    }

    // images i0 = (1, 0), i1 = (0, 1); texts t0 = (1, 0), t1 = (0.6, 0.8); scale 2. Logits
    // image->text [[2, 1.2], [0, 1.6]], text->image [[2, 0], [1.2, 1.6]].
    private static final double TWO_BY_TWO = (ce2(2 - 1.2) + ce2(1.6 - 0) + ce2(2 - 0) + ce2(1.6 - 1.2)) / 4;

    @Test
    void infoNceOfATwoByTwoBatchMatchesTheHandComputedValue() {
        try (NDManager scope = manager.newSubManager()) {
            // not normalised on purpose: the loss normalises
            NDArray images = scope.create(new float[] {3, 0, 0, 0.5f}, new Shape(2, 2));
            NDArray texts = scope.create(new float[] {2, 0, 1.8f, 2.4f}, new Shape(2, 2));
            NDArray scale = ContrastiveLoss.scale(ContrastiveLoss.scalar(scope, Math.log(2)), scope);
            ContrastiveLoss.Logits logits = ContrastiveLoss.logits(images, texts, null, scale);
            assertEquals(TWO_BY_TWO, ContrastiveLoss.mean(logits, null, 0,
                    ContrastiveLoss.Targets.of(List.of("a cat", "a dog"), 0, scope), scope).getFloat(), 1e-6);
            // the eval metrics compute the same loss their own way (doubles, log-sum-exp)
            Map<String, Double> m = RetrievalEval.metrics(new float[][] {{1, 0}, {0, 1}},
                    new float[][] {{1, 0}, {0.6f, 0.8f}}, Math.log(2));
            assertEquals(TWO_BY_TWO, m.get("loss"), 1e-6);
        }
    }

    @Test
    void aHardNegativeIsAnExtraColumnOfImageToTextOnly() {
        try (NDManager scope = manager.newSubManager()) {
            NDArray images = scope.create(new float[] {1, 0, 0, 1}, new Shape(2, 2));
            NDArray texts = scope.create(new float[] {1, 0, 0.6f, 0.8f}, new Shape(2, 2));
            NDArray negative = scope.create(new float[] {0, 5}, new Shape(1, 2)); // normalised: (0, 1)
            NDArray scale = ContrastiveLoss.scale(ContrastiveLoss.scalar(scope, Math.log(2)), scope);
            ContrastiveLoss.Logits logits = ContrastiveLoss.logits(images, texts, negative, scale);
            assertEquals(new Shape(2, 3), logits.imageToText().getShape());
            assertEquals(new Shape(2, 2), logits.textToImage().getShape());
            // image->text rows [2, 1.2, 0] (target 0) and [0, 1.6, 2] (target 1); text->image as before
            double row0 = Math.log(Math.exp(2) + Math.exp(1.2) + 1) - 2;
            double row1 = Math.log(1 + Math.exp(1.6) + Math.exp(2)) - 1.6;
            double expected = ((row0 + row1) / 2 + (ce2(2) + ce2(0.4)) / 2) / 2;
            assertEquals(expected, ContrastiveLoss.mean(logits, null, 0,
                    ContrastiveLoss.Targets.of(List.of("a cat", "a dog"), 1, scope), scope).getFloat(), 1e-6);
        }
    }

    @Test
    void pairsWithTheSameCaptionAreEachOthersMatches() {
        try (NDManager scope = manager.newSubManager()) {
            ContrastiveLoss.Targets t = ContrastiveLoss.Targets.of(List.of("a red star", "a blue ring", "a red star"), 1, scope);
            assertArrayEquals(new float[] {0.5f, 0, 0.5f, 0, 0, 1, 0, 0, 0.5f, 0, 0.5f, 0}, t.imageToText().toFloatArray());
            assertArrayEquals(new float[] {0.5f, 0, 0.5f, 0, 1, 0, 0.5f, 0, 0.5f}, t.textToImage().toFloatArray());
            // images (1, 0) and (0, 1), both captioned "a red star" (text (1, 0)); scale 2. Logits
            // image->text [[2, 2], [0, 0]], text->image [[2, 0], [2, 0]], every target 1/2.
            NDArray images = scope.create(new float[] {1, 0, 0, 1}, new Shape(2, 2));
            NDArray texts = scope.create(new float[] {1, 0, 1, 0}, new Shape(2, 2));
            NDArray scale = ContrastiveLoss.scale(ContrastiveLoss.scalar(scope, Math.log(2)), scope);
            ContrastiveLoss.Logits logits = ContrastiveLoss.logits(images, texts, null, scale);
            double imageToText = Math.log(2); // each row: uniform prediction against uniform targets
            double textToImage = (ce2(2) + ce2(-2)) / 2;
            assertEquals((imageToText + textToImage) / 2, ContrastiveLoss.mean(logits, null, 0,
                    ContrastiveLoss.Targets.of(List.of("a red star", "a red star"), 0, scope), scope).getFloat(), 1e-6);
        }
    }

    @Test
    void picturesWithTheSameLabelAreEachOthersMatchesImageToImage() {
        try (NDManager scope = manager.newSubManager()) {
            // pictures (1, 0), (0, 1), (0.6, 0.8) (the third given at length 5: the loss normalises), labels a, b, a;
            // temperature 0.5. Cosines c01 = 0, c02 = 0.6, c12 = 0.8. Picture 1 has no other "b": not an anchor.
            // Picture 0 over {1, 2}: [0, 1.2], match 2; picture 2 over {0, 1}: [1.2, 1.6], match 0.
            NDArray images = scope.create(new float[] {1, 0, 0, 1, 3, 4}, new Shape(3, 2));
            NDArray texts = scope.create(new float[] {1, 0, 0, 1, 1, 1}, new Shape(3, 2));
            NDArray scale = ContrastiveLoss.scale(ContrastiveLoss.scalar(scope, 0), scope);
            NDArray normalised = ContrastiveLoss.logits(images, texts, null, scale).images();
            double expected = (ce2(1.2) + ce2(1.2 - 1.6)) / 2;
            assertEquals(expected, ContrastiveLoss.sameLabel(normalised, java.util.Arrays.asList("a", "b", "a"), 0.5, scope)
                    .getFloat(), 1e-6);
            // an unlabelled picture is a candidate, never a match: the same value with "b" taken away
            assertEquals(expected, ContrastiveLoss.sameLabel(normalised, java.util.Arrays.asList("a", null, "a"), 0.5, scope)
                    .getFloat(), 1e-6);
            // with no label repeated there is no term at all
            assertEquals(null, ContrastiveLoss.sameLabel(normalised, java.util.Arrays.asList("a", "b", "c"), 0.5, scope));
            assertEquals(null, ContrastiveLoss.sameLabel(normalised, java.util.Arrays.asList(null, null, null), 0.5, scope));
            // three of one label: picture 0's matches 1 and 2 share its target, -(log p01 + log p02) / 2
            double row0 = Math.log(1 + Math.exp(1.2)) - (0 + 1.2) / 2;
            double row1 = Math.log(1 + Math.exp(1.6)) - (0 + 1.6) / 2;
            double row2 = Math.log(Math.exp(1.2) + Math.exp(1.6)) - (1.2 + 1.6) / 2;
            assertEquals((row0 + row1 + row2) / 3, ContrastiveLoss.sameLabel(normalised, List.of("a", "a", "a"), 0.5, scope)
                    .getFloat(), 1e-6);
        }
    }

    @Test
    void theNearestOtherDistinctPictureDecidesTheSameLabelMetric() {
        Path a = Path.of("a.png");
        Path b = Path.of("b.png");
        Path c = Path.of("c.png");
        Path d = Path.of("d.png");
        // a listed twice (two captions): it counts once, and never as its own neighbour
        List<CaptionData.Pair> pairs = List.of(new CaptionData.Pair("f:1", a, "x", "red"),
                new CaptionData.Pair("f:2", a, "y", "red"), new CaptionData.Pair("f:3", b, "z", "red"),
                new CaptionData.Pair("f:4", c, "w", "blue"), new CaptionData.Pair("f:5", d, "v", "blue"));
        float[][] images = {{1, 0}, {1, 0}, {0.8f, 0.6f}, {0.6f, 0.8f}, {0, 1}};
        // a -> b (.8 vs c .6): hit; b -> a (.8) vs c (.96): c, miss; c -> b (.96): miss; d -> c (.8): hit
        assertEquals(0.5, RetrievalEval.sameLabelAt1(images, pairs), 1e-12);
        // a tie between a match and another label counts against it (b and c now the same picture)
        float[][] tied = {{1, 0}, {1, 0}, {0.6f, 0.8f}, {0.6f, 0.8f}, {0, 1}};
        // a -> b, c tie (.6): miss; b -> c (1): miss; c -> b (1): miss; d -> b, c tie (.8): miss
        assertEquals(0.0, RetrievalEval.sameLabelAt1(tied, pairs), 1e-12);
        // one distinct picture has no neighbour: no figure
        assertTrue(Double.isNaN(RetrievalEval.sameLabelAt1(new float[][] {{1, 0}, {1, 0}}, pairs.subList(0, 2))));
    }

    @Test
    void softTargetsMixWithTheHardOnes() {
        try (NDManager scope = manager.newSubManager()) {
            NDArray images = scope.create(new float[] {1, 0, 0, 1}, new Shape(2, 2));
            NDArray texts = scope.create(new float[] {1, 0, 0.6f, 0.8f}, new Shape(2, 2));
            NDArray scale = ContrastiveLoss.scale(ContrastiveLoss.scalar(scope, Math.log(2)), scope);
            ContrastiveLoss.Logits student = ContrastiveLoss.logits(images, texts, null, scale);
            // a teacher whose logits are all equal: soft targets 1/2 each
            ContrastiveLoss.Logits teacher = new ContrastiveLoss.Logits(scope.zeros(new Shape(2, 2)), scope.zeros(new Shape(2, 2)));
            double alpha = 0.4;
            // -log p of each entry of the student's rows
            double[][] i2t = {{ce2(0.8), ce2(-0.8)}, {ce2(-1.6), ce2(1.6)}};
            double[][] t2i = {{ce2(2), ce2(-2)}, {ce2(-0.4), ce2(0.4)}};
            double hard = (i2t[0][0] + i2t[1][1] + t2i[0][0] + t2i[1][1]) / 4;
            double soft = (i2t[0][0] + i2t[0][1] + i2t[1][0] + i2t[1][1] + t2i[0][0] + t2i[0][1] + t2i[1][0] + t2i[1][1]) / 8;
            assertEquals((1 - alpha) * hard + alpha * soft, ContrastiveLoss.mean(student, teacher, alpha,
                    ContrastiveLoss.Targets.of(List.of("a cat", "a dog"), 0, scope), scope).getFloat(),
                    1e-6);
        }
    }

    @Test
    void theLogitScaleIsClampedAtOneHundredAndThenGetsNoGradient() {
        try (NDManager scope = manager.newSubManager()) {
            assertEquals(100, ContrastiveLoss.scale(ContrastiveLoss.scalar(scope, Math.log(1000)), scope).getFloat(), 1e-4);
            assertEquals(10, ContrastiveLoss.scale(ContrastiveLoss.scalar(scope, Math.log(10)), scope).getFloat(), 1e-4);
            assertEquals(0, scaleGradient(scope, Math.log(1000)), 0.0);
            assertNotEquals(0, scaleGradient(scope, Math.log(10)));
            // the eval metrics clamp too: scale 1000 is scale 100
            float[][] i = {{1, 0}, {0, 1}};
            float[][] t = {{1, 0}, {0.6f, 0.8f}};
            assertEquals(RetrievalEval.metrics(i, t, Math.log(100)).get("loss"), RetrievalEval.metrics(i, t, Math.log(1000))
                    .get("loss"), 1e-12);
        }
    }

    private static double scaleGradient(NDManager scope, double value) {
        NDArray logitScale = ContrastiveLoss.scalar(scope, value);
        logitScale.setRequiresGradient(true);
        try (Autograd.Recording r = Autograd.record()) {
            NDArray images = scope.create(new float[] {1, 0, 0, 1}, new Shape(2, 2));
            NDArray texts = scope.create(new float[] {1, 0, 0.6f, 0.8f}, new Shape(2, 2));
            NDArray loss = ContrastiveLoss.mean(ContrastiveLoss.logits(images, texts, null,
                    ContrastiveLoss.scale(logitScale, scope)), null, 0, ContrastiveLoss.Targets.of(List.of("a cat", "a dog"), 0, scope), scope);
            r.backward(loss);
        }
        return logitScale.getGradient().getFloat();
    }

    @Test
    void gradientsOfTheWholeLossMatchFiniteDifferencesInFloat64() {
        // embeddings, negatives and the logit scale, with soft targets mixed in: autograd against central differences
        Random random = new Random(11);
        double[][] inputs = {gaussian(random, 12), gaussian(random, 12), gaussian(random, 8), {Math.log(5)}};
        Shape[] shapes = {new Shape(3, 4), new Shape(3, 4), new Shape(2, 4), new Shape()};
        double[] teacherImageToText = gaussian(random, 15);
        double[] teacherTextToImage = gaussian(random, 9);
        double[][] grads = new double[inputs.length][];
        try (NDManager scope = manager.newSubManager()) {
            NDArray[] x = new NDArray[inputs.length];
            for (int k = 0; k < x.length; k++) {
                x[k] = scope.create(inputs[k], shapes[k]);
                x[k].setRequiresGradient(true);
            }
            try (Autograd.Recording r = Autograd.record()) {
                r.backward(loss(scope, x, teacherImageToText, teacherTextToImage));
            }
            for (int k = 0; k < x.length; k++) {
                grads[k] = x[k].getGradient().toDoubleArray();
            }
        }
        double h = 1e-6;
        for (int k = 0; k < inputs.length; k++) {
            for (int i = 0; i < inputs[k].length; i++) {
                double[] numeric = new double[2];
                for (int side = 0; side < 2; side++) {
                    double[][] moved = inputs.clone();
                    moved[k] = inputs[k].clone();
                    moved[k][i] += side == 0 ? h : -h;
                    try (NDManager scope = manager.newSubManager()) {
                        NDArray[] x = new NDArray[inputs.length];
                        for (int j = 0; j < x.length; j++) {
                            x[j] = scope.create(moved[j], shapes[j]);
                        }
                        numeric[side] = loss(scope, x, teacherImageToText, teacherTextToImage).getDouble();
                    }
                }
                double fd = (numeric[0] - numeric[1]) / (2 * h);
                assertEquals(fd, grads[k][i], 1e-6 + 1e-5 * Math.abs(fd), "input " + k + "[" + i + "]");
            }
        }
    }

    private static NDArray loss(NDManager scope, NDArray[] x, double[] teacherImageToText, double[] teacherTextToImage) {
        ContrastiveLoss.Logits student = ContrastiveLoss.logits(x[0], x[1], x[2], ContrastiveLoss.scale(x[3], scope));
        ContrastiveLoss.Logits teacher = new ContrastiveLoss.Logits(scope.create(teacherImageToText, new Shape(3, 5)),
                scope.create(teacherTextToImage, new Shape(3, 3)));
        // pairs 0 and 2 share their caption: the gradient of spread targets is checked too; and the
        // image-to-image term with pictures 0 and 1 of one label
        return ContrastiveLoss.mean(student, teacher, 0.3, ContrastiveLoss.Targets.of(List.of("x", "y", "x"), 2, scope),
                scope).add(ContrastiveLoss.sameLabel(student.images(), java.util.Arrays.asList("p", "p", null), 0.7,
                        scope));
    }

    private static double[] gaussian(Random random, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = random.nextGaussian();
        }
        return v;
    }

    @Test
    void recallCountsTiesAgainstTheRightAnswer() {
        // image 0 ranks text 0 first; image 1 ties texts 0 and 1; image 2 ranks its text third
        float[][] images = {{1, 0, 0}, {0.6f, 0.8f, 0}, {0, 0, 1}};
        float[][] texts = {{1, 0, 0}, {0.8f, 0.6f, 0}, {0.6f, 0, 0.8f}};
        // cos [image][text]: [[1, .8, .6], [.6, .96, .36], [0, 0, .8]]
        Map<String, Double> m = RetrievalEval.metrics(images, texts, 0);
        assertEquals(3 / 3.0, m.get("image_to_text_recall@1"), 1e-12);
        // text->image: text 0 best image 0 (1 vs .6 vs 0); text 1: image 1 .96 > .8; text 2: image 2 .8 > .6
        assertEquals(1.0, m.get("text_to_image_recall@1"), 1e-12);
        float[][] tied = {{1, 0, 0}, {1, 0, 0}, {0, 0, 1}}; // images 0 and 1 the same: their texts tie
        Map<String, Double> t = RetrievalEval.metrics(tied, texts, 0);
        // image 0: text 0 = 1, text 1 = .8 -> hit; image 1 (= image 0): its text 1 scores .8 < 1 -> miss; image 2 hit
        assertEquals(2 / 3.0, t.get("image_to_text_recall@1"), 1e-12);
        // text 0: images 0 and 1 both 1 -> the tie counts against it -> miss; text 1 likewise; text 2 hit
        assertEquals(1 / 3.0, t.get("text_to_image_recall@1"), 1e-12);
        assertEquals(1.0, t.get("text_to_image_recall@5"), 1e-12);
        assertEquals(List.of("loss", "image_to_text_recall@1", "image_to_text_recall@5", "text_to_image_recall@1",
                "text_to_image_recall@5"), List.copyOf(m.keySet()));
    }

    @Test
    void hardNegativesSwapOneWholeWordWithinItsGroupDeterministically() {
        List<List<String>> groups = List.of(List.of("red", "green", "blue", "yellow"), List.of("big", "small"),
                List.of("white", "black"));
        HardNegatives negatives = new HardNegatives(groups, 2);
        List<String> captions = List.of("a big red sun on a white background", "a bored crowd, reddish", "Red sky");
        List<String> first = negatives.of(captions, new Random(7));
        assertEquals(first, negatives.of(captions, new Random(7)), "the same seed gives the same negatives");
        assertNotEquals(first, negatives.of(captions, new Random(8)));
        // two for the first caption, none for the second (no whole attribute word), one for the third (its only
        // word has three others, two are asked for)
        assertEquals(4, first.size(), first.toString());
        for (String n : first) {
            String source = n.toLowerCase(Locale.ROOT).endsWith("sky") ? captions.get(2) : captions.get(0);
            String[] a = source.split(" ");
            String[] b = n.split(" ");
            assertEquals(a.length, b.length, n);
            int changed = 0;
            for (int w = 0; w < a.length; w++) {
                if (!a[w].equals(b[w])) {
                    changed++;
                    String from = a[w].toLowerCase(Locale.ROOT);
                    String to = b[w].toLowerCase(Locale.ROOT);
                    assertTrue(groups.stream().anyMatch(g -> g.contains(from) && g.contains(to)), from + " -> " + to);
                    assertEquals(Character.isUpperCase(a[w].charAt(0)), Character.isUpperCase(b[w].charAt(0)), n);
                }
            }
            assertEquals(1, changed, n);
        }
        // a substitution that gives another caption of the batch is left out: it is already a candidate
        List<String> pair = List.of("a big sun", "a small sun");
        assertEquals(List.of(), new HardNegatives(List.of(List.of("big", "small")), 1).of(pair, new Random(0)));
    }

    @Test
    void hardNegativesFindChineseWordsBetweenHanCharacters() {
        HardNegatives negatives = new HardNegatives(List.of(List.of("红色", "蓝色"), List.of("圆形", "星形")), 4);
        List<String> out = negatives.of(List.of("白色背景上有一个红色圆形"), new Random(0));
        assertEquals(java.util.Set.of("白色背景上有一个蓝色圆形", "白色背景上有一个红色星形"), java.util.Set.copyOf(out));
        // letters of spaced scripts still end a word: "reddish" holds no "red"
        assertEquals(List.of(), new HardNegatives(List.of(List.of("red", "blue")), 1).of(List.of("reddish"), new Random(0)));
    }

    @Test
    void hardNegativeAndDistillationSettingsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new TrainingSettings.HardNegativeSettings(
                List.of(List.of("red")), 1));
        assertThrows(IllegalArgumentException.class, () -> new TrainingSettings.HardNegativeSettings(
                List.of(List.of("red", "blue"), List.of("blue", "big")), 1));
        assertThrows(IllegalArgumentException.class, () -> new TrainingSettings.HardNegativeSettings(
                List.of(List.of("red", "dark blue")), 1));
        assertThrows(IllegalArgumentException.class, () -> new TrainingSettings.DistillationSettings(1.0, 0.4));
        assertThrows(IllegalArgumentException.class, () -> new TrainingSettings.DistillationSettings(0.9, 1.5));
    }

    @Test
    void badCaptionRecordsNameTheFileAndLine() throws Exception {
        Path file = dir.resolve("pairs.jsonl");
        for (String[] c : new String[][] {
            {"[1, 2]", "must be a JSON object"},
            {"{\"image\": \"a.png\"}", "\"caption\""},
            {"{\"image\": \"a.png\", \"caption\": \"  \"}", "\"caption\""},
            {"{\"caption\": \"a red sun\"}", "no \"image\""},
            {"{\"image\": \"a.png\", \"caption\": \"a red sun\", \"label\": 3}", "\"label\" must be a non-empty string"},
            {"{\"image\": \"a.png\", \"caption\": \"a red sun\", \"label\": \"\"}", "\"label\""}}) {
            Files.writeString(file, "{\"image\": \"a.png\", \"caption\": \"fine\"}\n" + c[0] + "\n");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CaptionData.read(file));
            assertTrue(e.getMessage().contains(file + ":2") && e.getMessage().contains(c[1]), e.getMessage());
        }
        Files.writeString(file, "{\"file_name\": \"a.png\", \"text\": \"a red sun\"}\n");
        CaptionData.Pair p = CaptionData.read(file).get(0);
        assertEquals("a red sun", p.caption());
        assertEquals(dir.resolve("a.png").toAbsolutePath(), p.image());
        assertFalse(p.where().isEmpty());
        assertEquals(null, p.label());
        Files.writeString(file, "{\"image\": \"a.png\", \"caption\": \"a red sun\", \"label\": \"red sun\"}\n");
        assertEquals("red sun", CaptionData.read(file).get(0).label());
    }
}
