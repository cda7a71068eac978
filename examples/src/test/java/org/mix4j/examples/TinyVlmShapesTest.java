package org.mix4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.examples.TinyClipShapesTest.Run;

/**
 * The shipped tiny VLM (examples/models/tiny-vlm-shapes through examples/understanding/shapes-vlm.yaml,
 * the normal loading path, greedy decoding) on scenes it has never seen: {@code mix data synth} with
 * seed 2017 (it was trained on seeds 0 and 11), and 100 drawn in the hand-drawn style it never saw
 * (seed 2018, {@code --sketch 1}). Exact-match accuracy of the generator's own answers to its colour,
 * shapes, count, where and yes/no questions (for the shapes, any of its {@code answers}), in English
 * and in Chinese (the word-level tokenizer decodes Chinese with a space between words, so spaces are
 * ignored there), and the answers about the bundled picture. The figures are printed;
 * docs/training.md records them. {@code -Dshapes.vlm=PIPELINE.yaml} (relative to examples/)
 * measures another model, e.g. one retrained by the recipes.
 */
class TinyVlmShapesTest {

    static final Path PIPELINE = Path.of(System.getProperty("shapes.vlm", "understanding/shapes-vlm.yaml"));
    static final int SCENES = 100;
    static final int BATCH = 32;

    @TempDir
    static Path dir;

    /** "en colour" (the plain scenes) or "sketch en colour" (the hand-drawn ones) -> {right, asked}. */
    static final Map<String, int[]> scores = new TreeMap<>();

    @BeforeAll
    static void synthAndAnswer() {
        answer(dir.resolve("album"), "", "--seed", "2017");
        answer(dir.resolve("sketches"), "sketch ", "--seed", "2018", "--sketch", "1"); // a style training never saw
        scores.forEach((kind, s) -> System.out.printf("tiny-vlm-shapes %-20s %3d/%3d %.3f%n", kind, s[0], s[1],
                s[0] / (double) s[1]));
    }

    /** Draws 100 scenes into {@code album} and scores the model on their questions in both languages. */
    private static void answer(Path album, String prefix, String... synthFlags) {
        List<String> args = new ArrayList<>(List.of("data", "synth", "--out", album.toString(), "--count",
                String.valueOf(SCENES)));
        args.addAll(List.of(synthFlags));
        Run synth = TinyClipShapesTest.mix(args.toArray(String[]::new));
        assertEquals(0, synth.code(), synth.err());
        for (String language : List.of("en", "zh")) {
            Path file = album.resolve(language.equals("zh") ? "llava-vqa-zh.jsonl" : "llava-vqa.jsonl");
            Run eval = TinyClipShapesTest.mix("eval", PIPELINE.toString(), "--answers", "--data", file.toString(),
                    "--batch", String.valueOf(BATCH), "--json");
            assertEquals(0, eval.code(), eval.err());
            JsonParser.parseString(eval.out().strip()).getAsJsonObject().entrySet().forEach(kind -> {
                JsonObject k = kind.getValue().getAsJsonObject();
                scores.put(prefix + language + " " + kind.getKey(),
                        new int[] {k.get("right").getAsInt(), k.get("asked").getAsInt()});
            });
        }
    }

    /*
     * The issue asks for 90% on colour, shape and count questions. Measured on the plain scenes
     * (English / Chinese) with the VLM after its stage 4: colour 1.00 / 1.00, count 1.00 / 1.00, the
     * shapes 0.92 / 0.92 (in an order a viewer could call left to right: either order of two shapes
     * one above the other; the generator's order alone 0.86 / 0.84), where 0.99 / 0.99, yes/no 0.98 /
     * 0.99; on the hand-drawn ones: colour 0.98 / 0.99, count 1.00 / 1.00, shapes 0.94 / 0.96, where
     * 0.97 / 0.93. Asserted: the bar on all three kinds in both sets, elsewhere those levels
     * less a margin, so that a regression shows.
     */

    @Test
    void answersCountQuestions() {
        assertAccuracy("count", 0.90);
    }

    @Test
    void answersColourQuestions() {
        assertAccuracy("colour", 0.90);
    }

    @Test
    void answersWhichShapesQuestions() {
        assertAccuracy("shapes", 0.90);
    }

    @Test
    void answersWhereAndYesNoQuestions() {
        assertAccuracy("where", 0.90);
        assertAccuracy("yes_no", 0.90);
    }

    @Test
    void answersAboutHandDrawnScenesAsWell() {
        assertAccuracy("sketch ", "colour", 0.90);
        assertAccuracy("sketch ", "count", 0.90);
        assertAccuracy("sketch ", "shapes", 0.90);
        assertAccuracy("sketch ", "where", 0.85);
    }

    /**
     * The bundled picture (seed 5, scene 6: a white ring on the left, a black star above a purple
     * circle on the right, 3 px further right in the 86 px picture: either order lists them).
     */
    @Test
    void answersAboutTheBundledPicture() {
        assertBundledAnswers(bundledPicture());
    }

    private static void assertBundledAnswers(Run run) {
        assertEquals(0, run.code(), run.err());
        List<String> answers = run.out().strip().lines().toList();
        assertEquals(List.of("black", "黑色", "three"), answers.subList(0, Math.min(3, answers.size())), run.err());
        assertTrue(answers.size() == 4 && List.of("a white ring, a purple circle and a black star",
                "a white ring, a black star and a purple circle").contains(answers.get(3)), answers.toString());
    }

