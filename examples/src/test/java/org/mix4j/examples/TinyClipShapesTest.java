package org.mix4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
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
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.MixRuntime;
import org.mix4j.api.RgbImage;
import org.mix4j.cli.Mix;
import org.mix4j.image.ImageDecoder;
import org.mix4j.pipelines.retrieval.RetrievalPipeline;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.registry.MixSettings;

/**
 * The shipped tiny CLIP (examples/models/tiny-clip-shapes, through examples/retrieval/shapes.yaml and
 * the normal loading path) on scenes it has never seen: {@code mix data synth} with seed 1017 (it was
 * trained on seed 0), a third of them drawn hand-drawn style and a third saved as JPEG, 64-512 px.
 * Text-to-image recall@1 among the first 100 pictures with their English and their Chinese captions;
 * what the nearest other picture of each of 300 shares (among 100, some pictures have no other with the
 * same main shape; among these 300 each has one); {@code mix index} / {@code mix search --text "a red star"}
 * end to end on README's album. The figures are printed; docs/training.md records them.
 * {@code -Dshapes.clip=PIPELINE.yaml} (relative to examples/) measures another model, e.g. one
 * retrained by the recipes.
 */
class TinyClipShapesTest {

    static final Path SHAPES = Path.of(System.getProperty("shapes.clip", "retrieval/shapes.yaml"));
    static final int COUNT = 100;
    static final int ALL = 300;
    /** The bar for image->image (docs/training.md has the measured figure). */
    static final double MAIN_BAR = 0.90;

    @TempDir
    static Path dir;

    static Path album;
    static List<JsonObject> scenes;
    static MixRuntime runtime;
    static NDManager manager;
    static RetrievalPipeline clip;
    static float[][] images;

    @BeforeAll
    static void synthAndEmbed() throws IOException {
        album = dir.resolve("album");
        Run synth = mix("data", "synth", "--out", album.toString(), "--count", String.valueOf(ALL), "--seed", "1017",
                "--sketch", "0.33", "--jpeg", "0.33");
        assertEquals(0, synth.code(), synth.err());
        scenes = Files.readAllLines(album.resolve("scenes.jsonl")).stream()
                .map(l -> JsonParser.parseString(l).getAsJsonObject()).toList();
        runtime = MixRuntime.start(MixSettings.builtInOnly());
        manager = NDManager.newBaseManager();
        clip = RetrievalPipeline.load(PipelineConfig.load(SHAPES), runtime.loader(), manager);
        images = embed(clip, album, scenes);
    }

    @AfterAll
    static void close() {
        clip.close();
        manager.close();
        runtime.close();
    }

    @Test
    void findsPicturesByTheirEnglishCaptions() throws IOException {
        double recall = textToImageRecallAt1("captions.jsonl");
        assertTrue(recall >= 0.90, "English text->image recall@1 " + recall);
    }

    @Test
    void findsPicturesByTheirChineseCaptions() throws IOException {
        double recall = textToImageRecallAt1("captions-zh.jsonl");
        assertTrue(recall >= 0.90, "Chinese text->image recall@1 " + recall);
    }

