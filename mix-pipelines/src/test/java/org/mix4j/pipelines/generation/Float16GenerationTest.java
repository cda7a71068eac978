package org.mix4j.pipelines.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mix4j.diffusion.DiffusionFixtures.golden;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mix4j.api.ProgressListener;
import org.mix4j.api.RgbImage;
import org.mix4j.diffusion.DiffusionFixtures;
import org.mix4j.image.ImageDecoder;
import org.mix4j.pipelines.Pipelines;
import org.mix4j.pipelines.task.DiffusionSettings.DenoiseTiling;
import org.mix4j.pipelines.task.PipelineConfig;

/**
 * {@code dtype: float16} end to end: the pipelines of {@code examples/generation/tiny-sd.yaml}
 * (tokenizer, CLIP text encoder, UNet, DDIM, VAE) and of the ControlNet fixture, loaded once in
 * float32 and once in float16, must give finite results close to each other.
 *
 * <p>Tolerances. float16 keeps 11 significant bits: a relative rounding of 2^-11, about 5e-4, per
 * operation. These random-weight models with guidance 7.5 drive the latents to |x| up to about 33,
 * so the latents are compared relative to their largest magnitude: max |half - full| / max |full|
 * at most {@value #LATENT_TOLERANCE} (measured 2.5e-3 to 3.2e-3, a few float16 roundings after ten
 * guided steps). The image in [0, 1] is compared absolutely with {@value #IMAGE_TOLERANCE}, under
 * four 8-bit levels (measured 3.8e-3 to 5.1e-3, at most about one level). The runs are
 * deterministic; the margin (3x) is for other CPUs' kernels. For scale: computing the timestep
 * sinusoids in float16 (the mistake diffusers avoids by casting after them) raises the txt2img
 * latents to 1.4e-2 and its image to 1.3e-2; {@code TimestepEmbeddingTest} catches that directly.
 */
class Float16GenerationTest {

    /** Max |float16 - float32| over the final latents, relative to max |float32 latent|. */
    private static final double LATENT_TOLERANCE = 1e-2;
    /** Max |float16 - float32| over the image in [0, 1]. */
    private static final double IMAGE_TOLERANCE = 1.5e-2;

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** tiny-sd.yaml's sections, over {@code fixture}, in {@code dtype}; with a ControlNet when asked. */
    private static PipelineConfig config(String fixture, String dtype, boolean controlNet, boolean vaeTiling) {
        Path tokenizer = Path.of("../examples/generation/tiny-clip-tokenizer").toAbsolutePath().normalize();
        Pipelines.Builder b = Pipelines.builder("generation")
                .checkpoint(golden(fixture).toAbsolutePath())
                .component("text_encoder", "clip_text", Map.of("weights", "text_encoder"))
                .component("tokenizer", "clip_bpe", Map.of("path", tokenizer.toString()))
                .component("denoiser", "unet2d_condition", Map.of("weights", "unet"))
                .component("vae", "autoencoder_kl", vaeTiling
                        ? Map.of("weights", "vae", "tiling", Map.of("enabled", true, "tile_sample_min_size", 16))
                        : Map.of("weights", "vae"))
                .component("scheduler", "ddim", Map.of("weights", "scheduler"))
                .set("dtype", dtype);
        if (controlNet) {
            b.component("controlnet", "controlnet", Map.of("weights", "controlnet"));
        }
        return b.build();
    }

    private record Run(float[] latents, float[] image) {}

    private Run run(PipelineConfig config, GenerationRequest request) {
        try (NDManager models = manager.newSubManager();
                GenerationComponents parts = GenerationComponents.load(config, DiffusionFixtures.loader(), models);
                GenerationResult result = new StableDiffusionPipeline(parts).generate(request, ProgressListener.NONE,
                        manager)) {
            assertEquals(DataType.FLOAT32, result.latents().getDataType(), "latents leave the loop in float32");
            assertEquals(DataType.FLOAT32, result.image().getDataType(), "the image is converted in float32");
            return new Run(result.latents().toFloatArray(), result.image().toFloatArray());
        }
    }

    private void assertHalfMatchesFull(String fixture, boolean controlNet, boolean vaeTiling,
            GenerationRequest.Builder request, String what) {
        Run full = run(config(fixture, "float32", controlNet, vaeTiling), request.build());
        Run half = run(config(fixture, "float16", controlNet, vaeTiling), request.build());
        assertFinite(half.latents, what + " latents");
        assertFinite(half.image, what + " image");
        double scale = maxAbsDiff(full.latents, new float[full.latents.length]);
        double latents = maxAbsDiff(full.latents, half.latents) / scale;
        double image = maxAbsDiff(full.image, half.image);
        System.out.printf("float16 vs float32, %s: latents %.3e of max |latent| %.3e, image %.3e%n", what, latents,
                scale, image);
        assertTrue(latents <= LATENT_TOLERANCE, what + ": latents differ by " + latents + " of their largest value");
        assertTrue(image <= IMAGE_TOLERANCE, what + ": image differs by " + image);
    }

    private static GenerationRequest.Builder tinySd() {
        return GenerationRequest.builder().prompt("a photo of a cat").negativePrompt("blurry").steps(10)
                .guidanceScale(7.5).seed(42);
    }

    @Test
    void textToImageInHalfMatchesFloat32() {
        assertHalfMatchesFull("sd_pipeline", false, false, tinySd(), "txt2img");
    }

    @Test
    void imageToImageInHalfMatchesFloat32() {
        RgbImage init = ImageDecoder.readRgb(golden("sd_img2img").resolve("init_image.png"));
        assertHalfMatchesFull("sd_pipeline", false, false, tinySd().initImage(init).strength(0.6), "img2img");
    }

    @Test
    void controlNetInHalfMatchesFloat32() {
        RgbImage control = ImageDecoder.readRgb(golden("controlnet_pipeline").resolve("control_image.png"));
        assertHalfMatchesFull("controlnet_pipeline", true, false, tinySd().steps(4).controlImage(control)
                .controlScale(0.8), "controlnet");
    }

    @Test
    void multiDiffusionWithTiledVaeInHalfMatchesFloat32() {
        GenerationRequest.Builder wide = tinySd().steps(4).size(32, 16)
                .tiling(new DenoiseTiling("multidiffusion", 8, 4, false, 2));
        assertHalfMatchesFull("sd_pipeline", false, true, wide, "multidiffusion + tiled VAE");
    }

    private static void assertFinite(float[] values, String what) {
        for (int i = 0; i < values.length; i++) {
            assertTrue(Float.isFinite(values[i]), what + "[" + i + "] is " + values[i]);
        }
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs((double) a[i] - b[i]));
        }
        return max;
    }
}
