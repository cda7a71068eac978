package org.mix4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.MixRuntime;
import org.mix4j.api.ProgressListener;
import org.mix4j.api.RgbImage;
import org.mix4j.data.synth.Colour;
import org.mix4j.examples.TinyClipShapesTest.Run;
import org.mix4j.image.ImageDecoder;
import org.mix4j.pipelines.generation.GenerationComponents;
import org.mix4j.pipelines.generation.GenerationRequest;
import org.mix4j.pipelines.generation.GenerationResult;
import org.mix4j.pipelines.generation.StableDiffusionPipeline;
import org.mix4j.pipelines.retrieval.RetrievalPipeline;
import org.mix4j.pipelines.task.DiffusionSettings;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.registry.MixSettings;

/**
 * The shipped tiny text-to-image model (examples/models/tiny-sd-shapes through
 * examples/generation/shapes.yaml, its steps and guidance) asked for every "a COLOUR KIND" of the 8
 * colours and 5 kinds (one image each, seeds 1000-1039), in English and in Chinese. An image is right when
 * (1) the colour most of its pixels are nearest to, among those not of the border's colour, is the
 * one asked for, and (2) the shipped tiny CLIP (examples/retrieval/shapes.yaml) ranks "a COLOUR KIND"
 * first among the five kinds with that colour. The figures are printed; docs/training.md records them.
 * {@code -Dshapes.sd=PIPELINE.yaml} measures another model, e.g. one retrained by the recipe;
 * {@code -Dshapes.sd.seed=N} draws image i with seed N + i.
 */
class TinySdShapesTest {

    static final Path PIPELINE = Path.of(System.getProperty("shapes.sd", "generation/shapes.yaml"));
    static final long SEED = Long.getLong("shapes.sd.seed", 1000);

    @TempDir
    static Path dir;

    static MixRuntime runtime;
    static NDManager manager;
    static RetrievalPipeline clip;
    static StableDiffusionPipeline sd;
    static DiffusionSettings settings;

    @BeforeAll
    static void load() {
        runtime = MixRuntime.start(MixSettings.builtInOnly());
        manager = NDManager.newBaseManager();
        clip = RetrievalPipeline.load(PipelineConfig.load(TinyClipShapesTest.SHAPES), runtime.loader(), manager);
        PipelineConfig config = PipelineConfig.load(PIPELINE);
        settings = config.settings(DiffusionSettings.class);
        sd = new StableDiffusionPipeline(GenerationComponents.load(config, runtime.loader(), manager));
    }

    @AfterAll
    static void close() {
        sd.components().close();
        clip.close();
        manager.close();
        runtime.close();
    }

    /*
     * The issue asks that 80% have the colour and the kind asked for. Measured on these prompts with
     * the UNet after its stage 5 (the EMA of 3,000 more steps), judged by the CLIP shipped since its
     * stage 4 (it names a real lone shape's kind 0.99 of the time): colour 1.000 / 0.975 (English /
     * Chinese), kind 0.975 / 0.950 (chance 0.2), both 0.975 / 0.925. On all five seed sets
     * (-Dshapes.sd.seed 1000 to 5000, 200 prompts a language) both is 0.865 / 0.845, each set 0.775 or
     * more; colour ranged 0.875 to 1.0 and kind 0.825 to 0.975 (after stage 4 only: both 0.765 / 0.70).
     * Asserted: the 0.80 on both, and below the measured spread elsewhere, where a regression
     * shows and a harmless numeric change does not: colour 0.85 (chance 0.125), kind 0.7.
     */

    @Test
    void drawsTheColourAndTheKindAskedForInEnglish() {
        double[] right = judge(false);
        assertTrue(right[0] >= 0.85, "English: share with the colour asked for " + right[0]);
        assertTrue(right[1] >= 0.7, "English: share the CLIP calls the kind asked for " + right[1]);
        assertTrue(right[2] >= 0.8, "English: share with both right " + right[2]);
    }

    @Test
    void drawsTheColourAndTheKindAskedForInChinese() {
        double[] right = judge(true);
        assertTrue(right[0] >= 0.85, "Chinese: share with the colour asked for " + right[0]);
        assertTrue(right[1] >= 0.7, "Chinese: share the CLIP calls the kind asked for " + right[1]);
        assertTrue(right[2] >= 0.8, "Chinese: share with both right " + right[2]);
    }

