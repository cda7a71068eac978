package org.mix4j.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.api.Autoencoder;
import org.mix4j.api.LatentDistribution;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigOverrides;
import org.mix4j.config.JsonConfig;
import org.mix4j.pipelines.generation.GenerationComponents;
import org.mix4j.pipelines.generation.Images;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.weights.Checkpoint;

/** {@code objective: autoencoder}: the VAE of the tiny SD recipe learns to reconstruct the suns. */
class AutoencoderTrainingTest extends WithRuntime {

    static final Path RECIPES = CausalLmTrainingTest.RECIPES;
    static final Path RECIPE = RECIPES.resolve("tiny-sd-full.yaml");
    static final Path BASE = RECIPES.resolve("../../testdata/golden/sd_pipeline").normalize();

    @TempDir
    Path dir;

    private static ConfigOverrides autoencoder() {
        return new ConfigOverrides().set("training.objective", "autoencoder", "test")
                .set("training.trainable", List.of("vae"), "test");
    }

    private Trainer trainer(ConfigOverrides overrides, Path out) {
        return trainer(RECIPE, overrides, out);
    }

    /**
     * Every tensor of the VAE trains under its checkpoint name; the held-out reconstruction error falls;
     * the written folder is the recipe's diffusers folder with only the VAE's weights rewritten and its
     * scaling_factor one over the standard deviation of the written VAE's latents of the training images.
     */
    @Test
    void theVaeLearnsToReconstructAndIsWrittenWithItsScalingFactor() throws Exception {
        Path out = dir.resolve("vae");
        CausalLmTrainingTest.Log log = new CausalLmTrainingTest.Log();
        try (Trainer t = trainer(autoencoder().set("training.max_steps", 30, "test").set("training.lr", 0.01, "test")
                .set("training.micro_batch_size", 4, "test").set("training.eval_every", 0, "test"), out);
                Checkpoint vae = Checkpoint.open(BASE.resolve("vae"))) {
            assertEquals(new TreeSet<>(vae.tensors().keySet()), new TreeSet<>(t.parameters().trainable().keySet().stream()
                    .map(n -> n.substring("vae.".length())).toList()), "every VAE tensor trains, under its own name");
            t.run(log, () -> false, null);
        }
        double first = log.evals.get(0);
        double last = log.evals.get(30);
        System.out.printf("autoencoder, 30 steps on the suns: eval loss %.4f -> %.4f%n", first, last); // measured 1.294 -> 0.790
        assertTrue(last < 0.7 * first, "held-out loss " + first + " -> " + last);

        assertArrayEquals(Files.readAllBytes(BASE.resolve("unet/diffusion_pytorch_model.safetensors")),
                Files.readAllBytes(out.resolve("unet/diffusion_pytorch_model.safetensors")), "the UNet is copied as it was");
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(BASE.resolve("vae/diffusion_pytorch_model.safetensors")),
                Files.readAllBytes(out.resolve("vae/diffusion_pytorch_model.safetensors"))), "the VAE is rewritten");
        JsonObject config = JsonConfig.read(out.resolve("vae/config.json"));
        double factor = config.get("scaling_factor").getAsDouble();
        assertEquals(JsonConfig.read(BASE.resolve("vae/config.json")).get("block_out_channels"),
                config.get("block_out_channels"));

        PipelineConfig written = PipelineConfig.load(out.resolve("pipeline.yaml"));
        List<CaptionData.Pair> pairs = CaptionData.read(RECIPE.getParent().resolve(Trainer.settings(
                PipelineConfig.load(RECIPE)).data()));
        try (NDManager scope = manager.newSubManager();
                GenerationComponents parts = GenerationComponents.load(written, runtime.loader(), scope)) {
            assertEquals(factor, parts.vae().scalingFactor(), 1e-9, "the written pipeline loads the new factor");
            double sum = 0;
            double squares = 0;
            long n = 0;
            for (CaptionData.Pair pair : pairs) {
                NDArray pixels = Images.pixelValues(DiffusionObjective.sample(pair, 16).image(), scope);
                for (float v : parts.vae().encode(pixels).mean().toFloatArray()) {
                    sum += v;
                    squares += (double) v * v;
                    n++;
                }
            }
            double std = Math.sqrt(squares / n - (sum / n) * (sum / n));
            assertEquals(1 / std, factor, 1e-3 / std, "scaling_factor = 1 / std of the latents");
        }
    }

    /**
     * The micro-batch's loss is, per image, the mean squared error of decoding a posterior sample
     * (noise drawn from the seed in order) plus kl_weight times the mean KL divergence per latent
     * value, summed over the images: recomputed here from the VAE's encode and decode.
     */
    @Test
    void theLossIsTheReconstructionErrorPlusTheWeightedKlDivergence() {
        double klWeight = 0.25;
        try (Trainer t = trainer(autoencoder().set("training.kl_weight", klWeight, "test"), dir);
                NDManager scope = manager.newSubManager()) {
            AutoencoderObjective objective = (AutoencoderObjective) t.objective();
            List<DiffusionObjective.Sample> micro = List.of(objective.prepare(0), objective.prepare(1));
            double loss = objective.lossSum(micro, 11, scope).getFloat();

            Autoencoder vae = objective.components().vae();
            Random random = new Random(11);
            NDArray pixels = Images.pixelValues(micro.get(0).image(), scope)
                    .concat(Images.pixelValues(micro.get(1).image(), scope), 0);
            LatentDistribution posterior = vae.encode(pixels);
            float[] mean = posterior.mean().toFloatArray();
            float[] std = posterior.std().toFloatArray();
            float[] z = new float[mean.length];
            double kl = 0;
            for (int i = 0; i < z.length; i++) {
                z[i] = (float) (mean[i] + std[i] * random.nextGaussian());
                double variance = (double) std[i] * std[i];
                kl += 0.5 * ((double) mean[i] * mean[i] + variance - 1 - Math.log(variance));
            }
            float[] decoded = vae.decode(scope.create(z, posterior.mean().getShape())).toFloatArray();
            float[] x = pixels.toFloatArray();
            double squared = 0;
            for (int i = 0; i < x.length; i++) {
                squared += (decoded[i] - x[i]) * (double) (decoded[i] - x[i]);
            }
            double expected = 2 * (squared / x.length + klWeight * kl / z.length);
            assertEquals(expected, loss, 1e-4 * expected, "loss of two images");
        }
    }

    @Test
    void settingsThatDoNotBelongAreErrorsNamingTheKey() {
        ConfigException dropout = assertThrows(ConfigException.class,
                () -> trainer(autoencoder().set("training.caption_dropout", 0.1, "test"), dir).close());
        assertTrue(dropout.getMessage().contains("caption_dropout"), dropout.getMessage());
        ConfigException kl = assertThrows(ConfigException.class,
                () -> trainer(autoencoder().set("training.kl_weight", -1, "test"), dir).close());
        assertTrue(kl.getMessage().contains("kl_weight"), kl.getMessage());
        IllegalArgumentException denoiser = assertThrows(IllegalArgumentException.class, () -> trainer(autoencoder()
                .set("training.trainable", List.of("denoiser"), "test"), dir).close());
        assertTrue(denoiser.getMessage().contains("'denoiser' matches no parameter"), denoiser.getMessage());
        IllegalArgumentException vaeByDiffusion = assertThrows(IllegalArgumentException.class, () -> trainer(
                new ConfigOverrides().set("training.trainable", List.of("vae"), "test"),
                dir).close());
        assertTrue(vaeByDiffusion.getMessage().contains("objective: autoencoder"), vaeByDiffusion.getMessage());
    }
}