    /**
     * The same model with every component quantized to int8 or fp16 (its decoder then decodes on
     * Java arrays, {@code JavaDecodeStep}): the English figures of every kind of question move by at
     * most two answers in a hundred, and the bundled picture gets the same answers.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"int8", "fp16"})
    void quantizedAnswersAsWell(String quantize) {
        Path file = dir.resolve("album").resolve("llava-vqa.jsonl");
        Run eval = TinyClipShapesTest.mix("eval", PIPELINE.toString(), "--answers", "--data", file.toString(),
                "--batch", "16", "--json", "--quantize", quantize); // at most 16 rows decode on Java arrays (PackedMatrix.KERNEL_ROWS)
        assertEquals(0, eval.code(), eval.err());
        JsonParser.parseString(eval.out().strip()).getAsJsonObject().entrySet().forEach(kind -> {
            JsonObject k = kind.getValue().getAsJsonObject();
            int[] fp32 = scores.get("en " + kind.getKey());
            int right = k.get("right").getAsInt();
            System.out.printf("tiny-vlm-shapes %s en %-10s %3d/%3d (fp32 %d)%n", quantize, kind.getKey(), right,
                    k.get("asked").getAsInt(), fp32[0]);
            assertEquals(fp32[1], k.get("asked").getAsInt(), kind.getKey());
            assertTrue(Math.abs(right - fp32[0]) <= Math.max(2, fp32[1] / 50), kind.getKey() + ": " + quantize + " " + right
                    + " right against fp32's " + fp32[0] + " of " + fp32[1]);
        });
        assertBundledAnswers(bundledPicture("--quantize", quantize));
    }

    private static Run bundledPicture(String... flags) {
        List<String> args = new ArrayList<>(List.of("run", PIPELINE.toString(), "--image",
                "images/shapes-demo.png", "--prompt", "What colour is the star?", "--prompt", "星形是什么颜色？", "--prompt",
                "How many shapes are there?", "--prompt", "Which shapes are in the picture?"));
        args.addAll(List.of(flags));
        return TinyClipShapesTest.mix(args.toArray(String[]::new));
    }

    /**
     * {@code --answers} asks a text model too: its greedy answer, the same {@code mix run} gives, is
     * compared with each sample's reply, or with each of its {@code answers} where it lists them
     * (a list that is not strings is refused, naming the line). A question that comes with a picture
     * is refused, naming the data file and line (a text model could not see it).
     */
    @Test
    void answersOfATextModelAndItsRefusalOfPictures() throws IOException {
        String question = "what color is the red car ?";
        Run run = TinyClipShapesTest.mix("run", "serve/tiny-text.yaml", "--prompt", question);
        assertEquals(0, run.code(), run.err());
        String said = run.out().strip();
        Path file = dir.resolve("text-questions.jsonl");
        Files.writeString(file, "{\"kind\": \"same\", \"conversations\": [{\"from\": \"human\", \"value\": \"" + question
                + "\"}, {\"from\": \"gpt\", \"value\": \"" + said + "\"}]}\n"
                + "{\"kind\": \"other\", \"conversations\": [{\"from\": \"human\", \"value\": \"" + question
                + "\"}, {\"from\": \"gpt\", \"value\": \"not what it says\"}]}\n"
                + "{\"kind\": \"listed\", \"answers\": [\"not what it says\", \"" + said + "\"], \"conversations\": "
                + "[{\"from\": \"human\", \"value\": \"" + question + "\"}, {\"from\": \"gpt\", \"value\": \"not what it says\"}]}\n");
        Run eval = TinyClipShapesTest.mix("eval", "serve/tiny-text.yaml", "--answers", "--data", file.toString(), "--json");
        assertEquals(0, eval.code(), eval.err());
        JsonObject scores = JsonParser.parseString(eval.out().strip()).getAsJsonObject();
        assertEquals(1, scores.getAsJsonObject("same").get("right").getAsInt(), eval.out());
        assertEquals(0, scores.getAsJsonObject("other").get("right").getAsInt(), eval.out());
        assertEquals(1, scores.getAsJsonObject("other").get("asked").getAsInt(), eval.out());
        assertEquals(1, scores.getAsJsonObject("listed").get("right").getAsInt(), eval.out()); // one of its "answers"

        Path badAnswers = dir.resolve("bad-answers.jsonl");
        Files.writeString(badAnswers, "{\"answers\": \"" + said + "\", \"conversations\": [{\"from\": \"human\", "
                + "\"value\": \"" + question + "\"}, {\"from\": \"gpt\", \"value\": \"" + said + "\"}]}\n");
        Run bad = TinyClipShapesTest.mix("eval", "serve/tiny-text.yaml", "--answers", "--data", badAnswers.toString());
        assertEquals(2, bad.code(), bad.out());
        assertTrue(bad.err().contains("bad-answers.jsonl:1") && bad.err().contains("\"answers\" must be an array of strings"),
                bad.err());

        Run pictures = TinyClipShapesTest.mix("eval", "serve/tiny-text.yaml", "--answers", "--data",
                dir.resolve("album/llava-vqa.jsonl").toString());
        assertEquals(2, pictures.code(), pictures.out()); // bad input data
        assertTrue(pictures.err().contains("llava-vqa.jsonl:1") && pictures.err().contains("task: text"), pictures.err());
    }

    static void assertAccuracy(String kind, double bar) {
        assertAccuracy("", kind, bar);
    }

    static void assertAccuracy(String prefix, String kind, double bar) {
        for (String language : List.of("en", "zh")) {
            int[] s = scores.get(prefix + language + " " + kind);
            double accuracy = s[0] / (double) s[1];
            assertTrue(s[1] >= SCENES / 2, prefix + language + " " + kind + ": only " + s[1] + " questions");
            assertTrue(accuracy >= bar, prefix + language + " " + kind + " exact-match accuracy " + accuracy + " (" + s[0] + "/"
                    + s[1] + "), expected at least " + bar);
        }
    }
}