    /**
     * Asked for: the nearest picture shares the main shape's kind and colour in 90% of cases. The main
     * shape is the one that covers the most of the picture ({@link #main}); the shape reaching furthest
     * (the largest radius, which the captions' short form and this test used until 2026-12-05) is
     * printed too: a star reaches as far as a circle of its radius but covers 38% of it, and a third of
     * these scenes' main shape is not the one reaching furthest. Trained for by stage 4's
     * {@code image_to_image} term (docs/training.md); before it, 0.33 by radius, the nearest picture
     * sharing the background instead (0.81).
     */
    @Test
    void nearestPictureSharesTheMainShapeAndColour() {
        int sameMain = 0;
        int sameLargest = 0;
        int sameBackground = 0;
        for (int i = 0; i < ALL; i++) {
            int best = -1;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < ALL; j++) {
                double s = dot(images[i], images[j]);
                if (j != i && s > bestScore) {
                    best = j;
                    bestScore = s;
                }
            }
            sameMain += main(scenes.get(i)).equals(main(scenes.get(best))) ? 1 : 0;
            sameLargest += largest(scenes.get(i)).equals(largest(scenes.get(best))) ? 1 : 0;
            sameBackground += scenes.get(i).get("background").equals(scenes.get(best).get("background")) ? 1 : 0;
        }
        double main = sameMain / (double) ALL;
        System.out.printf("tiny-clip-shapes image->image among %d: nearest shares the main shape %.3f (the largest radius %.3f),"
                + " the background %.3f%n", ALL, main, sameLargest / (double) ALL, sameBackground / (double) ALL);
        assertTrue(main >= MAIN_BAR, "image->image main-shape agreement " + main);
    }

    /**
     * A lone shape's kind, zero-shot: each of 100 one-shape pictures never seen (seed 1018, a third
     * hand-drawn, a third JPEG) ranks the five captions "a COLOUR circle / square / triangle / star /
     * ring" with its own colour; chance is 0.2. The colour is asked the same way (eight captions with
     * its own kind). The bars sit below the measured figures (docs/training.md) by a margin.
     */
    @Test
    void tellsTheKindAndTheColourOfALoneShape() throws IOException {
        Path lone = dir.resolve("lone");
        Run synth = mix("data", "synth", "--out", lone.toString(), "--count", String.valueOf(COUNT), "--seed", "1018",
                "--max-shapes", "1", "--sketch", "0.33", "--jpeg", "0.33");
        assertEquals(0, synth.code(), synth.err());
        List<JsonObject> truth = Files.readAllLines(lone.resolve("scenes.jsonl")).stream()
                .map(l -> JsonParser.parseString(l).getAsJsonObject()).toList();
        float[][] embedded = embed(clip, lone, truth);
        Map<String, float[]> captions = new HashMap<>(); // "a red star" -> its embedding, each caption once
        for (String colour : COLOURS) {
            for (String kind : KINDS) {
                captions.put(caption(colour, kind), clip.embedText(caption(colour, kind)));
            }
        }
        int kinds = 0;
        int colours = 0;
        for (int i = 0; i < truth.size(); i++) {
            JsonObject shape = truth.get(i).getAsJsonArray("shapes").get(0).getAsJsonObject();
            String colour = shape.get("colour").getAsString();
            String kind = shape.get("shape").getAsString();
            kinds += kind.equals(best(embedded[i], KINDS, k -> captions.get(caption(colour, k)))) ? 1 : 0;
            colours += colour.equals(best(embedded[i], COLOURS, c -> captions.get(caption(c, kind)))) ? 1 : 0;
        }
        double kind = kinds / (double) truth.size();
        double colour = colours / (double) truth.size();
        System.out.printf("tiny-clip-shapes lone shape among %d: kind %.2f, colour %.2f%n", truth.size(), kind, colour);
        assertTrue(kind >= 0.85, "kind of a lone shape " + kind);
        assertTrue(colour >= 0.95, "colour of a lone shape " + colour);
    }

    static final List<String> KINDS = List.of("circle", "square", "triangle", "star", "ring");
    static final List<String> COLOURS = List.of("red", "green", "blue", "yellow", "orange", "purple", "black", "white");

    /** "a red star", "an orange ring": the generator's short caption. */
    static String caption(String colour, String kind) {
        return (colour.equals("orange") ? "an " : "a ") + colour + " " + kind;
    }

    /** The choice whose caption's embedding is nearest {@code image}. */
    static String best(float[] image, List<String> choices, Function<String, float[]> caption) {
        String best = null;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (String c : choices) {
            double s = dot(image, caption.apply(c));
            if (s > bestScore) {
                best = c;
                bestScore = s;
            }
        }
        return best;
    }

    /**
     * README's album (seed 7, 100 scenes): the two search commands it shows find a red star first.
     * On this test's own 300 scenes the first hit for "a red star" is a red circle (star and circle
     * are the shapes the 64 px model confuses most), so this is not asserted there.
     */
    @Test
    void indexAndSearchOfTheReadmeAlbumFindARedStar() throws IOException {
        Path readme = dir.resolve("readme-album");
        Run synth = mix("data", "synth", "--out", readme.toString(), "--count", "100", "--seed", "7");
        assertEquals(0, synth.code(), synth.err());
        List<JsonObject> truth = Files.readAllLines(readme.resolve("scenes.jsonl")).stream()
                .map(l -> JsonParser.parseString(l).getAsJsonObject()).toList();
        Path index = dir.resolve("readme-album.index");
        Run indexed = mix("index", SHAPES.toString(), "--images", readme.resolve("images").toString(), "--out",
                index.toString(), "--no-progress");
        assertEquals(0, indexed.code(), indexed.err());
        assertTrue(indexed.out().contains("100 images indexed"), indexed.out());
        for (String query : List.of("a red star", "红色星形")) {
            Run search = mix("search", SHAPES.toString(), "--index", index.toString(), "--text", query, "-k", "3");
            assertEquals(0, search.code(), search.err());
            String first = RetrievalCliTest.results(search.out()).get(0)[2];
            JsonObject scene = truth.stream().filter(s -> first.endsWith(s.get("image").getAsString())).findFirst()
                    .orElseThrow();
            assertTrue(has(scene, "red", "star"), query + " -> " + scene + "\n" + search.out());
        }
    }

    /** Recall@1 of the captions of {@code file} among the album's pictures; a tie counts as a miss. */
    static double textToImageRecallAt1(String file) throws IOException {
        return textToImageRecallAt1(file, clip, images);
    }

    /**
     * {@code quantize: int8} (every linear layer of both towers as int8, through the same YAML and
     * loading path): recall@1 stays at the bar and within 0.03 of the fp32 model's on the same pictures.
     */
    @Test
    void keepsItsRecallWithInt8Weights() throws IOException {
        try (NDManager m = manager.newSubManager();
                RetrievalPipeline int8 = RetrievalPipeline.load(PipelineConfig.load(SHAPES,
                        new org.mix4j.config.ConfigOverrides().set("quantize", "int8", "test")), runtime.loader(), m)) {
            float[][] quantized = embed(int8, album, scenes.subList(0, COUNT));
            double cosine = dot(quantized[0], images[0]) / Math.sqrt(dot(quantized[0], quantized[0]) * dot(images[0], images[0]));
            System.out.printf("tiny-clip-shapes int8: first picture's embedding cosine to fp32 %.6f%n", cosine);
            assertTrue(cosine < 1 - 1e-9 && cosine > 0.99, "int8 ran (embeddings differ a little from fp32): " + cosine);
            for (String file : List.of("captions.jsonl", "captions-zh.jsonl")) {
                double fp32 = textToImageRecallAt1(file, clip, images);
                double recall = textToImageRecallAt1(file, int8, quantized);
                System.out.printf("tiny-clip-shapes int8 %s: recall@1 %.2f (fp32 %.2f)%n", file, recall, fp32);
                assertTrue(recall >= 0.90 && recall >= fp32 - 0.03, file + ": int8 recall@1 " + recall + ", fp32 " + fp32);
            }
        }
    }

    static double textToImageRecallAt1(String file, RetrievalPipeline clip, float[][] images) throws IOException {
        List<String> lines = Files.readAllLines(album.resolve(file));
        int hits = 0;
        for (int i = 0; i < COUNT; i++) {
            JsonObject pair = JsonParser.parseString(lines.get(i)).getAsJsonObject();
            assertEquals(scenes.get(i).get("image").getAsString(), pair.get("image").getAsString());
            float[] text = clip.embedText(pair.get("caption").getAsString());
            double own = dot(text, images[i]);
            int beaten = -1;
            for (int j = 0; j < COUNT && beaten < 0; j++) {
                beaten = j != i && dot(text, images[j]) >= own ? j : -1;
            }
            if (beaten < 0) {
                hits++;
            } else {
                System.out.println("  miss: " + pair.get("caption").getAsString() + " -> " + scenes.get(beaten));
            }
        }
        double recall = hits / (double) COUNT;
        System.out.printf("tiny-clip-shapes text->image recall@1 (%s, %d pictures): %.2f%n", file, COUNT, recall);
        return recall;
    }

    /** The image embeddings of {@code scenes}' pictures in {@code folder}. */
    static float[][] embed(RetrievalPipeline clip, Path folder, List<JsonObject> scenes) {
        ImageDecoder decoder = new ImageDecoder();
        List<RgbImage> pictures = new ArrayList<>();
        for (JsonObject s : scenes) {
            pictures.add(decoder.read(folder.resolve(s.get("image").getAsString())));
        }
        return clip.embedImages(pictures);
    }

    /**
     * The area of each kind drawn at radius r, over r^2 (mix-data's SceneRenderer: a 48-gon, a square
     * and a triangle with corners at 0.97 r, a star with points at 0.97 r and inner corners at 0.42 r,
     * a ring from r to 0.55 r); examples/train/main_shape_labels.py labels the training pictures the same way.
     */
    static final Map<String, Double> AREA = Map.of("circle", 24 * Math.sin(Math.PI / 24), "square", 2 * 0.97 * 0.97,
            "triangle", 3 * Math.sqrt(3) / 4 * 0.97 * 0.97, "star", 5 * 0.97 * 0.42 * Math.sin(Math.PI / 5),
            "ring", Math.PI * (1 - 0.55 * 0.55));

    /** "colour kind" of the scene's main shape: the one that covers the most pixels. */
    static String main(JsonObject scene) {
        return biggest(scene, s -> AREA.get(s.get("shape").getAsString()) * Math.pow(s.get("radius").getAsDouble(), 2));
    }

    /** "colour kind" of the scene's shape of the largest radius. */
    static String largest(JsonObject scene) {
        return biggest(scene, s -> s.get("radius").getAsDouble());
    }

    /** "colour kind" of the scene's shape of the greatest {@code size} (the first of equals). */
    static String biggest(JsonObject scene, ToDoubleFunction<JsonObject> size) {
        JsonObject best = null;
        for (var e : scene.getAsJsonArray("shapes")) {
            JsonObject s = e.getAsJsonObject();
            if (best == null || size.applyAsDouble(s) > size.applyAsDouble(best)) {
                best = s;
            }
        }
        return best.get("colour").getAsString() + " " + best.get("shape").getAsString();
    }

    static boolean has(JsonObject scene, String colour, String kind) {
        for (var e : scene.getAsJsonArray("shapes")) {
            JsonObject s = e.getAsJsonObject();
            if (s.get("colour").getAsString().equals(colour) && s.get("shape").getAsString().equals(kind)) {
                return true;
            }
        }
        return false;
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int k = 0; k < a.length; k++) {
            s += (double) a[k] * b[k];
        }
        return s;
    }

    record Run(int code, String out, String err) {}

    static Run mix(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Mix.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }
}