    /**
     * README's command writes a 64x64 PNG whose main colour is the one asked for; the folder also loads
     * without YAML ({@code --model}: its model_index.json names the word-level tokenizer as a
     * PreTrainedTokenizerFast, which hf_tokenizer reads).
     */
    @Test
    void readmeCommandDrawsAGreenShapeAndTheFolderLoadsWithoutYaml() {
        Path out = dir.resolve("triangle.png");
        Run run = TinyClipShapesTest.mix("generate", PIPELINE.toString(), "--prompt", "a green triangle", "-o",
                out.toString());
        assertEquals(0, run.code(), run.err());
        RgbImage image = new ImageDecoder().read(out);
        assertEquals(64, image.width());
        assertEquals(Colour.GREEN, dominant(image));
        System.out.println("README's green triangle: the CLIP calls it a " + kind(image, "green"));

        Path model = Path.of("models/tiny-sd-shapes"); // the shipped folder, also under -Dshapes.sd
        Path folder = dir.resolve("folder.png");
        Run direct = TinyClipShapesTest.mix("generate", "--model", model.toString(), "--prompt", "a blue circle",
                "--steps", "10", "-o", folder.toString());
        assertEquals(0, direct.code(), direct.err());
        assertEquals(64, new ImageDecoder().read(folder).width());
    }

    /** {colour right, kind right, both right} as shares of the 40 images (image i has seed SEED + i). */
    static double[] judge(boolean chinese) {
        List<String> prompts = new ArrayList<>();
        List<String[]> asked = new ArrayList<>();
        for (String colour : TinyClipShapesTest.COLOURS) {
            for (int k = 0; k < TinyClipShapesTest.KINDS.size(); k++) {
                String kind = TinyClipShapesTest.KINDS.get(k);
                prompts.add(chinese ? Colour.named(colour).chinese() + KINDS_ZH.get(k)
                        : TinyClipShapesTest.caption(colour, kind));
                asked.add(new String[] {colour, kind});
            }
        }
        List<RgbImage> images;
        try (NDManager scope = manager.newSubManager();
                GenerationResult result = sd.generate(GenerationRequest.builder(settings).prompts(prompts).seed(SEED)
                        .build(), ProgressListener.NONE, scope)) {
            images = result.images();
        }
        int colours = 0;
        int kinds = 0;
        int both = 0;
        int n = images.size();
        for (int i = 0; i < n; i++) {
            Colour drawn = dominant(images.get(i));
            String kind = kind(images.get(i), asked.get(i)[0]);
            boolean colourRight = drawn == Colour.named(asked.get(i)[0]);
            boolean kindRight = kind.equals(asked.get(i)[1]);
            colours += colourRight ? 1 : 0;
            kinds += kindRight ? 1 : 0;
            both += colourRight && kindRight ? 1 : 0;
            if (!colourRight) {
                System.out.printf("  colour miss: %s (seed %d) -> %s%n", prompts.get(i), SEED + i, drawn);
            }
            if (!kindRight) {
                System.out.printf("  kind miss: %s (seed %d) -> %s%n", prompts.get(i), SEED + i, kind);
            }
        }
        double[] shares = {colours / (double) n, kinds / (double) n, both / (double) n};
        System.out.printf("tiny-sd-shapes %s, %d images: colour %.3f, kind %.3f, both %.3f%n",
                chinese ? "Chinese" : "English", n, shares[0], shares[1], shares[2]);
        return shares;
    }

    static final List<String> KINDS_ZH = List.of("圆形", "正方形", "三角形", "星形", "圆环");

    /** The kind whose "a COLOUR KIND" the shipped CLIP ranks first for the image. */
    static String kind(RgbImage image, String colour) {
        float[] embedded = clip.embedImages(List.of(image))[0];
        return TinyClipShapesTest.best(embedded, TinyClipShapesTest.KINDS, k -> CAPTIONS.computeIfAbsent(
                TinyClipShapesTest.caption(colour, k), clip::embedText));
    }

    /** "a red star" -> its embedding by the shipped CLIP, each caption embedded once. */
    static final Map<String, float[]> CAPTIONS = new HashMap<>();

    /**
     * The named colour most pixels are nearest to among those whose nearest colour is not the
     * background's (the colour most pixels of the two-pixel border are nearest to).
     */
    static Colour dominant(RgbImage image) {
        int[] border = new int[Colour.values().length];
        int[] inside = new int[Colour.values().length];
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < image.width(); x++) {
                Colour c = Colour.nearest(image.get(x, y, 0), image.get(x, y, 1), image.get(x, y, 2));
                boolean edge = x < 2 || y < 2 || x >= image.width() - 2 || y >= image.height() - 2;
                (edge ? border : inside)[c.ordinal()]++;
            }
        }
        int background = argmax(border);
        inside[background] = 0;
        return Colour.values()[argmax(inside)];
    }

    private static int argmax(int[] counts) {
        int best = 0;
        for (int i = 1; i < counts.length; i++) {
            best = counts[i] > counts[best] ? i : best;
        }
        return best;
    }
}
