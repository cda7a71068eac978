package org.mix4j.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.MixRuntime;
import org.mix4j.api.RgbImage;
import org.mix4j.cli.Mix;
import org.mix4j.config.YamlLoader;
import org.mix4j.image.ImageDecoder;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.registry.MixSettings;

/**
 * {@code mix generate} end to end on the tiny example ({@code examples/generation/tiny-sd.yaml}:
 * the sd_pipeline fixture's components and a tiny CLIP tokenizer), through {@link Mix#run}.
 */
class GenerateCommandTest {

    private static final Path EXAMPLE = Path.of("generation/tiny-sd.yaml");
    private static final Path FIXTURE = Path.of("../testdata/golden/sd_pipeline");
    private static final Path TOKENIZER = Path.of("generation/tiny-clip-tokenizer");

    private record Run(int code, String out, String err) {}

    private static Run mix(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Mix.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    private static RgbImage png(Path file) {
        assertTrue(Files.isRegularFile(file), file + " was not written");
        return ImageDecoder.readRgb(file);
    }

    @Test
    void writesAPngOfTheNativeSizeFromATextPrompt(@TempDir Path dir) {
        Path out = dir.resolve("cat.png");
        Run r = mix("generate", EXAMPLE.toString(), "--prompt", "a photo of a cat", "--steps", "3", "-o", out.toString());
        assertEquals(0, r.code(), r.err());
        RgbImage image = png(out);
        assertEquals(16, image.width());
        assertEquals(16, image.height());
        assertTrue(r.out().contains("cat.png"), r.out());
    }

    @Test
    void multiDiffusionMakesTwiceTheNativeSize(@TempDir Path dir) {
        Path out = dir.resolve("wide.png");
        Run r = mix("generate", EXAMPLE.toString(), "--prompt", "the sea", "--steps", "2", "--size", "32x32",
                "--tiling", "8,4", "-o", out.toString());
        assertEquals(0, r.code(), r.err());
        RgbImage image = png(out);
        assertEquals(32, image.width());
        assertEquals(32, image.height());
    }

    @Test
    void sameSeedSamePixelsAndEveryImageOfABatchHasItsOwnSeed(@TempDir Path dir) {
        String[] common = {"generate", EXAMPLE.toString(), "--prompt", "a red tree", "--steps", "2", "--seed", "5"};
        assertEquals(0, mix(concat(common, "--num-images", "2", "-o", dir.resolve("b.png").toString())).code());
        assertEquals(0, mix(concat(common, "-o", dir.resolve("one.png").toString())).code());
        RgbImage first = png(dir.resolve("b-0.png"));
        RgbImage second = png(dir.resolve("b-1.png"));
        assertArrayEquals(png(dir.resolve("one.png")).pixels(), first.pixels(), "seed 5 alone and as image 0 of a batch");
        assertFalse(Arrays.equals(first.pixels(), second.pixels()), "image 1 uses seed 6");
    }

    @Test
    void img2imgKeepsTheInitImageSize(@TempDir Path dir) {
        Path out = dir.resolve("i2i.png");
        Run r = mix("generate", EXAMPLE.toString(), "--prompt", "blue sky", "--init-image",
                "../testdata/golden/sd_img2img/init_image.png", "--strength", "0.5", "--steps", "4", "-o", out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(16, png(out).width());
    }

    @Test
    void modelFolderPrintsAnEquivalentPipelineAndRuns(@TempDir Path dir) {
        Run printed = mix("generate", "--model", FIXTURE.toString(), "--tokenizer", TOKENIZER.toString(), "--steps", "3",
                "--print-config");
        assertEquals(0, printed.code(), printed.err());
        String yaml = printed.out();
        for (String expected : List.of("task: generation", "type: clip_text", "type: clip_bpe", "type: unet2d_condition",
                "type: autoencoder_kl", "type: ddim", "num_inference_steps: 3")) {
            assertTrue(yaml.contains(expected), "missing '" + expected + "' in\n" + yaml);
        }
        PipelineConfig config = PipelineConfig.parse(new YamlLoader().load(new StringReader(yaml), "printed"), "printed",
                dir);
        try (MixRuntime runtime = MixRuntime.start(MixSettings.builtInOnly())) {
            PipelineConfig.Validation v = config.validate(runtime.loader());
            assertTrue(v.ok(), v.errors().toString());
        }
        Path out = dir.resolve("model.png");
        Run r = mix("generate", "--model", FIXTURE.toString(), "--tokenizer", TOKENIZER.toString(), "--prompt", "a dog",
                "--steps", "2", "-o", out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(16, png(out).height());
    }

    @Test
    void modelFolderWithoutATokenizerSaysWhatIsMissing() {
        Run r = mix("generate", "--model", FIXTURE.toString(), "--prompt", "a dog");
        assertEquals(1, Math.min(r.code(), 1), "must fail");
        assertTrue(r.err().contains("tokenizer"), r.err());
    }

    @Test
    void controlNetFolderRunsWithAControlImage(@TempDir Path dir) {
        Path out = dir.resolve("cn.png");
        String folder = "../testdata/golden/controlnet_pipeline";
        Run r = mix("generate", "--model", folder, "--tokenizer", TOKENIZER.toString(), "--prompt", "a red tree",
                "--control-image", folder + "/control_image.png", "--control-scale", "0.8", "--steps", "2", "-o",
                out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(16, png(out).width());
        Run missing = mix("generate", "--model", folder, "--tokenizer", TOKENIZER.toString(), "--prompt", "a red tree",
                "--steps", "2", "-o", dir.resolve("none.png").toString());
        assertTrue(missing.code() != 0 && missing.err().contains("--control-image"), missing.err());
    }

    @Test
    void mixRunDispatchesTaskGenerationToTheGenerationRunner(@TempDir Path dir) {
        Path out = dir.resolve("run.png");
        Run r = mix("run", EXAMPLE.toString(), "--prompt", "a cat on the sea", "--steps", "2", "--seed", "3", "-o",
                out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(16, png(out).width());
    }

    @Test
    void badSizeIsRejectedWithTheExpectedForm() {
        Run r = mix("generate", EXAMPLE.toString(), "--prompt", "x", "--size", "32by32");
        assertTrue(r.code() != 0);
        assertTrue(r.err().contains("--size expects two positive integers"), r.err());
    }

    @Test
    void aFlagsBadValueIsReportedAsTheFlagBeforeAnythingLoads() {
        Run guidance = mix("generate", EXAMPLE.toString(), "--prompt", "x", "--guidance", "-1");
        assertTrue(guidance.code() != 0);
        assertTrue(guidance.err().contains("error: --guidance: guidance_scale: guidance_scale must be >= 0"),
                guidance.err());
        Run steps = mix("generate", "--model", FIXTURE.toString(), "--tokenizer", TOKENIZER.toString(), "--prompt", "x",
                "--steps", "0");
        assertTrue(steps.err().contains("error: --steps: num_inference_steps: "), steps.err());
        Run circular = mix("generate", EXAMPLE.toString(), "--prompt", "x", "--circular");
        assertTrue(circular.err().contains("--circular: needs MultiDiffusion tiling"), circular.err());
    }

    @Test
    void printConfigCarriesEveryFlagAndReadsBackToTheSameSettings(@TempDir Path dir) throws Exception {
        String[] flags = {"--steps", "3", "--guidance", "5.5", "--seed", "9", "--size", "32x16", "--negative",
            "it's blurry: no", "--num-images", "2", "--tiling", "8,4", "--circular"};
        Run printed = mix(concat(new String[] {"generate", "--model", FIXTURE.toString(), "--tokenizer",
            TOKENIZER.toString(), "--print-config"}, flags));
        assertEquals(0, printed.code(), printed.err());
        PipelineConfig config = PipelineConfig.parse(new YamlLoader().load(new StringReader(printed.out()), "printed"),
                "printed", dir);
        org.mix4j.pipelines.task.DiffusionSettings s = config.settings(org.mix4j.pipelines.task.DiffusionSettings.class);
        assertEquals(3, s.numInferenceSteps());
        assertEquals(5.5, s.guidanceScale());
        assertEquals(9, s.seed());
        assertEquals(List.of(32, 16), s.size());
        assertEquals("it's blurry: no", s.negativePrompt());
        assertEquals(2, s.numImagesPerPrompt());
        assertEquals(new org.mix4j.pipelines.task.DiffusionSettings.DenoiseTiling("multidiffusion", 8, 4, true, 1),
                s.tiling());
    }

    private static String[] concat(String[] head, String... tail) {
        List<String> all = new ArrayList<>(Arrays.asList(head));
        all.addAll(Arrays.asList(tail));
        return all.toArray(String[]::new);
    }
}
